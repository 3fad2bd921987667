//! Typed, index-based accessors on [`MessageData`], used by generated message types.
//!
//! Each getter returns `None` (or an empty slice) when the field is unset, out of range or
//! holds another kind of value.

use crate::message::{Message, MessageData};
use crate::time::{Date, DateTime};
use crate::typed::{Entries, FromValue, Values};
use crate::value::{CompactString, FieldValue, Value};
use crate::well_known::{DynamicField, GeoPoint, MessageRef, Microtime, NodeRef};

impl MessageData {
    /// The single value of the field at `index`.
    pub fn get_value(&self, index: usize) -> Option<&Value> {
        self.get_at(index).and_then(FieldValue::as_single)
    }

    /// A string-like value (strings, identifiers, uuids, string enums).
    pub fn get_str(&self, index: usize) -> Option<&str> {
        self.get_value(index).and_then(Value::as_str)
    }

    /// An int value (bounded ints, timestamps, trinary, int enums).
    pub fn get_i64(&self, index: usize) -> Option<i64> {
        self.get_value(index).and_then(Value::as_i64)
    }

    /// A big-int value.
    pub fn get_big_int(&self, index: usize) -> Option<i128> {
        match self.get_value(index)? {
            Value::BigInt(v) => Some(*v),
            _ => None,
        }
    }

    /// A float or decimal value.
    pub fn get_f64(&self, index: usize) -> Option<f64> {
        self.get_value(index).and_then(Value::as_f64)
    }

    /// A boolean value.
    pub fn get_bool(&self, index: usize) -> Option<bool> {
        self.get_value(index).and_then(Value::as_bool)
    }

    /// A binary value.
    pub fn get_bytes(&self, index: usize) -> Option<&[u8]> {
        match self.get_value(index)? {
            Value::Binary(v) => Some(v),
            _ => None,
        }
    }

    /// A date value.
    pub fn get_date(&self, index: usize) -> Option<Date> {
        match self.get_value(index)? {
            Value::Date(v) => Some(*v),
            _ => None,
        }
    }

    /// A date-time value.
    pub fn get_date_time(&self, index: usize) -> Option<DateTime> {
        match self.get_value(index)? {
            Value::DateTime(v) => Some(*v),
            _ => None,
        }
    }

    /// A microtime value.
    pub fn get_microtime(&self, index: usize) -> Option<Microtime> {
        match self.get_value(index)? {
            Value::Microtime(v) => Some(*v),
            _ => None,
        }
    }

    /// A node-ref value.
    pub fn get_node_ref(&self, index: usize) -> Option<&NodeRef> {
        match self.get_value(index)? {
            Value::NodeRef(v) => Some(v),
            _ => None,
        }
    }

    /// A message-ref value.
    pub fn get_message_ref(&self, index: usize) -> Option<&MessageRef> {
        match self.get_value(index)? {
            Value::MessageRef(v) => Some(v),
            _ => None,
        }
    }

    /// A geo-point value.
    pub fn get_geo_point(&self, index: usize) -> Option<GeoPoint> {
        match self.get_value(index)? {
            Value::GeoPoint(v) => Some(*v),
            _ => None,
        }
    }

    /// A dynamic-field value.
    pub fn get_dynamic_field(&self, index: usize) -> Option<&DynamicField> {
        match self.get_value(index)? {
            Value::DynamicField(v) => Some(v),
            _ => None,
        }
    }

    /// A nested message.
    pub fn get_message(&self, index: usize) -> Option<&dyn Message> {
        self.get_value(index).and_then(Value::as_message)
    }

    /// The values of a set or list field (empty when unset or of another rule).
    pub fn get_list(&self, index: usize) -> &[Value] {
        match self.get_at(index) {
            Some(FieldValue::Set(v) | FieldValue::List(v)) => v,
            _ => &[],
        }
    }

    /// The single value of the field at `index` as `T` (strings as `&str`, enums as the
    /// generated enum, nested messages as `&dyn Message` or their generated type, ...).
    #[inline]
    pub fn get_as<'a, T: FromValue<'a>>(&'a self, index: usize) -> Option<T> {
        self.get_value(index).and_then(T::from_value)
    }

    /// The values of a set or list field as `T` (empty when unset or of another rule).
    #[inline]
    pub fn values<'a, T: FromValue<'a>>(&'a self, index: usize) -> Values<'a, T> {
        Values::new(self.get_list(index))
    }

    /// The entries of a map field as `(key, T)` (empty when unset or of another rule).
    #[inline]
    pub fn entries<'a, T: FromValue<'a>>(&'a self, index: usize) -> Entries<'a, T> {
        Entries::new(self.get_map(index))
    }

    /// The entries of a map field (empty when unset or of another rule).
    pub fn get_map(&self, index: usize) -> &[(CompactString, Value)] {
        self.get_at(index)
            .map(FieldValue::as_map)
            .unwrap_or_default()
    }
}
