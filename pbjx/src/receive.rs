//! Receiving newline-delimited [`TransportEnvelope`]s: the original's receive endpoint
//! semantics, shared by the HTTP `/receive` route ([`crate::http`]) and by consumers that read
//! envelopes from a stream, a queue or a file.
//!
//! Each line is handled on its own, in order, and one bad line never stops the others:
//!
//! - a blank line (only whitespace) is **ignored**: result `{"ok":false,"code":3,
//!   "error_name":"InvalidArgumentException","error_message":"empty line"}`;
//! - an envelope whose command or event was handled is **ok**: `{"ok":true,"code":0,
//!   "message_ref":"curie:id"}` (commands go to [`Pbjx::receive_command`], events to
//!   [`Pbjx::receive_event`]; the lifecycle is not run again);
//! - anything else **failed**: `{"ok":false,"code":N,"error_name":"..","error_message":".."}`
//!   plus `message_ref` when the message could be decoded. Requests fail with code 3
//!   (`The receive endpoint cannot process requests.`), as in the original.
//!
//! Lines are split on `\n` and trimmed; a final newline does not make an extra line. The
//! report serializes as `{"lines":{"total":N,"ok":N,"failed":N,"ignored":N},"results":[..]}`.
//!
//! ```
//! use std::sync::Arc;
//! use pbjx::Pbjx;
//! use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
//! use pbjx::transport::TransportEnvelope;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let pbjx = Pbjx::builder()
//!     .command(|_cmd: Arc<CheckHealthV1>, _pbjx| async { Ok(()) })
//!     .build()?;
//! let line = TransportEnvelope::new(Arc::new(CheckHealthV1::new()), false).to_json();
//! let body = format!("{line}\n\nnot json\n");
//! let report = pbjx::receive::receive_lines(&pbjx, &body).await;
//! assert_eq!((report.lines.total, report.lines.ok, report.lines.failed, report.lines.ignored), (3, 1, 1, 1));
//! assert!(report.to_json().starts_with(r#"{"lines":{"total":3,"ok":1,"failed":1,"ignored":1},"results":[{"ok":true,"code":0,"message_ref":"gdbots:pbjx:command:check-health:"#));
//! # Ok::<(), pbjx::Error>(())
//! # }).unwrap();
//! ```

use std::sync::Arc;

use pbj::Message;

use crate::error::{Code, Error};
use crate::mixins;
use crate::transport::TransportEnvelope;
use crate::transport::envelope::push_json_string;
use crate::{Pbjx, failure};

/// Line counters of a [`ReceiveReport`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineCounts {
    /// Every line read.
    pub total: u64,
    /// Lines whose message was handled.
    pub ok: u64,
    /// Lines that could not be decoded or handled.
    pub failed: u64,
    /// Blank lines.
    pub ignored: u64,
}

/// What happened to one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineResult {
    /// Whether the message was handled.
    pub ok: bool,
    /// `OK`, or why the line failed (`INVALID_ARGUMENT` for blank and undecodable lines).
    pub code: Code,
    /// The error's name (`InvalidArgumentException`, `HandlerNotFound`, ...); `None` when ok.
    pub error_name: Option<String>,
    /// The error's message; `None` when ok.
    pub error_message: Option<String>,
    /// `curie:id` of the message, when it could be decoded.
    pub message_ref: Option<String>,
    /// Whether the line was blank (counted as ignored, not failed; not serialized).
    pub ignored: bool,
}

impl LineResult {
    fn ignored() -> Self {
        Self {
            ok: false,
            code: Code::InvalidArgument,
            error_name: Some("InvalidArgumentException".into()),
            error_message: Some("empty line".into()),
            message_ref: None,
            ignored: true,
        }
    }

    fn failed(error: &Error, message_ref: Option<String>) -> Self {
        let (code, name, message) = describe(error);
        Self {
            ok: false,
            code,
            error_name: Some(name),
            error_message: Some(message),
            message_ref,
            ignored: false,
        }
    }

    /// Appends this result as JSON (`ok`, `code`, then `error_name`, `error_message` and
    /// `message_ref` when present).
    fn write_json(&self, out: &mut String) {
        out.push_str(if self.ok {
            r#"{"ok":true,"code":"#
        } else {
            r#"{"ok":false,"code":"#
        });
        out.push_str(&self.code.value().to_string());
        for (key, value) in [
            ("error_name", &self.error_name),
            ("error_message", &self.error_message),
            ("message_ref", &self.message_ref),
        ] {
            if let Some(value) = value {
                out.push_str(",\"");
                out.push_str(key);
                out.push_str("\":");
                push_json_string(out, value);
            }
        }
        out.push('}');
    }
}

/// The outcome of [`receive_lines`]: counters plus one result per line, in line order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceiveReport {
    /// The counters.
    pub lines: LineCounts,
    /// One result per line.
    pub results: Vec<LineResult>,
}

impl ReceiveReport {
    /// Adds the result of one line and counts it.
    pub fn push(&mut self, result: LineResult) {
        self.lines.total += 1;
        if result.ok {
            self.lines.ok += 1;
        } else if result.ignored {
            self.lines.ignored += 1;
        } else {
            self.lines.failed += 1;
        }
        self.results.push(result);
    }

    /// The report as the original's JSON:
    /// `{"lines":{"total":N,"ok":N,"failed":N,"ignored":N},"results":[...]}`.
    pub fn to_json(&self) -> String {
        let LineCounts {
            total,
            ok,
            failed,
            ignored,
        } = self.lines;
        let mut out = format!(
            r#"{{"lines":{{"total":{total},"ok":{ok},"failed":{failed},"ignored":{ignored}}},"results":["#
        );
        for (i, result) in self.results.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            result.write_json(&mut out);
        }
        out.push_str("]}");
        out
    }
}

/// Handles every line of `body` (newline-delimited envelope JSON) in order and reports each.
pub async fn receive_lines(pbjx: &Pbjx, body: &str) -> ReceiveReport {
    let mut report = ReceiveReport::default();
    // Like PHP's fgets: every `\n` ends a line, and a last line without one still counts.
    for line in body.split_inclusive('\n') {
        report.push(receive_line(pbjx, line).await);
    }
    report
}

/// Handles one line: a blank line is ignored, otherwise it must be one envelope (see the
/// module docs).
pub async fn receive_line(pbjx: &Pbjx, line: &str) -> LineResult {
    let line = line.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\0' | '\x0b'));
    if line.is_empty() {
        return LineResult::ignored();
    }
    let message = match TransportEnvelope::from_json(line, pbjx.registry()) {
        Ok(envelope) => match envelope.into_message() {
            Some(message) => message,
            None => {
                return LineResult::failed(&invalid("the envelope holds no message"), None);
            }
        },
        Err(error) => return LineResult::failed(&error, None),
    };
    let message_ref = message.generate_message_ref(None).to_string();
    match receive_message(pbjx, message).await {
        Ok(()) => LineResult {
            ok: true,
            code: Code::Ok,
            error_name: None,
            error_message: None,
            message_ref: Some(message_ref),
            ignored: false,
        },
        Err(error) => LineResult::failed(&error, Some(message_ref)),
    }
}

/// Validates and freezes a decoded message, then hands it to the command or event bus.
pub async fn receive_message(pbjx: &Pbjx, mut message: Arc<dyn Message>) -> crate::Result<()> {
    let schema = message.schema();
    let is_command = schema.has_mixin(mixins::COMMAND);
    if !is_command && !schema.has_mixin(mixins::EVENT) {
        return Err(invalid("The receive endpoint cannot process requests."));
    }
    if !message.is_frozen() {
        message.validate().map_err(|violations| Error::Invalid {
            schema: schema.id.to_owned(),
            violations,
        })?;
        match Arc::get_mut(&mut message) {
            Some(unique) => unique.freeze(),
            None => {
                let mut copy = message.clone_message();
                copy.freeze();
                message = Arc::from(copy);
            }
        }
    }
    if is_command {
        pbjx.receive_command(message).await
    } else {
        pbjx.receive_event(message).await
    }
}

fn invalid(message: &str) -> Error {
    Error::InvalidArgument {
        message: message.to_owned(),
    }
}

/// `(code, error_name, error_message)` of an error, as the original maps exceptions: a failed
/// request's response gives its own code, name and message; other errors their code (`OK`
/// becomes `INVALID_ARGUMENT`), name and message.
pub(crate) fn describe(error: &Error) -> (Code, String, String) {
    if let Error::RequestHandlingFailed { response } = error {
        let data = response.data();
        let text = |name: &str| {
            data.get_single(name).and_then(|v| match v {
                pbj::Value::String(s) => Some(s.to_string()),
                _ => None,
            })
        };
        let code = match data.get_single("error_code") {
            Some(pbj::Value::Int(i)) => Code::from_i64(*i).unwrap_or(Code::Unknown),
            _ => Code::Unknown,
        };
        return (
            code,
            text("error_name").unwrap_or_else(|| error.name()),
            text("error_message").unwrap_or_else(|| error.to_string()),
        );
    }
    let code = match error.code() {
        Code::Ok => Code::InvalidArgument,
        code => code,
    };
    let message = match error {
        Error::Handler { message, .. } => message.clone(),
        other => other.to_string(),
    };
    (code, failure::error_name(error), message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schemas::gdbots::pbjx::command::CheckHealthV1;
    use crate::schemas::gdbots::pbjx::event::HealthCheckedV1;
    use crate::schemas::gdbots::pbjx::request::EchoRequestV1;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn envelope(message: impl Message) -> String {
        TransportEnvelope::new(Arc::new(message), false).to_json()
    }

    fn exchange(handled: Arc<AtomicUsize>) -> Pbjx {
        let seen = handled.clone();
        Pbjx::builder()
            .command(move |cmd: Arc<CheckHealthV1>, _pbjx| {
                let seen = seen.clone();
                async move {
                    assert!(cmd.is_frozen());
                    if cmd.msg() == Some("fail") {
                        return Err(Error::Handler {
                            code: Code::FailedPrecondition,
                            name: "Nope".into(),
                            message: "not now".into(),
                            source: None,
                        });
                    }
                    seen.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
            })
            .build()
            .unwrap()
    }

    fn run<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    /// PbjxReceiveControllerTest::testValidReceive: three commands, refs in order.
    #[test]
    fn valid_lines_are_handled_in_order() {
        let handled = Arc::new(AtomicUsize::new(0));
        let pbjx = exchange(handled.clone());
        let commands: Vec<CheckHealthV1> = (0..3).map(|_| CheckHealthV1::new()).collect();
        let body: String = commands
            .iter()
            .map(|c| envelope(c.clone()) + "\n")
            .collect();
        let report = run(receive_lines(&pbjx, &body));
        assert_eq!(
            report.lines,
            LineCounts {
                total: 3,
                ok: 3,
                failed: 0,
                ignored: 0
            }
        );
        assert_eq!(handled.load(Ordering::SeqCst), 3);
        for (result, command) in report.results.iter().zip(&commands) {
            assert!(result.ok);
            assert_eq!(
                result.message_ref.as_deref(),
                Some(command.generate_message_ref(None).to_string().as_str())
            );
        }
    }

    /// testInvalidReceive: plus `invalid json` and a blank line; every non-ok result has code 3.
    #[test]
    fn bad_lines_fail_or_are_ignored_without_stopping_the_others() {
        let handled = Arc::new(AtomicUsize::new(0));
        let pbjx = exchange(handled.clone());
        let good = envelope(CheckHealthV1::new());
        let body = format!("{good}\ninvalid json\n{good}\n   \r\n{good}");
        let report = run(receive_lines(&pbjx, &body));
        assert_eq!(
            report.lines,
            LineCounts {
                total: 5,
                ok: 3,
                failed: 1,
                ignored: 1
            }
        );
        assert_eq!(handled.load(Ordering::SeqCst), 3);
        for result in report.results.iter().filter(|r| !r.ok) {
            assert_eq!(result.code, Code::InvalidArgument);
        }
        assert_eq!(report.results[3], LineResult::ignored());
        assert_eq!(
            report.results[1].error_name.as_deref(),
            Some("PbjInvalidJson")
        );
        assert!(report.results[1].message_ref.is_none());
    }

    #[test]
    fn handler_errors_requests_and_bad_envelopes_are_reported_per_line() {
        let handled = Arc::new(AtomicUsize::new(0));
        let pbjx = exchange(handled.clone());
        let failing = CheckHealthV1::new().with_msg("fail").unwrap();
        let failing_ref = failing.generate_message_ref(None).to_string();
        let request = EchoRequestV1::new();
        let request_ref = request.generate_message_ref(None).to_string();
        let event = HealthCheckedV1::new();
        let body = [
            envelope(failing),
            envelope(request),
            envelope(event),
            r#"{"serializer":"php","message":"O:8:\"stdClass\":0:{}"}"#.to_owned(),
            r#"{"serializer":"json","message":"{\"_schema\":\"pbj:acme:nope:command:x:1-0-0\"}"}"#
                .to_owned(),
            "[]".to_owned(),
        ]
        .join("\n");
        let report = run(receive_lines(&pbjx, &body));
        assert_eq!((report.lines.ok, report.lines.failed), (1, 5));
        let r = &report.results;
        assert_eq!(r[0].code, Code::FailedPrecondition);
        assert_eq!(r[0].error_name.as_deref(), Some("Nope"));
        assert_eq!(r[0].error_message.as_deref(), Some("not now"));
        assert_eq!(r[0].message_ref.as_deref(), Some(failing_ref.as_str()));
        assert_eq!(r[1].code, Code::InvalidArgument);
        assert_eq!(
            r[1].error_message.as_deref(),
            Some("The receive endpoint cannot process requests.")
        );
        assert_eq!(r[1].message_ref.as_deref(), Some(request_ref.as_str()));
        assert!(r[2].ok, "an event without subscribers is fine: {:?}", r[2]);
        assert!(r[3].error_message.as_deref().unwrap().contains("[php]"));
        assert_eq!(r[4].code, Code::InvalidArgument);
        assert!(
            r[5].error_message
                .as_deref()
                .unwrap()
                .contains("JSON object")
        );
        assert_eq!(handled.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn report_json_has_the_originals_shape() {
        let mut report = ReceiveReport::default();
        report.push(LineResult::ignored());
        report.push(LineResult {
            ok: true,
            code: Code::Ok,
            error_name: None,
            error_message: None,
            message_ref: Some("a:b:c:d:1".into()),
            ignored: false,
        });
        report.push(LineResult::failed(&invalid("bad \"x\""), None));
        assert_eq!(
            report.to_json(),
            r#"{"lines":{"total":3,"ok":1,"failed":1,"ignored":1},"results":[{"ok":false,"code":3,"error_name":"InvalidArgumentException","error_message":"empty line"},{"ok":true,"code":0,"message_ref":"a:b:c:d:1"},{"ok":false,"code":3,"error_name":"InvalidArgumentException","error_message":"bad \"x\""}]}"#
        );
        assert_eq!(
            run(receive_lines(&exchange(Arc::default()), ""))
                .lines
                .total,
            0
        );
        assert_eq!(
            run(receive_lines(&exchange(Arc::default()), "\n"))
                .lines
                .ignored,
            1
        );
    }
}
