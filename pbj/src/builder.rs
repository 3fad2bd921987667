//! [`Builder`]: the engine of generated message builders (`PublishArticleV1::builder()`).
//!
//! Every setter runs at once; instead of stopping at the first rejected value, the builder
//! remembers it and goes on, and [`Builder::build`] validates the message and returns every
//! problem in one [`Error::Violations`].

use crate::error::{Error, Violation};
use crate::message::MessageType;

/// A message under construction plus the problems found so far.
///
/// Generated builders wrap one; hand-written code can use it directly:
///
/// ```
/// # use std::sync::Arc;
/// # use pbj::{Field, FieldRule, FieldType, Message, MessageData, MessageType, Registry, Schema};
/// # static FIELDS: [Field; 3] = [
/// #     Field::new("_schema", FieldType::String, FieldRule::Single).required(),
/// #     Field::new("title", FieldType::String, FieldRule::Single).required().with_max_length(10),
/// #     Field::new("tags", FieldType::String, FieldRule::Set),
/// # ];
/// # static SCHEMA: Schema = Schema {
/// #     id: "pbj:acme:blog::note:1-0-0", curie: "acme:blog::note", curie_major: "acme:blog::note:v1",
/// #     qname: "acme:note", vendor: "acme", package: "blog", category: "", message: "note",
/// #     version: pbj::SchemaVersion::new(1, 0, 0), fields: &FIELDS, mixins: &[], id_field: None,
/// #     deprecated: false, description: "",
/// # };
/// # #[derive(Debug, Clone, PartialEq)]
/// # struct NoteV1(MessageData);
/// # impl Message for NoteV1 {
/// #     fn data(&self) -> &MessageData { &self.0 }
/// #     fn data_mut(&mut self) -> &mut MessageData { &mut self.0 }
/// #     fn clone_message(&self) -> Box<dyn Message> { Box::new(self.clone()) }
/// # }
/// # impl MessageType for NoteV1 {
/// #     const SCHEMA: &'static Schema = &SCHEMA;
/// #     fn from_data(data: MessageData) -> Self { Self(data) }
/// #     fn into_data(self) -> MessageData { self.0 }
/// #     fn registry() -> Arc<Registry> { Arc::default() }
/// # }
/// use pbj::{Builder, Error};
///
/// let mut note = Builder::new(NoteV1::from_data(MessageData::new(&SCHEMA)));
/// note.apply(|m| {
///     m.data_mut().set("title", "far too long for ten bytes")?;
///     Ok(m)
/// });
/// note.apply_each(["a", "b"], |m, tag| {
///     m.data_mut().add_to_set("tags", [tag])?;
///     Ok(m)
/// });
/// let Err(Error::Violations { violations, .. }) = note.build() else {
///     panic!("the title is too long");
/// };
/// assert_eq!(violations.len(), 1);
/// assert_eq!(violations[0].field, "title");
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct Builder<T> {
    message: T,
    violations: Vec<Violation>,
}

impl<T: MessageType> Builder<T> {
    /// Starts from `message` (usually `T::new()`, with defaults populated).
    pub fn new(message: T) -> Self {
        Self {
            message,
            violations: Vec::new(),
        }
    }

    /// Runs one setter of the message (`set_title`, `add_to_tags`, ...); a rejected value is
    /// remembered for [`Self::build`].
    pub fn apply(&mut self, set: impl FnOnce(&mut T) -> Result<&mut T, Error>) {
        if let Err(e) = set(&mut self.message) {
            self.violations.push(e.to_violation());
        }
    }

    /// Runs `set` once per value (e.g. `add_to_tags`), remembering every rejected one.
    pub fn apply_each<V>(
        &mut self,
        values: impl IntoIterator<Item = V>,
        mut set: impl FnMut(&mut T, V) -> Result<&mut T, Error>,
    ) {
        for v in values {
            self.apply(|m| set(m, v));
        }
    }

    /// The message, after every setter succeeded and [`crate::Message::validate`] passed;
    /// else every problem (a rejected value hides the "required" violation of its field).
    pub fn build(self) -> Result<T, Error> {
        let Self {
            message,
            mut violations,
        } = self;
        if let Err(found) = message.validate() {
            for v in found {
                if !violations.iter().any(|seen| seen.field == v.field) {
                    violations.push(v);
                }
            }
        }
        if violations.is_empty() {
            Ok(message)
        } else {
            Err(Error::Violations {
                schema: T::SCHEMA.id.to_owned(),
                violations,
            })
        }
    }
}
