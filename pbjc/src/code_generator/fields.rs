//! `pbj::Field` tables, normalized exactly like the runtime (pbj-model §3.1).
//!
//! Each entry is `Field::new(name, type, rule)` (every property at its type's default) plus
//! one `const` builder call per property that differs, so a typical field is one short line.

use pbj::{FieldType, Format, TypeFamily};

use super::Ctx;
use super::naming::str_lit;
use crate::model::{EnumKind, FieldDecl, OptionValue, SchemaDecl};

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
            .then(|| format!("{}::DefaultValue::GenerateUuid", ctx.pbj()));
    }
    let raw = f.default.as_deref()?;
    let pbj = ctx.pbj();
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
            Some(format!("{pbj}::DefaultValue::Str({})", str_lit(&value)))
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
            Some(format!("{pbj}::DefaultValue::Int({v})"))
        }
        kind => match kind.family() {
            TypeFamily::Bool => {
                let b = match raw.to_ascii_lowercase().as_str() {
                    "true" | "1" => true,
                    "false" | "0" | "" => false,
                    _ => return None,
                };
                Some(format!("{pbj}::DefaultValue::Bool({b})"))
            }
            TypeFamily::Int | TypeFamily::BigInt => {
                let v = raw.parse::<i64>().ok()?;
                Some(format!("{pbj}::DefaultValue::Int({})", int_lit(v)))
            }
            TypeFamily::Float => {
                let v = raw.parse::<f64>().ok()?;
                Some(format!("{pbj}::DefaultValue::Float({})", float_lit(v)))
            }
            TypeFamily::String | TypeFamily::Uuid => {
                Some(format!("{pbj}::DefaultValue::Str({})", str_lit(raw)))
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

/// One `pbj::Field` entry: the constructor plus a builder call for every non-default property.
fn field_entry(ctx: &Ctx<'_>, f: &FieldDecl, from: &[String]) -> String {
    let pbj = ctx.pbj();
    let mut out = format!(
        "{pbj}::Field::new({}, {pbj}::FieldType::{:?}, {pbj}::FieldRule::{:?})",
        str_lit(&f.name),
        f.kind,
        f.rule
    );
    let base = pbj::Field::new("", f.kind, f.rule);
    let b = bounds(f);
    let mut call = |c: String| {
        out.push('.');
        out.push_str(&c);
    };
    if f.required {
        call("required()".to_owned());
    }
    if b.min_length != base.min_length {
        call(format!("with_min_length({})", b.min_length));
    }
    if b.max_length != base.max_length {
        call(format!("with_max_length({})", b.max_length));
    }
    if b.min != base.min {
        call(format!("with_min({})", int_lit(b.min)));
    }
    if b.max != base.max {
        call(format!("with_max({})", int_lit(b.max)));
    }
    if (b.precision, b.scale) != (base.precision, base.scale) {
        call(format!("with_precision({}, {})", b.precision, b.scale));
    }
    if let Some(p) = &f.pattern {
        call(format!("with_pattern({})", str_lit(p)));
    }
    if f.format != Format::Unknown {
        call(format!("with_format({pbj}::Format::{:?})", f.format));
    }
    if let Some(d) = default_expr(ctx, f) {
        call(format!("with_default({d})"));
    }
    if !f.use_type_default {
        call("without_type_default()".to_owned());
    }
    if !f.any_of.is_empty() {
        let curies: Vec<String> = f.any_of.iter().map(|c| str_lit(c)).collect();
        call(format!("with_any_of(&[{}])", curies.join(", ")));
    }
    if let Some((_, def)) = f.enum_id.as_deref().and_then(|id| ctx.enum_paths(id, from)) {
        call(format!("with_enum(&{def})"));
    }
    if f.overridable {
        call("overridable()".to_owned());
    }
    if let Some(class) = &f.identifier_class {
        call(format!("with_identifier_class({})", str_lit(class)));
    }
    if let Some(d) = f.description.as_deref().filter(|d| !d.is_empty()) {
        call(format!("with_description({})", str_lit(d)));
    }
    out
}

/// The `static <NAME>_FIELDS: [pbj::Field; N]` item: `_schema`, then the resolved fields.
pub(crate) fn render_fields_static(
    ctx: &Ctx<'_>,
    schema: &SchemaDecl,
    fields: &[&FieldDecl],
    static_name: &str,
    from: &[String],
) -> String {
    let pbj = ctx.pbj();
    let mut out = format!(
        "static {static_name}: [{pbj}::Field; {}] = [\n    {pbj}::Field::schema_field({}),\n",
        fields.len() + 1,
        str_lit(&schema.id.to_string())
    );
    for f in fields {
        out.push_str("    ");
        out.push_str(&field_entry(ctx, f, from));
        out.push_str(",\n");
    }
    out.push_str("];\n");
    out
}

#[cfg(test)]
fn blank_string_field() -> FieldDecl {
    FieldDecl {
        name: String::new(),
        kind: FieldType::String,
        rule: pbj::FieldRule::Single,
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
