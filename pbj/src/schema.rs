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

/// A thread's memo of a small value derived from a schema (a field index, a list of slots),
/// for the per-message paths that would otherwise look it up by name or hash every time.
///
/// Keeps the values of the last `N` schemas used: a hit is a few pointer comparisons; a miss
/// derives the value and puts it first, dropping the least recently added one. Meant for a
/// `thread_local!` with a `const` initializer: it has no destructor, so the thread-local stays
/// usable (`with` does not fail) even while the thread's other thread-locals are torn down.
/// The value must be cheap to copy.
///
/// ```
/// # include!("../doc/article.rs");
/// use pbj::schema::SchemaMemo;
///
/// thread_local! {
///     static TITLE: SchemaMemo<Option<usize>, 4> = const { SchemaMemo::new() };
/// }
///
/// # fn main() {
/// let title = |schema| TITLE.with(|memo| memo.get(schema, |s| s.field_index("title")));
/// assert_eq!(title(&ARTICLE_PUBLISHED), Some(2));
/// assert_eq!(title(&ARTICLE_PUBLISHED), Some(2)); // remembered
/// # }
/// ```
pub struct SchemaMemo<T: Copy, const N: usize> {
    entries: [std::cell::Cell<Option<(*const Schema, T)>>; N],
}

impl<T: Copy, const N: usize> SchemaMemo<T, N> {
    /// An empty memo.
    pub const fn new() -> Self {
        Self {
            entries: [const { std::cell::Cell::new(None) }; N],
        }
    }

    /// The value of `schema`, derived with `derive` unless remembered.
    pub fn get(&self, schema: &'static Schema, derive: impl FnOnce(&'static Schema) -> T) -> T {
        let key = std::ptr::from_ref(schema);
        for entry in &self.entries {
            match entry.get() {
                Some((cached, value)) if cached == key => return value,
                Some(_) => {}
                None => break,
            }
        }
        let value = derive(schema);
        let mut carried = Some((key, value));
        for entry in &self.entries {
            carried = entry.replace(carried);
            if carried.is_none() {
                break;
            }
        }
        value
    }
}

impl<T: Copy, const N: usize> Default for SchemaMemo<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

/// A version 1-0-0 [`Schema`] of `fields` for unit tests, its names built from
/// `vendor:package:category:message` (no mixins, no id field).
#[cfg(test)]
macro_rules! test_schema {
    ($vendor:literal : $package:literal : $category:literal : $message:literal, $fields:expr) => {
        $crate::schema::Schema {
            id: concat!(
                "pbj:", $vendor, ":", $package, ":", $category, ":", $message, ":1-0-0"
            ),
            curie: concat!($vendor, ":", $package, ":", $category, ":", $message),
            curie_major: concat!($vendor, ":", $package, ":", $category, ":", $message, ":v1"),
            qname: concat!($vendor, ":", $message),
            vendor: $vendor,
            package: $package,
            category: $category,
            message: $message,
            version: $crate::schema_id::SchemaVersion::new(1, 0, 0),
            fields: $fields,
            mixins: &[],
            id_field: None,
            deprecated: false,
            description: "",
        }
    };
}
#[cfg(test)]
pub(crate) use test_schema;

#[cfg(test)]
mod memo_tests {
    use super::*;
    use std::cell::Cell;

    fn schema(message: &'static str) -> &'static Schema {
        Box::leak(Box::new(Schema {
            id: "pbj:acme:test:event:x:1-0-0",
            curie: "acme:test:event:x",
            curie_major: "acme:test:event:x:v1",
            qname: "acme:x",
            vendor: "acme",
            package: "test",
            category: "event",
            message,
            version: SchemaVersion::new(1, 0, 0),
            fields: &[],
            mixins: &[],
            id_field: None,
            deprecated: false,
            description: "",
        }))
    }

    #[test]
    fn remembers_the_last_n_schemas_and_derives_the_others_again() {
        let (a, b, c) = (schema("a"), schema("b"), schema("c"));
        let memo: SchemaMemo<&'static str, 2> = SchemaMemo::new();
        let derived = Cell::new(0);
        let get = |s: &'static Schema| {
            memo.get(s, |s| {
                derived.set(derived.get() + 1);
                s.message
            })
        };
        assert_eq!((get(a), get(b), get(a), get(b)), ("a", "b", "a", "b"));
        assert_eq!(derived.get(), 2, "a and b are derived once");
        assert_eq!(get(c), "c");
        assert_eq!(derived.get(), 3);
        // c pushed out the entry added least recently (a); b and c stay.
        assert_eq!((get(b), get(c)), ("b", "c"));
        assert_eq!(derived.get(), 3);
        assert_eq!(get(a), "a");
        assert_eq!(derived.get(), 4);
    }

    #[test]
    fn a_memo_of_no_entries_always_derives() {
        let memo: SchemaMemo<u8, 0> = SchemaMemo::new();
        let a = schema("a");
        assert_eq!(memo.get(a, |_| 7), 7);
        assert_eq!(memo.get(a, |_| 8), 8);
    }
}
