//! Lifecycle hooks: stages, selectors, the event handed to hooks, and the per-schema dispatch
//! plan.
//!
//! For a message and a stage, hooks run in the original's event-name order:
//! every message (`gdbots_pbjx.message.{stage}`), then each mixin as the schema lists it
//! (curie major, then curie), then the message's curie major, then its curie. Within one name,
//! higher priority first, then registration order.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::{Arc, LazyLock, RwLock};

use pbj::{Message, MessageType, Schema, SchemaCurie};

use crate::Pbjx;
use crate::error::{Error, Result};
use rustc_hash::FxHashMap;

pub use futures_core::future::BoxFuture;

/// A lifecycle stage: the suffix of the original's event names (`gdbots_pbjx.message.bind`).
///
/// The six built-in stages are run by the exchange; a custom stage (e.g. `updated`) is run by
/// the application with [`Pbjx::trigger`] and must be declared with
/// [`crate::PbjxBuilder::declare_stage`]. A hook for an undeclared or malformed custom stage is
/// rejected by [`crate::PbjxBuilder::build`], so a typo never leaves a hook silently unused.
///
/// ```
/// use pbjx::{Pbjx, Selector, Stage};
///
/// const UPDATED: Stage = Stage::custom("updated");
/// assert_eq!(Stage::Validate.as_str(), "validate");
/// assert_eq!(".bind.".parse::<Stage>()?, Stage::Bind);
///
/// let ok = Pbjx::builder()
///     .declare_stage(UPDATED)
///     .hook(UPDATED, Selector::all(), |_event| Ok(()))
///     .build();
/// assert!(ok.is_ok());
/// let typo = Pbjx::builder()
///     .hook(Stage::custom("upated"), Selector::all(), |_event| Ok(()))
///     .build();
/// assert!(matches!(typo, Err(pbjx::Error::Registration { .. })));
/// # Ok::<(), pbjx::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// Cheap environment data (ip, user agent, input).
    Bind,
    /// Business rules, permissions, optimistic checks; an error stops the exchange.
    Validate,
    /// Expensive additions once the message is accepted.
    Enrich,
    /// Before a handler runs (a request hook may answer with a response).
    BeforeHandle,
    /// After a handler ran.
    AfterHandle,
    /// A response was created.
    Created,
    /// An application-defined stage (lower-case ASCII letters, digits and `_`, starting with a
    /// letter), checked at build; build it with [`Stage::custom`].
    Custom(Cow<'static, str>),
}

/// The built-in stages, by name.
const BUILT_IN: [(&str, Stage); 6] = [
    ("bind", Stage::Bind),
    ("validate", Stage::Validate),
    ("enrich", Stage::Enrich),
    ("before_handle", Stage::BeforeHandle),
    ("after_handle", Stage::AfterHandle),
    ("created", Stage::Created),
];

impl Stage {
    /// A custom stage. It is checked when the exchange is built (and when triggered): it must
    /// be declared, well formed and not the name of a built-in stage.
    pub const fn custom(name: &'static str) -> Self {
        Stage::Custom(Cow::Borrowed(name))
    }

    /// The stage name, e.g. `before_handle`.
    pub fn as_str(&self) -> &str {
        match self {
            Stage::Bind => "bind",
            Stage::Validate => "validate",
            Stage::Enrich => "enrich",
            Stage::BeforeHandle => "before_handle",
            Stage::AfterHandle => "after_handle",
            Stage::Created => "created",
            Stage::Custom(name) => name,
        }
    }

    fn built_in(name: &str) -> Option<Stage> {
        BUILT_IN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, stage)| stage.clone())
    }

    /// Why this stage cannot be used (as a custom stage), if it cannot.
    fn custom_problem(&self) -> Option<String> {
        let Stage::Custom(name) = self else {
            return None;
        };
        if let Some(built_in) = Stage::built_in(name) {
            return Some(format!(
                "custom stage [{name}] is the built-in Stage::{built_in:?}: use that instead"
            ));
        }
        if !is_stage_name(name) {
            return Some(format!(
                "custom stage [{name}] is not valid: use lower-case ASCII letters, digits and `_`, \
                 starting with a letter"
            ));
        }
        None
    }

    /// Why a hook or trigger cannot use this stage, given the declared custom stages.
    pub(crate) fn problem(&self, declared: &[Stage]) -> Option<String> {
        self.custom_problem().or_else(|| {
            (matches!(self, Stage::Custom(_)) && !declared.contains(self)).then(|| {
                format!(
                    "custom stage [{}] is not declared (PbjxBuilder::declare_stage)",
                    self.as_str()
                )
            })
        })
    }

    /// Why this stage cannot be declared as a custom stage, if it cannot.
    pub(crate) fn declaration_problem(&self) -> Option<String> {
        match self {
            Stage::Custom(_) => self.custom_problem(),
            built_in => Some(format!(
                "Stage::{built_in:?} is built in and needs no declaration"
            )),
        }
    }
}

/// `[a-z][a-z0-9_]*`, at most 64 bytes: the shape of every original suffix.
fn is_stage_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() <= 64
        && bytes.first().is_some_and(u8::is_ascii_lowercase)
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Stage {
    type Err = Error;

    /// Parses a stage name; surrounding dots are trimmed like the original (`.bind.`).
    fn from_str(s: &str) -> Result<Self> {
        let name = s.trim_matches('.');
        if let Some(stage) = Stage::built_in(name) {
            return Ok(stage);
        }
        let stage = Stage::Custom(Cow::Owned(name.to_owned()));
        match stage.custom_problem() {
            None => Ok(stage),
            Some(problem) => Err(Error::InvalidArgument { message: problem }),
        }
    }
}

/// Which messages a hook applies to: every message, a message type, or a mixin.
///
/// The typed forms name what a generated type stands for (one major version); the string
/// forms take a curie (`acme:blog:command:publish-article`) or a curie major (`...:v1`) for
/// dynamic cases and are checked by [`crate::PbjxBuilder::build`].
///
/// ```
/// use pbjx::Selector;
/// use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
///
/// assert_eq!(Selector::all().name(), "gdbots_pbjx.message");
/// assert_eq!(Selector::of::<CheckHealthV1>().name(), "gdbots:pbjx:command:check-health:v1");
/// assert_eq!(
///     Selector::mixin_curie("gdbots:pbjx:mixin:command").name(),
///     "gdbots:pbjx:mixin:command"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Selector {
    target: Target,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Target {
    All,
    Mixin(Cow<'static, str>),
    Message(Cow<'static, str>),
}

impl Selector {
    /// Every message (`gdbots_pbjx.message.{stage}`).
    pub const fn all() -> Self {
        Self {
            target: Target::All,
        }
    }

    /// Messages of the generated type `T` (its curie major).
    pub const fn of<T: MessageType>() -> Self {
        Self {
            target: Target::Message(Cow::Borrowed(T::SCHEMA.curie_major)),
        }
    }

    /// Messages using the mixin `M` (a generated mixin marker; its curie major).
    ///
    /// ```
    /// use pbjx::Selector;
    ///
    /// struct Command;
    /// impl pbjx::pbj::Mixin for Command {
    ///     const CURIE: &'static str = "gdbots:pbjx:mixin:command";
    ///     const CURIE_MAJOR: &'static str = "gdbots:pbjx:mixin:command:v1";
    /// }
    /// assert_eq!(Selector::mixin::<Command>().name(), "gdbots:pbjx:mixin:command:v1");
    /// ```
    pub const fn mixin<M: pbj::Mixin>() -> Self {
        Self {
            target: Target::Mixin(Cow::Borrowed(M::CURIE_MAJOR)),
        }
    }

    /// Messages using a mixin given by curie or curie major (`gdbots:pbjx:mixin:command`).
    pub fn mixin_curie(curie: impl Into<Cow<'static, str>>) -> Self {
        Self {
            target: Target::Mixin(curie.into()),
        }
    }

    /// One message, by curie or curie major (`acme:blog:command:publish-article:v1`).
    pub fn curie(curie: impl Into<Cow<'static, str>>) -> Self {
        Self {
            target: Target::Message(curie.into()),
        }
    }

    /// The original's event-name prefix (`gdbots_pbjx.message`, or the curie).
    pub fn name(&self) -> &str {
        match &self.target {
            Target::All => "gdbots_pbjx.message",
            Target::Mixin(s) | Target::Message(s) => s,
        }
    }

    /// Why this selector can never match, if it cannot.
    pub(crate) fn problem(&self) -> Option<String> {
        let (name, mixin) = match &self.target {
            Target::All => return None,
            Target::Mixin(name) => (name, true),
            Target::Message(name) => (name, false),
        };
        match SchemaCurie::parse(without_major(name)) {
            Ok(curie) if curie.is_mixin() == mixin => None,
            Ok(_) if mixin => Some(format!(
                "hook selector [{name}] is not a mixin: use Selector::curie"
            )),
            Ok(_) => Some(format!(
                "hook selector [{name}] is a mixin: use Selector::mixin_curie"
            )),
            Err(_) => Some(format!(
                "hook selector [{name}] is not a curie or curie major \
                 (`vendor:package:category:message[:vN]`; wildcards only apply to subscribers)"
            )),
        }
    }
}

/// `a:b:c:d` for `a:b:c:d:v1`; anything else unchanged.
fn without_major(name: &str) -> &str {
    match name.rsplit_once(':') {
        Some((curie, major))
            if curie.matches(':').count() == 3
                && major.len() > 1
                && major.starts_with('v')
                && major[1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            curie
        }
        _ => name,
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The message a hook sees: mutable while unfrozen (bind/validate/enrich), shared afterwards.
pub(crate) enum Slot<'a> {
    Mut(&'a mut dyn Message),
    Shared(&'a dyn Message),
}

/// The response side of a hook event.
pub(crate) enum Reply<'a> {
    /// No response is involved.
    None,
    /// A request's `before_handle`: a hook may answer.
    Answer(&'a mut Option<Box<dyn Message>>),
    /// `after_handle` on a request and `created` on its response: the response.
    Created(&'a dyn Message),
}

/// What a hook receives: the message, the stage, the recursion depth, the state of the
/// builder the hook was registered on (see [`crate::PbjxBuilder::with_state`]) and for
/// requests the response.
///
/// ```
/// use pbjx::{Pbjx, Selector, Stage};
/// use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let pbjx = Pbjx::builder()
///     .with_state(String::from("pbjx-docs/1.0"))
///     .on_bind(Selector::of::<CheckHealthV1>(), |event| {
///         assert_eq!((event.stage(), event.depth()), (&Stage::Bind, 0));
///         let user_agent = event.state().clone();
///         if let Some(message) = event.message_mut() {
///             message.data_mut().set("ctx_ua", user_agent)?;
///         }
///         Ok(())
///     })
///     .build()?;
/// let mut command = CheckHealthV1::new();
/// pbjx.trigger_lifecycle(&mut command).await?;
/// assert_eq!(command.ctx_ua(), Some("pbjx-docs/1.0"));
/// # Ok::<(), pbjx::Error>(())
/// # }).unwrap();
/// ```
pub struct PbjxEvent<'a, S = ()> {
    slot: Slot<'a>,
    stage: &'a Stage,
    depth: usize,
    pbjx: &'a Pbjx,
    selector: &'a str,
    reply: Reply<'a>,
    state: &'a S,
}

impl<'a> PbjxEvent<'a> {
    pub(crate) fn new(
        slot: Slot<'a>,
        stage: &'a Stage,
        depth: usize,
        pbjx: &'a Pbjx,
        reply: Reply<'a>,
    ) -> Self {
        Self {
            slot,
            stage,
            depth,
            pbjx,
            selector: "",
            reply,
            state: &(),
        }
    }

    /// The same event for one hook: selected by `selector`, with the hook's `state`.
    fn scoped<'b, T>(&'b mut self, selector: &'b str, state: &'b T) -> PbjxEvent<'b, T> {
        PbjxEvent {
            slot: match &mut self.slot {
                Slot::Mut(message) => Slot::Mut(&mut **message),
                Slot::Shared(message) => Slot::Shared(*message),
            },
            stage: self.stage,
            depth: self.depth,
            pbjx: self.pbjx,
            selector,
            reply: match &mut self.reply {
                Reply::None => Reply::None,
                Reply::Answer(answer) => Reply::Answer(answer),
                Reply::Created(response) => Reply::Created(*response),
            },
            state,
        }
    }
}

impl<'a, S> PbjxEvent<'a, S> {
    /// The message.
    pub fn message(&self) -> &dyn Message {
        match &self.slot {
            Slot::Mut(m) => &**m,
            Slot::Shared(m) => *m,
        }
    }

    /// The message, mutably, when it is not frozen (always during bind, validate and enrich).
    pub fn message_mut(&mut self) -> Option<&mut dyn Message> {
        match &mut self.slot {
            Slot::Mut(m) if !m.is_frozen() => Some(&mut **m),
            _ => None,
        }
    }

    /// The lifecycle stage, e.g. [`Stage::Bind`].
    pub fn stage(&self) -> &Stage {
        self.stage
    }

    /// The name this hook was selected by (`gdbots_pbjx.message`, a mixin or a curie).
    pub fn selector(&self) -> &str {
        self.selector
    }

    /// 0 for the message being exchanged, 1 for messages nested in it, and so on.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Whether this is the message being exchanged (not a nested one).
    pub fn is_root(&self) -> bool {
        self.depth == 0
    }

    /// The exchange, e.g. to send follow-up messages.
    pub fn pbjx(&self) -> &Pbjx {
        self.pbjx
    }

    /// The state of the builder this hook was registered on ([`crate::PbjxBuilder::with_state`];
    /// `()` without one). It is borrowed for the whole event, independently of the message.
    pub fn state(&self) -> &'a S {
        self.state
    }

    /// The response of a request (`after_handle` on the request, `created` on the response, or
    /// the one a `before_handle` hook answered with).
    pub fn response(&self) -> Option<&dyn Message> {
        match &self.reply {
            Reply::None => None,
            Reply::Answer(answer) => answer.as_deref(),
            Reply::Created(response) => Some(*response),
        }
    }

    /// Answers a request from a `before_handle` hook: the handler does not run and the
    /// response is returned as is (e.g. from a cache). Only possible once, and only in a
    /// request's `before_handle`.
    pub fn set_response(&mut self, response: Box<dyn Message>) -> Result<()> {
        match &mut self.reply {
            Reply::Answer(answer) if answer.is_none() => {
                **answer = Some(response);
                Ok(())
            }
            Reply::Answer(_) => Err(Error::InvalidArgument {
                message: "a response can only be set one time".into(),
            }),
            _ => Err(Error::InvalidArgument {
                message: format!(
                    "a response can only be set in a request's before_handle hook, not in [{}]",
                    self.stage
                ),
            }),
        }
    }

    /// Whether a `before_handle` hook already answered the request.
    pub fn has_response(&self) -> bool {
        matches!(&self.reply, Reply::Answer(Some(_)))
    }
}

/// An async lifecycle hook: implemented for every async closure and `async fn` taking
/// `&mut PbjxEvent<'_, S>` and returning [`crate::Result<()>`] whose future is `Send` (register
/// them with [`crate::PbjxBuilder::async_hook`]); there is no need to implement it by hand.
///
/// The future may borrow the event (and so the message and the state) for as long as it
/// runs. Why the closure cannot capture anything by reference: stable Rust cannot require the
/// future of a general `AsyncFn` to be `Send`, so the hook is bound as a `Fn` whose future is
/// `Send`, which an async closure implements only when its future does not borrow the
/// closure's own captures. Shared data comes in as the builder's state instead
/// ([`PbjxEvent::state`]).
pub trait AsyncHookFn<'a, S: 'a>: Send + Sync + 'static {
    /// The hook's future.
    type Future: Future<Output = Result<()>> + Send + 'a;
    /// Starts the hook.
    fn call(&self, event: &'a mut PbjxEvent<'a, S>) -> Self::Future;
}

impl<'a, S: 'a, F, Fut> AsyncHookFn<'a, S> for F
where
    F: Fn(&'a mut PbjxEvent<'a, S>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<()>> + Send + 'a,
{
    type Future = Fut;

    fn call(&self, event: &'a mut PbjxEvent<'a, S>) -> Fut {
        self(event)
    }
}

/// A synchronous hook with its state erased.
type SyncHook = dyn Fn(&mut PbjxEvent<'_>, &str) -> Result<()> + Send + Sync;

/// An async hook with its state erased.
pub(crate) trait ErasedAsyncHook: Send + Sync {
    fn call<'a>(
        &'a self,
        event: &'a mut PbjxEvent<'_>,
        selector: &'a str,
    ) -> BoxFuture<'a, Result<()>>;
}

struct AsyncHook<F, S> {
    hook: F,
    state: Arc<S>,
}

impl<F, S> ErasedAsyncHook for AsyncHook<F, S>
where
    S: Send + Sync + 'static,
    F: for<'x> AsyncHookFn<'x, S>,
{
    fn call<'a>(
        &'a self,
        event: &'a mut PbjxEvent<'_>,
        selector: &'a str,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut scoped = event.scoped(selector, &*self.state);
            self.hook.call(&mut scoped).await
        })
    }
}

/// A registered hook body.
#[derive(Clone)]
pub(crate) enum HookFn {
    Sync(Arc<SyncHook>),
    Async(Arc<dyn ErasedAsyncHook>),
}

impl HookFn {
    /// A synchronous hook receiving `state`.
    pub(crate) fn sync<S, F>(state: Arc<S>, hook: F) -> Self
    where
        S: Send + Sync + 'static,
        F: Fn(&mut PbjxEvent<'_, S>) -> Result<()> + Send + Sync + 'static,
    {
        HookFn::Sync(Arc::new(
            move |event: &mut PbjxEvent<'_>, selector: &str| {
                hook(&mut event.scoped(selector, &*state))
            },
        ))
    }

    /// An async hook receiving `state`.
    pub(crate) fn asynchronous<S, F>(state: Arc<S>, hook: F) -> Self
    where
        S: Send + Sync + 'static,
        F: for<'x> AsyncHookFn<'x, S>,
    {
        HookFn::Async(Arc::new(AsyncHook { hook, state }))
    }
}

/// One registration.
#[derive(Clone)]
pub(crate) struct HookEntry {
    pub(crate) priority: i32,
    pub(crate) order: usize,
    pub(crate) selector: Arc<str>,
    pub(crate) body: HookFn,
}

/// Resolved hook plans of one schema, by stage.
type PlansByStage = Vec<(Stage, Arc<[HookEntry]>)>;

/// Every hook, by stage then selector name, plus a per-schema cache of the resolved order.
#[derive(Default)]
pub(crate) struct Hooks {
    by_stage: FxHashMap<Stage, HashMap<String, Vec<HookEntry>>>,
    count: usize,
    plans: RwLock<FxHashMap<usize, PlansByStage>>,
}

/// The plan of a schema/stage pair without hooks (shared, never allocated per call).
static NO_HOOKS: LazyLock<Arc<[HookEntry]>> = LazyLock::new(|| Arc::from(Vec::new()));

impl Hooks {
    pub(crate) fn add(&mut self, stage: Stage, selector: &Selector, priority: i32, body: HookFn) {
        let name = selector.name().to_owned();
        let entry = HookEntry {
            priority,
            order: self.count,
            selector: Arc::from(name.as_str()),
            body,
        };
        self.count += 1;
        self.by_stage
            .entry(stage)
            .or_default()
            .entry(name)
            .or_default()
            .push(entry);
    }

    /// Every stage that has hooks.
    pub(crate) fn stages(&self) -> impl Iterator<Item = &Stage> {
        self.by_stage.keys()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The ordered hooks for `schema` and `stage` (cached).
    pub(crate) fn plan(&self, schema: &'static Schema, stage: &Stage) -> Arc<[HookEntry]> {
        let Some(names) = self.by_stage.get(stage) else {
            return NO_HOOKS.clone();
        };
        let key_ptr = schema as *const Schema as usize;
        if let Ok(plans) = self.plans.read()
            && let Some(p) = plans
                .get(&key_ptr)
                .and_then(|by_stage| by_stage.iter().find(|(s, _)| s == stage))
        {
            return p.1.clone();
        }
        let mut out = Vec::new();
        let mut push = |name: &str| {
            if let Some(list) = names.get(name) {
                let mut list = list.clone();
                list.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.order.cmp(&b.order)));
                out.extend(list);
            }
        };
        push(Selector::all().name());
        for mixin in schema.mixins {
            push(mixin);
        }
        push(schema.curie_major);
        push(schema.curie);
        let plan: Arc<[HookEntry]> = Arc::from(out);
        if let Ok(mut plans) = self.plans.write() {
            let by_stage = plans.entry(key_ptr).or_default();
            if !by_stage.iter().any(|(s, _)| s == stage) {
                by_stage.push((stage.clone(), plan.clone()));
            }
        }
        plan
    }
}

/// Runs `plan` on `event`, stopping at the first error (or once a request is answered).
pub(crate) async fn run_plan(plan: &[HookEntry], event: &mut PbjxEvent<'_>) -> Result<()> {
    for entry in plan {
        match &entry.body {
            HookFn::Sync(hook) => hook(event, &entry.selector)?,
            HookFn::Async(hook) => hook.call(event, &entry.selector).await?,
        }
        if event.has_response() {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_names() {
        for (name, stage) in BUILT_IN {
            assert_eq!(stage.as_str(), name);
            assert_eq!(name.parse::<Stage>().ok(), Some(stage));
        }
        assert_eq!(
            "..updated.".parse::<Stage>().ok(),
            Some(Stage::custom("updated"))
        );
        for bad in ["", ".", "Updated", "up dated", "1st", "a-b", "é"] {
            assert!(bad.parse::<Stage>().is_err(), "{bad:?}");
        }
        assert!(is_stage_name(&"a".repeat(64)) && !is_stage_name(&"a".repeat(65)));
    }

    #[test]
    fn curie_major_suffix() {
        assert_eq!(without_major("a:b:c:d:v12"), "a:b:c:d");
        assert_eq!(without_major("a:b:c:d"), "a:b:c:d");
        assert_eq!(without_major("a:b:c:v1"), "a:b:c:v1");
        assert_eq!(without_major("a:b:c:d:v"), "a:b:c:d:v");
        assert_eq!(without_major("a:b:c:d:vx"), "a:b:c:d:vx");
    }
}
