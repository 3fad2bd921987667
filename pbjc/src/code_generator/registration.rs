//! Registration: a `register` function per package module, and at the root `register` (every
//! package of this store) plus `registry()`, the store's lazily built registry that generated
//! types' `MessageType::registry` return (extern stores included).

use std::collections::BTreeSet;

use super::Ctx;
use super::naming::message_type;
use crate::model::SchemaDecl;

/// `pub fn register(registry)` of one package module, registering `messages` (its own and
/// its categories'); `from` is the package module.
pub(crate) fn render_package(ctx: &Ctx<'_>, messages: &[&SchemaDecl], from: &[String]) -> String {
    let pbj = ctx.pbj();
    let arg = if messages.is_empty() {
        "_registry"
    } else {
        "registry"
    };
    let mut out = format!(
        "/// Registers every message type of this package in `registry`.\npub fn register({arg}: &mut {pbj}::Registry) {{\n"
    );
    for s in messages {
        let ty = ctx.schema_item_path(from, s, &message_type(s.id.message(), s.id.version().major));
        out.push_str(&format!("    registry.register_type::<{ty}>();\n"));
    }
    out.push_str("}\n");
    out
}

/// The root `register` (the generated packages, given as module paths) and `registry`.
pub(crate) fn render_root(ctx: &Ctx<'_>, packages: &[String]) -> String {
    let pbj = ctx.pbj();
    let arg = if packages.is_empty() {
        "_registry"
    } else {
        "registry"
    };
    let mut out = format!(
        "/// Registers every message type of this store in `registry` (not those of the stores it\n/// uses through `extern_path`: [`registry`] has them all).\npub fn register({arg}: &mut {pbj}::Registry) {{\n"
    );
    for p in packages {
        out.push_str(&format!("    {p}::register(registry);\n"));
    }
    out.push_str("}\n\n");

    let externs: BTreeSet<String> = ctx
        .store
        .schemas
        .values()
        .map(|s| (s.id.vendor(), s.id.package()))
        .chain(
            ctx.store
                .enums
                .values()
                .map(|e| (e.vendor.as_str(), e.package.as_str())),
        )
        .filter_map(|(vendor, package)| ctx.extern_package(vendor, package))
        .collect();
    out.push_str(&format!(
        "/// Every message type of this store and of the stores it uses through `extern_path`,
/// registered once, on first use. Generated types decode nested messages with it
/// (`MessageType::registry`); share it with pbjx and its backends.
pub fn registry() -> ::std::sync::Arc<{pbj}::Registry> {{
    static REGISTRY: ::std::sync::LazyLock<::std::sync::Arc<{pbj}::Registry>> =
        ::std::sync::LazyLock::new(|| {{
            let mut registry = {pbj}::Registry::new();
"
    ));
    for e in &externs {
        out.push_str(&format!("            {e}::register(&mut registry);\n"));
    }
    out.push_str(
        "            register(&mut registry);
            ::std::sync::Arc::new(registry)
        });
    ::std::sync::Arc::clone(&REGISTRY)
}
",
    );
    out
}
