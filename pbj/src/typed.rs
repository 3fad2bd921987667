//! Typed views of stored values: [`FromValue`] reads one [`Value`] as a Rust type, [`Values`]
//! and [`Entries`] iterate a set/list or map field as that type. Generated getters return them.
//!
//! ```
//! use pbj::{FromValue, Value};
//!
//! let tags = [Value::from("rust"), Value::from("pbj")];
//! let read: Vec<&str> = pbj::Values::new(&tags).collect();
//! assert_eq!(read, ["rust", "pbj"]);
//! assert_eq!(<i64 as FromValue>::from_value(&Value::Int(7)), Some(7));
//! ```

use std::fmt;
use std::iter::FusedIterator;
use std::marker::PhantomData;

use crate::message::{Message, MessageType};
use crate::time::{Date, DateTime};
use crate::value::{CompactString, Value};
use crate::well_known::{DynamicField, GeoPoint, MessageRef, Microtime, NodeRef};

/// Reads one stored [`Value`] as `Self` (`None` when the value holds another kind).
///
/// Generated enums implement it too, so a set of an enum iterates as that enum.
pub trait FromValue<'a>: Sized {
    /// The value as `Self`, if it holds that kind.
    fn from_value(value: &'a Value) -> Option<Self>;
}

macro_rules! from_value {
    ($($t:ty => |$v:ident| $e:expr),* $(,)?) => {
        $(impl<'a> FromValue<'a> for $t {
            #[inline]
            fn from_value(value: &'a Value) -> Option<Self> {
                match value {
                    Value::$v(x) => Some($e(x)),
                    _ => None,
                }
            }
        })*
    };
}

from_value!(
    &'a str => |String| CompactString::as_str,
    bool => |Bool| |x: &bool| *x,
    i64 => |Int| |x: &i64| *x,
    i128 => |BigInt| |x: &i128| *x,
    f64 => |Float| |x: &f64| *x,
    &'a [u8] => |Binary| Vec::as_slice,
    Date => |Date| |x: &Date| *x,
    DateTime => |DateTime| |x: &DateTime| *x,
    Microtime => |Microtime| |x: &Microtime| *x,
    &'a NodeRef => |NodeRef| |x| x,
    &'a MessageRef => |MessageRef| |x| x,
    GeoPoint => |GeoPoint| |x: &GeoPoint| *x,
    &'a DynamicField => |DynamicField| |x| x,
);

impl<'a> FromValue<'a> for &'a dyn Message {
    #[inline]
    fn from_value(value: &'a Value) -> Option<Self> {
        value.as_message()
    }
}

/// A nested message of the generated type `T` (`None` for a message of another type).
impl<'a, T: MessageType> FromValue<'a> for &'a T {
    #[inline]
    fn from_value(value: &'a Value) -> Option<Self> {
        value.as_message()?.downcast_ref::<T>()
    }
}

/// The values of a set or list field as `T`, in stored order. Values of another kind are
/// skipped (a field only ever stores values of its own type).
pub struct Values<'a, T> {
    items: std::slice::Iter<'a, Value>,
    _as: PhantomData<fn() -> T>,
}

impl<'a, T> Values<'a, T> {
    /// Iterates `items` as `T`.
    pub fn new(items: &'a [Value]) -> Self {
        Self {
            items: items.iter(),
            _as: PhantomData,
        }
    }

    /// The stored values left to iterate, untyped.
    pub fn as_slice(&self) -> &'a [Value] {
        self.items.as_slice()
    }

    /// Whether no value is left.
    pub fn is_empty(&self) -> bool {
        self.items.len() == 0
    }
}

impl<'a, T: FromValue<'a>> Iterator for Values<'a, T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        self.items.by_ref().find_map(T::from_value)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.items.len()))
    }
}

impl<'a, T: FromValue<'a>> DoubleEndedIterator for Values<'a, T> {
    fn next_back(&mut self) -> Option<T> {
        self.items.by_ref().rev().find_map(T::from_value)
    }
}

impl<'a, T: FromValue<'a>> FusedIterator for Values<'a, T> {}

impl<T> Default for Values<'_, T> {
    fn default() -> Self {
        Self::new(&[])
    }
}

impl<T> Clone for Values<'_, T> {
    fn clone(&self) -> Self {
        Self {
            items: self.items.clone(),
            _as: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Values<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.items.as_slice()).finish()
    }
}

/// The entries of a map field as `(key, T)`, in insertion order.
pub struct Entries<'a, T> {
    items: std::slice::Iter<'a, (CompactString, Value)>,
    _as: PhantomData<fn() -> T>,
}

impl<'a, T> Entries<'a, T> {
    /// Iterates `items` as `(key, T)`.
    pub fn new(items: &'a [(CompactString, Value)]) -> Self {
        Self {
            items: items.iter(),
            _as: PhantomData,
        }
    }

    /// The stored entries left to iterate, untyped.
    pub fn as_slice(&self) -> &'a [(CompactString, Value)] {
        self.items.as_slice()
    }

    /// Whether no entry is left.
    pub fn is_empty(&self) -> bool {
        self.items.len() == 0
    }
}

impl<'a, T: FromValue<'a>> Iterator for Entries<'a, T> {
    type Item = (&'a str, T);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.items
            .by_ref()
            .find_map(|(k, v)| T::from_value(v).map(|v| (k.as_str(), v)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.items.len()))
    }
}

impl<'a, T: FromValue<'a>> DoubleEndedIterator for Entries<'a, T> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.items
            .by_ref()
            .rev()
            .find_map(|(k, v)| T::from_value(v).map(|v| (k.as_str(), v)))
    }
}

impl<'a, T: FromValue<'a>> FusedIterator for Entries<'a, T> {}

impl<T> Default for Entries<'_, T> {
    fn default() -> Self {
        Self::new(&[])
    }
}

impl<T> Clone for Entries<'_, T> {
    fn clone(&self) -> Self {
        Self {
            items: self.items.clone(),
            _as: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Entries<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.items.as_slice().iter().map(|(k, v)| (k, v)))
            .finish()
    }
}
