//! The Mermaid class diagram of a package: its messages and mixins, the mixins they use from
//! other packages, the messages of other packages that use its mixins, and the relations (a
//! message or mixin inherits from the mixins it lists and from the mixin it extends).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{Catalogue, Package};
use crate::model::SchemaDecl;

/// A Mermaid class id for a curie major (letters, digits and `_` only).
fn class_id(curie_major: &str) -> String {
    curie_major
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The fenced `mermaid` block of package `p`.
pub fn class_diagram(c: &Catalogue, p: &Package) -> String {
    let own: Vec<&SchemaDecl> = p.messages.iter().chain(&p.mixins).copied().collect();
    let mut classes: BTreeSet<(String, bool)> = BTreeSet::new();
    let mut relations: Vec<(String, String)> = Vec::new();
    for s in &own {
        classes.insert((s.curie_major(), s.is_mixin));
        for parent in s.extends.iter().chain(&s.mixins) {
            let parent = c
                .index
                .resolve(parent)
                .map_or_else(|| parent.clone(), SchemaDecl::curie_major);
            classes.insert((parent.clone(), true));
            relations.push((parent, s.curie_major()));
        }
    }
    for m in &p.mixins {
        let me = m.curie_major();
        let users = c.users.get(&me).into_iter().flatten();
        for user in users.filter(|u| !own.iter().any(|s| s.curie_major() == **u)) {
            classes.insert((user.clone(), false));
            relations.push((me.clone(), user.clone()));
        }
    }
    let mut out = String::from("```mermaid\nclassDiagram\n");
    let mut seen = BTreeSet::new();
    for (name, is_mixin) in &classes {
        if !seen.insert(name) {
            continue;
        }
        let id = class_id(name);
        let _ = writeln!(out, "    class {id}[\"{name}\"]");
        if *is_mixin {
            let _ = writeln!(out, "    <<mixin>> {id}");
        }
    }
    for (parent, child) in relations {
        let _ = writeln!(out, "    {} <|-- {}", class_id(&parent), class_id(&child));
    }
    out.push_str("```\n");
    out
}
