//! `pbj::Field` literals, normalized exactly like the runtime (pbj-model §3.1).

use pbj::{FieldRule, FieldType, Format, TypeFamily};

use super::Ctx;
use super::naming::str_lit;
use crate::model::{EnumKind, FieldDecl, OptionValue, SchemaDecl};

/// The `_schema` field pattern (`SchemaId` regex).
pub(crate) const SCHEMA_ID_PATTERN: &str =
    r"^pbj:([a-z0-9-]+):([a-z0-9\.-]+):([a-z0-9-]+)?:([a-z0-9-]+):([0-9]+-[0-9]+-[0-9]+)$";

/// Normalized numeric and length options of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bounds {
    /// Minimum byte length.
    pub min_length: u32,
    /// Maximum byte length.
    pub max_length: u32,
    /// Inclusive lower bound.
    pub min: i64,
    /// Inclusive upper bound.
    pub max: i64,
    /// Decimal precision.
    pub precision: u8,
    /// Decimal scale.
    pub scale: u8,
}

/// Clamps the declared options like the runtime `Field` constructor.
pub(crate) fn bounds(f: &FieldDecl) -> Bounds {
    let max_length = match f.max_length {
        Some(m) if m > 0 => m,
        _ => f.kind.max_bytes(),
    };
    let min_length = f.min_length.unwrap_or(0).min(max_length);
    let (tmin, tmax) = f.kind.int_bounds();
    let max = f.max.unwrap_or(tmax).clamp(tmin, tmax);
    let min = f.min.unwrap_or(tmin).clamp(tmin, tmax).min(max);
    let precision = f.precision.unwrap_or(10).clamp(1, 65);
    let scale = f.scale.unwrap_or(2).min(precision);
    Bounds {
        min_length,
        max_length,
        min,
        max,
        precision,
        scale,
    }
}

/// The `DefaultValue` expression of a field's `<default>`, parsed by type.
pub(crate) fn default_expr(ctx: &Ctx<'_>, f: &FieldDecl) -> Option<String> {
    if f.generated_default {
        return (f.identifier_class.as_deref() == Some("UuidIdentifier")
            || f.kind.family() == TypeFamily::Uuid)
            .then(|| "pbj::DefaultValue::GenerateUuid".to_owned());
    }
    let raw = f.default.as_deref()?;
    let enum_decl = f.enum_id.as_deref().and_then(|id| ctx.store.enums.get(id));
    match f.kind {
        FieldType::StringEnum => {
            let value = enum_decl
                .filter(|e| e.kind == EnumKind::String)
                .and_then(|e| {
                    e.options.iter().find_map(|o| match &o.value {
                        OptionValue::String(s) if s == raw || o.key.eq_ignore_ascii_case(raw) => {
                            Some(s.clone())
                        }
                        _ => None,
                    })
                })
                .unwrap_or_else(|| raw.to_owned());
            Some(format!("pbj::DefaultValue::Str({})", str_lit(&value)))
        }
        FieldType::IntEnum => {
            let by_key = || {
                enum_decl.and_then(|e| {
                    e.options.iter().find_map(|o| match o.value {
                        OptionValue::Int(i) if o.key.eq_ignore_ascii_case(raw) => Some(i),
                        _ => None,
                    })
                })
            };
            let v = raw.parse::<i64>().ok().or_else(by_key)?;
            Some(format!("pbj::DefaultValue::Int({v})"))
        }
        kind => match kind.family() {
            TypeFamily::Bool => {
                let b = match raw.to_ascii_lowercase().as_str() {
                    "true" | "1" => true,
                    "false" | "0" | "" => false,
                    _ => return None,
                };
                Some(format!("pbj::DefaultValue::Bool({b})"))
            }
            TypeFamily::Int | TypeFamily::BigInt => {
                let v = raw.parse::<i64>().ok()?;
                Some(format!("pbj::DefaultValue::Int({})", int_lit(v)))
            }
            TypeFamily::Float => {
                let v = raw.parse::<f64>().ok()?;
                Some(format!("pbj::DefaultValue::Float({})", float_lit(v)))
            }
            TypeFamily::String | TypeFamily::Uuid => {
                Some(format!("pbj::DefaultValue::Str({})", str_lit(raw)))
            }
            _ => None,
        },
    }
}

fn int_lit(v: i64) -> String {
    if v == i64::MIN {
        "i64::MIN".to_owned()
    } else {
        v.to_string()
    }
}

fn float_lit(v: f64) -> String {
    if v.is_nan() {
        "f64::NAN".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 {
            "f64::INFINITY".to_owned()
        } else {
            "f64::NEG_INFINITY".to_owned()
        }
    } else {
        format!("{v:?}")
    }
}

fn type_variant(t: FieldType) -> String {
    format!("pbj::FieldType::{t:?}")
}

fn rule_variant(r: FieldRule) -> String {
    format!("pbj::FieldRule::{r:?}")
}

fn format_variant(f: Format) -> String {
    format!("pbj::Format::{f:?}")
}

fn opt_str(s: Option<&str>) -> String {
    match s {
        Some(s) => format!("Some({})", str_lit(s)),
        None => "None".to_owned(),
    }
}

/// One complete `pbj::Field` literal (no struct update: the pattern's `OnceLock` forbids it).
fn field_literal(
    name: &str,
    kind: FieldType,
    rule: FieldRule,
    required: bool,
    b: Bounds,
    rest: &FieldRest,
) -> String {
    let pattern = match rest.pattern.as_deref() {
        Some(p) => format!("Some(pbj::Pattern::new({}))", str_lit(p)),
        None => "None".to_owned(),
    };
    let any_of = rest
        .any_of
        .iter()
        .map(|c| str_lit(c))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "    pbj::Field {{
        name: {name},
        kind: {kind},
        rule: {rule},
        required: {required},
        min_length: {min_length},
        max_length: {max_length},
        min: {min},
        max: {max},
        precision: {precision},
        scale: {scale},
        pattern: {pattern},
        format: {format},
        default: {default},
        use_type_default: {use_type_default},
        any_of: &[{any_of}],
        enum_def: {enum_def},
        overridable: {overridable},
        identifier_class: {identifier_class},
        description: {description},
    }},
",
        name = str_lit(name),
        kind = type_variant(kind),
        rule = rule_variant(rule),
        min_length = b.min_length,
        max_length = b.max_length,
        min = int_lit(b.min),
        max = int_lit(b.max),
        precision = b.precision,
        scale = b.scale,
        format = format_variant(rest.format),
        default = match &rest.default {
            Some(d) => format!("Some({d})"),
            None => "None".to_owned(),
        },
        use_type_default = rest.use_type_default,
        enum_def = match &rest.enum_def {
            Some(p) => format!("Some(&{p})"),
            None => "None".to_owned(),
        },
        overridable = rest.overridable,
        identifier_class = opt_str(rest.identifier_class.as_deref()),
        description = str_lit(&rest.description),
    )
}

/// The less common `Field` properties.
struct FieldRest {
    pattern: Option<String>,
    format: Format,
    default: Option<String>,
    any_of: Vec<String>,
    use_type_default: bool,
    enum_def: Option<String>,
    overridable: bool,
    identifier_class: Option<String>,
    description: String,
}

/// The `static <NAME>_FIELDS: [pbj::Field; N]` item: `_schema`, then the resolved fields.
pub(crate) fn render_fields_static(
    ctx: &Ctx<'_>,
    schema: &SchemaDecl,
    fields: &[&FieldDecl],
    static_name: &str,
    from: &[String],
) -> String {
    let id = schema.id.to_string();
    let schema_field = field_literal(
        "_schema",
        FieldType::String,
        FieldRule::Single,
        true,
        bounds(&blank_string_field()),
        &FieldRest {
            pattern: Some(SCHEMA_ID_PATTERN.to_owned()),
            format: Format::Unknown,
            default: Some(format!("pbj::DefaultValue::Str({})", str_lit(&id))),
            any_of: Vec::new(),
            use_type_default: true,
            enum_def: None,
            overridable: false,
            identifier_class: None,
            description: String::new(),
        },
    );
    let mut out = format!(
        "static {static_name}: [pbj::Field; {}] = [\n{schema_field}",
        fields.len() + 1
    );
    for f in fields {
        let enum_def = f
            .enum_id
            .as_deref()
            .and_then(|id| ctx.enum_paths(id, from))
            .map(|p| p.1);
        out.push_str(&field_literal(
            &f.name,
            f.kind,
            f.rule,
            f.required,
            bounds(f),
            &FieldRest {
                pattern: f.pattern.clone(),
                format: f.format,
                default: default_expr(ctx, f),
                any_of: f.any_of.clone(),
                use_type_default: f.use_type_default,
                enum_def,
                overridable: f.overridable,
                identifier_class: f.identifier_class.clone(),
                description: f.description.clone().unwrap_or_default(),
            },
        ));
    }
    out.push_str("];\n");
    out
}

fn blank_string_field() -> FieldDecl {
    FieldDecl {
        name: String::new(),
        kind: FieldType::String,
        rule: FieldRule::Single,
        required: true,
        min: None,
        max: None,
        min_length: None,
        max_length: None,
        precision: None,
        scale: None,
        pattern: None,
        format: Format::Unknown,
        default: None,
        use_type_default: true,
        overridable: false,
        deprecated: false,
        any_of: Vec::new(),
        enum_id: None,
        identifier_class: None,
        generated_default: false,
        description: None,
        location: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_like_runtime() {
        let mut f = blank_string_field();
        f.min_length = Some(300);
        let b = bounds(&f);
        assert_eq!((b.min_length, b.max_length), (255, 255));
        f.max_length = Some(10);
        assert_eq!(bounds(&f).min_length, 10);
        f.kind = FieldType::TinyInt;
        f.min = Some(-5);
        f.max = Some(1000);
        let b = bounds(&f);
        assert_eq!((b.min, b.max), (0, 255));
        f.min = Some(200);
        f.max = Some(100);
        let b = bounds(&f);
        assert_eq!((b.min, b.max), (100, 100));
        f.precision = Some(90);
        f.scale = Some(80);
        let b = bounds(&f);
        assert_eq!((b.precision, b.scale), (65, 65));
        assert_eq!(float_lit(1.0), "1.0");
        assert_eq!(int_lit(i64::MIN), "i64::MIN");
    }
}
