//! [`Pbjx`], the exchange: `send`, `publish`, `request` and the buses behind them.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use pbj::{FieldType, FieldValue, Message, Registry, Schema, Value};
use tracing::Instrument;

use crate::builder::PbjxBuilder;
use crate::error::{Error, Result};
use crate::failure;
use crate::handler::{ErasedHandler, ErasedRequestHandler};
use crate::lifecycle::{Hooks, PbjxEvent, Reply, Slot, Stage, run_plan};
use crate::mixins;
use crate::panic::catch_unwind;
use crate::services::{EventSearch, EventStore, Scheduler};
use crate::time::SendAt;
use crate::transport::Transport;
use rustc_hash::FxHashMap;

pub(crate) struct SubscriberEntry {
    pub(crate) priority: i32,
    pub(crate) order: usize,
    pub(crate) handler: ErasedHandler,
}

/// One subscriber in a resolved fan-out plan, with the name it subscribed to.
#[derive(Clone)]
pub(crate) struct Delivery {
    pub(crate) name: Arc<str>,
    pub(crate) handler: ErasedHandler,
}

/// Subscribers by name, plus the resolved fan-out order of each schema: computed when the
/// exchange is built for every schema of its registry (read without a lock or a reference
/// count), and on first use for any other schema.
pub(crate) struct Subscribers {
    by_name: HashMap<String, Vec<SubscriberEntry>>,
    registered: FxHashMap<usize, Arc<[Delivery]>>,
    plans: RwLock<FxHashMap<usize, Arc<[Delivery]>>>,
}

/// A fan-out order: one computed when the exchange was built, or one cached since.
pub(crate) enum Plan<'a> {
    Registered(&'a [Delivery]),
    Cached(Arc<[Delivery]>),
}

impl std::ops::Deref for Plan<'_> {
    type Target = [Delivery];

    fn deref(&self) -> &[Delivery] {
        match self {
            Plan::Registered(plan) => plan,
            Plan::Cached(plan) => plan,
        }
    }
}

impl Subscribers {
    pub(crate) fn new(
        mut by_name: HashMap<String, Vec<SubscriberEntry>>,
        registry: &Registry,
    ) -> Self {
        for list in by_name.values_mut() {
            list.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.order.cmp(&b.order)));
        }
        // No subscribers, no plans to resolve up front (every plan is empty).
        let registered = if by_name.is_empty() {
            FxHashMap::default()
        } else {
            registry
                .entries()
                .map(|entry| (plan_key(entry.schema), resolve(&by_name, entry.schema)))
                .collect()
        };
        Self {
            by_name,
            registered,
            plans: RwLock::new(FxHashMap::default()),
        }
    }

    fn plan(&self, schema: &'static Schema) -> Plan<'_> {
        let key = plan_key(schema);
        if let Some(plan) = self.registered.get(&key) {
            return Plan::Registered(plan);
        }
        if let Some(p) = self.plans.read().ok().and_then(|p| p.get(&key).cloned()) {
            return Plan::Cached(p);
        }
        let plan = resolve(&self.by_name, schema);
        if let Ok(mut plans) = self.plans.write() {
            plans.insert(key, plan.clone());
        }
        Plan::Cached(plan)
    }
}

/// The fan-out order of `schema` among `by_name`: each mixin as listed, curie major, curie,
/// `vendor:package:*`, `*`.
fn resolve(
    by_name: &HashMap<String, Vec<SubscriberEntry>>,
    schema: &'static Schema,
) -> Arc<[Delivery]> {
    let package_wildcard = format!("{}:{}:*", schema.vendor, schema.package);
    let names = schema.mixins.iter().copied().chain([
        schema.curie_major,
        schema.curie,
        package_wildcard.as_str(),
        "*",
    ]);
    let mut plan = Vec::new();
    for name in names {
        if let Some(list) = by_name.get(name) {
            let shared: Arc<str> = Arc::from(name);
            plan.extend(list.iter().map(|e| Delivery {
                name: shared.clone(),
                handler: e.handler.clone(),
            }));
        }
    }
    Arc::from(plan)
}

/// The key of `schema` in the plan maps: its address (schemas are `'static`).
fn plan_key(schema: &'static Schema) -> usize {
    std::ptr::from_ref(schema) as usize
}

pub(crate) struct Inner {
    /// What [`Pbjx::describe`] returns.
    pub(crate) wiring: crate::describe::Wiring,
    pub(crate) hooks: Hooks,
    /// The declared custom stages.
    pub(crate) stages: Vec<Stage>,
    pub(crate) commands: FxHashMap<&'static str, ErasedHandler>,
    pub(crate) requests: FxHashMap<&'static str, ErasedRequestHandler>,
    pub(crate) subscribers: Subscribers,
    pub(crate) registry: Arc<Registry>,
    pub(crate) transport: Arc<dyn Transport>,
    /// [`Transport::delivers_in_process`] of the transport: call `receive_*` directly.
    pub(crate) in_process: bool,
    pub(crate) event_store: Option<Arc<dyn EventStore>>,
    pub(crate) event_search: Option<Arc<dyn EventSearch>>,
    pub(crate) scheduler: Option<Arc<dyn Scheduler>>,
    pub(crate) max_recursion: usize,
}

/// The exchange. Cheap to clone (one `Arc`), `Send + Sync`; build it with [`Pbjx::builder`].
///
/// ```
/// use std::sync::Arc;
/// use pbjx::Pbjx;
/// use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let pbjx = Pbjx::builder()
///     .command(|cmd: Arc<CheckHealthV1>, _pbjx| async move {
///         assert_eq!(cmd.msg(), Some("ping"));
///         Ok(())
///     })
///     .build()?;
/// pbjx.send(CheckHealthV1::new().with_msg("ping")?).await?;
/// # Ok::<(), pbjx::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Pbjx {
    pub(crate) inner: Arc<Inner>,
}

/// A weak reference to a [`Pbjx`] (see [`Pbjx::downgrade`]).
#[derive(Clone, Debug, Default)]
pub struct WeakPbjx {
    inner: std::sync::Weak<Inner>,
}

impl WeakPbjx {
    /// The exchange, if it is still alive.
    pub fn upgrade(&self) -> Option<Pbjx> {
        self.inner.upgrade().map(|inner| Pbjx { inner })
    }
}

impl std::fmt::Debug for Pbjx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pbjx")
            .field("transport", &self.inner.transport.name())
            .field("commands", &self.inner.commands.len())
            .field("requests", &self.inner.requests.len())
            .field("registered_types", &self.inner.registry.len())
            .finish_non_exhaustive()
    }
}

fn require(message: &dyn Message, operation: &'static str, mixin: &'static str) -> Result<()> {
    if message.schema().has_mixin(mixin) {
        Ok(())
    } else {
        Err(Error::WrongMessageKind {
            operation,
            mixin,
            schema: message.schema().id.to_owned(),
        })
    }
}

/// Validates and freezes a message that went through its lifecycle.
fn seal(mut message: Arc<dyn Message>) -> Result<Arc<dyn Message>> {
    if !message.is_frozen() {
        message.validate().map_err(|violations| Error::Invalid {
            schema: message.schema().id.to_owned(),
            violations,
        })?;
        exclusive(&mut message).freeze();
    }
    Ok(message)
}

/// The message behind `message` for the lifecycle to change: one that someone else still
/// holds is copied first, so their copy never changes under them.
fn exclusive(message: &mut Arc<dyn Message>) -> &mut dyn Message {
    if Arc::get_mut(message).is_none() {
        *message = Arc::from(message.clone_message());
    }
    Arc::get_mut(message).unwrap_or_else(|| unreachable!("a new Arc has no other owner"))
}

fn message_id(message: &dyn Message) -> String {
    message.generate_message_ref(None).id().to_owned()
}

/// `future` inside `span`, or `future` itself when tracing is off (no instrumentation).
///
/// A plain function rather than an `async fn`: the caller awaits the future in place, where
/// an `async fn` wrapper would move it into a state of its own first (a copy of the whole
/// operation's state per call).
fn traced<F: std::future::Future>(span: tracing::Span, future: F) -> Traced<F> {
    if span.is_disabled() {
        Traced::Plain { future }
    } else {
        Traced::Instrumented {
            future: future.instrument(span),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`traced`].
    #[project = TracedProjection]
    enum Traced<F> {
        Plain { #[pin] future: F },
        Instrumented { #[pin] future: tracing::instrument::Instrumented<F> },
    }
}

impl<F: std::future::Future> std::future::Future for Traced<F> {
    type Output = F::Output;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        match self.project() {
            TracedProjection::Plain { future } => future.poll(cx),
            TracedProjection::Instrumented { future } => future.poll(cx),
        }
    }
}

/// The message's `ctx_correlator_ref` (`-` when absent), for tracing spans.
fn correlation(message: &dyn Message) -> String {
    match message.data().get_single("ctx_correlator_ref") {
        Some(pbj::Value::MessageRef(r)) => r.to_string(),
        _ => "-".to_owned(),
    }
}

impl Pbjx {
    /// A builder (in-memory transport, no handlers).
    pub fn builder() -> PbjxBuilder {
        PbjxBuilder::new()
    }

    /// The wiring of this exchange: every command and request with its handler, every
    /// subscription with its subscribers, every hook with its stage, selector and priority,
    /// the transport and the services; printable as a Markdown table or a Mermaid flowchart
    /// (see [`crate::describe::Wiring`]).
    pub fn describe(&self) -> &crate::describe::Wiring {
        &self.inner.wiring
    }

    /// The transport's name.
    pub fn transport_name(&self) -> &str {
        self.inner.transport.name()
    }

    /// The registry this exchange decodes messages with (set with
    /// [`PbjxBuilder::registry`]; by default the core schemas, [`crate::registry`]). Services
    /// and transports built on the exchange share it.
    ///
    /// ```
    /// use pbjx::Pbjx;
    /// use pbjx::transport::TransportEnvelope;
    ///
    /// let pbjx = Pbjx::builder().build()?;
    /// let json = r#"{"serializer":"json","message":"{\"_schema\":\"pbj:gdbots:pbjx:command:check-health:1-0-0\"}"}"#;
    /// let envelope = TransportEnvelope::from_json(json, pbjx.registry())?;
    /// assert!(envelope.message().is_some());
    /// # Ok::<(), pbjx::Error>(())
    /// ```
    pub fn registry(&self) -> &Arc<Registry> {
        &self.inner.registry
    }

    /// Runs bind, validate and enrich, freezes the command and hands it to the transport, which
    /// delivers it to the one handler registered for its curie.
    ///
    /// Takes a typed message, a `Box<dyn Message>` or an `Arc<dyn Message>`, as `publish`
    /// and `request` do; a message someone else still holds is copied before the lifecycle
    /// changes it.
    pub async fn send(&self, command: impl Into<Arc<dyn Message>>) -> Result<()> {
        let mut command = command.into();
        require(&*command, "send", mixins::COMMAND)?;
        let span = tracing::debug_span!(
            "pbjx.send",
            curie = command.schema().curie,
            id = %message_id(&*command),
            correlation = %correlation(&*command)
        );
        traced(span, async move {
            if let Some(message) = self.lifecycle_target(&mut command) {
                self.trigger_lifecycle(message).await?;
            }
            let command = seal(command)?;
            if self.inner.in_process {
                return self.receive_command(command).await;
            }
            self.inner.transport.send_command(self, command).await
        })
        .await
    }

    /// Runs bind, validate and enrich, freezes the event and hands it to the transport, which
    /// delivers it to every subscriber of its mixins, curie major, curie, `vendor:package:*`
    /// and `*`.
    pub async fn publish(&self, event: impl Into<Arc<dyn Message>>) -> Result<()> {
        let mut event = event.into();
        require(&*event, "publish", mixins::EVENT)?;
        let span = tracing::debug_span!(
            "pbjx.publish",
            curie = event.schema().curie,
            id = %message_id(&*event),
            correlation = %correlation(&*event)
        );
        traced(span, async move {
            if let Some(message) = self.lifecycle_target(&mut event) {
                self.trigger_lifecycle(message).await?;
            }
            let event = seal(event)?;
            if self.inner.in_process {
                return self.receive_event(event).await;
            }
            self.inner.transport.send_event(self, event).await
        })
        .await
    }

    /// Hands an already frozen event (e.g. one read from or just appended to the event store) to
    /// the transport without running the lifecycle again; an unfrozen event goes through
    /// [`Pbjx::publish`] (on a copy).
    pub async fn publish_frozen(&self, event: Arc<dyn Message>) -> Result<()> {
        if !event.is_frozen() {
            return self.publish(event.clone_message()).await;
        }
        require(&*event, "publish", mixins::EVENT)?;
        if self.inner.in_process {
            return self.receive_event(event).await;
        }
        self.inner.transport.send_event(self, event).await
    }

    /// A weak handle that does not keep the exchange alive (for services it owns).
    pub fn downgrade(&self) -> WeakPbjx {
        WeakPbjx {
            inner: Arc::downgrade(&self.inner),
        }
    }

    /// Runs bind, validate and enrich, then `before_handle` (a hook may answer from a cache),
    /// freezes the request, has the transport deliver it to its handler, fills the response's
    /// context (`ctx_request`, `ctx_request_ref`, `ctx_correlator_ref`, `ctx_tenant_id`), and runs
    /// `after_handle` on the request and `created` on the response. A failed handler gives
    /// [`Error::RequestHandlingFailed`] carrying the `request-failed-response`.
    pub async fn request(&self, request: impl Into<Arc<dyn Message>>) -> Result<Box<dyn Message>> {
        let mut request = request.into();
        require(&*request, "request", mixins::REQUEST)?;
        let span = tracing::debug_span!(
            "pbjx.request",
            curie = request.schema().curie,
            id = %message_id(&*request),
            correlation = %correlation(&*request)
        );
        traced(span, async move {
            if let Some(message) = self.lifecycle_target(&mut request) {
                self.trigger_lifecycle(message).await?;
            }
            let plan = if self.inner.hooks.is_empty() {
                None
            } else {
                Some(
                    self.inner
                        .hooks
                        .plan(request.schema(), &Stage::BeforeHandle),
                )
            };
            if let Some(plan) = plan.filter(|p| !p.is_empty()) {
                let mut answer = None;
                let mut event = PbjxEvent::new(
                    Slot::Mut(exclusive(&mut request)),
                    &Stage::BeforeHandle,
                    0,
                    self,
                    Reply::Answer(&mut answer),
                );
                run_plan(&plan, &mut event).await?;
                if let Some(mut response) = answer {
                    // The original's GetResponseEvent::setResponse fills the request context
                    // of a response answered from a hook too.
                    attach_request(request, &mut *response)?;
                    return Ok(response);
                }
            }
            let request = seal(request)?;
            let mut response = if self.inner.in_process {
                self.receive_request(request.clone()).await
            } else {
                self.inner
                    .transport
                    .send_request(self, request.clone())
                    .await?
            };
            if self.inner.hooks.is_empty() {
                // Nothing reads the request after this: it moves into the response.
                attach_request(request, &mut *response)?;
                return succeeded(response);
            }
            attach_request(request.clone(), &mut *response)?;
            let response = succeeded(response)?;
            self.trigger_created(&*request, &*response).await?;
            Ok(response)
        })
        .await
    }

    /// [`Self::request`] returning the response as its generated type.
    pub async fn request_as<R: pbj::MessageType>(
        &self,
        request: impl Into<Arc<dyn Message>>,
    ) -> Result<R> {
        let response = self.request(request).await?;
        let schema = response.schema().id;
        response
            .downcast::<R>()
            .map(|r| *r)
            .map_err(|_| Error::InvalidArgument {
                message: format!(
                    "the response [{schema}] is not a {}",
                    R::SCHEMA.class_name()
                ),
            })
    }

    async fn trigger_created(&self, request: &dyn Message, response: &dyn Message) -> Result<()> {
        if self.inner.hooks.is_empty() {
            return Ok(());
        }
        for (message, stage) in [(request, &Stage::AfterHandle), (response, &Stage::Created)] {
            let plan = self.inner.hooks.plan(message.schema(), stage);
            if !plan.is_empty() {
                let reply = Reply::Created(response);
                let mut event = PbjxEvent::new(Slot::Shared(message), stage, 0, self, reply);
                run_plan(&plan, &mut event).await?;
            }
        }
        Ok(())
    }

    /// Runs the hooks of `stage` on `message`; when `recursive`, unfrozen nested messages
    /// first (depth-first, in field order). The first hook error stops and is returned. A
    /// custom stage must have been declared ([`PbjxBuilder::declare_stage`]), else the result
    /// is [`Error::InvalidArgument`].
    ///
    /// ```
    /// use pbjx::{Pbjx, Selector, Stage};
    /// use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
    ///
    /// const ARCHIVED: Stage = Stage::custom("archived");
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let pbjx = Pbjx::builder()
    ///     .declare_stage(ARCHIVED)
    ///     .hook(ARCHIVED, Selector::of::<CheckHealthV1>(), |event| {
    ///         event.message_mut().unwrap().data_mut().set("msg", "archived")?;
    ///         Ok(())
    ///     })
    ///     .build()?;
    /// let mut command = CheckHealthV1::new();
    /// pbjx.trigger(&mut command, ARCHIVED, true).await?;
    /// assert_eq!(command.msg(), Some("archived"));
    /// assert!(pbjx.trigger(&mut command, Stage::custom("unknown"), true).await.is_err());
    /// # Ok::<(), pbjx::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn trigger(
        &self,
        message: &mut dyn Message,
        stage: Stage,
        recursive: bool,
    ) -> Result<()> {
        if let Some(problem) = stage.problem(&self.inner.stages) {
            return Err(Error::InvalidArgument {
                message: format!("cannot trigger: {problem}"),
            });
        }
        self.trigger_at(message, &stage, 0, recursive).await
    }

    async fn trigger_at(
        &self,
        message: &mut dyn Message,
        stage: &Stage,
        depth: usize,
        recursive: bool,
    ) -> Result<()> {
        if depth > self.inner.max_recursion {
            return Err(Error::TooMuchRecursion {
                max: self.inner.max_recursion,
                schema: message.schema().id.to_owned(),
            });
        }
        if recursive && !message.is_frozen() {
            let schema = message.schema();
            for (index, field) in schema.fields.iter().enumerate() {
                if field.kind != FieldType::Message {
                    continue;
                }
                let count = message
                    .data()
                    .get_at(index)
                    .map_or(0, |stored| stored.values().count());
                // Index by position rather than holding `values_mut()` (a non-`Send` boxed
                // iterator) across the await: the exchange futures must stay `Send`.
                for position in 0..count {
                    let Some(stored) = message.data_mut().get_at_mut(index)? else {
                        break;
                    };
                    if let Some(Value::Message(nested)) = nth_value_mut(stored, position)
                        && !nested.is_frozen()
                    {
                        Box::pin(self.trigger_at(&mut **nested, stage, depth + 1, true)).await?;
                    }
                }
            }
        }
        let plan = self.inner.hooks.plan(message.schema(), stage);
        if plan.is_empty() {
            return Ok(());
        }
        let mut event = PbjxEvent::new(Slot::Mut(message), stage, depth, self, Reply::None);
        run_plan(&plan, &mut event).await
    }

    /// Runs `bind`, `validate` and `enrich` (each recursive) on an unfrozen message; a frozen
    /// message is left alone.
    pub async fn trigger_lifecycle(&self, message: &mut dyn Message) -> Result<()> {
        if message.is_frozen() || self.inner.hooks.is_empty() {
            return Ok(());
        }
        for stage in [&Stage::Bind, &Stage::Validate, &Stage::Enrich] {
            self.trigger_at(message, stage, 0, true).await?;
        }
        Ok(())
    }

    /// The message on its way to `send`, `publish` or `request` that
    /// [`Self::trigger_lifecycle`] has work to do on (copied first if it is shared); `None`
    /// when it has none, which is decided here without entering an async call.
    fn lifecycle_target<'m>(
        &self,
        message: &'m mut Arc<dyn Message>,
    ) -> Option<&'m mut dyn Message> {
        if message.is_frozen() || self.inner.hooks.is_empty() {
            return None;
        }
        Some(exclusive(message))
    }

    /// Copies context from `from` to `to` (see [`crate::context::copy_context`]).
    pub fn copy_context(&self, from: &dyn Message, to: &mut dyn Message) -> Result<()> {
        crate::context::copy_context(from, to)
    }

    /// Handles a frozen command in this process: `before_handle`, the handler, `after_handle`.
    /// Used by transports; applications call [`Self::send`].
    pub async fn receive_command(&self, command: Arc<dyn Message>) -> Result<()> {
        let schema = command.schema();
        let handler = self
            .inner
            .commands
            .get(schema.curie)
            .ok_or_else(|| Error::HandlerNotFound { curie: schema.curie.to_owned() })
            .inspect_err(|e| tracing::error!(error = %e, curie = schema.curie, "command could not be handled"))?;
        // Decided here, not in an async call: most exchanges have no hooks at these stages.
        let hooks = !self.inner.hooks.is_empty();
        if hooks {
            self.trigger_shared(&*command, &Stage::BeforeHandle).await?;
        }
        let result = catch_unwind(handler(command.clone(), self.clone())).await;
        if let Err(e) = &result {
            tracing::error!(error = %e, curie = schema.curie, "command handler failed");
        }
        result?;
        if hooks {
            self.trigger_shared(&*command, &Stage::AfterHandle).await?;
        }
        Ok(())
    }

    /// Runs the hooks of `stage` on a frozen message.
    async fn trigger_shared(&self, message: &dyn Message, stage: &Stage) -> Result<()> {
        let plan = self.inner.hooks.plan(message.schema(), stage);
        if plan.is_empty() {
            return Ok(());
        }
        let mut event = PbjxEvent::new(Slot::Shared(message), stage, 0, self, Reply::None);
        run_plan(&plan, &mut event).await
    }

    /// Delivers a frozen event to its subscribers in this process. A failing (or panicking)
    /// subscriber never stops the others: it yields an `event-execution-failed` event that is
    /// delivered the same way. Used by transports; applications call [`Self::publish`].
    pub async fn receive_event(&self, event: Arc<dyn Message>) -> Result<()> {
        let plan = self.inner.subscribers.plan(event.schema());
        let mut skip_name: Option<Arc<str>> = None;
        for delivery in plan.iter() {
            if skip_name
                .as_ref()
                .is_some_and(|n| Arc::ptr_eq(n, &delivery.name))
            {
                continue;
            }
            let Err(error) = catch_unwind((delivery.handler)(event.clone(), self.clone())).await
            else {
                continue;
            };
            tracing::error!(error = %error, curie = event.schema().curie, subscriber = &*delivery.name, "event subscriber failed");
            if event.schema().curie == failure::EVENT_EXECUTION_FAILED {
                // A failing failure handler stops the remaining subscribers of that name.
                skip_name = Some(delivery.name.clone());
                continue;
            }
            // Never let the failure report stop the remaining subscribers.
            match failure::event_execution_failed(&*event, &error) {
                Ok(failed) => Box::pin(self.receive_event(failed)).await?,
                Err(e) => {
                    tracing::error!(error = %e, curie = event.schema().curie, "could not build event-execution-failed");
                }
            }
        }
        Ok(())
    }

    /// Handles a frozen request in this process and returns the response; a missing or
    /// failing handler gives a `request-failed-response`. Used by transports.
    pub async fn receive_request(&self, request: Arc<dyn Message>) -> Box<dyn Message> {
        let curie = request.schema().curie;
        let result = match self.inner.requests.get(curie) {
            None => Err(Error::HandlerNotFound {
                curie: curie.to_owned(),
            }),
            Some(handler) => catch_unwind(handler(request.clone(), self.clone())).await,
        };
        match result {
            Ok(mut response) => {
                // Like the original's receiveRequest: the response always references its
                // request and carries its correlator and tenant (for every transport).
                if let Err(error) = link_response(&*request, &mut *response) {
                    tracing::warn!(error = %error, curie, "could not link the response to its request");
                }
                response
            }
            Err(error) => {
                tracing::error!(error = %error, curie, "request could not be handled");
                failure::request_failed_response(&*request, &error)
            }
        }
    }

    /// Schedules a command to be sent at `at` (must be in the future: a [`std::time::SystemTime`],
    /// a `jiff::Timestamp` or `chrono::DateTime` with the cargo features `jiff` / `chrono`, or
    /// [`SendAt::from_unix_seconds`]) through the scheduler; runs bind, validate and enrich
    /// first and returns the job id.
    ///
    /// ```no_run
    /// # async fn demo(pbjx: pbjx::Pbjx) -> pbjx::Result<()> {
    /// use std::time::{Duration, SystemTime};
    /// use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
    ///
    /// let in_an_hour = SystemTime::now() + Duration::from_secs(3600);
    /// let job = pbjx.send_at(CheckHealthV1::new(), in_an_hour, None).await?;
    /// # drop(job);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send_at(
        &self,
        command: impl Into<Arc<dyn Message>>,
        at: impl Into<SendAt>,
        job_id: Option<String>,
    ) -> Result<String> {
        let at = at.into();
        if at <= SendAt::now() {
            return Err(Error::InvalidArgument {
                message: format!("send_at requires a time in the future, got {at}"),
            });
        }
        let mut command = command.into();
        require(&*command, "send_at", mixins::COMMAND)?;
        let scheduler = self.scheduler()?.clone();
        if let Some(message) = self.lifecycle_target(&mut command) {
            self.trigger_lifecycle(message).await?;
        }
        let command = seal(command)?;
        scheduler.send_at(command, at, job_id).await
    }

    /// Cancels scheduled jobs through the scheduler.
    pub async fn cancel_jobs(&self, job_ids: Vec<String>) -> Result<()> {
        self.scheduler()?.cancel_jobs(job_ids).await
    }

    /// Runs the lifecycle on every unfrozen event, freezes them and appends them to `stream`
    /// in the event store if `expected` holds (atomically); returns their sequence numbers.
    pub async fn put_events(
        &self,
        stream: &crate::event_store::StreamId,
        events: Vec<Box<dyn Message>>,
        expected: crate::event_store::ExpectedState,
    ) -> Result<crate::event_store::Appended> {
        let store = self.event_store()?.clone();
        let mut sealed = Vec::with_capacity(events.len());
        for mut event in events {
            require(&*event, "put_events", mixins::EVENT)?;
            self.trigger_lifecycle(&mut *event).await?;
            sealed.push(seal(Arc::from(event))?);
        }
        store.put_events(stream, sealed, expected).await
    }

    /// The event store, or [`Error::NotConfigured`].
    pub fn event_store(&self) -> Result<&Arc<dyn EventStore>> {
        self.inner.event_store.as_ref().ok_or(Error::NotConfigured {
            service: "EventStore",
        })
    }

    /// The event search, or [`Error::NotConfigured`].
    pub fn event_search(&self) -> Result<&Arc<dyn EventSearch>> {
        self.inner
            .event_search
            .as_ref()
            .ok_or(Error::NotConfigured {
                service: "EventSearch",
            })
    }

    /// The scheduler, or [`Error::NotConfigured`].
    pub fn scheduler(&self) -> Result<&Arc<dyn Scheduler>> {
        self.inner.scheduler.as_ref().ok_or(Error::NotConfigured {
            service: "Scheduler",
        })
    }
}

/// Where a schema keeps the request context fields (each looked up once per schema and
/// thread instead of by name on every request).
#[derive(Clone, Copy)]
struct CtxSlots {
    request_ref: Option<usize>,
    request: Option<usize>,
    correlator_ref: Option<usize>,
    tenant_id: Option<usize>,
}

thread_local! {
    /// The [`CtxSlots`] of the schemas this thread used last.
    static CTX_SLOTS: pbj::schema::SchemaMemo<CtxSlots, 4> = const { pbj::schema::SchemaMemo::new() };
}

impl CtxSlots {
    fn find(schema: &Schema) -> Self {
        Self {
            request_ref: schema.field_index("ctx_request_ref"),
            request: schema.field_index("ctx_request"),
            correlator_ref: schema.field_index("ctx_correlator_ref"),
            tenant_id: schema.field_index("ctx_tenant_id"),
        }
    }

    fn of(schema: &'static Schema) -> Self {
        CTX_SLOTS.with(|memo| memo.get(schema, Self::find))
    }

    /// The pairs (response slot, request slot) of `ctx_correlator_ref` and `ctx_tenant_id`.
    fn copied(self, from: Self) -> [(Option<usize>, Option<usize>); 2] {
        [
            (self.correlator_ref, from.correlator_ref),
            (self.tenant_id, from.tenant_id),
        ]
    }
}

/// The single value stored at `index` of `message`, if any.
fn single_at(message: &dyn Message, index: Option<usize>) -> Option<&Value> {
    index
        .and_then(|i| message.data().get_at(i))
        .and_then(FieldValue::as_single)
}

/// Sets `ctx_request_ref` on the response and copies `ctx_correlator_ref` and `ctx_tenant_id`
/// from the request when it has them (the original's `SimpleRequestBus::receiveRequest`).
fn link_response(request: &dyn Message, response: &mut dyn Message) -> Result<()> {
    if response.is_frozen() {
        return Ok(());
    }
    let data = response.data_mut();
    let slots = CtxSlots::of(data.schema());
    if let Some(i) = slots.request_ref {
        data.set_at(i, request.generate_message_ref(None).into())?;
    }
    for (to, from) in slots.copied(CtxSlots::of(request.schema())) {
        if let Some(i) = to
            && let Some(value) = single_at(request, from)
        {
            data.set_at(i, value.clone())?;
        }
    }
    Ok(())
}

/// The value at `position` of a stored field (single, set, list or map), mutably.
fn nth_value_mut(stored: &mut FieldValue, position: usize) -> Option<&mut Value> {
    match stored {
        FieldValue::Single(v) => (position == 0).then_some(v),
        FieldValue::Set(v) | FieldValue::List(v) => v.get_mut(position),
        FieldValue::Map(m) => m.get_mut(position).map(|(_, v)| v),
    }
}

/// `response`, or [`Error::RequestHandlingFailed`] when it is a `request-failed-response`.
fn succeeded(response: Box<dyn Message>) -> Result<Box<dyn Message>> {
    if response.schema().curie == failure::REQUEST_FAILED_RESPONSE {
        return Err(Error::RequestHandlingFailed {
            response: Arc::from(response),
        });
    }
    Ok(response)
}

/// Fills the response's request context when absent: `ctx_request_ref`,
/// `ctx_correlator_ref`, `ctx_tenant_id` and `ctx_request`, which takes the request itself
/// when nobody else holds it (else a copy, see [`pbj::into_box`]).
fn attach_request(request: Arc<dyn Message>, response: &mut dyn Message) -> Result<()> {
    if response.is_frozen() {
        return Ok(());
    }
    let data = response.data_mut();
    let slots = CtxSlots::of(data.schema());
    let unset = |data: &pbj::MessageData, i: usize| data.get_at(i).is_none_or(FieldValue::is_empty);
    if let Some(i) = slots.request_ref
        && unset(data, i)
    {
        data.set_at(i, request.generate_message_ref(None).into())?;
    }
    for (to, from) in slots.copied(CtxSlots::of(request.schema())) {
        if let Some(i) = to
            && unset(data, i)
            && let Some(value) = single_at(&*request, from)
        {
            data.set_at(i, value.clone())?;
        }
    }
    if let Some(i) = slots.request
        && unset(data, i)
    {
        data.set_at(i, pbj::into_box(request).into())?;
    }
    Ok(())
}
