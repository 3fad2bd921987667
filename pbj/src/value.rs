//! Runtime values held by message fields.

use crate::message::Message;
use crate::time::{Date, DateTime};
use crate::well_known::{DynamicField, GeoPoint, MessageRef, Microtime, NodeRef};
/// The string of [`Value::String`] (re-exported from `compact_str`): up to 24 bytes are held
/// inline and a `&'static str` is held by reference (`CompactString::const_new`), so most field
/// values, schema ids and enum values cost no allocation. Built from `&str`, `String`,
/// `&String`, `Cow<str>` and `Box<str>` with `.into()`; read with `as_str()` or deref.
pub use compact_str::CompactString;

/// One value of a field (one element of a set/list/map field).
///
/// Values compare by content; nested messages compare like [`Message`]s.
#[derive(Debug, PartialEq)]
// The tag as a whole aligned word (the size stays 32 bytes): a `Value` then moves as whole
// words. A one-byte tag left odd-sized pieces that compiled into overlapping moves, and their
// reloads stalled store forwarding in the setters.
#[repr(u64)]
pub enum Value {
    /// `boolean`.
    Bool(bool),
    /// Every bounded int type, `timestamp`, `trinary` and `int-enum`.
    Int(i64),
    /// `big-int` and `signed-big-int`.
    BigInt(i128),
    /// `float` and `decimal`.
    Float(f64),
    /// `string`, `text`, `medium-text`, `identifier`, `string-enum`, `uuid`, `time-uuid`.
    ///
    /// ```
    /// use pbj::Value;
    ///
    /// let v = Value::String("homer".into());
    /// assert_eq!(v.as_str(), Some("homer"));
    /// ```
    String(CompactString),
    /// `binary`, `blob`, `medium-blob` (raw bytes; base64 on the wire).
    Binary(Vec<u8>),
    /// `date`.
    Date(Date),
    /// `date-time`.
    DateTime(DateTime),
    /// `microtime`.
    Microtime(Microtime),
    /// `node-ref`.
    NodeRef(NodeRef),
    /// `message-ref`.
    MessageRef(MessageRef),
    /// `geo-point`.
    GeoPoint(GeoPoint),
    /// `dynamic-field`.
    DynamicField(DynamicField),
    /// `message`.
    Message(Box<dyn Message>),
    /// A list element without a value, written as JSON `null`.
    ///
    /// Only [lenient decoding](crate::codec::DecodeOptions::lenient) stores it, where the JS
    /// implementation keeps `null` in a list (a `null`, blank or empty element of a list of
    /// strings, dates, ids, messages, ...). Setters reject it.
    Null,
}

impl Clone for Value {
    fn clone(&self) -> Self {
        match self {
            Self::Bool(v) => Self::Bool(*v),
            Self::Int(v) => Self::Int(*v),
            Self::BigInt(v) => Self::BigInt(*v),
            Self::Float(v) => Self::Float(*v),
            Self::String(v) => Self::String(v.clone()),
            Self::Binary(v) => Self::Binary(v.clone()),
            Self::Date(v) => Self::Date(*v),
            Self::DateTime(v) => Self::DateTime(*v),
            Self::Microtime(v) => Self::Microtime(*v),
            Self::NodeRef(v) => Self::NodeRef(v.clone()),
            Self::MessageRef(v) => Self::MessageRef(v.clone()),
            Self::GeoPoint(v) => Self::GeoPoint(*v),
            Self::DynamicField(v) => Self::DynamicField(v.clone()),
            Self::Message(m) => Self::Message(m.clone_message()),
            Self::Null => Self::Null,
        }
    }
}

impl Value {
    /// A string value.
    ///
    /// ```
    /// assert_eq!(pbj::Value::string("homer").as_str(), Some("homer"));
    /// ```
    #[inline]
    pub fn string(s: impl Into<CompactString>) -> Self {
        Self::String(s.into())
    }

    /// The string, if this is a string-like value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }
    /// The integer, if this is an int value.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Int(v) => Some(*v),
            _ => None,
        }
    }
    /// The float, if this is a float value.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Float(v) => Some(*v),
            _ => None,
        }
    }
    /// The boolean, if this is a bool value.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(v) => Some(*v),
            _ => None,
        }
    }
    /// The nested message, if this is a message value.
    pub fn as_message(&self) -> Option<&dyn Message> {
        match self {
            Self::Message(m) => Some(m.as_ref()),
            _ => None,
        }
    }
    /// A short name of the variant, for error messages.
    pub fn variant_name(&self) -> &'static str {
        match self {
            Self::Bool(_) => "bool",
            Self::Int(_) => "int",
            Self::BigInt(_) => "big-int",
            Self::Float(_) => "float",
            Self::String(_) => "string",
            Self::Binary(_) => "binary",
            Self::Date(_) => "date",
            Self::DateTime(_) => "date-time",
            Self::Microtime(_) => "microtime",
            Self::NodeRef(_) => "node-ref",
            Self::MessageRef(_) => "message-ref",
            Self::GeoPoint(_) => "geo-point",
            Self::DynamicField(_) => "dynamic-field",
            Self::Message(_) => "message",
            Self::Null => "null",
        }
    }
}

macro_rules! from_impl {
    ($($t:ty => $v:ident),* $(,)?) => {
        $(impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Self::$v(v.into())
            }
        })*
    };
}

from_impl!(
    bool => Bool,
    i64 => Int,
    i32 => Int,
    u32 => Int,
    u16 => Int,
    u8 => Int,
    i128 => BigInt,
    f64 => Float,
    String => String,
    &str => String,
    Vec<u8> => Binary,
    Date => Date,
    DateTime => DateTime,
    Microtime => Microtime,
    NodeRef => NodeRef,
    MessageRef => MessageRef,
    GeoPoint => GeoPoint,
    DynamicField => DynamicField,
);

impl From<Box<dyn Message>> for Value {
    fn from(m: Box<dyn Message>) -> Self {
        Self::Message(m)
    }
}

/// The stored content of one field, shaped by its rule.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// A single value.
    Single(Value),
    /// Unique values in first-seen order.
    Set(Vec<Value>),
    /// Ordered values.
    List(Vec<Value>),
    /// Key/value pairs in insertion order.
    Map(Vec<(CompactString, Value)>),
}

impl FieldValue {
    /// Whether the field holds nothing (an empty collection).
    pub fn is_empty(&self) -> bool {
        match self {
            Self::Single(_) => false,
            Self::Set(v) | Self::List(v) => v.is_empty(),
            Self::Map(m) => m.is_empty(),
        }
    }
    /// The single value, if this is a single-value field.
    pub fn as_single(&self) -> Option<&Value> {
        match self {
            Self::Single(v) => Some(v),
            _ => None,
        }
    }
    /// The values of a set or list field.
    pub fn as_slice(&self) -> &[Value] {
        match self {
            Self::Set(v) | Self::List(v) => v,
            Self::Single(v) => std::slice::from_ref(v),
            Self::Map(_) => &[],
        }
    }
    /// The entries of a map field.
    pub fn as_map(&self) -> &[(CompactString, Value)] {
        match self {
            Self::Map(m) => m,
            _ => &[],
        }
    }
    /// Every value, whatever the rule (map values in entry order; nothing is allocated).
    pub fn values(&self) -> impl Iterator<Item = &Value> + '_ {
        let (items, entries): (&[Value], &[(CompactString, Value)]) = match self {
            Self::Single(v) => (std::slice::from_ref(v), &[]),
            Self::Set(v) | Self::List(v) => (v, &[]),
            Self::Map(m) => (&[], m),
        };
        items.iter().chain(entries.iter().map(|(_, v)| v))
    }
    /// Every value, mutably.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Value> + '_ {
        let (items, entries): (&mut [Value], &mut [(CompactString, Value)]) = match self {
            Self::Single(v) => (std::slice::from_mut(v), &mut []),
            Self::Set(v) | Self::List(v) => (v, &mut []),
            Self::Map(m) => (&mut [], m),
        };
        items.iter_mut().chain(entries.iter_mut().map(|(_, v)| v))
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    #[test]
    fn slots_stay_small() {
        // Every message holds one `Option<FieldValue>` per schema field: at most 48 bytes keeps
        // the slot vector of a 20-field message inside the allocator's fast (thread cache)
        // sizes. (Today both are 32: the largest payloads are 24 bytes after the 8-byte tag,
        // and `BigInt` aligns the whole to 16.)
        let (value, slot) = (
            std::mem::size_of::<Value>(),
            std::mem::size_of::<Option<FieldValue>>(),
        );
        assert!(
            value <= 48 && slot <= 48,
            "Value {value} bytes, slot {slot} bytes"
        );
    }
}
