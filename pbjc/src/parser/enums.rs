//! Reads an `enums.xml` file (`<pbj-enums>`) into [`EnumDecl`]s.

use std::path::Path;

use super::schema::{is_enum_id, is_namespace};
use super::xml::{Ctx, PBJ_NS, parse_document, parse_int};
use crate::diagnostic::Diagnostics;
use crate::model::{EnumDecl, EnumKind, EnumOption, Location, OptionValue};

/// A parsed `enums.xml`.
#[derive(Debug, Clone, Default)]
pub struct ParsedEnums {
    /// `vendor:package` from `<enums namespace>` (absent for an empty file).
    pub namespace: Option<String>,
    /// Where the `namespace` attribute is.
    pub namespace_location: Option<Location>,
    /// The enums in file order.
    pub enums: Vec<EnumDecl>,
}

/// Parses an enums file; errors go to `diags`.
pub fn parse_enums(file: &Path, text: &str, diags: &mut Diagnostics) -> Option<ParsedEnums> {
    let doc = parse_document(file, text, diags)?;
    let mut cx = Ctx {
        file,
        doc: &doc,
        diags,
    };
    let root = doc.root_element();
    if root.tag_name().name() != "pbj-enums" || root.tag_name().namespace() != Some(PBJ_NS) {
        let msg = format!("expected root element <pbj-enums xmlns=\"{PBJ_NS}\">");
        cx.error(msg, cx.loc(root), "unexpected root element");
        return None;
    }
    cx.check_attrs(root, &[]);
    cx.check_children(root, &["enums"], &["enums"]);
    let mut out = ParsedEnums::default();
    let Some(enums) = Ctx::children(root).find(|c| c.tag_name().name() == "enums") else {
        return Some(out);
    };
    cx.check_attrs(enums, &["namespace"]);
    cx.check_children(enums, &["enum"], &[]);
    let ns = cx.required_attr(enums, "namespace")?.trim().to_owned();
    let ns_loc = cx.attr_loc(enums, "namespace");
    if !is_namespace(&ns) {
        cx.error(
            format!("invalid enum namespace `{ns}`"),
            ns_loc,
            "expected vendor:package",
        );
        return None;
    }
    for e in Ctx::children(enums).filter(|c| c.tag_name().name() == "enum") {
        cx.check_attrs(e, &["name", "type", "deprecated"]);
        cx.check_children(e, &["option"], &[]);
        let location = cx.loc(e);
        let name = cx.required_attr(e, "name").map(|n| n.trim().to_owned());
        let kind = match cx.required_attr(e, "type").map(str::trim) {
            Some("int") => Some(EnumKind::Int),
            Some("string") => Some(EnumKind::String),
            Some(other) => {
                cx.error(
                    format!("unknown enum type `{other}`"),
                    cx.attr_loc(e, "type"),
                    "expected int or string",
                );
                None
            }
            None => None,
        };
        let deprecated = cx.bool_attr(e, "deprecated", false);
        let mut options: Vec<EnumOption> = Vec::new();
        for o in Ctx::children(e).filter(|c| c.tag_name().name() == "option") {
            cx.check_attrs(o, &["key", "value"]);
            cx.check_children(o, &[], &[]);
            let key = cx.required_attr(o, "key").map(|k| k.trim().to_uppercase());
            let raw = cx.required_attr(o, "value");
            let (Some(key), Some(raw), Some(kind)) = (key, raw, kind) else {
                continue;
            };
            let value = match kind {
                EnumKind::String => OptionValue::String(raw.trim().to_owned()),
                EnumKind::Int => match parse_int(raw.trim()) {
                    Some(v) => OptionValue::Int(v),
                    None => {
                        let msg = format!("invalid integer enum value `{raw}`");
                        cx.error(msg, cx.attr_loc(o, "value"), "expected an integer");
                        continue;
                    }
                },
            };
            if key.is_empty() {
                cx.error("empty enum option key", cx.attr_loc(o, "key"), "here");
                continue;
            }
            if let Some(prev) = options.iter_mut().find(|p| p.key == key) {
                cx.error(
                    format!("duplicate enum option key `{key}`"),
                    cx.attr_loc(o, "key"),
                    "already defined",
                );
                prev.value = value;
                continue;
            }
            options.push(EnumOption { key, value });
        }
        let (Some(name), Some(kind)) = (name, kind) else {
            continue;
        };
        let id = format!("{ns}:{name}");
        if !is_enum_id(&id) {
            cx.error(
                format!("invalid enum id `{id}`"),
                cx.attr_loc(e, "name"),
                "expected vendor:package:name",
            );
            continue;
        }
        if options.is_empty() {
            cx.error(
                format!("enum `{id}` has no options"),
                location.clone(),
                "add at least an UNKNOWN option",
            );
        }
        let (vendor, package) = ns.split_once(':').unwrap_or((&ns, ""));
        out.enums.push(EnumDecl {
            id,
            vendor: vendor.to_owned(),
            package: package.to_owned(),
            name,
            kind,
            options,
            deprecated,
            location,
        });
    }
    out.namespace = Some(ns);
    out.namespace_location = Some(ns_loc);
    Some(out)
}
