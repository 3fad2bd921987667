//! Rust enums and `pbj::EnumDef` statics for `enums.xml` declarations.

use std::collections::HashSet;

use super::naming::{screaming, str_lit, upper_camel};
use crate::model::{EnumDecl, EnumKind, OptionValue};

/// Renders the enum type, its methods, its `FromValue` impl and its `EnumDef` static, naming
/// the pbj crate `pbj`.
pub(crate) fn render(pbj: &str, e: &EnumDecl) -> String {
    let name = upper_camel(&e.name);
    let is_int = e.kind == EnumKind::Int;
    let lit = |v: &OptionValue| match v {
        OptionValue::Int(i) => i.to_string(),
        OptionValue::String(s) => str_lit(s),
    };

    // Variants: one per distinct key; values deduplicated for `from_value` (first key wins).
    let mut seen_variants = HashSet::new();
    let mut variants: Vec<(String, &str, &OptionValue)> = Vec::new();
    for o in &e.options {
        let v = upper_camel(&o.key);
        if seen_variants.insert(v.clone()) {
            variants.push((v, &o.key, &o.value));
        }
    }
    let default = variants
        .iter()
        .position(|(_, k, _)| k.eq_ignore_ascii_case("UNKNOWN"))
        .unwrap_or(0);

    let mut out = String::new();
    let deprecated = if e.deprecated {
        "///\n/// Deprecated.\n"
    } else {
        ""
    };
    out.push_str(&format!(
        "/// Enum `{}` ({} values).\n",
        e.id,
        if is_int { "int" } else { "string" }
    ));
    out.push_str(deprecated);
    if variants.is_empty() {
        out.push_str("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\n");
    } else {
        out.push_str("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]\n");
    }
    out.push_str(&format!("pub enum {name} {{\n"));
    for (i, (v, key, value)) in variants.iter().enumerate() {
        out.push_str(&format!("    /// `{key}` = `{}`.\n", lit(value)));
        if i == default {
            out.push_str("    #[default]\n");
        }
        out.push_str(&format!("    {v},\n"));
    }
    out.push_str("}\n\n");

    let (value_ty, param_ty) = if is_int {
        ("i64", "i64")
    } else {
        ("&'static str", "&str")
    };
    out.push_str(&format!("impl {name} {{\n"));
    out.push_str("    /// Every option, in declaration order.\n");
    out.push_str("    pub const ALL: &[Self] = &[");
    out.push_str(
        &variants
            .iter()
            .map(|(v, _, _)| format!("Self::{v}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    out.push_str("];\n\n");

    let arms = |f: &dyn Fn(&(String, &str, &OptionValue)) -> String| -> String {
        variants
            .iter()
            .map(|x| format!("            Self::{} => {},\n", x.0, f(x)))
            .collect()
    };
    if variants.is_empty() {
        out.push_str(&format!(
            "    /// The option's value.\n    pub const fn value(self) -> {value_ty} {{\n        match self {{}}\n    }}\n\n"
        ));
        out.push_str("    /// The option's key.\n    pub const fn key(self) -> &'static str {\n        match self {}\n    }\n\n");
    } else {
        out.push_str(&format!("    /// The option's value.\n    pub const fn value(self) -> {value_ty} {{\n        match self {{\n"));
        out.push_str(&arms(&|(_, _, v)| lit(v)));
        out.push_str("        }\n    }\n\n");
        out.push_str("    /// The option's key (e.g. `UNKNOWN`).\n    pub const fn key(self) -> &'static str {\n        match self {\n");
        out.push_str(&arms(&|(_, k, _)| str_lit(k)));
        out.push_str("        }\n    }\n\n");
    }
    out.push_str(&format!(
        "    /// The option with value `value` (the first declared one if values repeat).\n    pub fn from_value(value: {param_ty}) -> Option<Self> {{\n"
    ));
    if variants.is_empty() {
        out.push_str("        let _ = value;\n        None\n    }\n}\n\n");
    } else {
        out.push_str("        match value {\n");
    }
    let mut seen_values = HashSet::new();
    for (v, _, value) in &variants {
        let l = lit(value);
        if seen_values.insert(l.clone()) {
            out.push_str(&format!("            {l} => Some(Self::{v}),\n"));
        }
    }
    if !variants.is_empty() {
        out.push_str("            _ => None,\n        }\n    }\n}\n\n");
    }

    let read = if is_int { "as_i64" } else { "as_str" };
    out.push_str(&format!(
        "/// Reads a stored value of an `{}` field.
impl {pbj}::FromValue<'_> for {name} {{
    fn from_value(value: &{pbj}::Value) -> Option<Self> {{
        value.{read}().and_then(Self::from_value)
    }}
}}

",
        e.id
    ));
    out.push_str(&format!(
        "/// Descriptor of enum `{}`, used by fields.\n",
        e.id
    ));
    out.push_str(deprecated);
    out.push_str(&format!(
        "pub static {}: {pbj}::EnumDef = {pbj}::EnumDef {{\n    id: {},\n    options: &[\n",
        screaming(&e.name),
        str_lit(&e.id)
    ));
    for o in &e.options {
        let v = match &o.value {
            OptionValue::Int(i) => format!("{pbj}::EnumValue::Int({i})"),
            OptionValue::String(s) => format!("{pbj}::EnumValue::Str({})", str_lit(s)),
        };
        out.push_str(&format!("        ({}, {v}),\n", str_lit(&o.key)));
    }
    out.push_str("    ],\n};\n");
    out
}
