//! The message resolver: schema id / curie -> message type, and mixin -> implementing curies.
//!
//! There is no process-wide registry: every decode names the registry it resolves with.
//! pbjc generates one per compiled store (`schemas::registry()`, the stores it names through
//! `extern_path` included), which generated types' [`crate::MessageType::from_json`] uses.

use rustc_hash::FxHashMap as HashMap;

use crate::codec::DecodeOptions;
use crate::message::{Message, MessageData, MessageType};
use crate::schema::Schema;
use crate::schema_id::SchemaId;

/// Builds a boxed message of a registered type from decoded data.
pub type Constructor = fn(MessageData) -> Box<dyn Message>;

/// One registered message type.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// The schema of the type.
    pub schema: &'static Schema,
    /// Wraps data of that schema into the generated type.
    pub constructor: Constructor,
}

/// Maps curie majors to message types and mixins to the messages that use them.
///
/// Generated code registers every type of a store with one call (`schemas::register(&mut r)`);
/// decoding resolves each `_schema` (nested messages included) through the registry.
///
/// ```
/// # include!("../doc/article.rs");
/// # fn main() -> Result<(), pbj::Error> {
/// use pbj::{DynamicMessage, Registry, SchemaId};
///
/// let mut registry = Registry::new();
/// registry.register(&ARTICLE_PUBLISHED, |data| Box::new(DynamicMessage(data)));
///
/// // Any minor version of a registered major resolves to the registered type.
/// let id = SchemaId::parse("pbj:acme:blog:event:article-published:1-5-0")?;
/// assert_eq!(registry.resolve_id(&id).map(|e| e.schema.id), Some(ARTICLE_PUBLISHED.id));
/// // A bare curie resolves to its highest registered major.
/// let article = registry.create("acme:blog:event:article-published").expect("registered");
/// assert_eq!(article.schema().curie_major, "acme:blog:event:article-published:v1");
/// assert_eq!(
///     registry.find_all_using_mixin("acme:blog:mixin:publishable:v1"),
///     ["acme:blog:event:article-published:v1"]
/// );
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default, Clone)]
pub struct Registry {
    // Fx-hashed: every decoded message (nested ones included) looks its `_schema` up here.
    by_id: HashMap<&'static str, Entry>,
    by_curie_major: HashMap<&'static str, Entry>,
    by_mixin: HashMap<&'static str, Vec<&'static str>>,
    // The curies of registered schemas that a message-ref may name, checked once here: the
    // streaming decoder skips the curie check of a ref to a registered type.
    ref_curies: rustc_hash::FxHashSet<&'static str>,
    decode_options: DecodeOptions,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a message type (a later registration of the same curie major replaces it).
    pub fn register(&mut self, schema: &'static Schema, constructor: Constructor) {
        if crate::schema_id::check_curie(schema.curie) == Some(false) {
            self.ref_curies.insert(schema.curie);
        }
        self.by_id.insert(
            schema.id,
            Entry {
                schema,
                constructor,
            },
        );
        if self
            .by_curie_major
            .insert(
                schema.curie_major,
                Entry {
                    schema,
                    constructor,
                },
            )
            .is_none()
        {
            for mixin in schema.mixins {
                let users = self.by_mixin.entry(mixin).or_default();
                users.push(schema.curie_major);
                users.sort_unstable();
            }
        }
    }

    /// Registers the generated type `T` (what generated `register` functions call).
    pub fn register_type<T: MessageType>(&mut self) {
        self.register(T::SCHEMA, |data| Box::new(T::from_data(data)));
    }

    /// The registry with `options` for every [`codec::decode`](crate::codec::decode) through
    /// it, e.g. [`DecodeOptions::lenient`] for a service that replaces a JS or PHP one.
    ///
    /// ```
    /// use pbj::{Registry, codec::DecodeOptions};
    ///
    /// let registry = Registry::new().with_decode_options(DecodeOptions::lenient());
    /// assert!(registry.decode_options().is_lenient());
    /// assert!(!Registry::new().decode_options().is_lenient());
    /// ```
    pub fn with_decode_options(mut self, options: DecodeOptions) -> Self {
        self.decode_options = options;
        self
    }

    /// Sets the options every decode through this registry uses.
    pub fn set_decode_options(&mut self, options: DecodeOptions) {
        self.decode_options = options;
    }

    /// The options every decode through this registry uses (strict by default).
    pub fn decode_options(&self) -> DecodeOptions {
        self.decode_options
    }

    /// Number of registered types.
    pub fn len(&self) -> usize {
        self.by_curie_major.len()
    }

    /// Whether nothing is registered.
    pub fn is_empty(&self) -> bool {
        self.by_curie_major.is_empty()
    }

    /// The type registered for the id's curie major.
    pub fn resolve_id(&self, id: &SchemaId) -> Option<&Entry> {
        self.by_curie_major.get(id.curie_major().as_str())
    }

    /// The type for a schema id string: an exact id match, else by the id's curie major.
    pub fn resolve_id_str(&self, id: &str) -> Result<&Entry, crate::Error> {
        if let Some(e) = self.by_id.get(id) {
            return Ok(e);
        }
        let parsed = SchemaId::parse(id)?;
        self.resolve_id(&parsed)
            .ok_or_else(|| crate::Error::NoMessageForSchemaId {
                field: String::new(),
                schema: id.to_owned(),
            })
    }

    /// Whether `curie` is the curie of a registered schema and valid in a message-ref (a
    /// curie that is not a mixin's), so [`MessageRef::new`](crate::MessageRef::new) would
    /// accept it.
    pub(crate) fn is_ref_curie(&self, curie: &str) -> bool {
        self.ref_curies.contains(curie)
    }

    /// The type for a curie major, or for a bare curie the highest registered major.
    pub fn resolve_curie(&self, curie: &str) -> Option<&Entry> {
        if let Some(e) = self.by_curie_major.get(curie) {
            return Some(e);
        }
        self.by_curie_major
            .values()
            .filter(|e| e.schema.curie == curie)
            .max_by_key(|e| e.schema.version.major)
    }

    /// Curie majors of every registered message using `mixin` (curie or curie major), sorted.
    pub fn find_all_using_mixin(&self, mixin: &str) -> &[&'static str] {
        self.by_mixin.get(mixin).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every registered entry, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.by_curie_major.values()
    }

    /// Builds an empty message (defaults populated) of the type registered for `curie`.
    pub fn create(&self, curie: &str) -> Option<Box<dyn Message>> {
        self.resolve_curie(curie)
            .map(|e| (e.constructor)(MessageData::new(e.schema)))
    }
}
