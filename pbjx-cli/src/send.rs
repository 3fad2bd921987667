//! `pbjx send | publish | request CURIE [JSON]`.

use std::io::{IsTerminal, Read};

use crate::app::App;
use crate::cli::MessageArgs;
use crate::config::Config;
use crate::dispatch::Target;
use crate::exit::{CliError, CliResult, Exit};
use crate::message::{self, Kind};

/// Runs `send`, `publish` or `request` (`kind`): prints the envelope on stdout; exit 0 when
/// it is ok, else 1.
pub(crate) async fn run(app: &App, config: &Config, args: MessageArgs, kind: Kind) -> CliResult {
    let json = match args.json {
        Some(json) => json,
        None if !std::io::stdin().is_terminal() => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| CliError::failure(format!("cannot read the JSON from stdin: {e}")))?;
            if text.trim().is_empty() {
                "{}".to_owned()
            } else {
                text
            }
        }
        None => "{}".to_owned(),
    };
    let msg = message::from_args(
        app.registry(),
        &args.curie,
        &json,
        args.target.tenant_id.as_deref(),
    )?;
    match Kind::of(&*msg) {
        Some(k) if k == kind => {}
        Some(other) => {
            return Err(CliError::usage(format!(
                "[{}] is not {}: use `pbjx {}`",
                args.curie,
                match kind {
                    Kind::Command => "a command",
                    Kind::Event => "an event",
                    Kind::Request => "a request",
                },
                other.verb()
            )));
        }
        None => {
            return Err(CliError::usage(format!(
                "[{}] is neither a command, an event nor a request",
                args.curie
            )));
        }
    }
    let target = Target::open(app, config, args.target.destination()).await?;
    let outcome = target.dispatch(kind, msg, args.target.dry_run).await?;
    let printed = if args.pretty {
        serde_json::from_str::<serde_json::Value>(&outcome.envelope)
            .and_then(|v| serde_json::to_string_pretty(&v))
            .unwrap_or(outcome.envelope)
    } else {
        outcome.envelope
    };
    out!("{printed}");
    if let Some(error) = outcome.error {
        eprintln!("pbjx: {error}");
    }
    Ok(if outcome.ok { Exit::Ok } else { Exit::Failure })
}
