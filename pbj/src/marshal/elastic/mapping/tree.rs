//! Mapping trees under construction: object nodes are reference-counted, so a subtree built
//! once is shared wherever it appears, merging a subtree into itself costs nothing, and its
//! JSON text is written once and then copied.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::marshal::{JsonValue, write_json_object};

/// A JSON value whose objects are shared.
#[derive(Debug, Clone)]
pub(super) enum Node {
    /// Anything but an object.
    Value(JsonValue),
    /// An object (immutable once built).
    Object(Rc<Object>),
}

/// The entries of an object node, keys in insertion order, and its JSON text once written.
#[derive(Debug)]
pub(super) struct Object {
    entries: Vec<(String, Node)>,
    text: OnceCell<String>,
}

impl Object {
    fn new(entries: Vec<(String, Node)>) -> Rc<Self> {
        Rc::new(Self {
            entries,
            text: OnceCell::new(),
        })
    }
}

impl Default for Node {
    fn default() -> Self {
        Self::empty()
    }
}

/// Equal JSON (shared objects compare by pointer first).
impl PartialEq for Node {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Object(a), Self::Object(b)) => Rc::ptr_eq(a, b) || a.entries == b.entries,
            (Self::Value(a), Self::Value(b)) => a == b,
            _ => false,
        }
    }
}

impl Node {
    /// An empty object.
    pub(super) fn empty() -> Self {
        Self::Object(Object::new(Vec::new()))
    }

    /// An object node of `entries`.
    pub(super) fn object(entries: Vec<(String, Node)>) -> Self {
        Self::Object(Object::new(entries))
    }

    pub(super) fn from_json(v: JsonValue) -> Self {
        match v {
            JsonValue::Object(entries) => Self::object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, Self::from_json(v)))
                    .collect(),
            ),
            other => Self::Value(other),
        }
    }

    /// The expanded value.
    pub(super) fn to_json(&self) -> JsonValue {
        match self {
            Self::Value(v) => v.clone(),
            Self::Object(object) => JsonValue::Object(
                object
                    .entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// Appends the compact JSON text (as [`JsonValue::write`] would); an object's text is kept
    /// the first time, so a shared subtree is written once and copied afterwards.
    pub(super) fn write(&self, out: &mut String) {
        match self {
            Self::Value(v) => v.write(out),
            Self::Object(object) => {
                if let Some(text) = object.text.get() {
                    out.push_str(text);
                    return;
                }
                let start = out.len();
                write_json_object(out, &object.entries, Self::write);
                // Only objects that are shared are worth keeping.
                if Rc::strong_count(object) > 1 {
                    let _ = object.text.set(out[start..].to_owned());
                }
            }
        }
    }

    /// `other` merged into `self`, as [`JsonValue::merge`] (PHP `array_replace_recursive`).
    pub(super) fn merged(&self, other: &Node) -> Node {
        match (self, other) {
            (Self::Object(a), Self::Object(b)) if Rc::ptr_eq(a, b) => self.clone(),
            (Self::Object(a), Self::Object(b)) => {
                let mut object = ObjectBuilder::from_entries(&a.entries);
                for (k, v) in &b.entries {
                    object.merge(k, v);
                }
                object.finish()
            }
            (Self::Value(a), Self::Value(b)) => {
                let mut v = a.clone();
                v.merge(b.clone());
                Self::Value(v)
            }
            (_, other) => other.clone(),
        }
    }
}

/// An object being assembled from many merges (keys indexed, so each merge costs the size of
/// what is merged in, not of what is already there).
#[derive(Default)]
pub(super) struct ObjectBuilder {
    entries: Vec<(String, Node)>,
    index: HashMap<String, usize>,
}

impl ObjectBuilder {
    pub(super) fn from_entries(entries: &[(String, Node)]) -> Self {
        let mut object = Self::default();
        for (k, v) in entries {
            object.merge(k, v);
        }
        object
    }

    /// Merges `value` under `key` (appended when new).
    pub(super) fn merge(&mut self, key: &str, value: &Node) {
        match self.index.get(key) {
            Some(&i) => {
                let slot = &mut self.entries[i].1;
                *slot = slot.merged(value);
            }
            None => {
                self.index.insert(key.to_owned(), self.entries.len());
                self.entries.push((key.to_owned(), value.clone()));
            }
        }
    }

    /// Merges every entry of an object node (a non-object replaces nothing: it is ignored).
    pub(super) fn merge_object(&mut self, node: &Node) {
        if let Node::Object(object) = node {
            for (k, v) in &object.entries {
                self.merge(k, v);
            }
        }
    }

    pub(super) fn finish(self) -> Node {
        Node::object(self.entries)
    }
}
