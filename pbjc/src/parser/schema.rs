//! Reads one schema file (`<pbj-schema>`) into a [`SchemaDecl`] plus source positions.

use std::path::Path;

use pbj::{FieldRule, FieldType, Format, SchemaCurie, SchemaId};
use roxmltree::Node;

use super::xml::{Ctx, PBJ_NS, parse_document};
use crate::diagnostic::Diagnostics;
use crate::model::{FieldDecl, Location, SchemaDecl};

/// Source positions of the parts of a field that validation reports on.
#[derive(Debug, Clone, Default)]
pub struct FieldSpans {
    /// The `type` attribute.
    pub kind: Location,
    /// The `rule` attribute (or the element).
    pub rule: Location,
    /// The `pattern` attribute.
    pub pattern: Option<Location>,
    /// The `<default>` element.
    pub default: Option<Location>,
    /// The `<enum>` element.
    pub enum_id: Option<Location>,
    /// Each `<any-of><curie>`, parallel to `FieldDecl::any_of`.
    pub any_of: Vec<Location>,
}

/// Source positions of the parts of a schema that validation reports on.
#[derive(Debug, Clone, Default)]
pub struct SchemaSpans {
    /// The `id` attribute.
    pub id: Location,
    /// The `extends` attribute.
    pub extends: Option<Location>,
    /// Each `<curie-major>`, parallel to `SchemaDecl::mixins`.
    pub mixins: Vec<Location>,
    /// Parallel to `SchemaDecl::fields`.
    pub fields: Vec<FieldSpans>,
}

/// A parsed schema file.
#[derive(Debug, Clone)]
pub struct ParsedSchema {
    /// The declaration.
    pub decl: SchemaDecl,
    /// Where its parts are.
    pub spans: SchemaSpans,
}

const SCHEMA_CHILDREN: &[&str] = &[
    "fields",
    "mixins",
    "php-options",
    "js-options",
    "description",
];
const FIELD_ATTRS: &[&str] = &[
    "name",
    "type",
    "required",
    "use-type-default",
    "overridable",
    "deprecated",
    "min",
    "max",
    "precision",
    "scale",
    "rule",
    "pattern",
    "format",
];
const FIELD_CHILDREN: &[&str] = &[
    "description",
    "default",
    "enum",
    "any-of",
    "php-options",
    "js-options",
    "json-schema-options",
];

/// Whether `s` is a curie major `vendor:package:category:message:vN`.
pub fn is_curie_major(s: &str) -> bool {
    let Some((curie, major)) = s.rsplit_once(':') else {
        return false;
    };
    let Some(n) = major.strip_prefix('v') else {
        return false;
    };
    !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && SchemaCurie::parse(curie).is_ok()
}

/// Parses a schema file; errors go to `diags`. Returns `None` when the file is unusable.
pub fn parse_schema(file: &Path, text: &str, diags: &mut Diagnostics) -> Option<ParsedSchema> {
    let doc = parse_document(file, text, diags)?;
    let mut cx = Ctx {
        file,
        doc: &doc,
        diags,
    };
    let root = doc.root_element();
    if root.tag_name().name() != "pbj-schema" || root.tag_name().namespace() != Some(PBJ_NS) {
        let msg = format!("expected root element <pbj-schema xmlns=\"{PBJ_NS}\">");
        cx.error(msg, cx.loc(root), "unexpected root element");
        return None;
    }
    cx.check_attrs(root, &[]);
    cx.check_children(root, &["schema"], &["schema"]);
    let Some(schema) = Ctx::children(root).find(|c| c.tag_name().name() == "schema") else {
        cx.error("<pbj-schema> has no <schema> element", cx.loc(root), "here");
        return None;
    };
    parse_schema_element(&mut cx, schema)
}

fn parse_schema_element(cx: &mut Ctx, node: Node) -> Option<ParsedSchema> {
    cx.check_attrs(node, &["id", "extends", "mixin", "deprecated"]);
    cx.check_children(node, SCHEMA_CHILDREN, SCHEMA_CHILDREN);
    let raw_id = cx.required_attr(node, "id")?;
    let id_loc = cx.attr_loc(node, "id");
    let id = match SchemaId::parse(raw_id.trim()) {
        Ok(id) => id,
        Err(_) => {
            cx.error(
                format!("invalid schema id `{raw_id}`"),
                id_loc,
                "expected pbj:vendor:package:category:message:M-m-p (lowercase, max 150 chars)",
            );
            return None;
        }
    };
    let is_mixin = cx.bool_attr(node, "mixin", false);
    let deprecated = cx.bool_attr(node, "deprecated", false);
    let mut spans = SchemaSpans {
        id: id_loc,
        ..SchemaSpans::default()
    };
    let extends = match node.attribute("extends").map(str::trim) {
        Some(e) if is_curie_major(e) => {
            spans.extends = Some(cx.attr_loc(node, "extends"));
            Some(e.to_owned())
        }
        Some(e) => {
            let msg = format!("invalid extends `{e}`");
            cx.error(
                msg,
                cx.attr_loc(node, "extends"),
                "expected a curie major like vendor:package:category:message:v1",
            );
            None
        }
        None => None,
    };

    let mut mixins = Vec::new();
    for m in Ctx::children(node).filter(|c| c.tag_name().name() == "mixins") {
        cx.check_attrs(m, &[]);
        cx.check_children(m, &["curie-major"], &[]);
        for c in Ctx::children(m).filter(|c| c.tag_name().name() == "curie-major") {
            let loc = cx.loc(c);
            match Ctx::text(c) {
                Some(t) if is_curie_major(&t) => {
                    if !mixins.contains(&t) {
                        mixins.push(t);
                        spans.mixins.push(loc);
                    }
                }
                Some(t) => cx.error(
                    format!("invalid mixin curie major `{t}`"),
                    loc,
                    "expected vendor:package:category:message:v1",
                ),
                None => cx.error(
                    "empty <curie-major>",
                    loc,
                    "expected vendor:package:category:message:v1",
                ),
            }
        }
    }

    let mut fields: Vec<FieldDecl> = Vec::new();
    for f in Ctx::children(node).filter(|c| c.tag_name().name() == "fields") {
        cx.check_attrs(f, &[]);
        cx.check_children(f, &["field"], &[]);
        for field in Ctx::children(f).filter(|c| c.tag_name().name() == "field") {
            let Some((decl, fspans)) = parse_field(cx, field) else {
                continue;
            };
            match fields.iter().position(|e| e.name == decl.name) {
                Some(i) => {
                    if !same_field(&fields[i], &decl) {
                        let first = fields[i].location.clone();
                        cx.diags.push(
                            crate::diagnostic::Diagnostic::warning(
                                format!("field `{}` is declared twice in this schema; the last declaration wins", decl.name),
                                Some(decl.location.clone()),
                            )
                            .with_label("redeclared here")
                            .with_note(first, "first declared here"),
                        );
                    }
                    fields[i] = decl;
                    spans.fields[i] = fspans;
                }
                None => {
                    fields.push(decl);
                    spans.fields.push(fspans);
                }
            }
        }
    }

    let decl = SchemaDecl {
        id,
        is_mixin,
        deprecated,
        extends,
        mixins,
        fields,
        from_latest_xml: cx.file.file_name().is_some_and(|n| n == "latest.xml"),
        location: cx.loc(node),
    };
    Some(ParsedSchema { decl, spans })
}

/// Field equality ignoring the source location.
pub fn same_field(a: &FieldDecl, b: &FieldDecl) -> bool {
    FieldDecl {
        location: Location::default(),
        ..a.clone()
    } == FieldDecl {
        location: Location::default(),
        ..b.clone()
    }
}

/// Whether min/max of the type are byte lengths (the AbstractStringType family).
fn is_length_type(t: FieldType) -> bool {
    matches!(
        t,
        FieldType::String | FieldType::Text | FieldType::MediumText
    )
}

/// Whether `name` matches the runtime field-name rule `^[a-zA-Z_][a-zA-Z0-9_]*$`, max 127.
pub fn is_valid_field_name(name: &str) -> bool {
    let mut b = name.bytes();
    name.len() <= 127
        && b.next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

fn collapse_description(text: &str) -> String {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The runtime's decimal precision when a field sets none.
const DEFAULT_PRECISION: i64 = 10;

/// `min` and `max`; `min > max` is an error (the PHP pbjc silently set min to max), and the
/// pair is then dropped.
fn min_max(cx: &mut Ctx, node: Node) -> (Option<i64>, Option<i64>) {
    let (min, max) = (cx.int_attr(node, "min"), cx.int_attr(node, "max"));
    match (min, max) {
        (Some(lo), Some(hi)) if lo > hi => {
            cx.error(
                format!("min {lo} is greater than max {hi}"),
                cx.attr_loc(node, "min"),
                "min must be less than or equal to max",
            );
            (None, None)
        }
        _ => (min, max),
    }
}

/// `precision` (1..=65) and `scale` (0..=precision, or 0..=10 without a precision); a value
/// out of range is an error (the PHP pbjc and the runtime silently clamped it) and is dropped.
fn precision_scale(cx: &mut Ctx, node: Node) -> (Option<u8>, Option<u8>) {
    let in_range = |cx: &mut Ctx, attr: &str, hi: i64| -> Option<u8> {
        let lo = i64::from(attr == "precision");
        let v = cx.int_attr(node, attr)?;
        match u8::try_from(v) {
            Ok(b) if (lo..=hi).contains(&v) => Some(b),
            _ => {
                cx.error(
                    format!("{attr} {v} is out of range {lo}..={hi}"),
                    cx.attr_loc(node, attr),
                    "out of range",
                );
                None
            }
        }
    };
    let precision = in_range(cx, "precision", 65);
    let max_scale = precision.map_or(DEFAULT_PRECISION, i64::from);
    let scale = in_range(cx, "scale", max_scale);
    (precision, scale)
}

fn parse_field(cx: &mut Ctx, node: Node) -> Option<(FieldDecl, FieldSpans)> {
    cx.check_attrs(node, FIELD_ATTRS);
    cx.check_children(node, FIELD_CHILDREN, FIELD_CHILDREN);
    let location = cx.loc(node);
    let name = cx.required_attr(node, "name").map(|n| n.trim().to_owned());
    if let Some(n) = &name
        && !is_valid_field_name(n)
    {
        cx.error(
            format!("invalid field name `{n}`"),
            cx.attr_loc(node, "name"),
            "expected ^[a-zA-Z_][a-zA-Z0-9_]*$, at most 127 characters",
        );
    }
    let type_loc = cx.attr_loc(node, "type");
    let kind = match cx.required_attr(node, "type").map(str::trim) {
        Some(t) => match FieldType::from_name(t) {
            Some(k) => Some(k),
            None => {
                cx.error(
                    format!("unknown field type `{t}`"),
                    type_loc.clone(),
                    "not a pbj type",
                );
                None
            }
        },
        None => None,
    };
    let rule_loc = cx.attr_loc(node, "rule");
    let rule = match node.attribute("rule").map(str::trim) {
        None => FieldRule::Single,
        Some(r) => FieldRule::from_name(r).unwrap_or_else(|| {
            cx.error(
                format!("unknown field rule `{r}`"),
                rule_loc.clone(),
                "expected single, set, list or map",
            );
            FieldRule::Single
        }),
    };
    let format = match node.attribute("format").map(str::trim) {
        None => Format::Unknown,
        Some(f) => Format::from_name(f).unwrap_or_else(|| {
            cx.error(
                format!("unknown format `{f}`"),
                cx.attr_loc(node, "format"),
                "not a pbj format",
            );
            Format::Unknown
        }),
    };
    let required = cx.bool_attr(node, "required", false);
    let use_type_default = cx.bool_attr(node, "use-type-default", true);
    let overridable = cx.bool_attr(node, "overridable", false);
    let deprecated = cx.bool_attr(node, "deprecated", false);
    let (min, max) = min_max(cx, node);
    let (precision, scale) = precision_scale(cx, node);
    let pattern_loc = node
        .attribute("pattern")
        .map(|_| cx.attr_loc(node, "pattern"));
    let pattern = node
        .attribute("pattern")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned);

    let child = |name: &str| Ctx::children(node).find(|c| c.tag_name().name() == name);
    let description = child("description")
        .and_then(Ctx::text)
        .map(|d| collapse_description(&d));
    let default_node = child("default");
    let default = default_node.and_then(Ctx::text);
    let default_loc = default_node
        .filter(|_| default.is_some())
        .map(|n| cx.loc(n));

    let mut enum_id = None;
    let mut enum_loc = None;
    if let Some(e) = child("enum") {
        cx.check_attrs(e, &["id"]);
        cx.check_children(e, &[], &[]);
        if let Some(id) = cx.required_attr(e, "id").map(str::trim) {
            if is_enum_id(id) {
                enum_id = Some(id.to_owned());
            } else {
                cx.error(
                    format!("invalid enum id `{id}`"),
                    cx.attr_loc(e, "id"),
                    "expected vendor:package:name",
                );
            }
        }
        enum_loc = Some(cx.loc(e));
    }

    let mut any_of = Vec::new();
    let mut any_of_locs = Vec::new();
    if let Some(a) = child("any-of") {
        cx.check_attrs(a, &[]);
        cx.check_children(a, &["curie"], &[]);
        for c in Ctx::children(a).filter(|c| c.tag_name().name() == "curie") {
            let loc = cx.loc(c);
            match Ctx::text(c) {
                Some(t) if SchemaCurie::parse(&t).is_ok() => {
                    if !any_of.contains(&t) {
                        any_of.push(t);
                        any_of_locs.push(loc);
                    }
                }
                Some(t) => cx.error(
                    format!("invalid curie `{t}`"),
                    loc,
                    "expected vendor:package:category:message",
                ),
                None => cx.error(
                    "empty <curie>",
                    loc,
                    "expected vendor:package:category:message",
                ),
            }
        }
    }

    let php = child("php-options");
    let identifier_class = php
        .and_then(|p| Ctx::children(p).find(|c| c.tag_name().name() == "class-name"))
        .and_then(Ctx::text)
        .map(|c| {
            let c = c.strip_suffix("::class").unwrap_or(&c);
            c.rsplit('\\').next().unwrap_or(c).trim().to_owned()
        })
        .filter(|c| !c.is_empty());
    let generated_default = php
        .and_then(|p| Ctx::children(p).find(|c| c.tag_name().name() == "default"))
        .and_then(Ctx::text)
        .is_some();

    let (name, kind) = (name?, kind?);
    let (mut min, mut max, mut min_length, mut max_length) = (min, max, None, None);
    if is_length_type(kind) {
        let to_len = |cx: &mut Ctx, v: Option<i64>, attr: &str| -> Option<u32> {
            let v = v?;
            u32::try_from(v).ok().or_else(|| {
                cx.error(
                    format!("invalid length `{v}` for attribute `{attr}`"),
                    cx.attr_loc(node, attr),
                    "expected a non-negative length in bytes",
                );
                None
            })
        };
        min_length = to_len(cx, min.take(), "min");
        max_length = to_len(cx, max.take(), "max");
    }
    let decl = FieldDecl {
        name,
        kind,
        rule,
        required,
        min,
        max,
        min_length,
        max_length,
        precision,
        scale,
        pattern,
        format,
        default,
        use_type_default,
        overridable,
        deprecated,
        any_of,
        enum_id,
        identifier_class,
        generated_default,
        description,
        location,
    };
    let spans = FieldSpans {
        kind: type_loc,
        rule: rule_loc,
        pattern: pattern_loc,
        default: default_loc,
        enum_id: enum_loc,
        any_of: any_of_locs,
    };
    Some((decl, spans))
}

fn is_segment(s: &str, dot: bool) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || (dot && b == b'.')
        })
}

/// Whether `s` is an enum id `vendor:package:name` (max 150 chars).
pub fn is_enum_id(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    s.len() <= 150
        && parts.len() == 3
        && is_segment(parts[0], false)
        && is_segment(parts[1], true)
        && is_segment(parts[2], false)
}

/// Whether `s` is a namespace `vendor:package`.
pub fn is_namespace(s: &str) -> bool {
    matches!(s.split_once(':'), Some((v, p)) if is_segment(v, false) && is_segment(p, true))
}
