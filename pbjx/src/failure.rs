//! The messages that report failures: `event-execution-failed` (a subscriber failed),
//! `request-failed-response` (a request handler failed) and `scheduled-command-failed` (a
//! scheduled command could not be sent).

use std::sync::Arc;

use pbj::{Message, MessageType};

use crate::context::copy_context;
use crate::error::{Code, Error, Result};
use crate::schemas::gdbots::pbjx::event::{EventExecutionFailedV1, ScheduledCommandFailedV1};
use crate::schemas::gdbots::pbjx::request::RequestFailedResponseV1;

/// Curie of the event published in process when a subscriber fails.
pub const EVENT_EXECUTION_FAILED: &str = "gdbots:pbjx:event:event-execution-failed";
/// Curie of the event a scheduler worker publishes when a scheduled command could not be sent.
pub const SCHEDULED_COMMAND_FAILED: &str = "gdbots:pbjx:event:scheduled-command-failed";
/// Curie of the response returned when a request handler fails.
pub const REQUEST_FAILED_RESPONSE: &str = "gdbots:pbjx:request:request-failed-response";

/// Longest error message kept (characters), as in the original.
const MAX_MESSAGE: usize = 2048;

fn truncate(s: &str) -> &str {
    match s.char_indices().nth(MAX_MESSAGE) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The error name restricted to the schema's `^[\w/.:-]+$` pattern.
pub(crate) fn error_name(error: &Error) -> String {
    safe_error_name(&error.name())
}

/// `name` restricted to the schema's `^[\w/.:-]+$` pattern (`\w` as in JS and PHP: ASCII
/// letters, digits and `_`): every other character becomes `_`, and an empty name `Error`.
pub(crate) fn safe_error_name(name: &str) -> String {
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_/.:-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "Error".into()
    } else {
        name
    }
}

/// Writes `error_code`, `error_name` and `error_message` into a failure message.
fn describe(data: &mut pbj::MessageData, error: &Error) -> Result<()> {
    // The original keeps the exception code when > 0, else 2 (UNKNOWN).
    let code = match error.code() {
        Code::Ok => Code::Unknown,
        code => code,
    };
    data.set("error_code", code.value())?;
    data.set("error_name", error_name(error))?;
    // Like the original's `getMessage()`: an application error's own message, without the
    // name and code that `error_name` and `error_code` already carry.
    let message = match error {
        Error::Handler { message, .. } => message.clone(),
        other => other.to_string(),
    };
    let message = truncate(&message);
    if !message.trim().is_empty() {
        data.set("error_message", message)?;
    }
    Ok(())
}

/// An `event-execution-failed` event for `event` that a subscriber failed on; context copied
/// from the original event.
pub fn event_execution_failed(event: &dyn Message, error: &Error) -> Result<Arc<dyn Message>> {
    let mut failed = EventExecutionFailedV1::new();
    let data = failed.data_mut();
    data.set("event", event.clone_message())?;
    describe(data, error)?;
    copy_context(event, &mut failed)?;
    failed.validate().map_err(|violations| Error::Invalid {
        schema: EventExecutionFailedV1::SCHEMA.id.to_owned(),
        violations,
    })?;
    failed.freeze();
    Ok(Arc::new(failed))
}

/// A `scheduled-command-failed` event (not frozen: it is published through the lifecycle) for
/// job `job_id` due at `send_at` whose `command` failed `attempts` times, the last time with
/// `error`; context copied from the command. `command` is `None` when the stored command could
/// not even be read back.
pub fn scheduled_command_failed(
    job_id: &str,
    command: Option<&dyn Message>,
    send_at: crate::SendAt,
    attempts: u32,
    error: &Error,
) -> Result<Box<dyn Message>> {
    let mut failed = ScheduledCommandFailedV1::new();
    let data = failed.data_mut();
    data.set("job_id", job_id)?;
    if let Some(command) = command {
        data.set("command", command.clone_unfrozen())?;
    }
    let micros = send_at
        .unix_seconds()
        .checked_mul(1_000_000)
        .and_then(|m| m.checked_add(i64::from(send_at.subsec_nanos() / 1_000)));
    if let Some(at) = micros.and_then(pbj::DateTime::from_unix_micros) {
        data.set("send_at", at)?;
    }
    data.set("attempts", i64::from(attempts.min(32_767)))?;
    describe(data, error)?;
    if let Some(command) = command {
        copy_context(command, &mut failed)?;
    }
    Ok(Box::new(failed))
}

/// A `request-failed-response` for `request` whose handler failed with `error`.
pub fn request_failed_response(request: &dyn Message, error: &Error) -> Box<dyn Message> {
    let mut response = RequestFailedResponseV1::new();
    let data = response.data_mut();
    // Every value below is valid for the core schema; a failure here would only lose detail.
    let _ = data.set("ctx_request_ref", request.generate_message_ref(None));
    let _ = data.set("ctx_request", request.clone_message());
    let _ = describe(data, error);
    for name in ["ctx_correlator_ref", "ctx_tenant_id"] {
        if let Some(value) = request.data().get_single(name) {
            let _ = data.set(name, value.clone());
        }
    }
    Box::new(response)
}
