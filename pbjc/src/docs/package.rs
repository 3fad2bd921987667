//! One package page: diagram, messages, mixins, enums.

use std::fmt::Write as _;

use pbj::{FieldRule, Format};

use super::markdown::{cell, cell_code, code, link};
use super::{
    Catalogue, DIAGRAM, ENUMS, MESSAGES, MIXINS, Package, anchor, diagram, schema_heading,
};
use crate::model::{EnumDecl, FieldDecl, OptionValue, SchemaDecl};

/// The Markdown of package `p`.
pub fn render(c: &Catalogue, p: &Package) -> String {
    let mut out = String::new();
    let index = link("Index", &anchor::relative(&p.path, "README.md"));
    let _ = writeln!(out, "# {}\n", p.namespace);
    let _ = writeln!(
        out,
        "{index} · {} · {} · {}\n",
        count(p.messages.len(), "message"),
        count(p.mixins.len(), "mixin"),
        count(p.enums.len(), "enum")
    );
    let _ = writeln!(out, "## {DIAGRAM}\n");
    out.push_str(&diagram::class_diagram(c, p));
    for (section, list) in [(MESSAGES, &p.messages), (MIXINS, &p.mixins)] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n## {section}");
        for s in list.iter() {
            schema_section(&mut out, c, p, s);
        }
    }
    if !p.enums.is_empty() {
        let _ = writeln!(out, "\n## {ENUMS}");
        for e in &p.enums {
            enum_section(&mut out, e);
        }
    }
    out
}

/// `n thing(s)`.
fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// Links to every key, comma separated.
fn links<'k>(c: &Catalogue, page: &str, keys: impl IntoIterator<Item = &'k str>) -> String {
    keys.into_iter()
        .map(|k| c.link(page, k, k))
        .collect::<Vec<_>>()
        .join(", ")
}

fn schema_section(out: &mut String, c: &Catalogue, p: &Package, s: &SchemaDecl) {
    let page = p.path.as_str();
    let _ = writeln!(out, "\n### {}\n", schema_heading(s));
    let versions: Vec<String> = c
        .versions
        .get(&s.curie_major())
        .into_iter()
        .flatten()
        .map(|v| code(&v.to_string()))
        .collect();
    let kind = if s.is_mixin { "mixin" } else { "message" };
    let mut facts = vec![code(&s.id.to_string()), kind.to_owned()];
    facts.push(format!("versions {}", versions.join(", ")));
    if s.deprecated {
        facts.push("**deprecated**".to_owned());
    }
    let _ = writeln!(out, "{}\n", facts.join(" · "));
    if let Some(e) = &s.extends {
        let _ = writeln!(out, "Extends: {}\n", links(c, page, [e.as_str()]));
    }
    if !s.mixins.is_empty() {
        let mixins = links(c, page, s.mixins.iter().map(String::as_str));
        let _ = writeln!(out, "Mixins: {mixins}\n");
    }
    if let Some(users) = c.users.get(&s.curie_major()) {
        let users = links(c, page, users.iter().map(String::as_str));
        let _ = writeln!(out, "Used by: {users}\n");
    }
    // Messages list their wire fields (direct mixins' fields, then their own); mixins their own.
    let fields: Vec<(&FieldDecl, Option<&SchemaDecl>)> = if s.is_mixin {
        s.fields.iter().map(|f| (f, None)).collect()
    } else {
        c.wire_fields(s)
    };
    if fields.is_empty() {
        let _ = writeln!(out, "No fields.");
        return;
    }
    let from = if s.is_mixin { "" } else { " From |" };
    let from_rule = if s.is_mixin { "" } else { "---|" };
    let _ = writeln!(
        out,
        "| Field |{from} Type | Rule | Required | Limits | Default | Enum values | Description |"
    );
    let _ = writeln!(out, "|---|{from_rule}---|---|---|---|---|---|---|");
    for (f, origin) in fields {
        let from = match (s.is_mixin, origin) {
            (true, _) => String::new(),
            (false, Some(m)) => format!(" {} |", c.link(page, &m.curie_major(), &m.curie_major())),
            (false, None) => " |".to_owned(),
        };
        let e = f.enum_id.as_ref().and_then(|id| c.store.enums.get(id));
        let _ = writeln!(
            out,
            "| {} |{from} {} | {} | {} | {} | {} | {} | {} |",
            code(&f.name),
            type_cell(c, page, f),
            rule_name(f.rule),
            if f.required { "yes" } else { "" },
            limits(f),
            default(f),
            e.map(enum_values).unwrap_or_default(),
            f.description.as_deref().map(cell).unwrap_or_default(),
        );
    }
}

fn rule_name(rule: FieldRule) -> &'static str {
    match rule {
        FieldRule::Single => "single",
        FieldRule::Set => "set",
        FieldRule::List => "list",
        FieldRule::Map => "map",
    }
}

/// The type, with its enum, any-of targets or identifier class.
fn type_cell(c: &Catalogue, page: &str, f: &FieldDecl) -> String {
    let mut out = code(f.kind.name());
    if let Some(e) = &f.enum_id {
        let _ = write!(out, " {}", c.link(page, e, e));
    }
    if !f.any_of.is_empty() {
        let _ = write!(
            out,
            " any of {}",
            links(c, page, f.any_of.iter().map(String::as_str))
        );
    }
    if let Some(class) = &f.identifier_class {
        let _ = write!(out, " ({})", code(class));
    }
    out
}

/// Declared limits: bounds, lengths, pattern, format, precision and scale.
fn limits(f: &FieldDecl) -> String {
    let mut out = Vec::new();
    let mut push = |what: &str, v: Option<String>| {
        if let Some(v) = v {
            out.push(format!("{what} {v}"));
        }
    };
    push("min", f.min.map(|v| v.to_string()));
    push("max", f.max.map(|v| v.to_string()));
    push("min length", f.min_length.map(|v| v.to_string()));
    push("max length", f.max_length.map(|v| v.to_string()));
    push("pattern", f.pattern.as_deref().map(cell_code));
    push(
        "format",
        (f.format != Format::Unknown).then(|| code(f.format.name())),
    );
    push("precision", f.precision.map(|v| v.to_string()));
    push("scale", f.scale.map(|v| v.to_string()));
    out.join(", ")
}

/// The `<default>`, or `generated` for ids and times the runtime fills in.
fn default(f: &FieldDecl) -> String {
    match &f.default {
        Some(d) => cell_code(d),
        None if f.generated_default || (f.use_type_default && f.kind.has_generated_default()) => {
            "generated".to_owned()
        }
        None => String::new(),
    }
}

fn option_value(v: &OptionValue) -> String {
    match v {
        OptionValue::Int(i) => i.to_string(),
        OptionValue::String(s) => s.clone(),
    }
}

/// The enum's values, in option order.
fn enum_values(e: &EnumDecl) -> String {
    e.options
        .iter()
        .map(|o| cell_code(&option_value(&o.value)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn enum_section(out: &mut String, e: &EnumDecl) {
    let _ = writeln!(out, "\n### enum {}\n", e.name);
    let kind = match e.kind {
        crate::model::EnumKind::Int => "int",
        crate::model::EnumKind::String => "string",
    };
    let mut facts = vec![code(&e.id), format!("{kind} enum")];
    if e.deprecated {
        facts.push("**deprecated**".to_owned());
    }
    let _ = writeln!(out, "{}\n", facts.join(" · "));
    let _ = writeln!(out, "| Key | Value |\n|---|---|");
    for o in &e.options {
        let _ = writeln!(
            out,
            "| {} | {} |",
            cell_code(&o.key),
            cell_code(&option_value(&o.value))
        );
    }
}
