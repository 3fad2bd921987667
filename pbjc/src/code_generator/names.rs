//! Name collisions between generated types, reported as diagnostics with `file:line` before
//! any code is written (rustc would otherwise report them in generated code).

use std::collections::BTreeMap;

use super::naming::{message_type, upper_camel};
use super::{Ctx, GenerateOptions, mixins};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::{Location, Store};

/// Checks that no two generated types share a name in one module: message structs
/// (`ArticleV1`) and their builders (`ArticleV1Builder`), enums, mixin markers (`Article`) and
/// mixin traits (`ArticleMixin`). Each collision is an error at the second declaration, with
/// a note at the first.
pub fn check_names(store: &Store, options: &GenerateOptions) -> Diagnostics {
    let ctx = Ctx::new(store, options);
    // module path -> type name -> (what, where)
    let mut modules: BTreeMap<Vec<String>, BTreeMap<String, (String, Location)>> = BTreeMap::new();
    let mut diags = Diagnostics::new();
    let mut declare = |module: Vec<String>, name: String, what: String, at: &Location| {
        let names = modules.entry(module.clone()).or_default();
        match names.get(&name) {
            Some((first, first_at)) => diags.push(
                Diagnostic::error(
                    format!(
                        "generated type `{name}` of {what} collides with the one of {first} in module `{}`",
                        module.join("::")
                    ),
                    Some(at.clone()),
                )
                .with_label("rename one of them: both would be generated under the same Rust name")
                .with_note(first_at.clone(), format!("{first} is declared here")),
            ),
            None => {
                names.insert(name, (what, at.clone()));
            }
        }
    };
    for e in store.enums.values() {
        if ctx.extern_package(&e.vendor, &e.package).is_none() {
            let module = vec![
                super::naming::module(&e.vendor),
                super::naming::module(&e.package),
            ];
            declare(
                module,
                upper_camel(&e.name),
                format!("enum `{}`", e.id),
                &e.location,
            );
        }
    }
    for m in mixins::mixins(&ctx) {
        let what = format!("mixin `{}`", m.curie_major());
        let module = ctx.module_path(m);
        declare(
            module.clone(),
            mixins::marker_name(&ctx, m),
            what.clone(),
            &m.location,
        );
        declare(
            module,
            mixins::trait_name(&ctx, m),
            format!("{what} (trait)"),
            &m.location,
        );
    }
    for s in ctx.messages() {
        let ty = message_type(s.id.message(), s.id.version().major);
        let what = format!("message `{}`", s.curie_major());
        let module = ctx.module_path(s);
        declare(
            module.clone(),
            format!("{ty}Builder"),
            format!("{what} (builder)"),
            &s.location,
        );
        declare(module, ty, what, &s.location);
    }
    diags
}
