pub(crate) async fn run(_a: &crate::App, _c: &crate::Config, _b: crate::cli::StorageCommand) -> crate::exit::CliResult { todo!() }
