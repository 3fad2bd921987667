//! Mixins: per mixin schema a zero-sized marker type implementing `pbj::Mixin` (named like the
//! mixin: `Article`) and a trait with typed getters that its users implement (`ArticleMixin`).

use super::Ctx;
use super::accessors::{Access, method_allows};
use super::messages::{MethodNames, field_doc, indent};
use super::naming::{escape, str_lit, upper_camel};
use crate::model::SchemaDecl;

/// The latest, non-extern mixin schemas, sorted by curie major.
pub(crate) fn mixins<'a>(ctx: &Ctx<'a>) -> Vec<&'a SchemaDecl> {
    ctx.latest
        .iter()
        .copied()
        .filter(|s| s.is_mixin && !ctx.is_extern(s))
        .collect()
}

/// The marker name of a mixin: `Event`, or `EventV2` when several majors of the curie exist.
pub(crate) fn marker_name(ctx: &Ctx<'_>, mixin: &SchemaDecl) -> String {
    let base = upper_camel(mixin.id.message());
    let curie = mixin.curie();
    let majors = ctx.latest.iter().filter(|s| s.curie() == curie).count();
    if majors > 1 {
        format!("{base}V{}", mixin.id.version().major)
    } else {
        base
    }
}

/// The accessor trait name of a mixin: `{marker}Mixin` (`EventMixin`, `EventV2Mixin`).
pub(crate) fn trait_name(ctx: &Ctx<'_>, mixin: &SchemaDecl) -> String {
    format!("{}Mixin", marker_name(ctx, mixin))
}

/// Renders the marker type and the trait of `mixin` in module `from`.
pub(crate) fn render(ctx: &Ctx<'_>, mixin: &SchemaDecl, from: &[String]) -> String {
    let pbj = ctx.pbj();
    let marker = marker_name(ctx, mixin);
    let name = trait_name(ctx, mixin);
    let curie_major = mixin.curie_major();
    let mut out = format!(
        "/// Mixin `{curie_major}` as a type, e.g. for selecting the messages that use it.
/// Its users implement [`{name}`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct {marker};

impl {pbj}::Mixin for {marker} {{
    const CURIE: &'static str = {curie};
    const CURIE_MAJOR: &'static str = {curie_major_lit};
}}

/// Messages using mixin `{curie_major}` ([`{marker}`]), with typed getters for its fields.
pub trait {name}: {pbj}::Message {{
",
        curie = str_lit(&mixin.curie()),
        curie_major_lit = str_lit(&curie_major),
    );
    let mut names = MethodNames::default();
    let mut first = true;
    for f in &mixin.fields {
        let access = Access::of(ctx, f, from);
        let getter = escape(&names.claim(&f.name, &[("", "")]));
        if !first {
            out.push('\n');
        }
        first = false;
        let index = format!("data.schema().field_index({})", str_lit(&f.name));
        let body = format!(
            "{}{}fn {getter}(&self) -> {} {{\n    let data = {pbj}::Message::data(self);\n    {}\n}}\n",
            field_doc(f),
            method_allows(&getter),
            access.getter_ty(pbj, f.rule),
            Access::getter_expr_opt(f.rule, "data", &index)
        );
        out.push_str(&indent(&body, 1));
    }
    out.push_str("}\n");
    out
}
