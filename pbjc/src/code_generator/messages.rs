//! Message structs: schema statics, `pbj::Message` impls, typed getters and setters.

use std::collections::HashSet;

use pbj::FieldRule;

use super::accessors::{Access, method_allows};
use super::fields::render_fields_static;
use super::naming::{escape, message_type, method_suffix, screaming, str_lit};
use super::{Ctx, doc, mixins};
use crate::model::{FieldDecl, SchemaDecl};

/// Field names that identify a message, by priority (`Schema::id_field`).
const ID_FIELDS: [&str; 5] = ["_id", "command_id", "event_id", "request_id", "response_id"];

/// Inherent method names the generator uses itself.
const RESERVED: [&str; 2] = ["new", "empty"];

/// Allocates collision-free method names for the fields of one impl or trait.
#[derive(Default)]
pub(crate) struct MethodNames {
    taken: HashSet<String>,
}

impl MethodNames {
    /// The method-name suffix of `field` such that every `prefix` + suffix is still free.
    pub fn claim(&mut self, field: &str, prefixes: &[&str]) -> String {
        let base = method_suffix(field);
        let mut n = 0;
        loop {
            let suffix = if n == 0 {
                base.clone()
            } else {
                format!("{base}_{n}")
            };
            let names: Vec<String> = prefixes.iter().map(|p| format!("{p}{suffix}")).collect();
            if names
                .iter()
                .all(|m| !self.taken.contains(m) && !RESERVED.contains(&m.as_str()))
            {
                self.taken.extend(names);
                return suffix;
            }
            n += 1;
        }
    }
}

/// Method prefixes generated for a field of `rule` (the getter has none).
pub(crate) fn prefixes(rule: FieldRule) -> &'static [&'static str] {
    match rule {
        FieldRule::Single => &["", "set_", "clear_", "with_"],
        FieldRule::Set | FieldRule::List => &["", "add_to_", "clear_"],
        FieldRule::Map => &["", "put_in_", "clear_"],
    }
}

/// The getter doc of a field.
pub(crate) fn field_doc(f: &FieldDecl) -> String {
    let mut out = String::new();
    if let Some(d) = f.description.as_deref().filter(|d| !d.is_empty()) {
        out.push_str(&doc(d));
        out.push_str("///\n");
    }
    let rule = if f.rule == FieldRule::Single {
        String::new()
    } else {
        format!(", {}", f.rule)
    };
    out.push_str(&format!("/// Field `{}` (`{}`{rule}).\n", f.name, f.kind));
    out
}

/// Renders the statics, the struct and its impls of one message schema in module `from`.
pub(crate) fn render(ctx: &Ctx<'_>, s: &SchemaDecl, from: &[String]) -> String {
    let major = s.id.version().major;
    let ty = message_type(s.id.message(), major);
    let base = format!("{}_V{major}", screaming(s.id.message()));
    let fields_static = format!("{base}_FIELDS");
    let schema_static = format!("{base}_SCHEMA");
    let fields = ctx.store.resolve_fields(s);
    let id = s.id.to_string();

    let mut out = render_fields_static(ctx, s, &fields, &fields_static, from);
    out.push('\n');

    let id_field = ID_FIELDS
        .iter()
        .find(|n| fields.iter().any(|f| f.name == **n));
    let mixins = ctx.store.mixin_names(s);
    let deprecated = if s.deprecated {
        "///\n/// Deprecated.\n"
    } else {
        ""
    };
    out.push_str(&format!(
        "/// Schema of [`{ty}`] (`{id}`).
{deprecated}pub static {schema_static}: pbj::Schema = pbj::Schema {{
    id: {id_lit},
    curie: {curie},
    curie_major: {curie_major},
    qname: {qname},
    vendor: {vendor},
    package: {package},
    category: {category},
    message: {message},
    version: pbj::SchemaVersion::new({major}, {minor}, {patch}),
    fields: &{fields_static},
    mixins: &[{mixins}],
    id_field: {id_field},
    deprecated: {is_deprecated},
    description: \"\",
}};

",
        id_lit = str_lit(&id),
        curie = str_lit(&s.curie()),
        curie_major = str_lit(&s.curie_major()),
        qname = str_lit(&format!("{}:{}", s.id.vendor(), s.id.message())),
        vendor = str_lit(s.id.vendor()),
        package = str_lit(s.id.package()),
        category = str_lit(s.id.category().unwrap_or("")),
        message = str_lit(s.id.message()),
        minor = s.id.version().minor,
        patch = s.id.version().patch,
        mixins = mixins
            .iter()
            .map(|m| str_lit(m))
            .collect::<Vec<_>>()
            .join(", "),
        id_field = match id_field {
            Some(f) => format!("Some({})", str_lit(f)),
            None => "None".to_owned(),
        },
        is_deprecated = s.deprecated,
    ));

    out.push_str(&format!("/// Message `{}`.\n", s.curie_major()));
    out.push_str(deprecated);
    if !s.mixins.is_empty() {
        out.push_str("///\n/// Mixins: ");
        out.push_str(
            &s.mixins
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", "),
        );
        out.push_str(".\n");
    }
    out.push_str(&format!(
        "#[derive(Debug, Clone)]
pub struct {ty}(pbj::MessageData);

impl pbj::Message for {ty} {{
    fn data(&self) -> &pbj::MessageData {{
        &self.0
    }}

    fn data_mut(&mut self) -> &mut pbj::MessageData {{
        &mut self.0
    }}

    fn clone_message(&self) -> Box<dyn pbj::Message> {{
        Box::new(Clone::clone(self))
    }}

    fn as_any(&self) -> &dyn std::any::Any {{
        self
    }}

    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {{
        self
    }}
}}

impl pbj::MessageType for {ty} {{
    const SCHEMA: &'static pbj::Schema = &{schema_static};

    fn from_data(data: pbj::MessageData) -> Self {{
        Self(data)
    }}

    fn into_data(self) -> pbj::MessageData {{
        self.0
    }}
}}

impl Default for {ty} {{
    fn default() -> Self {{
        Self::new()
    }}
}}

impl From<{ty}> for Box<dyn pbj::Message> {{
    fn from(message: {ty}) -> Self {{
        Box::new(message)
    }}
}}

impl {ty} {{
    /// A new message with every default populated (generated ids, timestamps, ...).
    pub fn new() -> Self {{
        Self(pbj::MessageData::new(&{schema_static}))
    }}

    /// A message with only `_schema` set: no defaults.
    pub fn empty() -> Self {{
        Self(pbj::MessageData::empty(&{schema_static}))
    }}
"
    ));

    let mut names = MethodNames::default();
    for (i, f) in fields.iter().enumerate() {
        let index = i + 1;
        let access = Access::of(ctx, f, from);
        let suffix = names.claim(&f.name, prefixes(f.rule));
        out.push('\n');
        out.push_str(&render_field_methods(f, &access, &suffix, index));
    }
    out.push_str("}\n");

    let mut seen = HashSet::new();
    for m in &s.mixins {
        let Some(mixin) = ctx.store.resolve(m).filter(|m| m.is_mixin) else {
            continue;
        };
        let path = ctx.schema_item_path(from, mixin, &mixins::trait_name(ctx, mixin));
        if seen.insert(path.clone()) {
            out.push_str(&format!("\nimpl {path} for {ty} {{}}\n"));
        }
    }
    out
}

/// Getter, setters and clearer of one field, indented for an impl block.
fn render_field_methods(f: &FieldDecl, a: &Access, suffix: &str, index: usize) -> String {
    let getter = escape(suffix);
    // Intra-doc links cannot name raw identifiers.
    let link = if getter.starts_with("r#") {
        format!("field `{}`", f.name)
    } else {
        format!("[`Self::{getter}`]")
    };
    let mut m = String::new();
    m.push_str(&field_doc(f));
    m.push_str(&method_allows(&getter));
    m.push_str(&format!(
        "pub fn {getter}(&self) -> {} {{\n    {}\n}}\n",
        a.getter_ty(f.rule),
        a.getter_expr(f.rule, "self.0", &index.to_string())
    ));
    let name = str_lit(&f.name);
    let (in_ty, to_value) = (a.in_ty(), a.to_value());
    match f.rule {
        FieldRule::Single => {
            m.push_str(&format!(
                "
/// Sets {link} (an empty value clears it).
pub fn set_{suffix}(&mut self, v: {in_ty}) -> Result<&mut Self, pbj::Error> {{
    self.0.set_at({index}, {to_value})?;
    Ok(self)
}}

/// Builder form of [`Self::set_{suffix}`].
pub fn with_{suffix}(mut self, v: {in_ty}) -> Result<Self, pbj::Error> {{
    self.set_{suffix}(v)?;
    Ok(self)
}}
"
            ));
        }
        FieldRule::Set | FieldRule::List => {
            let method = if f.rule == FieldRule::Set {
                "add_to_set"
            } else {
                "add_to_list"
            };
            m.push_str(&format!(
                "
/// Adds a value to {link}.
pub fn add_to_{suffix}(&mut self, v: {in_ty}) -> Result<&mut Self, pbj::Error> {{
    self.0.{method}({name}, [{to_value}])?;
    Ok(self)
}}
"
            ));
        }
        FieldRule::Map => {
            m.push_str(&format!(
                "
/// Puts `key -> v` in {link}.
pub fn put_in_{suffix}(&mut self, key: &str, v: {in_ty}) -> Result<&mut Self, pbj::Error> {{
    self.0.add_to_map({name}, key, {to_value})?;
    Ok(self)
}}
"
            ));
        }
    }
    m.push_str(&format!(
        "
/// Clears {link} (re-applying its default).
pub fn clear_{suffix}(&mut self) -> Result<&mut Self, pbj::Error> {{
    self.0.clear_at({index})?;
    Ok(self)
}}
"
    ));
    indent(&m, 1)
}

/// Indents every non-empty line by `levels` * 4 spaces.
pub(crate) fn indent(text: &str, levels: usize) -> String {
    let pad = "    ".repeat(levels);
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}
