//! [`PbjxBuilder`]: registers handlers, subscribers, hooks, the transport, the registry and
//! services, and checks every registration when [`PbjxBuilder::build`] is called.

use std::collections::HashMap;
use std::sync::Arc;

use pbj::{Message, MessageType, Registry, Schema};

use crate::Pbjx;
use crate::describe::{HandlerWire, HookWire, SubscriberWire, Wiring};
use crate::error::{Error, Result};
use crate::exchange::{Inner, SubscriberEntry, Subscribers};
use crate::handler::{
    CommandHandler, ErasedHandler, RequestHandler, Subscriber, erase_any_subscriber, erase_command,
    erase_request, erase_subscriber,
};
use crate::lifecycle::{AsyncHookFn, HookFn, Hooks, PbjxEvent, Selector, Stage};
use crate::mixins;
use crate::services::{EventSearch, EventStore, Scheduler};
use crate::transport::{InMemoryTransport, Transport};
use rustc_hash::FxHashMap;

/// Default lifecycle recursion limit (nesting depth of messages inside messages).
pub const DEFAULT_MAX_RECURSION: usize = 10;

/// Builds a [`Pbjx`]. Registration mistakes (two handlers for one message, a handler for a
/// message that is not a command or request, a hook for an undeclared stage or on a selector
/// that can never match) are reported by [`PbjxBuilder::build`], before any message flows.
///
/// `S` is the state handed to the handlers, subscribers and hooks registered after
/// [`PbjxBuilder::with_state`] (`()` until then).
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use pbjx::{Code, Error, Pbjx, Selector};
/// use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
///
/// #[derive(Default)]
/// struct Stats {
///     handled: AtomicUsize,
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let pbjx = Pbjx::builder()
///     .with_state(Stats::default())
///     .on_validate(Selector::of::<CheckHealthV1>(), |event| {
///         let msg = event.message().data().get_single("msg").and_then(|v| v.as_str());
///         if msg == Some("bad") {
///             return Err(Error::handler(Code::InvalidArgument, "BadMsg", "no"));
///         }
///         Ok(())
///     })
///     .command(|_cmd: Arc<CheckHealthV1>, _pbjx, stats: Arc<Stats>| async move {
///         stats.handled.fetch_add(1, Ordering::Relaxed);
///         Ok(())
///     })
///     .build()?;
/// pbjx.send(CheckHealthV1::new().with_msg("ping")?).await?;
/// assert!(pbjx.send(CheckHealthV1::new().with_msg("bad")?).await.is_err());
/// # Ok::<(), pbjx::Error>(())
/// # }).unwrap();
/// ```
pub struct PbjxBuilder<S = ()> {
    state: Arc<S>,
    hooks: Hooks,
    stages: Vec<Stage>,
    problems: Vec<String>,
    commands: Vec<(&'static Schema, ErasedHandler)>,
    requests: Vec<(&'static Schema, crate::handler::ErasedRequestHandler)>,
    subscribers: HashMap<String, Vec<SubscriberEntry>>,
    subscriber_count: usize,
    registry: Option<Arc<Registry>>,
    transport: Option<Arc<dyn Transport>>,
    event_store: Option<Arc<dyn EventStore>>,
    event_search: Option<Arc<dyn EventSearch>>,
    scheduler: Option<Arc<dyn Scheduler>>,
    max_recursion: usize,
    wiring: Wiring,
}

impl Default for PbjxBuilder {
    fn default() -> Self {
        Self {
            state: Arc::new(()),
            hooks: Hooks::default(),
            stages: Vec::new(),
            problems: Vec::new(),
            commands: Vec::new(),
            requests: Vec::new(),
            subscribers: HashMap::new(),
            subscriber_count: 0,
            registry: None,
            transport: None,
            event_store: None,
            event_search: None,
            scheduler: None,
            max_recursion: DEFAULT_MAX_RECURSION,
            wiring: Wiring::default(),
        }
    }
}

impl PbjxBuilder {
    /// An empty builder (in-memory transport, core registry, no handlers, no state).
    pub fn new() -> Self {
        Self::default()
    }
}

impl<S: Send + Sync + 'static> PbjxBuilder<S> {
    /// Sets the state handed to the handlers, subscribers and hooks registered from now on,
    /// like axum's `Router::with_state`: command, request and subscriber closures may take it
    /// as a third argument (`Arc<S2>`), hooks read it with [`PbjxEvent::state`]. Registrations
    /// made before keep the state they were registered with.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use pbjx::Pbjx;
    /// use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
    ///
    /// type Seen = Mutex<Vec<String>>;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let seen = Arc::new(Seen::default());
    /// let pbjx = Pbjx::builder()
    ///     .with_shared_state(seen.clone())
    ///     .subscribe(|event: Arc<HealthCheckedV1>, _pbjx, seen: Arc<Seen>| async move {
    ///         seen.lock().unwrap().push(event.msg().unwrap_or_default().to_owned());
    ///         Ok(())
    ///     })
    ///     .build()?;
    /// pbjx.publish(HealthCheckedV1::new().with_msg("up")?).await?;
    /// assert_eq!(*seen.lock().unwrap(), ["up"]);
    /// # Ok::<(), pbjx::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn with_state<S2: Send + Sync + 'static>(self, state: S2) -> PbjxBuilder<S2> {
        self.with_shared_state(Arc::new(state))
    }

    /// [`Self::with_state`] with a state the caller keeps a handle to.
    pub fn with_shared_state<S2: Send + Sync + 'static>(self, state: Arc<S2>) -> PbjxBuilder<S2> {
        PbjxBuilder {
            state,
            hooks: self.hooks,
            stages: self.stages,
            problems: self.problems,
            commands: self.commands,
            requests: self.requests,
            subscribers: self.subscribers,
            subscriber_count: self.subscriber_count,
            registry: self.registry,
            transport: self.transport,
            event_store: self.event_store,
            event_search: self.event_search,
            scheduler: self.scheduler,
            max_recursion: self.max_recursion,
            wiring: self.wiring,
        }
    }

    /// Registers the handler of command type `T` (`T` must use `gdbots:pbjx:mixin:command`):
    /// `|command: Arc<T>, pbjx: Pbjx| async move { .. }`, or with the state as a third
    /// argument `state: Arc<S>`.
    #[track_caller]
    pub fn command<T: MessageType, M>(mut self, handler: impl CommandHandler<T, S, M>) -> Self {
        self.wiring.commands.push(HandlerWire {
            curie: T::SCHEMA.curie.to_owned(),
            handler: runnable_name(std::any::type_name_of_val(&handler)),
        });
        let handler = erase_command(handler, self.state.clone());
        self.commands.push((T::SCHEMA, handler));
        self
    }

    /// Registers the handler of request type `T` answering with `R` (`T` must use
    /// `gdbots:pbjx:mixin:request`); the closure shapes are those of [`Self::command`].
    #[track_caller]
    pub fn request<T: MessageType, R: Message, M>(
        mut self,
        handler: impl RequestHandler<T, R, S, M>,
    ) -> Self {
        self.wiring.requests.push(HandlerWire {
            curie: T::SCHEMA.curie.to_owned(),
            handler: runnable_name(std::any::type_name_of_val(&handler)),
        });
        let handler = erase_request(handler, self.state.clone());
        self.requests.push((T::SCHEMA, handler));
        self
    }

    /// Subscribes to published events of type `T` (by its curie major); the closure shapes are
    /// those of [`Self::command`].
    #[track_caller]
    pub fn subscribe<T: MessageType, M>(self, subscriber: impl Subscriber<T, S, M>) -> Self {
        let name = std::any::type_name_of_val(&subscriber);
        let handler = erase_subscriber(subscriber, self.state.clone());
        self.add_subscriber(T::SCHEMA.curie_major.to_owned(), 0, name, handler)
    }

    /// Subscribes to every published event matching `name`: a mixin (curie or curie major),
    /// a message curie or curie major, `vendor:package:*`, or `*` for every event. The
    /// subscriber receives `Arc<dyn Message>` (plus the state as a third argument, if it
    /// takes one).
    #[track_caller]
    pub fn subscribe_to<M>(
        self,
        name: impl Into<String>,
        subscriber: impl Subscriber<dyn Message, S, M>,
    ) -> Self {
        self.subscribe_to_with_priority(name, 0, subscriber)
    }

    /// Like [`Self::subscribe_to`]; higher priorities run first.
    #[track_caller]
    pub fn subscribe_to_with_priority<M>(
        self,
        name: impl Into<String>,
        priority: i32,
        subscriber: impl Subscriber<dyn Message, S, M>,
    ) -> Self {
        let type_name = std::any::type_name_of_val(&subscriber);
        let handler = erase_any_subscriber(subscriber, self.state.clone());
        self.add_subscriber(name.into(), priority, type_name, handler)
    }

    #[track_caller]
    fn add_subscriber(
        mut self,
        name: String,
        priority: i32,
        type_name: &str,
        handler: ErasedHandler,
    ) -> Self {
        self.wiring.subscribers.push(SubscriberWire {
            selector: name.clone(),
            priority,
            handler: runnable_name(type_name),
        });
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

    /// Declares a custom stage ([`Stage::custom`]) so hooks can be registered for it and
    /// [`Pbjx::trigger`] can run it.
    pub fn declare_stage(mut self, stage: Stage) -> Self {
        if let Some(problem) = stage.declaration_problem() {
            self.problems.push(problem);
        } else if !self.stages.contains(&stage) {
            self.stages.push(stage);
        }
        self
    }

    /// Adds a synchronous lifecycle hook for `stage` at priority 0. It receives the event
    /// (the message, mutable until frozen, and the state: [`PbjxEvent::state`]); an error stops
    /// the exchange.
    #[track_caller]
    pub fn hook<F>(self, stage: Stage, selector: Selector, hook: F) -> Self
    where
        F: Fn(&mut PbjxEvent<'_, S>) -> Result<()> + Send + Sync + 'static,
    {
        self.hook_with_priority(stage, selector, 0, hook)
    }

    /// Like [`Self::hook`]; higher priorities run first within one selector.
    #[track_caller]
    pub fn hook_with_priority<F>(
        self,
        stage: Stage,
        selector: Selector,
        priority: i32,
        hook: F,
    ) -> Self
    where
        F: Fn(&mut PbjxEvent<'_, S>) -> Result<()> + Send + Sync + 'static,
    {
        let name = std::any::type_name_of_val(&hook);
        let body = HookFn::sync(self.state.clone(), hook);
        self.add_hook(stage, selector, priority, name, body)
    }

    /// A [`Stage::Bind`] hook: cheap environment data (ip, user agent, input).
    #[track_caller]
    pub fn on_bind<F>(self, selector: Selector, hook: F) -> Self
    where
        F: Fn(&mut PbjxEvent<'_, S>) -> Result<()> + Send + Sync + 'static,
    {
        self.hook(Stage::Bind, selector, hook)
    }

    /// A [`Stage::Validate`] hook: business rules, permissions; an error stops the exchange.
    #[track_caller]
    pub fn on_validate<F>(self, selector: Selector, hook: F) -> Self
    where
        F: Fn(&mut PbjxEvent<'_, S>) -> Result<()> + Send + Sync + 'static,
    {
        self.hook(Stage::Validate, selector, hook)
    }

    /// A [`Stage::Enrich`] hook: expensive additions once the message is accepted.
    #[track_caller]
    pub fn on_enrich<F>(self, selector: Selector, hook: F) -> Self
    where
        F: Fn(&mut PbjxEvent<'_, S>) -> Result<()> + Send + Sync + 'static,
    {
        self.hook(Stage::Enrich, selector, hook)
    }

    /// Adds an asynchronous lifecycle hook at priority 0: an async closure or `async fn`
    /// taking `&mut PbjxEvent<'_, S>`. Its future may hold the event across `.await`s; it
    /// reaches shared data through [`PbjxEvent::state`] (see [`AsyncHookFn`] for why the
    /// closure itself cannot capture by reference).
    ///
    /// ```
    /// use std::sync::Mutex;
    /// use pbjx::{Pbjx, Selector, Stage};
    /// use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let pbjx = Pbjx::builder()
    ///     .with_state(Mutex::new(Vec::<String>::new()))
    ///     .async_hook(Stage::Enrich, Selector::all(), async |event| {
    ///         tokio::task::yield_now().await; // e.g. a lookup
    ///         event.state().lock().unwrap().push(event.selector().to_owned());
    ///         if let Some(message) = event.message_mut() {
    ///             message.data_mut().set("msg", "enriched")?;
    ///         }
    ///         Ok(())
    ///     })
    ///     .build()?;
    /// let mut command = CheckHealthV1::new();
    /// pbjx.trigger_lifecycle(&mut command).await?;
    /// assert_eq!(command.msg(), Some("enriched"));
    /// # Ok::<(), pbjx::Error>(())
    /// # }).unwrap();
    /// ```
    #[track_caller]
    pub fn async_hook<F>(self, stage: Stage, selector: Selector, hook: F) -> Self
    where
        F: for<'a> AsyncFn(&'a mut PbjxEvent<'a, S>) -> Result<()> + for<'a> AsyncHookFn<'a, S>,
    {
        self.async_hook_with_priority(stage, selector, 0, hook)
    }

    /// Like [`Self::async_hook`]; higher priorities run first within one selector.
    #[track_caller]
    pub fn async_hook_with_priority<F>(
        self,
        stage: Stage,
        selector: Selector,
        priority: i32,
        hook: F,
    ) -> Self
    where
        F: for<'a> AsyncFn(&'a mut PbjxEvent<'a, S>) -> Result<()> + for<'a> AsyncHookFn<'a, S>,
    {
        let name = std::any::type_name_of_val(&hook);
        let body = HookFn::asynchronous(self.state.clone(), hook);
        self.add_hook(stage, selector, priority, name, body)
    }

    #[track_caller]
    fn add_hook(
        mut self,
        stage: Stage,
        selector: Selector,
        priority: i32,
        name: &str,
        body: HookFn,
    ) -> Self {
        if let Some(problem) = selector.problem() {
            self.problems.push(problem);
        }
        self.wiring.hooks.push(HookWire {
            stage: stage.to_string(),
            selector: selector.name().to_owned(),
            priority,
            hook: runnable_name(name),
        });
        self.hooks.add(stage, &selector, priority, body);
        self
    }

    /// Sets the registry messages are decoded with (transport envelopes, ...) and that
    /// services built on the exchange share ([`Pbjx::registry`]); default: the core schemas
    /// ([`crate::registry`]).
    pub fn registry(mut self, registry: impl Into<Arc<Registry>>) -> Self {
        self.registry = Some(registry.into());
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

    /// Sets a shared scheduler (e.g. one picked at run time as `Arc<dyn Scheduler>`).
    pub fn scheduler_arc(mut self, scheduler: Arc<dyn Scheduler>) -> Self {
        self.scheduler = Some(scheduler);
        self
    }

    /// Sets the lifecycle recursion limit (clamped to 2..=10 like the original).
    pub fn max_recursion(mut self, max: usize) -> Self {
        self.max_recursion = max.clamp(2, 10);
        self
    }

    /// Checks every registration and builds the exchange.
    pub fn build(self) -> Result<Pbjx> {
        let mut problems = self.problems;
        for stage in self.hooks.stages() {
            if let Some(problem) = stage.problem(&self.stages) {
                problems.push(format!(
                    "a hook is registered for an unusable stage: {problem}"
                ));
            }
        }
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
        let transport = self
            .transport
            .unwrap_or_else(|| Arc::new(InMemoryTransport));
        let services = [
            ("event_store", self.event_store.is_some()),
            ("event_search", self.event_search.is_some()),
            ("scheduler", self.scheduler.is_some()),
        ];
        let wiring = Wiring {
            transport: transport.name().to_owned(),
            services: services
                .into_iter()
                .filter_map(|(name, set)| set.then_some(name))
                .collect(),
            ..self.wiring
        }
        .sorted();
        let registry = self.registry.unwrap_or_else(crate::registry);
        let inner = Inner {
            wiring,
            hooks: self.hooks,
            stages: self.stages,
            commands,
            requests,
            subscribers: Subscribers::new(self.subscribers, &registry),
            registry,
            in_process: transport.delivers_in_process(),
            transport,
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

/// The name [`Wiring`] shows for a registered handler, subscriber or hook: its type name, plus
/// where it was registered (which tells closures apart).
#[track_caller]
fn runnable_name(type_name: &str) -> String {
    let at = std::panic::Location::caller();
    format!("{type_name} ({}:{})", at.file(), at.line())
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
