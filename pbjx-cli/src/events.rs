pub(crate) async fn run(_a: &crate::App, _c: &crate::Config, _b: crate::cli::EventsCommand, _q: bool) -> crate::exit::CliResult { todo!() }
