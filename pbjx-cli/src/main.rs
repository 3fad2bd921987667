//! The default `pbjx` binary: the core message types (and, with the `examples` feature, the
//! workspace's example store). Build your own with your registry: see the crate docs.

fn main() -> std::process::ExitCode {
    pbjx_cli::run(std::env::args_os(), pbjx_cli::App::new(registry()))
}

fn registry() -> pbjx::pbj::Registry {
    let mut registry = pbjx::pbj::Registry::new();
    pbjx::register(&mut registry);
    #[cfg(feature = "examples")]
    pbjx_examples::schemas::register(&mut registry);
    registry
}
