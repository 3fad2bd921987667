//! Mixin traits: one per mixin schema used by a generated message, with typed getters.

use std::collections::BTreeMap;

use super::Ctx;
use super::accessors::{Access, method_allows};
use super::messages::{MethodNames, field_doc, indent};
use super::naming::{escape, str_lit, upper_camel};
use crate::model::SchemaDecl;

/// The latest, non-extern mixin schemas listed by at least one of `messages`.
pub(crate) fn used_mixins<'a>(ctx: &Ctx<'a>, messages: &[&'a SchemaDecl]) -> Vec<&'a SchemaDecl> {
    let mut out: BTreeMap<String, &'a SchemaDecl> = BTreeMap::new();
    for m in messages {
        for name in &m.mixins {
            if let Some(mixin) = ctx
                .store
                .resolve(name)
                .filter(|x| x.is_mixin && !ctx.is_extern(x))
            {
                out.insert(mixin.curie_major(), mixin);
            }
        }
    }
    out.into_values().collect()
}

/// The trait name of a mixin: `Event`, or `EventV2` when several majors of the curie exist.
pub(crate) fn trait_name(ctx: &Ctx<'_>, mixin: &SchemaDecl) -> String {
    let base = upper_camel(mixin.id.message());
    let curie = mixin.curie();
    let majors = ctx
        .store
        .latest()
        .into_iter()
        .filter(|s| s.curie() == curie)
        .count();
    if majors > 1 {
        format!("{base}V{}", mixin.id.version().major)
    } else {
        base
    }
}

/// Renders the trait of `mixin` in module `from`.
pub(crate) fn render_trait(ctx: &Ctx<'_>, mixin: &SchemaDecl, from: &[String]) -> String {
    let name = trait_name(ctx, mixin);
    let mut out = format!(
        "/// Messages using mixin `{}`, with typed getters for its fields.\npub trait {name}: pbj::Message {{\n",
        mixin.curie_major()
    );
    let mut names = MethodNames::default();
    let mut first = true;
    for f in &mixin.fields {
        let access = Access::of(ctx, f, from);
        let getter = escape(&names.claim(&f.name, &[""]));
        if !first {
            out.push('\n');
        }
        first = false;
        let index = format!("data.schema().field_index({})", str_lit(&f.name));
        let body = format!(
            "{}{}fn {getter}(&self) -> {} {{\n    let data = pbj::Message::data(self);\n    {}\n}}\n",
            field_doc(f),
            method_allows(&getter),
            access.getter_ty(f.rule),
            access.getter_expr_opt(f.rule, "data", &index)
        );
        out.push_str(&indent(&body, 1));
    }
    out.push_str("}\n");
    out
}
