//! Typed getters and setters of one field, shared by message structs and mixin traits.

use pbj::{FieldRule, FieldType, TypeFamily};

use super::Ctx;
use crate::model::FieldDecl;

/// How a field's values are read and written in Rust.
pub(crate) struct Access {
    /// `MessageData` accessor of one value (`get_str`, ...).
    getter: &'static str,
    /// Rust type of one value returned by getters.
    out_ty: String,
    /// Conversion appended to the accessor result (e.g. `.and_then(Enum::from_value)`).
    convert: String,
    /// Rust type of the setter parameter.
    in_ty: String,
    /// Expression turning `v` into a `pbj::Value`.
    to_value: String,
}

impl Access {
    /// The accessor plan of `field`, with enum paths seen from module `from`.
    pub fn of(ctx: &Ctx<'_>, field: &FieldDecl, from: &[String]) -> Self {
        let plain = |getter, out_ty: &str, in_ty: &str, to_value: &str| Access {
            getter,
            out_ty: out_ty.to_owned(),
            convert: String::new(),
            in_ty: in_ty.to_owned(),
            to_value: to_value.to_owned(),
        };
        let enum_ty = field
            .enum_id
            .as_deref()
            .and_then(|id| ctx.enum_paths(id, from));
        match (field.kind, enum_ty) {
            (FieldType::StringEnum, Some((ty, _))) => Access {
                getter: "get_str",
                convert: format!(".and_then({ty}::from_value)"),
                out_ty: ty.clone(),
                in_ty: ty,
                to_value: "pbj::Value::String(v.value().to_owned())".to_owned(),
            },
            (FieldType::IntEnum, Some((ty, _))) => Access {
                getter: "get_i64",
                convert: format!(".and_then({ty}::from_value)"),
                out_ty: ty.clone(),
                in_ty: ty,
                to_value: "pbj::Value::Int(v.value())".to_owned(),
            },
            (kind, _) => match kind.family() {
                TypeFamily::Bool => plain("get_bool", "bool", "bool", "pbj::Value::Bool(v)"),
                TypeFamily::Int => plain("get_i64", "i64", "i64", "pbj::Value::Int(v)"),
                TypeFamily::BigInt => plain("get_big_int", "i128", "i128", "pbj::Value::BigInt(v)"),
                TypeFamily::Float => plain("get_f64", "f64", "f64", "pbj::Value::Float(v)"),
                TypeFamily::String | TypeFamily::Uuid => plain(
                    "get_str",
                    "&str",
                    "impl Into<String>",
                    "pbj::Value::String(v.into())",
                ),
                TypeFamily::Binary => plain(
                    "get_bytes",
                    "&[u8]",
                    "impl Into<Vec<u8>>",
                    "pbj::Value::Binary(v.into())",
                ),
                TypeFamily::Date => {
                    plain("get_date", "pbj::Date", "pbj::Date", "pbj::Value::Date(v)")
                }
                TypeFamily::DateTime => plain(
                    "get_date_time",
                    "pbj::DateTime",
                    "pbj::DateTime",
                    "pbj::Value::DateTime(v)",
                ),
                TypeFamily::Microtime => plain(
                    "get_microtime",
                    "pbj::Microtime",
                    "pbj::Microtime",
                    "pbj::Value::Microtime(v)",
                ),
                TypeFamily::NodeRef => plain(
                    "get_node_ref",
                    "&pbj::NodeRef",
                    "pbj::NodeRef",
                    "pbj::Value::NodeRef(v)",
                ),
                TypeFamily::MessageRef => plain(
                    "get_message_ref",
                    "&pbj::MessageRef",
                    "pbj::MessageRef",
                    "pbj::Value::MessageRef(v)",
                ),
                TypeFamily::GeoPoint => plain(
                    "get_geo_point",
                    "pbj::GeoPoint",
                    "pbj::GeoPoint",
                    "pbj::Value::GeoPoint(v)",
                ),
                TypeFamily::DynamicField => plain(
                    "get_dynamic_field",
                    "&pbj::DynamicField",
                    "pbj::DynamicField",
                    "pbj::Value::DynamicField(v)",
                ),
                TypeFamily::Message => plain(
                    "get_message",
                    "&dyn pbj::Message",
                    "impl Into<Box<dyn pbj::Message>>",
                    "pbj::Value::Message(v.into())",
                ),
            },
        }
    }

    /// The getter's return type for a field of `rule`.
    pub fn getter_ty(&self, rule: FieldRule) -> String {
        match rule {
            FieldRule::Single => format!("Option<{}>", self.out_ty),
            FieldRule::Set | FieldRule::List => "&[pbj::Value]".to_owned(),
            FieldRule::Map => "&[(String, pbj::Value)]".to_owned(),
        }
    }

    /// The getter body reading index expression `index` of data expression `data`.
    pub fn getter_expr(&self, rule: FieldRule, data: &str, index: &str) -> String {
        match rule {
            FieldRule::Single => format!("{data}.{}({index}){}", self.getter, self.convert),
            FieldRule::Set | FieldRule::List => format!("{data}.get_list({index})"),
            FieldRule::Map => format!("{data}.get_map({index})"),
        }
    }

    /// Like [`Self::getter_expr`], but `index` is an `Option<usize>` expression.
    pub fn getter_expr_opt(&self, rule: FieldRule, data: &str, index: &str) -> String {
        match rule {
            FieldRule::Single => {
                format!(
                    "{index}.and_then(|i| {data}.{}(i)){}",
                    self.getter, self.convert
                )
            }
            FieldRule::Set | FieldRule::List => {
                format!("{index}.map(|i| {data}.get_list(i)).unwrap_or_default()")
            }
            FieldRule::Map => format!("{index}.map(|i| {data}.get_map(i)).unwrap_or_default()"),
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
