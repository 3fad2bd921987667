//! Lifecycle hooks: selectors, the event handed to hooks, and the per-schema dispatch plan.
//!
//! For a message and a suffix, hooks run in the original's event-name order:
//! every message (`gdbots_pbjx.message.{suffix}`), then each mixin as the schema lists it
//! (curie major, then curie), then the message's curie major, then its curie. Within one name,
//! higher priority first, then registration order.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, RwLock};

use pbj::{Message, Schema};

use crate::Pbjx;
use crate::error::{Error, Result};
use crate::fasthash::FxHashMap;

/// A boxed, sendable future (the return type of async hooks and handlers).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Well-known lifecycle suffixes.
pub mod suffix {
    /// Cheap environment data (ip, user agent, input).
    pub const BIND: &str = "bind";
    /// Business rules, permissions, optimistic checks; an error stops the exchange.
    pub const VALIDATE: &str = "validate";
    /// Expensive additions once the message is accepted.
    pub const ENRICH: &str = "enrich";
    /// Before a handler runs (a request hook may answer with a response).
    pub const BEFORE_HANDLE: &str = "before_handle";
    /// After a handler ran.
    pub const AFTER_HANDLE: &str = "after_handle";
    /// A response was created.
    pub const CREATED: &str = "created";
}

/// Which messages a hook applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Selector {
    /// Every message (`gdbots_pbjx.message.{suffix}`).
    All,
    /// Messages using a mixin, by curie (`gdbots:pbjx:mixin:command`) or curie major
    /// (`gdbots:pbjx:mixin:command:v1`).
    Mixin(String),
    /// One message, by curie major (`acme:blog:command:publish-article:v1`) or curie.
    Message(String),
}

impl Selector {
    /// Every message.
    pub fn all() -> Self {
        Selector::All
    }
    /// Messages using the mixin (curie or curie major).
    pub fn mixin(mixin: impl Into<String>) -> Self {
        Selector::Mixin(mixin.into())
    }
    /// One message (curie or curie major).
    pub fn message(curie: impl Into<String>) -> Self {
        Selector::Message(curie.into())
    }
    /// The original's event-name prefix (`gdbots_pbjx.message`, or the curie).
    pub fn name(&self) -> &str {
        match self {
            Selector::All => "gdbots_pbjx.message",
            Selector::Mixin(s) | Selector::Message(s) => s,
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The message a hook sees: mutable while unfrozen (bind/validate/enrich), shared afterwards.
enum Slot<'a> {
    Mut(&'a mut dyn Message),
    Shared(&'a dyn Message),
}

/// What a hook receives: the message, the suffix, the recursion depth, and for requests the
/// response.
pub struct PbjxEvent<'a> {
    slot: Slot<'a>,
    suffix: &'a str,
    depth: usize,
    pbjx: &'a Pbjx,
    pub(crate) response: Option<Box<dyn Message>>,
    pub(crate) created_response: Option<&'a dyn Message>,
    pub(crate) can_respond: bool,
    selector: Arc<str>,
}

impl<'a> PbjxEvent<'a> {
    pub(crate) fn new_mut(
        message: &'a mut dyn Message,
        suffix: &'a str,
        depth: usize,
        pbjx: &'a Pbjx,
    ) -> Self {
        Self {
            slot: Slot::Mut(message),
            suffix,
            depth,
            pbjx,
            response: None,
            created_response: None,
            can_respond: false,
            selector: Arc::from(""),
        }
    }

    pub(crate) fn new_shared(message: &'a dyn Message, suffix: &'a str, pbjx: &'a Pbjx) -> Self {
        Self {
            slot: Slot::Shared(message),
            suffix,
            depth: 0,
            pbjx,
            response: None,
            created_response: None,
            can_respond: false,
            selector: Arc::from(""),
        }
    }

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

    /// The lifecycle suffix, e.g. `bind`.
    pub fn suffix(&self) -> &str {
        self.suffix
    }

    /// The name this hook was selected by (`gdbots_pbjx.message`, a mixin or a curie).
    pub fn selector(&self) -> &str {
        &self.selector
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

    /// The response of a request (`after_handle` on the request, `created` on the response).
    pub fn response(&self) -> Option<&dyn Message> {
        self.created_response.or(self.response.as_deref())
    }

    /// Answers a request from a `before_handle` hook: the handler does not run and the
    /// response is returned as is (e.g. from a cache). Only possible once, and only in a
    /// request's `before_handle`.
    pub fn set_response(&mut self, response: Box<dyn Message>) -> Result<()> {
        if !self.can_respond {
            return Err(Error::InvalidArgument {
                message: format!(
                    "a response can only be set in a request's before_handle hook, not in [{}]",
                    self.suffix
                ),
            });
        }
        if self.response.is_some() {
            return Err(Error::InvalidArgument {
                message: "a response can only be set one time".into(),
            });
        }
        self.response = Some(response);
        Ok(())
    }

    /// Whether a `before_handle` hook already answered the request.
    pub fn has_response(&self) -> bool {
        self.response.is_some()
    }
}

/// An asynchronous hook. Synchronous closures are registered with [`crate::PbjxBuilder::hook`].
pub trait Hook: Send + Sync + 'static {
    /// Runs the hook; an error stops the exchange.
    fn call<'a>(&'a self, event: &'a mut PbjxEvent<'_>) -> BoxFuture<'a, Result<()>>;
}

type SyncHook = dyn Fn(&mut PbjxEvent<'_>) -> Result<()> + Send + Sync;

/// A registered hook body.
#[derive(Clone)]
pub(crate) enum HookFn {
    Sync(Arc<SyncHook>),
    Async(Arc<dyn Hook>),
}

/// One registration.
#[derive(Clone)]
pub(crate) struct HookEntry {
    pub(crate) priority: i32,
    pub(crate) order: usize,
    pub(crate) selector: Arc<str>,
    pub(crate) body: HookFn,
}

/// Resolved hook plans of one schema, by suffix.
type PlansBySuffix = Vec<(String, Arc<[HookEntry]>)>;

/// Every hook, by suffix then selector name, plus a per-schema cache of the resolved order.
#[derive(Default)]
pub(crate) struct Hooks {
    by_name: HashMap<String, HashMap<String, Vec<HookEntry>>>,
    count: usize,
    plans: RwLock<FxHashMap<usize, PlansBySuffix>>,
}

/// The plan of a schema/suffix pair without hooks (shared, never allocated per call).
static NO_HOOKS: LazyLock<Arc<[HookEntry]>> = LazyLock::new(|| Arc::from(Vec::new()));

impl Hooks {
    pub(crate) fn add(&mut self, suffix: &str, selector: &Selector, priority: i32, body: HookFn) {
        let suffix = suffix.trim_matches('.').to_owned();
        let name = selector.name().to_owned();
        let selector: Arc<str> = Arc::from(name.as_str());
        let entry = HookEntry {
            priority,
            order: self.count,
            selector,
            body,
        };
        self.count += 1;
        self.by_name
            .entry(suffix)
            .or_default()
            .entry(name)
            .or_default()
            .push(entry);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The ordered hooks for `schema` and `suffix` (cached).
    pub(crate) fn plan(&self, schema: &'static Schema, suffix: &str) -> Arc<[HookEntry]> {
        if self.count == 0 || !self.by_name.contains_key(suffix) {
            return NO_HOOKS.clone();
        }
        let key_ptr = schema as *const Schema as usize;
        if let Ok(plans) = self.plans.read()
            && let Some(p) = plans
                .get(&key_ptr)
                .and_then(|by_suffix| by_suffix.iter().find(|(s, _)| s == suffix))
        {
            return p.1.clone();
        }
        let plan: Arc<[HookEntry]> = match self.by_name.get(suffix) {
            None => Arc::from(Vec::new()),
            Some(names) => {
                let mut out = Vec::new();
                let mut push = |name: &str| {
                    if let Some(list) = names.get(name) {
                        let mut list = list.clone();
                        list.sort_by(|a, b| {
                            b.priority.cmp(&a.priority).then(a.order.cmp(&b.order))
                        });
                        out.extend(list);
                    }
                };
                push(Selector::All.name());
                for mixin in schema.mixins {
                    push(mixin);
                }
                push(schema.curie_major);
                push(schema.curie);
                Arc::from(out)
            }
        };
        if let Ok(mut plans) = self.plans.write() {
            let by_suffix = plans.entry(key_ptr).or_default();
            if !by_suffix.iter().any(|(s, _)| s == suffix) {
                by_suffix.push((suffix.to_owned(), plan.clone()));
            }
        }
        plan
    }
}

/// Runs `plan` on `event`, stopping at the first error (or once a request is answered).
pub(crate) async fn run_plan(plan: &[HookEntry], event: &mut PbjxEvent<'_>) -> Result<()> {
    for entry in plan {
        event.selector = entry.selector.clone();
        match &entry.body {
            HookFn::Sync(f) => f(event)?,
            HookFn::Async(h) => h.call(event).await?,
        }
        if event.can_respond && event.response.is_some() {
            break;
        }
    }
    Ok(())
}
