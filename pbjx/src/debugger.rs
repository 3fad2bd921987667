//! [`Debugger`], the original's `PbjxDebugger`: one JSON line per exchanged message.
//!
//! Line shapes (keys in this order; `message` is the message's JS-flavoured JSON):
//!
//! - `{"event":"transport.before_send","transport":"in_memory","message":{..}}` before a
//!   transport sends a command, event or request;
//! - `{"event":"transport.after_send","transport":"in_memory","message":{..}}` after it
//!   succeeded (for a request, `message` is the **response**, like the original);
//! - `{"event":"transport.exception","transport":"in_memory","error":"..","message":{..}}`
//!   when it failed (`message` is the message sent);
//! - `{"event":"event.published","message":{..}}` for every event delivered to the
//!   [`Debugger::subscriber`] (subscribed to `*`).

use std::future::{Ready, ready};
use std::io::Write;
use std::sync::{Arc, Mutex};

use pbj::Message;

use crate::Pbjx;
use crate::error::Result;
use crate::transport::Transport;
use crate::transport::envelope::push_json_string;

/// The `tracing` target of [`Debugger::to_tracing`].
pub const DEBUGGER_TARGET: &str = "pbjx.debugger";

enum Sink {
    Writer(Mutex<Box<dyn Write + Send>>),
    Tracing,
}

/// Writes every message it observes as one JSON line (see the [module docs](self) for the
/// shapes), to a [`Write`] sink or to the `tracing` target `pbjx.debugger` at `DEBUG` level.
/// It observes messages through [`DebugTransport`] (wrap the transport) and
/// [`Debugger::subscriber`] (subscribe it to `*`).
///
/// ```
/// use std::sync::Arc;
/// use pbjx::Pbjx;
/// use pbjx::debugger::{DebugTransport, Debugger};
/// use pbjx::transport::InMemoryTransport;
///
/// let debugger = Arc::new(Debugger::to_writer(std::io::stderr()));
/// let pbjx = Pbjx::builder()
///     .transport(DebugTransport::new(InMemoryTransport, debugger.clone()))
///     .subscribe_to("*", debugger.subscriber())
///     .build()?;
/// # drop(pbjx);
/// # Ok::<(), pbjx::Error>(())
/// ```
pub struct Debugger {
    sink: Sink,
}

impl std::fmt::Debug for Debugger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sink = match self.sink {
            Sink::Writer(_) => "writer",
            Sink::Tracing => "tracing",
        };
        f.debug_struct("Debugger").field("sink", &sink).finish()
    }
}

impl Debugger {
    /// Writes lines (each ending with `\n`, flushed) to `writer`. Write errors are reported
    /// with `tracing::warn!` and otherwise ignored.
    pub fn to_writer(writer: impl Write + Send + 'static) -> Self {
        Self {
            sink: Sink::Writer(Mutex::new(Box::new(writer))),
        }
    }

    /// Emits lines as `tracing` debug events on the target [`DEBUGGER_TARGET`].
    pub fn to_tracing() -> Self {
        Self {
            sink: Sink::Tracing,
        }
    }

    /// Records one line: `{"event":event[,"transport":transport][,"error":error],"message":..}`.
    pub fn record(
        &self,
        event: &str,
        transport: Option<&str>,
        error: Option<&str>,
        message: &dyn Message,
    ) {
        let json = message.to_json();
        let mut line = String::with_capacity(json.len() + 96);
        line.push_str(r#"{"event":"#);
        push_json_string(&mut line, event);
        if let Some(transport) = transport {
            line.push_str(r#","transport":"#);
            push_json_string(&mut line, transport);
        }
        if let Some(error) = error {
            line.push_str(r#","error":"#);
            push_json_string(&mut line, error);
        }
        line.push_str(r#","message":"#);
        line.push_str(&json);
        line.push('}');
        match &self.sink {
            Sink::Tracing => tracing::debug!(target: DEBUGGER_TARGET, "{line}"),
            Sink::Writer(writer) => {
                line.push('\n');
                let mut writer = writer
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                if let Err(e) = writer
                    .write_all(line.as_bytes())
                    .and_then(|()| writer.flush())
                {
                    tracing::warn!(target: DEBUGGER_TARGET, error = %e, "the debugger could not write");
                }
            }
        }
    }

    /// A subscriber recording `event.published` lines; subscribe it to `*` with
    /// [`crate::PbjxBuilder::subscribe_to`] to see every published event (it never fails).
    pub fn subscriber(
        self: &Arc<Self>,
    ) -> impl Fn(Arc<dyn Message>, Pbjx) -> Ready<Result<()>> + Send + Sync + 'static {
        let debugger = self.clone();
        move |event, _pbjx| {
            debugger.record("event.published", None, None, &*event);
            ready(Ok(()))
        }
    }
}

/// A [`Transport`] decorator recording `transport.before_send`, `transport.after_send` and
/// `transport.exception` lines around the wrapped transport (whose name it keeps).
pub struct DebugTransport<T> {
    inner: T,
    debugger: Arc<Debugger>,
}

impl<T: std::fmt::Debug> std::fmt::Debug for DebugTransport<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DebugTransport")
            .field("inner", &self.inner)
            .field("debugger", &self.debugger)
            .finish()
    }
}

impl<T: Transport> DebugTransport<T> {
    /// Wraps `inner`.
    pub fn new(inner: T, debugger: Arc<Debugger>) -> Self {
        Self { inner, debugger }
    }

    /// The wrapped transport.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    fn before(&self, message: &dyn Message) {
        self.debugger.record(
            "transport.before_send",
            Some(self.inner.name()),
            None,
            message,
        );
    }

    fn after<R>(
        &self,
        message: &dyn Message,
        result: &Result<R>,
        sent: impl Fn(&R) -> Option<&dyn Message>,
    ) {
        let name = Some(self.inner.name());
        match result {
            Ok(value) => {
                let shown = sent(value).unwrap_or(message);
                self.debugger
                    .record("transport.after_send", name, None, shown);
            }
            Err(e) => {
                self.debugger
                    .record("transport.exception", name, Some(&e.to_string()), message)
            }
        }
    }
}

#[async_trait::async_trait]
impl<T: Transport> Transport for DebugTransport<T> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn send_command(&self, pbjx: &Pbjx, command: Arc<dyn Message>) -> Result<()> {
        self.before(&*command);
        let result = self.inner.send_command(pbjx, command.clone()).await;
        self.after(&*command, &result, |_| None);
        result
    }

    async fn send_event(&self, pbjx: &Pbjx, event: Arc<dyn Message>) -> Result<()> {
        self.before(&*event);
        let result = self.inner.send_event(pbjx, event.clone()).await;
        self.after(&*event, &result, |_| None);
        result
    }

    async fn send_request(
        &self,
        pbjx: &Pbjx,
        request: Arc<dyn Message>,
    ) -> Result<Box<dyn Message>> {
        self.before(&*request);
        let result = self.inner.send_request(pbjx, request.clone()).await;
        self.after(&*request, &result, |response| Some(&**response));
        result
    }
}
