//! `pbjx batch FILE`: the commands and events of an NDJSON file.

use std::io::BufRead;
use std::time::Duration;

use serde::Serialize;

use crate::app::App;
use crate::cli::BatchArgs;
use crate::config::Config;
use crate::dispatch::Target;
use crate::exit::{CliError, CliResult, Exit};
use crate::input;
use crate::message::{Kind, set_tenant};
use crate::progress::Progress;

/// What happened to the lines (printed as `{"lines":{...}}`).
#[derive(Debug, Default, Serialize)]
struct Lines {
    /// Lines read in the range.
    total: u64,
    /// Messages sent or published.
    ok: u64,
    /// Lines that are not valid messages.
    invalid: u64,
    /// Messages whose handling failed.
    failed: u64,
    /// Empty lines and messages that are neither commands nor events.
    ignored: u64,
}

/// Runs the batch; exit 0 when every line in range went through, 3 when lines were skipped,
/// 1 when it stopped at a line.
pub(crate) async fn run(app: &App, config: &Config, args: BatchArgs, quiet: bool) -> CliResult {
    let reader = input::lines(&args.file)?;
    let end = args.end_line.unwrap_or(u64::MAX);
    if end < args.start_line {
        return Err(CliError::usage(format!(
            "--end-line {end} is before --start-line {}",
            args.start_line
        )));
    }
    let target = if args.target.dry_run {
        None
    } else {
        Some(Target::open(app, config, args.target.destination()).await?)
    };
    let total =
        input::count_lines(&args.file).map(|n| n.min(end).saturating_sub(args.start_line - 1));
    let progress = Progress::new(total, "batch", quiet);
    let mut lines = Lines::default();
    let result = process(
        app,
        &args,
        target.as_ref(),
        reader,
        end,
        &progress,
        &mut lines,
    )
    .await;
    progress.finish();
    out!(
        "{}",
        serde_json::json!({ "lines": lines, "dry_run": args.target.dry_run })
    );
    result?;
    Ok(if lines.invalid + lines.failed > 0 {
        Exit::Partial
    } else {
        Exit::Ok
    })
}

async fn process(
    app: &App,
    args: &BatchArgs,
    target: Option<&Target>,
    reader: Box<dyn BufRead>,
    end: u64,
    progress: &Progress,
    lines: &mut Lines,
) -> CliResult<()> {
    let delay = Duration::from_millis(args.batch_delay);
    for (index, line) in reader.lines().enumerate() {
        let number = index as u64 + 1;
        if number < args.start_line {
            continue;
        }
        if number > end {
            break;
        }
        let at = input::at(&args.file, number);
        let line = line.map_err(|e| CliError::failure(format!("{at}: cannot read: {e}")))?;
        lines.total += 1;
        progress.inc(1);
        if lines.total > 1 && (lines.total - 1).is_multiple_of(args.batch_size) && !delay.is_zero()
        {
            tokio::time::sleep(delay).await;
        }
        if line.trim().is_empty() {
            lines.ignored += 1;
            continue;
        }
        let mut message = match crate::app::decode(&line, app.registry()) {
            Ok(message) => message,
            Err(e) => {
                lines.invalid += 1;
                let text = format!("{at}: invalid message: {e}");
                if !args.skip_invalid {
                    return Err(CliError::failure(format!(
                        "{text} (--skip-invalid goes on)"
                    )));
                }
                progress.warn(&format!("pbjx: {text}"));
                continue;
            }
        };
        if let Some(tenant) = &args.target.tenant_id {
            set_tenant(&mut *message, tenant)
                .map_err(|e| CliError::failure(format!("{at}: {e}")))?;
        }
        let kind = match Kind::of(&*message) {
            Some(kind @ (Kind::Command | Kind::Event)) => kind,
            _ => {
                lines.ignored += 1;
                progress.warn(&format!(
                    "pbjx: {at}: [{}] is neither a command nor an event: ignored",
                    message.schema().id
                ));
                continue;
            }
        };
        let Some(target) = target else {
            lines.ok += 1;
            continue;
        };
        let outcome = target.dispatch(kind, message, false).await?;
        if outcome.ok {
            lines.ok += 1;
        } else {
            lines.failed += 1;
            let text = format!(
                "{at}: {} failed: {}",
                kind.verb(),
                outcome.error.unwrap_or_default()
            );
            if !args.skip_errors {
                return Err(CliError::failure(format!("{text} (--skip-errors goes on)")));
            }
            progress.warn(&format!("pbjx: {text}"));
        }
        progress.message(format!(
            "{} failed, {} invalid",
            lines.failed, lines.invalid
        ));
    }
    Ok(())
}
