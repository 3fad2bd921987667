//! The command line (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use pbj::well_known::Microtime;

use crate::time::parse_time;

const EXAMPLES: &str = "\
Examples:
  pbjx send gdbots:pbjx:command:check-health '{\"msg\":\"hi\"}'
  echo '{\"msg\":\"hi\"}' | pbjx request gdbots:pbjx:request:echo-request
  pbjx send --url https://api.acme.com/pbjx gdbots:pbjx:command:check-health '{}'
  pbjx send --remote gdbots:pbjx:command:check-health '{}'   # remote.url of the config
  pbjx batch commands.ndjson --skip-invalid --batch-size 500 --batch-delay 200
  pbjx storage create
  pbjx events export acme:article:1 --since 1700000000 > article.ndjson
  pbjx events replay --since 1700000000 --yes
  pbjx events reindex --since 1700000000 --yes            # into the [event_search] backend
  pbjx events tail acme:article:1
  pbjx events migrate-heads --checkpoint heads.checkpoint
  PBJX_TOKEN_SECRET=s3cret pbjx serve --listen 127.0.0.1:8080   # the HTTP endpoint

Configuration: --config FILE (TOML, or JSON when the name ends in .json), else ./pbjx.toml
when present; PBJX_* environment variables override it (PBJX_EVENT_STORE_BACKEND,
PBJX_EVENT_STORE_PATH, PBJX_EVENT_STORE_TABLE, PBJX_EVENT_STORE_HEADS_TABLE,
PBJX_EVENT_SEARCH_BACKEND, PBJX_EVENT_SEARCH_PATH, PBJX_EVENT_SEARCH_URL,
PBJX_EVENT_SEARCH_INDEX_PREFIX, PBJX_SCHEDULER_BACKEND, PBJX_SCHEDULER_PATH, PBJX_SCHEDULER_TABLE, PBJX_SCHEDULER_QUEUE,
PBJX_SCHEDULER_STATE_MACHINE, PBJX_SCHEDULER_ROLE_ARN, PBJX_URL, PBJX_TOKEN_KID,
PBJX_TOKEN_SECRET, PBJX_HTTP_LISTEN, PBJX_HTTP_KEYS (kid=secret,...), PBJX_HTTP_TOKEN_BYPASS
(comma-separated), PBJX_HTTP_RECEIVE, PBJX_HTTP_BODY_LIMIT, PBJX_HTTP_TIMEOUT (seconds),
PBJX_HTTP_MOUNT_PATH). `pbjx serve` accepts the [http.keys] and the PBJX_TOKEN_KID/SECRET key. AWS backends read AWS_REGION, AWS_ENDPOINT_URL and the credential chain.

Exit codes: 0 ok, 1 failure, 2 usage or configuration error, 3 partial failure (lines or
events skipped by --skip-invalid/--skip-errors), 4 replay or reindex not confirmed.";

/// The `pbjx` command line.
#[derive(Debug, Parser)]
#[command(
    name = "pbjx",
    version,
    about = "Operate a pbjx service: send, publish and request messages, run NDJSON batches, \
             create and describe storage, export, replay and tail events.",
    after_help = EXAMPLES
)]
pub struct Cli {
    /// Configuration file (TOML, or JSON by extension); default ./pbjx.toml when present.
    #[arg(long, global = true, env = "PBJX_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// No progress bars or notes on stderr (errors are still printed).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send a command (in process, or to --url) and print the envelope.
    #[command(
        after_help = "Example:\n  pbjx send gdbots:pbjx:command:check-health '{\"msg\":\"hi\"}'"
    )]
    Send(MessageArgs),
    /// Publish an event (in process, or to --url) and print the envelope.
    #[command(
        after_help = "Example:\n  pbjx publish gdbots:pbjx:event:health-checked '{\"msg\":\"up\"}'"
    )]
    Publish(MessageArgs),
    /// Make a request (in process, or to --url) and print the envelope with the response.
    #[command(
        after_help = "Example:\n  pbjx request gdbots:pbjx:request:echo-request '{\"msg\":\"ping\"}' --pretty"
    )]
    Request(MessageArgs),
    /// Send the commands and publish the events of an NDJSON file, one message per line.
    #[command(
        after_help = "Examples:\n  pbjx batch messages.ndjson --dry-run\n  pbjx batch messages.ndjson --skip-invalid --skip-errors --start-line 1001 --end-line 2000\n\nPrints a summary {\"lines\":{...}} on stdout; exit 3 when lines were skipped."
    )]
    Batch(BatchArgs),
    /// Create or describe the storage of the configured backends.
    #[command(subcommand)]
    Storage(StorageCommand),
    /// Export, replay, reindex or tail events of the event store; migrate DynamoDB heads.
    #[command(subcommand)]
    Events(EventsCommand),
    /// Serve the HTTP endpoint (POST {mount}/{vendor}/{package}/{category}/{message}) on the
    /// configured backends until Ctrl-C or SIGTERM; the configured scheduler's worker runs too.
    #[cfg(feature = "http")]
    #[command(
        after_help = "Examples:\n  PBJX_TOKEN_SECRET=s3cret pbjx serve   # tokens signed with kid `default`\n  pbjx serve --listen 0.0.0.0:9000      # keys from [http.keys]\n  pbjx serve --insecure-no-token        # local trials only: no token needed\n\nPrints the URL it serves on stderr. Without a token key ([http.keys], PBJX_HTTP_KEYS or\nPBJX_TOKEN_SECRET) and without [http] token_bypass, it refuses to start (exit 2) unless\n--insecure-no-token. Stops accepting on Ctrl-C / SIGTERM and exits 0 once the requests\nin flight are answered."
    )]
    Serve(ServeArgs),
}

/// `serve`.
#[cfg(feature = "http")]
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The socket address to listen on (default: [http] listen, else 127.0.0.1:8080; port 0
    /// picks a free one).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Accept messages without a PbjxToken (every curie bypasses the check). For local
    /// trials: anyone who reaches the port can send commands.
    #[arg(long)]
    pub insecure_no_token: bool,
    /// Do not run the configured scheduler's worker in this process (when other processes
    /// send the due jobs).
    #[arg(long)]
    pub no_scheduler_worker: bool,
}

/// Where a message goes.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Send to a remote pbjx endpoint instead of in process (its base URL, e.g.
    /// https://api.acme.com/pbjx), with an x-pbjx-token signed with remote.token_kid /
    /// token_secret when a secret is configured.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Send to the configured remote endpoint (remote.url, or PBJX_URL).
    #[arg(long, conflicts_with = "url")]
    pub remote: bool,
    /// Write this tenant id to ctx_tenant_id.
    #[arg(long, value_name = "ID")]
    pub tenant_id: Option<String>,
    /// Check the message but execute nothing (remote: the x-pbjx-dry-run header).
    #[arg(long)]
    pub dry_run: bool,
}

impl TargetArgs {
    /// `None`: in process; `Some("")`: the configured remote; `Some(url)`.
    pub(crate) fn destination(&self) -> Option<&str> {
        if self.remote {
            Some("")
        } else {
            self.url.as_deref()
        }
    }
}

/// `send`, `publish`, `request`.
#[derive(Debug, Args)]
pub struct MessageArgs {
    /// The message's curie, e.g. gdbots:pbjx:command:check-health.
    pub curie: String,
    /// The message's fields as a JSON object (default: read from stdin when it is not a
    /// terminal, else {}).
    pub json: Option<String>,
    /// Where to send it.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Pretty-print the envelope.
    #[arg(long)]
    pub pretty: bool,
}

/// `batch`.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// NDJSON file of pbj messages (each with its _schema); `-` reads stdin.
    pub file: PathBuf,
    /// Where to send the messages.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Skip lines that are not valid messages (reported on stderr) instead of stopping.
    #[arg(long)]
    pub skip_invalid: bool,
    /// Skip messages whose handling fails (reported on stderr) instead of stopping.
    #[arg(long)]
    pub skip_errors: bool,
    /// Pause after every this many lines.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=5000))]
    pub batch_size: u64,
    /// Pause length in milliseconds.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(0..=600_000))]
    pub batch_delay: u64,
    /// First line to process (1-based).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub start_line: u64,
    /// Last line to process (inclusive).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub end_line: Option<u64>,
}

/// `storage ...`.
#[derive(Debug, Subcommand)]
pub enum StorageCommand {
    /// Create the tables (queues, state machines) of the configured backends; harmless when
    /// they exist.
    #[command(after_help = "Example:\n  pbjx storage create --service event-store")]
    Create(StorageArgs),
    /// Describe the storage of the configured backends.
    #[command(after_help = "Example:\n  pbjx storage describe")]
    Describe(StorageArgs),
}

/// Which backends `storage` works on.
#[derive(Debug, Args)]
pub struct StorageArgs {
    /// Only this service (default: every configured one).
    #[arg(long, value_enum)]
    pub service: Option<Service>,
}

/// A service with storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Service {
    /// The event store.
    EventStore,
    /// The event search.
    EventSearch,
    /// The scheduler.
    Scheduler,
}

/// `--since`, `--until` and the batch pacing of the event commands.
#[derive(Debug, Args)]
pub struct RangeArgs {
    /// Only events that occurred after this (exclusive; unix seconds or 16-digit microtime).
    #[arg(long, value_parser = parse_time, value_name = "TIME")]
    pub since: Option<Microtime>,
    /// Only events that occurred before this (exclusive; unix seconds or 16-digit microtime).
    #[arg(long, value_parser = parse_time, value_name = "TIME")]
    pub until: Option<Microtime>,
    /// Pause after every this many events.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub batch_size: u64,
    /// Pause length in milliseconds.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(0..=600_000))]
    pub batch_delay: u64,
}

/// `events ...`.
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Print the events of a stream (or of every stream) as NDJSON, one event per line.
    #[command(
        after_help = "Examples:\n  pbjx events export > all.ndjson\n  pbjx events export acme:article:1 --since 1700000000 --until 1710000000\n  pbjx events export --with-stream-id --batch-delay 0 > all.ndjson   # replayable into another store"
    )]
    Export(ExportArgs),
    /// Publish the events again (as stored: frozen, the lifecycle does not run again), or
    /// append them to the configured event store (--to store); from the store or from an
    /// export file.
    #[command(
        after_help = "Examples:\n  pbjx events replay acme:article:1 --yes\n  pbjx --config copy.toml events replay --input all.ndjson --to store --yes\n\nAsks for confirmation unless --yes or --dry-run; exit 4 when not confirmed."
    )]
    Replay(ReplayArgs),
    /// Index the events of the event store (every stream, or one) into the configured event
    /// search again (only events using gdbots:pbjx:mixin:indexed; each with its own tenant).
    #[command(
        after_help = "Examples:\n  pbjx events reindex --yes\n  pbjx events reindex acme:article:1 --since 1700000000 --batch-delay 0 --yes\n  pbjx events reindex --dry-run\n\nA failed batch is retried in chunks of a tenth of its size; a chunk that fails again\nstops the run (the error names the cursor reached), or with --skip-errors is reported on\nstderr and skipped (exit 3). Prints {\"read\",\"indexed\",\"skipped\",\"failed\",\"batches\",\n\"retried_batches\",\"dry_run\"} on stdout. Asks for confirmation unless --yes or --dry-run."
    )]
    Reindex(ReindexArgs),
    /// Print a stream's new events as they are appended (polls the store), as NDJSON.
    #[command(after_help = "Example:\n  pbjx events tail acme:article:1 --interval 1")]
    Tail(TailArgs),
    /// Move DynamoDB stream heads of the previous layout out of the event table into the heads
    /// table (resumable; safe while appends go on).
    #[command(
        after_help = "Example:\n  pbjx events migrate-heads --checkpoint heads.checkpoint\n\nPrints {\"moved\",\"already_moved\",\"pages\"} on stdout."
    )]
    MigrateHeads(MigrateHeadsArgs),
}

/// `events export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The stream (default: every stream).
    pub stream: Option<String>,
    /// Range and pacing.
    #[command(flatten)]
    pub range: RangeArgs,
    /// Print {"stream_id":..,"sequence":..,"event":{..}} lines instead of bare events (what
    /// `events replay --input FILE --to store` needs to restore every stream).
    #[arg(long)]
    pub with_stream_id: bool,
    /// Skip events that cannot be read (reported on stderr) instead of stopping.
    #[arg(long)]
    pub skip_errors: bool,
}

/// Where replayed events go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReplayTo {
    /// Publish them in process (subscribers, transport).
    Publish,
    /// Append them to the configured event store.
    Store,
}

/// `events replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The stream (default: every stream). With bare-event input lines, the stream they are
    /// appended to with --to store.
    pub stream: Option<String>,
    /// Read the events from an export file (`-` = stdin) instead of the event store.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// What to do with each event.
    #[arg(long, value_enum, default_value_t = ReplayTo::Publish)]
    pub to: ReplayTo,
    /// Range and pacing.
    #[command(flatten)]
    pub range: RangeArgs,
    /// Read and count the events but do nothing with them.
    #[arg(long)]
    pub dry_run: bool,
    /// Go on after an event fails (reported on stderr); exit 3 at the end.
    #[arg(long)]
    pub skip_errors: bool,
    /// Do not ask for confirmation.
    #[arg(long, short)]
    pub yes: bool,
}

/// `events reindex`.
#[derive(Debug, Args)]
pub struct ReindexArgs {
    /// The stream (default: every stream).
    pub stream: Option<String>,
    /// Range and pacing (the batch is what is indexed in one call).
    #[command(flatten)]
    pub range: RangeArgs,
    /// Read the events and count what would be indexed, but write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Skip events whose batch still fails after the retry in smaller chunks (reported on
    /// stderr); exit 3 at the end.
    #[arg(long)]
    pub skip_errors: bool,
    /// Do not ask for confirmation.
    #[arg(long, short)]
    pub yes: bool,
}

/// `events tail`.
#[derive(Debug, Args)]
pub struct TailArgs {
    /// The stream.
    pub stream: String,
    /// Seconds between polls.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub interval: u64,
    /// Start after this time (unix seconds or 16-digit microtime; default: now).
    #[arg(long, value_parser = parse_time, value_name = "TIME")]
    pub since: Option<Microtime>,
    /// Stop after this many events (default: run until interrupted).
    #[arg(long)]
    pub limit: Option<u64>,
}

/// `events migrate-heads`.
#[derive(Debug, Args)]
pub struct MigrateHeadsArgs {
    /// Items the scan reads per page.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub page_size: u32,
    /// Checkpoint file: read to resume, written after every page, removed when done.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
}
