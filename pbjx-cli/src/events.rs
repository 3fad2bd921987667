//! `pbjx events export | replay | tail | migrate-heads`.

use std::io::{BufRead, BufWriter, IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use pbj::Message;
use pbj::well_known::Microtime;
use pbjx::Pbjx;
use pbjx::event_store::{EventStore, ExpectedState, SliceQuery, StoredEvent, StreamId};

use crate::app::App;
use crate::cli::{EventsCommand, ExportArgs, RangeArgs, ReplayArgs, ReplayTo, TailArgs};
use crate::config::Config;
use crate::exit::{CliError, CliResult, Exit, chain};
use crate::input;
use crate::message::{Kind, json_of};
use crate::progress::Progress;

/// Runs an `events` subcommand.
pub(crate) async fn run(
    app: &App,
    config: &Config,
    command: EventsCommand,
    quiet: bool,
) -> CliResult {
    match command {
        EventsCommand::Export(args) => export(app, config, args, quiet).await,
        EventsCommand::Replay(args) => replay(app, config, args, quiet).await,
        EventsCommand::Reindex(args) => crate::reindex::run(app, config, args, quiet).await,
        EventsCommand::Tail(args) => tail(app, config, args).await,
        EventsCommand::MigrateHeads(args) => crate::migrate::run(app, config, args, quiet).await,
    }
}

pub(crate) fn stream_id(stream: &str) -> Result<StreamId, CliError> {
    StreamId::parse(stream)
        .map_err(|e| CliError::usage(format!("[{stream}] is not a stream id: {e}")))
}

pub(crate) async fn event_store(
    app: &App,
    config: &Config,
) -> CliResult<(Pbjx, Arc<dyn EventStore>)> {
    let pbjx = crate::backends::exchange(app, config).await?;
    let store = pbjx
        .event_store()
        .map_err(|_| CliError::usage("no event store is configured (event_store.backend)"))?
        .clone();
    Ok((pbjx, store))
}

/// Pauses `delay` after every `size` items.
struct Pacer {
    size: u64,
    delay: Duration,
    count: u64,
}

impl Pacer {
    fn new(range: &RangeArgs) -> Self {
        Self {
            size: range.batch_size,
            delay: Duration::from_millis(range.batch_delay),
            count: 0,
        }
    }

    /// Counts one item; true when a batch is complete.
    fn tick(&mut self) -> bool {
        self.count += 1;
        self.count.is_multiple_of(self.size)
    }

    async fn pause(&self) {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
    }
}

/// One exported line: the bare event, or `{"stream_id","sequence","event"}`.
fn export_line(stored: &StoredEvent, with_stream_id: bool) -> String {
    if with_stream_id {
        serde_json::json!({
            "stream_id": stored.stream_id.as_str(),
            "sequence": stored.sequence,
            "event": json_of(&*stored.event),
        })
        .to_string()
    } else {
        stored.event.to_json()
    }
}

async fn export(app: &App, config: &Config, args: ExportArgs, quiet: bool) -> CliResult {
    let stream = args.stream.as_deref().map(stream_id).transpose()?;
    let (_pbjx, store) = event_store(app, config).await?;
    let range = &args.range;
    let mut events = match &stream {
        Some(stream) => store.pipe_events(stream, range.since, range.until),
        None => store.pipe_all_events(range.since, range.until),
    };
    let progress = Progress::new(None, "export", quiet);
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut pacer = Pacer::new(range);
    let (mut exported, mut failed) = (0u64, 0u64);
    let write_error = |e: std::io::Error| CliError::failure(format!("cannot write to stdout: {e}"));
    while let Some(item) = events.next().await {
        match item {
            Ok(stored) => {
                writeln!(out, "{}", export_line(&stored, args.with_stream_id))
                    .map_err(write_error)?;
                exported += 1;
                progress.inc(1);
                if pacer.tick() {
                    out.flush().map_err(write_error)?;
                    pacer.pause().await;
                }
            }
            Err(e) => {
                failed += 1;
                let text = format!(
                    "event store [{}]: cannot read an event: {}",
                    store.name(),
                    chain(&e)
                );
                if !args.skip_errors {
                    out.flush().map_err(write_error)?;
                    progress.finish();
                    return Err(CliError::failure(format!("{text} (--skip-errors goes on)")));
                }
                progress.warn(&format!("pbjx: {text}"));
                progress.message(format!("{failed} unreadable"));
            }
        }
    }
    out.flush().map_err(write_error)?;
    progress.finish();
    progress.note(&format!("exported {exported} events ({failed} unreadable)"));
    Ok(if failed > 0 { Exit::Partial } else { Exit::Ok })
}

/// Asks the original's question on the terminal; `Err` (exit 4) unless answered yes.
pub(crate) fn confirm(question: &str) -> CliResult<()> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError {
            exit: Exit::NotConfirmed,
            message: format!("{question} No terminal to confirm on: pass --yes."),
        });
    }
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::failure(format!("cannot read the answer: {e}")))?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(CliError {
            exit: Exit::NotConfirmed,
            message: "not confirmed: nothing was done".to_owned(),
        }),
    }
}

/// Delivers replayed events and counts them.
struct Replayer<'a> {
    pbjx: &'a Pbjx,
    store: &'a Arc<dyn EventStore>,
    to: ReplayTo,
    dry_run: bool,
    skip_errors: bool,
    /// The stream bare events from a file go to (`--to store`).
    default_stream: Option<StreamId>,
    pending: Vec<Arc<dyn Message>>,
    pending_stream: Option<StreamId>,
    pacer: Pacer,
    progress: &'a Progress,
    total: u64,
    ok: u64,
    failed: u64,
}

impl Replayer<'_> {
    /// A failure of one event (or line): counted, then stop or go on.
    fn fail(&mut self, text: String) -> CliResult<()> {
        self.failed += 1;
        if !self.skip_errors {
            return Err(CliError::failure(format!("{text} (--skip-errors goes on)")));
        }
        self.progress.warn(&format!("pbjx: {text}"));
        self.progress.message(format!("{} failed", self.failed));
        Ok(())
    }

    async fn feed(&mut self, stream: Option<StreamId>, event: Arc<dyn Message>) -> CliResult<()> {
        self.total += 1;
        self.progress.inc(1);
        if self.dry_run {
            self.ok += 1;
        } else {
            match self.to {
                ReplayTo::Publish => {
                    if let Err(e) = self.pbjx.publish_frozen(event.clone()).await {
                        let text = format!(
                            "publish [{}]: {}",
                            event.generate_message_ref(None),
                            chain(&e)
                        );
                        self.fail(text)?;
                    } else {
                        self.ok += 1;
                    }
                }
                ReplayTo::Store => {
                    let Some(stream) = stream.or_else(|| self.default_stream.clone()) else {
                        return Err(CliError::usage(
                            "an input line has no stream id: export with --with-stream-id, or name the STREAM to append to",
                        ));
                    };
                    if self.pending_stream.as_ref() != Some(&stream) {
                        self.flush().await?;
                        self.pending_stream = Some(stream);
                    }
                    self.pending.push(event);
                }
            }
        }
        if self.pacer.tick() {
            self.flush().await?;
            self.pacer.pause().await;
        }
        Ok(())
    }

    /// Appends the pending events of one stream in one atomic call; when it fails and
    /// `--skip-errors` is on, one event at a time so that only the failing ones are skipped.
    async fn flush(&mut self) -> CliResult<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let Some(stream) = self.pending_stream.clone() else {
            return Ok(());
        };
        let events = std::mem::take(&mut self.pending);
        let count = events.len() as u64;
        match self
            .store
            .put_events(&stream, events.clone(), ExpectedState::Any)
            .await
        {
            Ok(_) => self.ok += count,
            Err(e) if !self.skip_errors => {
                self.failed += count;
                return Err(CliError::failure(format!(
                    "stream [{stream}]: appending {count} events failed, none of them was written: {} (--skip-errors goes on)",
                    chain(&e)
                )));
            }
            Err(_) => {
                for event in events {
                    match self
                        .store
                        .put_events(&stream, vec![event.clone()], ExpectedState::Any)
                        .await
                    {
                        Ok(_) => self.ok += 1,
                        Err(e) => {
                            let text = format!(
                                "stream [{stream}]: append [{}]: {}",
                                event.generate_message_ref(None),
                                chain(&e)
                            );
                            self.fail(text)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn in_range(event: &dyn Message, since: Option<Microtime>, until: Option<Microtime>) -> bool {
    let Some(at) = pbjx::event_store::occurred_at(event) else {
        return true;
    };
    since.is_none_or(|s| at > s) && until.is_none_or(|u| at < u)
}

/// One line of an export file: its stream (when written with `--with-stream-id`) and event.
fn parse_line(line: &str, app: &App) -> Result<(Option<StreamId>, Arc<dyn Message>), String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let (stream, json) = match value.get("event") {
        Some(event) if value.get("_schema").is_none() => {
            let stream = value
                .get("stream_id")
                .and_then(serde_json::Value::as_str)
                .ok_or("a line with \"event\" needs a \"stream_id\" string")?;
            let stream =
                StreamId::parse(stream).map_err(|e| format!("stream_id [{stream}]: {e}"))?;
            (Some(stream), event.to_string())
        }
        _ => (None, line.to_owned()),
    };
    let mut event = crate::app::decode(&json, app.registry())?;
    if Kind::of(&*event) != Some(Kind::Event) {
        return Err(format!("[{}] is not an event", event.schema().id));
    }
    event.freeze();
    Ok((stream, Arc::from(event)))
}

async fn replay(app: &App, config: &Config, args: ReplayArgs, quiet: bool) -> CliResult {
    let stream = args.stream.as_deref().map(stream_id).transpose()?;
    if args.input.is_none() && args.to == ReplayTo::Store {
        return Err(CliError::usage(
            "--to store appends to the configured event store: read the events from an export with --input FILE",
        ));
    }
    let (pbjx, store) = event_store(app, config).await?;
    if !(args.yes || args.dry_run) {
        let what = match args.to {
            ReplayTo::Publish => format!("transports [{}]", pbjx.transport_name()),
            ReplayTo::Store => "the appends".to_owned(),
        };
        confirm(&format!(
            "Have you prepared your event store [{}], {what} and your devops team for the added traffic?",
            store.name()
        ))?;
    }
    let range = &args.range;
    let total = args.input.as_deref().and_then(input::count_lines);
    let progress = Progress::new(total, "replay", quiet);
    let mut replayer = Replayer {
        pbjx: &pbjx,
        store: &store,
        to: args.to,
        dry_run: args.dry_run,
        skip_errors: args.skip_errors,
        default_stream: stream.clone(),
        pending: Vec::new(),
        pending_stream: None,
        pacer: Pacer::new(range),
        progress: &progress,
        total: 0,
        ok: 0,
        failed: 0,
    };
    let result = match &args.input {
        Some(path) => replay_file(app, path, stream.as_ref(), range, &mut replayer).await,
        None => replay_store(&store, stream.as_ref(), range, &mut replayer).await,
    };
    let result = match result {
        Ok(()) => replayer.flush().await,
        Err(e) => Err(e),
    };
    progress.finish();
    out!(
        "{}",
        serde_json::json!({
            "events": { "total": replayer.total, "ok": replayer.ok, "failed": replayer.failed },
            "to": match args.to { ReplayTo::Publish => "publish", ReplayTo::Store => "store" },
            "dry_run": args.dry_run,
        })
    );
    result?;
    Ok(if replayer.failed > 0 {
        Exit::Partial
    } else {
        Exit::Ok
    })
}

async fn replay_file(
    app: &App,
    path: &std::path::Path,
    stream: Option<&StreamId>,
    range: &RangeArgs,
    replayer: &mut Replayer<'_>,
) -> CliResult<()> {
    for (index, line) in input::lines(path)?.lines().enumerate() {
        let at = input::at(path, index as u64 + 1);
        let line = line.map_err(|e| CliError::failure(format!("{at}: cannot read: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(&line, app) {
            Err(e) => {
                replayer.total += 1;
                replayer.fail(format!("{at}: {e}"))?;
            }
            Ok((line_stream, event)) => {
                if line_stream.is_some() && stream.is_some() && line_stream.as_ref() != stream {
                    continue;
                }
                if !in_range(&*event, range.since, range.until) {
                    continue;
                }
                replayer.feed(line_stream, event).await?;
            }
        }
    }
    Ok(())
}

async fn replay_store(
    store: &Arc<dyn EventStore>,
    stream: Option<&StreamId>,
    range: &RangeArgs,
    replayer: &mut Replayer<'_>,
) -> CliResult<()> {
    let mut events = match stream {
        Some(stream) => store.pipe_events(stream, range.since, range.until),
        None => store.pipe_all_events(range.since, range.until),
    };
    while let Some(item) = events.next().await {
        match item {
            Ok(stored) => replayer.feed(Some(stored.stream_id), stored.event).await?,
            Err(e) => {
                replayer.total += 1;
                replayer.fail(format!(
                    "event store [{}]: cannot read an event: {}",
                    store.name(),
                    chain(&e)
                ))?;
            }
        }
    }
    Ok(())
}

async fn tail(app: &App, config: &Config, args: TailArgs) -> CliResult {
    let stream = stream_id(&args.stream)?;
    let (_pbjx, store) = event_store(app, config).await?;
    let mut since = Some(args.since.unwrap_or_else(Microtime::now));
    let mut printed = 0u64;
    let interval = Duration::from_secs(args.interval);
    loop {
        let query = SliceQuery {
            since,
            count: 25,
            forward: true,
            consistent: false,
        };
        let slice = store.get_stream_slice(&stream, query).await.map_err(|e| {
            CliError::failure(format!("stream [{stream}]: cannot read: {}", chain(&e)))
        })?;
        {
            let mut out = std::io::stdout().lock();
            for stored in &slice.events {
                writeln!(out, "{}", stored.event.to_json())
                    .and_then(|()| out.flush())
                    .map_err(|e| CliError::failure(format!("cannot write to stdout: {e}")))?;
                printed += 1;
                if args.limit.is_some_and(|limit| printed >= limit) {
                    return Ok(Exit::Ok);
                }
            }
        }
        if let Some(last) = slice.last_occurred_at() {
            since = Some(last);
        }
        if !slice.has_more {
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                _ = tokio::signal::ctrl_c() => return Ok(Exit::Ok),
            }
        }
    }
}
