//! Optional trait impls for the ecosystem: serde (`GenerateOptions::serde`) and schemars
//! (`GenerateOptions::schemars`). Each delegates to a helper in pbj, so the generated code
//! stays a few lines per message.

use super::Ctx;
use super::naming::str_lit;
use crate::model::SchemaDecl;

/// The enabled impls for message type `ty` whose schema static is `schema_static`.
pub(crate) fn render(ctx: &Ctx<'_>, s: &SchemaDecl, ty: &str, schema_static: &str) -> String {
    let pbj = ctx.pbj();
    let mut out = String::new();
    if ctx.options.serde {
        out.push_str(&format!(
            "
impl {pbj}::serde::Serialize for {ty} {{
    fn serialize<S: {pbj}::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {{
        {pbj}::serde::serialize(self, serializer)
    }}
}}

impl<'de> {pbj}::serde::Deserialize<'de> for {ty} {{
    fn deserialize<D: {pbj}::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {{
        {pbj}::serde::deserialize(deserializer)
    }}
}}
"
        ));
    }
    if ctx.options.schemars {
        out.push_str(&format!(
            "
impl {pbj}::schemars::JsonSchema for {ty} {{
    fn schema_name() -> ::std::borrow::Cow<'static, str> {{
        ::std::borrow::Cow::Borrowed({name})
    }}

    fn schema_id() -> ::std::borrow::Cow<'static, str> {{
        ::std::borrow::Cow::Borrowed({id})
    }}

    fn json_schema(_: &mut {pbj}::schemars::SchemaGenerator) -> {pbj}::schemars::JsonSchemaDoc {{
        {pbj}::schemars::json_schema(&{schema_static})
    }}
}}
",
            name = str_lit(ty),
            id = str_lit(&s.curie_major()),
        ));
    }
    out
}
