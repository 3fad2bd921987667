//! # pbjx-cli: the `pbjx` operations command line
//!
//! One binary for operators of a pbjx service, configured by a file and the environment
//! ([`Config`]):
//!
//! - `pbjx send | publish | request CURIE [JSON]`: in process on the configured backends, or
//!   against a remote endpoint (`--url`) with a signed PbjxToken; prints the envelope;
//! - `pbjx batch FILE`: the commands and events of an NDJSON file (`--dry-run`,
//!   `--skip-invalid`, `--skip-errors`, batch size and delay, start and end line);
//! - `pbjx storage create | describe` for the event store, the event search and the scheduler;
//! - `pbjx events export | replay | reindex | tail [STREAM]` with `--since` / `--until`, and
//!   `pbjx events migrate-heads` (DynamoDB heads out of the event table);
//! - `pbjx serve` (cargo feature `http`, on by default): the HTTP endpoint ([`pbjx::http`])
//!   on the configured backends, with PbjxTokens, until Ctrl-C or SIGTERM.
//!
//! Long operations show a progress bar with rate and ETA on stderr (not when stderr is no
//! terminal). The exit codes are listed on [`Exit`].
//!
//! ## Your own `pbjx` with your registry
//!
//! The default binary knows the core types (and the workspace's examples). An application
//! builds its own with its registry and its handlers, in a `src/bin/pbjx.rs`:
//!
//! ```no_run
//! fn main() -> std::process::ExitCode {
//!     let mut registry = pbjx::pbj::Registry::new();
//!     pbjx::register(&mut registry); // + my_app::schemas::register(&mut registry);
//!     let app = pbjx_cli::App::new(registry).with_exchange(|builder| builder /* .command(..) */);
//!     pbjx_cli::run(std::env::args_os(), app)
//! }
//! ```

#![warn(missing_docs)]

/// `println!` that returns a [`CliError`] (with `?`) when stdout is closed, instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::exit::print_line(format_args!($($arg)*))?
    };
}

mod app;
mod backends;
mod batch;
mod cli;
mod config;
mod dispatch;
mod events;
mod exit;
mod input;
mod message;
mod migrate;
mod progress;
mod reindex;
#[cfg(feature = "remote")]
mod remote;
mod send;
#[cfg(feature = "http")]
mod serve;
mod storage;
mod time;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

pub use app::App;
pub use cli::{Cli, Command};
pub use config::{
    Config, DEFAULT_CONFIG_FILE, DEFAULT_EVENT_SEARCH_PATH, DEFAULT_EVENT_STORE_PATH,
    DEFAULT_LISTEN, EventSearchBackend, EventSearchConfig, EventStoreBackend, EventStoreConfig,
    HttpSection, RemoteConfig, SchedulerBackend, SchedulerConfig,
};
pub use exit::{CliError, Exit};
pub use time::parse_time;

/// Parses `args` (the first is the program name), runs the command for `app` and returns the
/// exit code; errors are printed on stderr.
pub fn run<I, T>(args: I, app: App) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Ok
            }
            .into();
        }
    };
    run_cli(cli, app).into()
}

/// Runs a parsed command line; returns the exit code (errors are printed on stderr).
pub fn run_cli(cli: Cli, app: App) -> Exit {
    // `serve` answers many connections at once: it gets every core.
    #[cfg(feature = "http")]
    let mut builder = if matches!(cli.command, Command::Serve(_)) {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    #[cfg(not(feature = "http"))]
    let mut builder = tokio::runtime::Builder::new_current_thread();
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("pbjx: cannot start the runtime: {e}");
            return Exit::Failure;
        }
    };
    match runtime.block_on(execute(cli, app)) {
        Ok(exit) => exit,
        Err(e) => {
            eprintln!("pbjx: {e}");
            e.exit
        }
    }
}

async fn execute(cli: Cli, app: App) -> exit::CliResult {
    let config = Config::load(cli.config.as_deref())?;
    let quiet = cli.quiet;
    match cli.command {
        Command::Send(args) => send::run(&app, &config, args, message::Kind::Command).await,
        Command::Publish(args) => send::run(&app, &config, args, message::Kind::Event).await,
        Command::Request(args) => send::run(&app, &config, args, message::Kind::Request).await,
        Command::Batch(args) => batch::run(&app, &config, args, quiet).await,
        Command::Storage(command) => storage::run(&app, &config, command).await,
        Command::Events(command) => events::run(&app, &config, command, quiet).await,
        #[cfg(feature = "http")]
        Command::Serve(args) => serve::run(&app, &config, args, quiet).await,
    }
}
