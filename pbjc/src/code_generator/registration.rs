//! The root `register` function.

use super::Ctx;
use super::naming::{message_type, screaming};
use crate::model::SchemaDecl;

/// `pub fn register(registry: &mut pbj::Registry)` registering every generated message.
pub(crate) fn render(ctx: &Ctx<'_>, messages: &[&SchemaDecl]) -> String {
    let arg = if messages.is_empty() {
        "_registry"
    } else {
        "registry"
    };
    let mut out = format!(
        "/// Registers every message type of this file in `registry`.\npub fn register({arg}: &mut pbj::Registry) {{\n"
    );
    for s in messages {
        let major = s.id.version().major;
        let ty = ctx.schema_item_path(&[], s, &message_type(s.id.message(), major));
        let statik = ctx.schema_item_path(
            &[],
            s,
            &format!("{}_V{major}_SCHEMA", screaming(s.id.message())),
        );
        out.push_str(&format!(
            "    registry.register(&{statik}, |data| {{\n        Box::new(<{ty} as pbj::MessageType>::from_data(data))\n    }});\n"
        ));
    }
    out.push_str("}\n");
    out
}
