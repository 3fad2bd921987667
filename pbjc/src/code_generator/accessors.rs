//! Typed getters and setters of one field, shared by message structs, builders and mixin traits.

use pbj::{FieldRule, FieldType, TypeFamily};

use super::Ctx;
use crate::model::FieldDecl;

/// How a field's values are read and written in Rust.
pub(crate) struct Access {
    /// Rust type of one value as read (`&str`, `i64`, an enum, `&ArticleV1`, ...).
    out_ty: String,
    /// Rust type of the setter parameter.
    in_ty: String,
    /// Expression turning `v` into a `pbj::Value`.
    to_value: String,
    /// A message field allowing several types: it gets a generic `{getter}_as::<M>()`.
    pub downcast: bool,
}

impl Access {
    /// The accessor plan of `field`, with type paths seen from module `from`.
    pub fn of(ctx: &Ctx<'_>, field: &FieldDecl, from: &[String]) -> Self {
        let pbj = ctx.pbj();
        // In the templates below `#` stands for the pbj path; generated type paths are
        // passed in already resolved.
        let plain = |out_ty: &str, in_ty: &str, to_value: &str| Access {
            out_ty: out_ty.replace('#', pbj),
            in_ty: in_ty.replace('#', pbj),
            to_value: to_value.replace('#', pbj),
            downcast: false,
        };
        let enum_ty = field
            .enum_id
            .as_deref()
            .and_then(|id| ctx.enum_paths(id, from));
        match (field.kind, enum_ty) {
            (FieldType::StringEnum, Some((ty, _))) => plain(
                &ty,
                &ty,
                "#::Value::String(#::CompactString::const_new(v.value()))",
            ),
            (FieldType::IntEnum, Some((ty, _))) => plain(&ty, &ty, "#::Value::Int(v.value())"),
            (kind, _) => match kind.family() {
                TypeFamily::Bool => plain("bool", "bool", "#::Value::Bool(v)"),
                TypeFamily::Int => plain("i64", "i64", "#::Value::Int(v)"),
                TypeFamily::BigInt => plain("i128", "i128", "#::Value::BigInt(v)"),
                TypeFamily::Float => plain("f64", "f64", "#::Value::Float(v)"),
                TypeFamily::String | TypeFamily::Uuid => {
                    plain("&str", "impl Into<#::CompactString>", "#::Value::string(v)")
                }
                TypeFamily::Binary => {
                    plain("&[u8]", "impl Into<Vec<u8>>", "#::Value::Binary(v.into())")
                }
                TypeFamily::Date => plain("#::Date", "#::Date", "#::Value::Date(v)"),
                TypeFamily::DateTime => {
                    plain("#::DateTime", "#::DateTime", "#::Value::DateTime(v)")
                }
                TypeFamily::Microtime => {
                    plain("#::Microtime", "#::Microtime", "#::Value::Microtime(v)")
                }
                TypeFamily::NodeRef => plain("&#::NodeRef", "#::NodeRef", "#::Value::NodeRef(v)"),
                TypeFamily::MessageRef => {
                    plain("&#::MessageRef", "#::MessageRef", "#::Value::MessageRef(v)")
                }
                TypeFamily::GeoPoint => {
                    plain("#::GeoPoint", "#::GeoPoint", "#::Value::GeoPoint(v)")
                }
                TypeFamily::DynamicField => plain(
                    "&#::DynamicField",
                    "#::DynamicField",
                    "#::Value::DynamicField(v)",
                ),
                TypeFamily::Message => match ctx.single_message_type(field, from) {
                    Some(ty) => plain(&format!("&{ty}"), &ty, "#::Value::Message(Box::new(v))"),
                    None => Access {
                        downcast: true,
                        ..plain(
                            "&dyn #::Message",
                            "impl Into<Box<dyn #::Message>>",
                            "#::Value::Message(v.into())",
                        )
                    },
                },
            },
        }
    }

    /// The getter's return type for a field of `rule`, reading values as `out_ty`.
    fn ty(pbj: &str, rule: FieldRule, out_ty: &str) -> String {
        match rule {
            FieldRule::Single => format!("Option<{out_ty}>"),
            FieldRule::Set | FieldRule::List => format!("{pbj}::Values<'_, {out_ty}>"),
            FieldRule::Map => format!("{pbj}::Entries<'_, {out_ty}>"),
        }
    }

    /// The getter's return type for a field of `rule`.
    pub fn getter_ty(&self, pbj: &str, rule: FieldRule) -> String {
        Self::ty(pbj, rule, &self.out_ty)
    }

    /// The return type of the `{getter}_as::<M>()` helper of a multi-type message field.
    pub fn downcast_ty(pbj: &str, rule: FieldRule) -> String {
        Self::ty(pbj, rule, "&M")
    }

    /// The `MessageData` method reading a field of `rule` (`get_as`, `values`, `entries`).
    fn reader(rule: FieldRule) -> &'static str {
        match rule {
            FieldRule::Single => "get_as",
            FieldRule::Set | FieldRule::List => "values",
            FieldRule::Map => "entries",
        }
    }

    /// The getter body reading index expression `index` of data expression `data`.
    pub fn getter_expr(rule: FieldRule, data: &str, index: &str) -> String {
        format!("{data}.{}({index})", Self::reader(rule))
    }

    /// Like [`Self::getter_expr`], but `index` is an `Option<usize>` expression.
    pub fn getter_expr_opt(rule: FieldRule, data: &str, index: &str) -> String {
        match rule {
            FieldRule::Single => format!("{index}.and_then(|i| {data}.get_as(i))"),
            _ => format!(
                "{index}.map(|i| {data}.{}(i)).unwrap_or_default()",
                Self::reader(rule)
            ),
        }
    }

    /// Setter parameter type.
    pub fn in_ty(&self) -> &str {
        &self.in_ty
    }

    /// Expression converting `v` into a `pbj::Value`.
    pub fn to_value(&self) -> &str {
        &self.to_value
    }
}

/// Lints a generated method name may trip, to allow on that method only.
pub(crate) fn method_allows(name: &str) -> String {
    let mut lints = Vec::new();
    let bare = name.trim_start_matches("r#");
    if bare.starts_with("from_") || bare.starts_with("into_") {
        lints.push("clippy::wrong_self_convention");
    }
    const TRAIT_NAMES: &[&str] = &[
        "as_mut",
        "as_ref",
        "borrow",
        "borrow_mut",
        "clone",
        "default",
        "deref",
        "deref_mut",
        "drop",
        "eq",
        "cmp",
        "from_iter",
        "from_str",
        "hash",
        "into_iter",
        "neg",
        "next",
        "not",
    ];
    if TRAIT_NAMES.contains(&bare) {
        lints.push("clippy::should_implement_trait");
    }
    if bare == "len" {
        lints.push("clippy::len_without_is_empty");
    }
    if lints.is_empty() {
        String::new()
    } else {
        format!("#[allow({})]\n", lints.join(", "))
    }
}
