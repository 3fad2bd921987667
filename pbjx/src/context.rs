//! Copying exchange context from one message to another (the original's `copyContext`).

use pbj::Message;

use crate::error::Result;

/// Fields copied as they are.
const COPIED: [&str; 7] = [
    "ctx_tenant_id",
    "ctx_correlator_ref",
    "ctx_user_ref",
    "ctx_ip",
    "ctx_ipv6",
    "ctx_ua",
    "ctx_msg",
];

/// Copies context from `from` to `to`, only into fields `to` has and has not set:
/// `ctx_causator_ref` becomes a reference to `from`; `ctx_app` and `ctx_cloud` become copies of
/// `from`'s; `ctx_tenant_id`, `ctx_correlator_ref`, `ctx_user_ref`, `ctx_ip`, `ctx_ipv6`, `ctx_ua`
/// and `ctx_msg` are copied. Nothing happens when `to` is frozen.
pub fn copy_context(from: &dyn Message, to: &mut dyn Message) -> Result<()> {
    if to.is_frozen() {
        return Ok(());
    }
    let target = to.data_mut();
    let wants = |name: &str, target: &pbj::MessageData| {
        target.schema().field(name).is_some() && !target.has(name)
    };
    if wants("ctx_causator_ref", target) {
        target.set("ctx_causator_ref", from.generate_message_ref(None))?;
    }
    for name in ["ctx_app", "ctx_cloud"] {
        if wants(name, target)
            && let Some(pbj::Value::Message(m)) = from.data().get_single(name)
        {
            target.set(name, pbj::Value::Message(m.clone_unfrozen()))?;
        }
    }
    for name in COPIED {
        if wants(name, target)
            && let Some(value) = from.data().get_single(name)
        {
            target.set(name, value.clone())?;
        }
    }
    Ok(())
}
