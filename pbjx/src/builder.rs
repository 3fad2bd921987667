//! [`PbjxBuilder`]: registers handlers, subscribers, hooks, the transport and services, and
//! checks every registration when [`PbjxBuilder::build`] is called.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use pbj::{Message, MessageType, Schema};

use crate::Pbjx;
use crate::error::{Error, Result};
use crate::exchange::{Inner, SubscriberEntry, Subscribers};
use crate::fasthash::FxHashMap;
use crate::handler::{
    CommandHandler, ErasedHandler, ErasedRequestHandler, RequestHandler, Subscriber, erase_command,
    erase_request, erase_subscriber,
};
use crate::lifecycle::{Hook, HookFn, Hooks, PbjxEvent, Selector};
use crate::mixins;
use crate::services::{EventSearch, EventStore, Scheduler};
use crate::transport::{InMemoryTransport, Transport};

/// Default lifecycle recursion limit (nesting depth of messages inside messages).
pub const DEFAULT_MAX_RECURSION: usize = 10;

/// Builds a [`Pbjx`]. Registration mistakes (two handlers for one message, a handler for a
/// message that is not a command or request) are reported by [`PbjxBuilder::build`], before
/// any message flows.
///
/// ```
/// # use pbjx::{Pbjx, Selector};
/// let pbjx = Pbjx::builder()
///     .hook("validate", Selector::mixin("gdbots:pbjx:mixin:command"), |event| {
///         let _ = event.message();
///         Ok(())
///     })
///     .build()
///     .expect("valid registrations");
/// # drop(pbjx);
/// ```
pub struct PbjxBuilder {
    hooks: Hooks,
    commands: Vec<(&'static Schema, ErasedHandler)>,
    requests: Vec<(&'static Schema, ErasedRequestHandler)>,
    subscribers: HashMap<String, Vec<SubscriberEntry>>,
    subscriber_count: usize,
    transport: Option<Arc<dyn Transport>>,
    event_store: Option<Arc<dyn EventStore>>,
    event_search: Option<Arc<dyn EventSearch>>,
    scheduler: Option<Arc<dyn Scheduler>>,
    max_recursion: usize,
}

impl Default for PbjxBuilder {
    fn default() -> Self {
        Self {
            hooks: Hooks::default(),
            commands: Vec::new(),
            requests: Vec::new(),
            subscribers: HashMap::new(),
            subscriber_count: 0,
            transport: None,
            event_store: None,
            event_search: None,
            scheduler: None,
            max_recursion: DEFAULT_MAX_RECURSION,
        }
    }
}

impl PbjxBuilder {
    /// An empty builder (in-memory transport, no handlers).
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the handler of command type `T` (`T` must use `gdbots:pbjx:mixin:command`).
    pub fn command<T: MessageType>(mut self, handler: impl CommandHandler<T>) -> Self {
        self.commands.push((T::SCHEMA, erase_command(handler)));
        self
    }

    /// Registers the handler of request type `T` answering with `R` (`T` must use
    /// `gdbots:pbjx:mixin:request`).
    pub fn request<T: MessageType, R: Message>(
        mut self,
        handler: impl RequestHandler<T, R>,
    ) -> Self {
        self.requests.push((T::SCHEMA, erase_request(handler)));
        self
    }

    /// Subscribes to published events of type `T` (by its curie major).
    pub fn subscribe<T: MessageType>(self, subscriber: impl Subscriber<T>) -> Self {
        self.add_subscriber(
            T::SCHEMA.curie_major.to_owned(),
            0,
            erase_subscriber(subscriber),
        )
    }

    /// Subscribes to every published event matching `name`: a mixin (curie or curie major),
    /// a message curie or curie major, `vendor:package:*`, or `*` for every event.
    pub fn subscribe_to<F, Fut>(self, name: impl Into<String>, subscriber: F) -> Self
    where
        F: Fn(Arc<dyn Message>, Pbjx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        self.subscribe_to_with_priority(name, 0, subscriber)
    }

    /// Like [`Self::subscribe_to`]; higher priorities run first.
    pub fn subscribe_to_with_priority<F, Fut>(
        self,
        name: impl Into<String>,
        priority: i32,
        subscriber: F,
    ) -> Self
    where
        F: Fn(Arc<dyn Message>, Pbjx) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        let erased: ErasedHandler =
            Arc::new(move |message, pbjx| Box::pin(subscriber(message, pbjx)));
        self.add_subscriber(name.into(), priority, erased)
    }

    fn add_subscriber(mut self, name: String, priority: i32, handler: ErasedHandler) -> Self {
        let order = self.subscriber_count;
        self.subscriber_count += 1;
        self.subscribers
            .entry(name)
            .or_default()
            .push(SubscriberEntry {
                priority,
                order,
                handler,
            });
        self
    }

    /// Adds a synchronous lifecycle hook for `suffix` (`bind`, `validate`, `enrich`,
    /// `before_handle`, `after_handle`, `created`, or any custom suffix) at priority 0.
    pub fn hook<F>(self, suffix: &str, selector: Selector, hook: F) -> Self
    where
        F: Fn(&mut PbjxEvent<'_>) -> Result<()> + Send + Sync + 'static,
    {
        self.hook_with_priority(suffix, selector, 0, hook)
    }

    /// Like [`Self::hook`]; higher priorities run first within one selector.
    pub fn hook_with_priority<F>(
        mut self,
        suffix: &str,
        selector: Selector,
        priority: i32,
        hook: F,
    ) -> Self
    where
        F: Fn(&mut PbjxEvent<'_>) -> Result<()> + Send + Sync + 'static,
    {
        self.hooks
            .add(suffix, &selector, priority, HookFn::Sync(Arc::new(hook)));
        self
    }

    /// Adds an asynchronous lifecycle hook.
    pub fn async_hook(
        mut self,
        suffix: &str,
        selector: Selector,
        priority: i32,
        hook: impl Hook,
    ) -> Self {
        self.hooks
            .add(suffix, &selector, priority, HookFn::Async(Arc::new(hook)));
        self
    }

    /// Sets the transport (default: [`InMemoryTransport`]).
    pub fn transport(mut self, transport: impl Transport) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// Sets a shared transport.
    pub fn transport_arc(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Sets the event store ([`EventStore::attach`] is called with the built exchange).
    pub fn event_store(mut self, store: impl EventStore) -> Self {
        self.event_store = Some(Arc::new(store));
        self
    }

    /// Sets the event search.
    pub fn event_search(mut self, search: impl EventSearch) -> Self {
        self.event_search = Some(Arc::new(search));
        self
    }

    /// Sets the scheduler used by [`Pbjx::send_at`] and [`Pbjx::cancel_jobs`].
    pub fn scheduler(mut self, scheduler: impl Scheduler) -> Self {
        self.scheduler = Some(Arc::new(scheduler));
        self
    }

    /// Sets the lifecycle recursion limit (clamped to 2..=10 like the original).
    pub fn max_recursion(mut self, max: usize) -> Self {
        self.max_recursion = max.clamp(2, 10);
        self
    }

    /// Checks every registration and builds the exchange.
    pub fn build(self) -> Result<Pbjx> {
        let mut problems = Vec::new();
        let commands = index_handlers(self.commands, mixins::COMMAND, "command", &mut problems);
        let requests = index_handlers(self.requests, mixins::REQUEST, "request", &mut problems);
        for schema in commands.keys() {
            if requests.contains_key(schema) {
                problems.push(format!(
                    "[{schema}] has both a command and a request handler"
                ));
            }
        }
        if !problems.is_empty() {
            return Err(Error::Registration {
                message: problems.join("; "),
            });
        }
        let inner = Inner {
            hooks: self.hooks,
            commands,
            requests,
            subscribers: Subscribers::new(self.subscribers),
            transport: self
                .transport
                .unwrap_or_else(|| Arc::new(InMemoryTransport)),
            event_store: self.event_store,
            event_search: self.event_search,
            scheduler: self.scheduler,
            max_recursion: self.max_recursion,
        };
        let pbjx = Pbjx {
            inner: Arc::new(inner),
        };
        if let Some(store) = &pbjx.inner.event_store {
            store.attach(&pbjx);
        }
        Ok(pbjx)
    }
}

fn index_handlers<H>(
    handlers: Vec<(&'static Schema, H)>,
    mixin: &str,
    kind: &str,
    problems: &mut Vec<String>,
) -> FxHashMap<&'static str, H> {
    let mut out: FxHashMap<&'static str, H> = FxHashMap::default();
    for (schema, handler) in handlers {
        if !schema.has_mixin(mixin) {
            problems.push(format!(
                "[{}] is not a {kind} (it does not use [{mixin}])",
                schema.curie
            ));
            continue;
        }
        if out.insert(schema.curie, handler).is_some() {
            problems.push(format!("[{}] has two {kind} handlers", schema.curie));
        }
    }
    out
}
