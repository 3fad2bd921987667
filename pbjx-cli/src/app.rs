//! [`App`]: what an application hands to [`crate::run`]: its registry and the wiring of its
//! exchange (handlers, subscribers, hooks).

use std::sync::Arc;

use pbj::{Message, Registry};
use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
use pbjx::schemas::gdbots::pbjx::request::{EchoRequestV1, EchoResponseV1};
use pbjx::{Pbjx, PbjxBuilder};

type Wire = dyn Fn(PbjxBuilder) -> PbjxBuilder + Send + Sync;

/// The application `pbjx` runs for: the registry that decodes its messages and the wiring of
/// its exchange. `pbjx send` and `pbjx batch` run in process on an exchange built from it
/// (plus the configured event store and scheduler); the other commands use the registry.
///
/// The original's built-in handlers are registered unless turned off: `check-health`
/// (publishes `health-checked` with the command's `msg` and context) and `echo-request`
/// (answers `echo-response` with the request's `msg`).
///
/// ```
/// use pbjx_cli::App;
///
/// let mut registry = pbjx::pbj::Registry::new();
/// pbjx::register(&mut registry); // the core types are always needed
/// // my_app::schemas::register(&mut registry);
/// let app = App::new(registry).with_exchange(|builder| builder /* .command(..) */);
/// assert!(app.registry().resolve_curie("gdbots:pbjx:command:check-health").is_some());
/// ```
#[derive(Clone)]
pub struct App {
    registry: Arc<Registry>,
    wire: Option<Arc<Wire>>,
    builtin_handlers: bool,
}

impl App {
    /// An app with this registry (it must hold the core types: [`pbjx::register`]).
    pub fn new(registry: impl Into<Arc<Registry>>) -> Self {
        Self {
            registry: registry.into(),
            wire: None,
            builtin_handlers: true,
        }
    }

    /// The core types only ([`pbjx::registry`]).
    pub fn core() -> Self {
        Self::new(pbjx::registry())
    }

    /// Registers the app's handlers, subscribers and hooks on the exchange `pbjx` builds.
    pub fn with_exchange(
        mut self,
        wire: impl Fn(PbjxBuilder) -> PbjxBuilder + Send + Sync + 'static,
    ) -> Self {
        self.wire = Some(Arc::new(wire));
        self
    }

    /// Leaves out the built-in `check-health` and `echo-request` handlers (for apps that
    /// register their own).
    pub fn without_builtin_handlers(mut self) -> Self {
        self.builtin_handlers = false;
        self
    }

    /// The registry.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// The exchange builder: registry, built-in handlers, the app's wiring.
    pub(crate) fn builder(&self) -> PbjxBuilder {
        let mut builder = Pbjx::builder().registry(self.registry.clone());
        if self.builtin_handlers {
            builder = builder
                .command(|command: Arc<CheckHealthV1>, pbjx: Pbjx| async move {
                    let mut event = HealthCheckedV1::new();
                    if let Some(msg) = command.msg() {
                        event = event.with_msg(msg)?;
                    }
                    pbjx.copy_context(&*command, &mut event)?;
                    pbjx.publish(event).await
                })
                .request(|request: Arc<EchoRequestV1>, _pbjx: Pbjx| async move {
                    let mut response = EchoResponseV1::new();
                    if let Some(msg) = request.msg() {
                        response = response.with_msg(msg)?;
                    }
                    Ok(response)
                });
        }
        match &self.wire {
            Some(wire) => wire(builder),
            None => builder,
        }
    }
}

/// Decodes one message from JSON with the app's registry and validates it.
pub(crate) fn decode(json: &str, registry: &Registry) -> Result<Box<dyn Message>, String> {
    let message = pbj::codec::decode(json, registry).map_err(|e| e.to_string())?;
    if let Err(violations) = message.validate() {
        let text: Vec<String> = violations.iter().map(ToString::to_string).collect();
        return Err(format!(
            "[{}] is invalid: {}",
            message.schema().id,
            text.join("; ")
        ));
    }
    Ok(message)
}
