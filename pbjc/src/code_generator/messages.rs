//! Message structs: schema statics, `pbj::Message` impls, typed getters and setters, builders.

use std::collections::HashSet;

use pbj::FieldRule;

use super::accessors::{Access, method_allows};
use super::fields::render_fields_static;
use super::naming::{escape, message_type, method_suffix, screaming, str_lit};
use super::{Ctx, doc, integrations, mixins};
use crate::model::{FieldDecl, SchemaDecl};

/// Field names that identify a message, by priority (`Schema::id_field`).
const ID_FIELDS: [&str; 5] = ["_id", "command_id", "event_id", "request_id", "response_id"];

/// Inherent method names the generator uses itself.
const RESERVED: [&str; 3] = ["new", "empty", "builder"];

/// Allocates collision-free method names for the fields of one impl or trait.
#[derive(Default)]
pub(crate) struct MethodNames {
    taken: HashSet<String>,
}

impl MethodNames {
    /// The method-name suffix of `field` such that every `(prefix, postfix)` around it is
    /// still free; claims those names.
    pub fn claim(&mut self, field: &str, affixes: &[(&str, &str)]) -> String {
        let base = method_suffix(field);
        let mut n = 0;
        loop {
            let suffix = if n == 0 {
                base.clone()
            } else {
                format!("{base}_{n}")
            };
            let names: Vec<String> = affixes
                .iter()
                .map(|(pre, post)| format!("{pre}{suffix}{post}"))
                .collect();
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

/// Method names generated for a field of `rule` around its suffix (the getter is bare);
/// `downcast` adds the `{getter}_as::<M>()` helper of multi-type message fields.
pub(crate) fn affixes(rule: FieldRule, downcast: bool) -> Vec<(&'static str, &'static str)> {
    let mut out = match rule {
        FieldRule::Single => vec![("", ""), ("set_", ""), ("clear_", ""), ("with_", "")],
        FieldRule::Set | FieldRule::List => {
            vec![
                ("", ""),
                ("add_to_", ""),
                ("clear_", ""),
                ("remove_from_", ""),
            ]
        }
        FieldRule::Map => vec![
            ("", ""),
            ("put_in_", ""),
            ("clear_", ""),
            ("remove_from_", ""),
        ],
    };
    if downcast {
        out.push(("", "_as"));
    }
    out
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

/// One field of a message as the generator sees it.
struct FieldPlan<'a> {
    decl: &'a FieldDecl,
    access: Access,
    /// Method suffix (`title` for `set_title`).
    suffix: String,
    /// Index in the schema's field table.
    index: usize,
}

/// Renders the statics, the struct, its builder and their impls of one message schema in
/// module `from`.
pub(crate) fn render(ctx: &Ctx<'_>, s: &SchemaDecl, from: &[String]) -> String {
    let pbj = ctx.pbj();
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
{deprecated}pub static {schema_static}: {pbj}::Schema = {pbj}::Schema {{
    id: {id_lit},
    curie: {curie},
    curie_major: {curie_major},
    qname: {qname},
    vendor: {vendor},
    package: {package},
    category: {category},
    message: {message},
    version: {pbj}::SchemaVersion::new({major}, {minor}, {patch}),
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
    let root = "super::".repeat(from.len());
    out.push_str(&format!(
        "#[derive(Debug, Clone, PartialEq)]
pub struct {ty}({pbj}::MessageData);

impl {pbj}::Message for {ty} {{
    fn data(&self) -> &{pbj}::MessageData {{
        &self.0
    }}

    fn data_mut(&mut self) -> &mut {pbj}::MessageData {{
        &mut self.0
    }}

    fn clone_message(&self) -> Box<dyn {pbj}::Message> {{
        Box::new(Clone::clone(self))
    }}
}}

impl {pbj}::MessageType for {ty} {{
    const SCHEMA: &'static {pbj}::Schema = &{schema_static};

    fn from_data(data: {pbj}::MessageData) -> Self {{
        Self(data)
    }}

    fn into_data(self) -> {pbj}::MessageData {{
        self.0
    }}

    fn registry() -> ::std::sync::Arc<{pbj}::Registry> {{
        {root}registry()
    }}
}}

impl Default for {ty} {{
    fn default() -> Self {{
        Self::new()
    }}
}}

impl From<{ty}> for Box<dyn {pbj}::Message> {{
    fn from(message: {ty}) -> Self {{
        Box::new(message)
    }}
}}

impl From<{ty}> for ::std::sync::Arc<dyn {pbj}::Message> {{
    fn from(message: {ty}) -> Self {{
        ::std::sync::Arc::new(message)
    }}
}}

impl {ty} {{
    /// A new message with every default populated (generated ids, timestamps, ...).
    pub fn new() -> Self {{
        Self({pbj}::MessageData::new(&{schema_static}))
    }}

    /// A message with only `_schema` set: no defaults.
    pub fn empty() -> Self {{
        Self({pbj}::MessageData::empty(&{schema_static}))
    }}

    /// A builder starting from [`Self::new`] that collects every rejected value and checks
    /// required fields on `build`.
    pub fn builder() -> {ty}Builder {{
        {ty}Builder({pbj}::Builder::new(Self::new()))
    }}
"
    ));

    let mut names = MethodNames::default();
    let plans: Vec<FieldPlan<'_>> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let access = Access::of(ctx, f, from);
            let suffix = names.claim(&f.name, &affixes(f.rule, access.downcast));
            FieldPlan {
                decl: f,
                access,
                suffix,
                index: i + 1,
            }
        })
        .collect();
    for plan in &plans {
        out.push('\n');
        out.push_str(&render_field_methods(ctx, plan));
    }
    out.push_str("}\n\n");
    out.push_str(&render_builder(ctx, &ty, &plans));

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
    out.push_str(&integrations::render(ctx, s, &ty, &schema_static));
    out
}

/// The `[`Self::x`]`-style link to a method, or plain text where rustdoc cannot link.
fn method_link(owner: &str, method: &str, field: &str) -> String {
    // Intra-doc links cannot name raw identifiers.
    if method.starts_with("r#") {
        format!("field `{field}`")
    } else {
        format!("[`{owner}::{method}`]")
    }
}

/// Getter, setters, removers and clearer of one field, indented for an impl block.
fn render_field_methods(ctx: &Ctx<'_>, plan: &FieldPlan<'_>) -> String {
    let pbj = ctx.pbj();
    let FieldPlan {
        decl: f,
        access: a,
        suffix,
        index,
    } = plan;
    let getter = escape(suffix);
    let link = method_link("Self", &getter, &f.name);
    let mut m = String::new();
    m.push_str(&field_doc(f));
    m.push_str(&method_allows(&getter));
    m.push_str(&format!(
        "pub fn {getter}(&self) -> {} {{\n    {}\n}}\n",
        a.getter_ty(pbj, f.rule),
        Access::getter_expr(f.rule, "self.0", &index.to_string())
    ));
    if a.downcast {
        m.push_str(&format!(
            "
/// {link} as the generated message type `M` (values of other types are skipped).
pub fn {suffix}_as<M: {pbj}::MessageType>(&self) -> {} {{
    {}
}}
",
            Access::downcast_ty(pbj, f.rule),
            Access::getter_expr(f.rule, "self.0", &index.to_string())
        ));
    }
    let name = str_lit(&f.name);
    let (in_ty, to_value) = (a.in_ty(), a.to_value());
    match f.rule {
        FieldRule::Single => {
            m.push_str(&format!(
                "
/// Sets {link} (an empty value clears it).
pub fn set_{suffix}(&mut self, v: {in_ty}) -> Result<&mut Self, {pbj}::Error> {{
    self.0.set_at({index}, {to_value})?;
    Ok(self)
}}

/// Builder form of [`Self::set_{suffix}`].
pub fn with_{suffix}(mut self, v: {in_ty}) -> Result<Self, {pbj}::Error> {{
    self.set_{suffix}(v)?;
    Ok(self)
}}
"
            ));
        }
        FieldRule::Set | FieldRule::List => {
            let (rule, add, remove, how) = if f.rule == FieldRule::Set {
                (
                    "set",
                    "add_to_set",
                    "remove_from_set",
                    "(case-insensitive, like the set's uniqueness)",
                )
            } else {
                (
                    "list",
                    "add_to_list",
                    "remove_from_list",
                    "(every equal element)",
                )
            };
            m.push_str(&format!(
                "
/// Adds a value to {link} (a {rule}).
pub fn add_to_{suffix}(&mut self, v: {in_ty}) -> Result<&mut Self, {pbj}::Error> {{
    self.0.{add}_at({index}, [{to_value}])?;
    Ok(self)
}}

/// Removes a value from {link} {how}.
pub fn remove_from_{suffix}(&mut self, v: {in_ty}) -> Result<&mut Self, {pbj}::Error> {{
    self.0.{remove}({name}, [{to_value}])?;
    Ok(self)
}}
"
            ));
        }
        FieldRule::Map => {
            m.push_str(&format!(
                "
/// Puts `key -> v` in {link}.
pub fn put_in_{suffix}(&mut self, key: &str, v: {in_ty}) -> Result<&mut Self, {pbj}::Error> {{
    self.0.add_to_map_at({index}, key, {to_value})?;
    Ok(self)
}}

/// Removes `key` from {link}.
pub fn remove_from_{suffix}(&mut self, key: &str) -> Result<&mut Self, {pbj}::Error> {{
    self.0.remove_from_map({name}, key)?;
    Ok(self)
}}
"
            ));
        }
    }
    m.push_str(&format!(
        "
/// Clears {link} (re-applying its default).
pub fn clear_{suffix}(&mut self) -> Result<&mut Self, {pbj}::Error> {{
    self.0.clear_at({index})?;
    Ok(self)
}}
"
    ));
    indent(&m, 1)
}

/// The `{Type}Builder` struct: one method per field, named like its getter, and `build`.
fn render_builder(ctx: &Ctx<'_>, ty: &str, plans: &[FieldPlan<'_>]) -> String {
    let pbj = ctx.pbj();
    let mut out = format!(
        "/// Builder of [`{ty}`] (from [`{ty}::builder`]): every setter runs at once, a rejected
/// value is remembered instead of stopping the chain, and [`Self::build`] returns the
/// message or every problem ([`{pbj}::Error::Violations`], each naming its field).
#[derive(Debug, Clone)]
#[must_use = \"a builder does nothing until `build` is called\"]
pub struct {ty}Builder({pbj}::Builder<{ty}>);

impl {ty}Builder {{
"
    );
    let mut methods = String::new();
    for plan in plans {
        let f = plan.decl;
        // `build` is the builder's own method: a field called `build` sets through `build_field`.
        let name = match escape(&plan.suffix) {
            n if n == "build" => "build_field".to_owned(),
            n => n,
        };
        let getter = method_link(ty, &escape(&plan.suffix), &f.name);
        let in_ty = plan.access.in_ty();
        let suffix = &plan.suffix;
        methods.push_str(&method_allows(&name));
        methods.push_str(&match f.rule {
            FieldRule::Single => format!(
                "/// Sets {getter}.
pub fn {name}(mut self, v: {in_ty}) -> Self {{
    self.0.apply(|m| m.set_{suffix}(v));
    self
}}

"
            ),
            FieldRule::Set | FieldRule::List => format!(
                "/// Adds every value to {getter}.
pub fn {name}(mut self, values: impl IntoIterator<Item = {in_ty}>) -> Self {{
    self.0.apply_each(values, |m, v| m.add_to_{suffix}(v));
    self
}}

"
            ),
            FieldRule::Map => format!(
                "/// Puts every `(key, value)` in {getter}.
pub fn {name}(mut self, entries: impl IntoIterator<Item = (impl AsRef<str>, {in_ty})>) -> Self {{
    self.0.apply_each(entries, |m, (k, v)| m.put_in_{suffix}(k.as_ref(), v));
    self
}}

"
            ),
        });
    }
    methods.push_str(&format!(
        "/// The message, or every rejected value and unset required field.
pub fn build(self) -> Result<{ty}, {pbj}::Error> {{
    self.0.build()
}}
"
    ));
    out.push_str(&indent(&methods, 1));
    out.push_str("}\n");
    out
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
