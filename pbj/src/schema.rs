//! Static schema descriptors ([`Schema`]), as emitted by pbjc.

use heck::ToUpperCamelCase;

use crate::field::Field;
use crate::schema_id::{SchemaId, SchemaVersion};

/// The static description of one message schema version.
///
/// pbjc generates one `static` per schema; hand-written ones (as in tests) look the same.
///
/// ```
/// # include!("../doc/article.rs");
/// # fn main() -> Result<(), pbj::Error> {
/// let schema = &ARTICLE_PUBLISHED;
/// assert_eq!(schema.field_index("title"), Some(2));
/// assert!(schema.field("title").is_some_and(|f| f.required));
/// assert!(schema.uses_curie("acme:blog:mixin:publishable"));
/// assert_eq!(schema.class_name(), "ArticlePublishedV1");
/// assert_eq!(schema.schema_id()?.curie_major(), schema.curie_major);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Schema {
    /// `pbj:vendor:package:category:message:M-m-p`.
    pub id: &'static str,
    /// `vendor:package:category:message`.
    pub curie: &'static str,
    /// `vendor:package:category:message:vM`.
    pub curie_major: &'static str,
    /// `vendor:message`.
    pub qname: &'static str,
    /// The vendor segment.
    pub vendor: &'static str,
    /// The package segment.
    pub package: &'static str,
    /// The category segment (`""` when empty).
    pub category: &'static str,
    /// The message segment.
    pub message: &'static str,
    /// The version.
    pub version: SchemaVersion,
    /// Fields in wire order; field 0 is always `_schema`.
    pub fields: &'static [Field],
    /// Mixins in both forms: curie major and curie (`a:b:mixin:c:v1`, `a:b:mixin:c`).
    pub mixins: &'static [&'static str],
    /// Name of the field used by [`crate::Message::generate_message_ref`] (e.g. `event_id`).
    pub id_field: Option<&'static str>,
    /// Whether the schema is marked deprecated.
    pub deprecated: bool,
    /// The schema's description.
    pub description: &'static str,
}

impl Schema {
    /// Index of the field called `name`.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Whether the schema lists `mixin` (curie or curie major).
    pub fn has_mixin(&self, mixin: &str) -> bool {
        self.mixins.contains(&mixin)
    }

    /// True if the schema has mixin `curie`, or `curie` is its own curie or curie major.
    pub fn uses_curie(&self, curie: &str) -> bool {
        self.has_mixin(curie) || self.curie == curie || self.curie_major == curie
    }

    /// The parsed schema id (generated schemas always carry valid ids; a hand-written schema
    /// with a malformed id gets the parse error).
    pub fn schema_id(&self) -> Result<SchemaId, crate::Error> {
        SchemaId::parse(self.id)
    }

    /// Rust-style type name, e.g. `ArticleV1` (the name pbjc gives the generated type).
    ///
    /// ```
    /// let schema = pbj::Schema {
    ///     id: "pbj:gdbots:pbjx:event:health-checked:2-0-0",
    ///     curie: "gdbots:pbjx:event:health-checked",
    ///     curie_major: "gdbots:pbjx:event:health-checked:v2",
    ///     qname: "gdbots:health-checked",
    ///     vendor: "gdbots",
    ///     package: "pbjx",
    ///     category: "event",
    ///     message: "health-checked",
    ///     version: pbj::SchemaVersion::new(2, 0, 0),
    ///     fields: &[],
    ///     mixins: &[],
    ///     id_field: None,
    ///     deprecated: false,
    ///     description: "",
    /// };
    /// assert_eq!(schema.class_name(), "HealthCheckedV2");
    /// ```
    pub fn class_name(&self) -> String {
        // Message names are lowercase `[a-z0-9-]` (the id grammar): heck only capitalizes.
        format!(
            "{}V{}",
            self.message.to_upper_camel_case(),
            self.version.major
        )
    }
}
