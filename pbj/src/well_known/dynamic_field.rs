use crate::time::Date;

/// The kind of a [`DynamicField`] (the JSON key next to `name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DynamicKind {
    /// `bool_val` (boolean).
    Bool,
    /// `date_val` (date).
    Date,
    /// `float_val` (float).
    Float,
    /// `int_val` (int, 0..=4294967295).
    Int,
    /// `string_val` (string, at most 255 bytes).
    String,
    /// `text_val` (text, at most 65535 bytes).
    Text,
}

impl DynamicKind {
    /// The JSON key, e.g. `bool_val`.
    pub const fn key(self) -> &'static str {
        match self {
            Self::Bool => "bool_val",
            Self::Date => "date_val",
            Self::Float => "float_val",
            Self::Int => "int_val",
            Self::String => "string_val",
            Self::Text => "text_val",
        }
    }
    /// The longest `string_val` / `text_val` in bytes (0 for the other kinds).
    pub const fn max_bytes(self) -> usize {
        match self {
            Self::String => 255,
            Self::Text => 65_535,
            _ => 0,
        }
    }
    /// Parses a JSON key.
    pub fn from_key(key: &str) -> Option<Self> {
        [
            Self::Bool,
            Self::Date,
            Self::Float,
            Self::Int,
            Self::String,
            Self::Text,
        ]
        .into_iter()
        .find(|k| k.key() == key)
    }
}

/// The value of a [`DynamicField`].
#[derive(Debug, Clone, PartialEq)]
pub enum DynamicValue {
    /// `bool_val`.
    Bool(bool),
    /// `date_val`.
    Date(Date),
    /// `float_val`.
    Float(f64),
    /// `int_val`.
    Int(i64),
    /// `string_val`.
    String(String),
    /// `text_val`.
    Text(String),
}

impl DynamicValue {
    /// The kind of this value.
    pub fn kind(&self) -> DynamicKind {
        match self {
            Self::Bool(_) => DynamicKind::Bool,
            Self::Date(_) => DynamicKind::Date,
            Self::Float(_) => DynamicKind::Float,
            Self::Int(_) => DynamicKind::Int,
            Self::String(_) => DynamicKind::String,
            Self::Text(_) => DynamicKind::Text,
        }
    }
}

/// Why a name and value are not a [`DynamicField`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DynamicFieldError {
    /// The name does not match `^[a-zA-Z_][a-zA-Z0-9_-]{0,126}$`.
    #[error("dynamic field name [{name}] must match ^[a-zA-Z_][a-zA-Z0-9_-]*$")]
    InvalidName {
        /// The rejected name.
        name: String,
    },
    /// An `int_val` outside 0..=4294967295.
    #[error("int_val {value} must be between 0 and 4294967295")]
    IntOutOfRange {
        /// The rejected value.
        value: i64,
    },
    /// A `float_val` that is NaN or infinite.
    #[error("float_val must be finite")]
    FloatNotFinite,
    /// A `string_val` / `text_val` that is empty or longer than its kind allows.
    #[error("{} must be between 1 and {} bytes, {len} given", kind.key(), kind.max_bytes())]
    Length {
        /// `String` or `Text`.
        kind: DynamicKind,
        /// The length in bytes.
        len: usize,
    },
}

/// A named union value: `{"name": n, "<kind>": value}`.
#[derive(Debug, Clone, PartialEq)]
pub struct DynamicField {
    // Boxed: keeps `Value` (and so every slot of every message) at 48 bytes.
    name: Box<str>,
    value: Box<DynamicValue>,
}

impl DynamicField {
    /// Creates a dynamic field; the name must match `^[a-zA-Z_][a-zA-Z0-9_-]{0,126}$` and the
    /// value must satisfy its kind's limits.
    ///
    /// ```
    /// use pbj::{DynamicField, DynamicValue};
    ///
    /// let f = DynamicField::new("views", DynamicValue::Int(5))?;
    /// assert_eq!((f.name(), f.value()), ("views", &DynamicValue::Int(5)));
    /// assert!(DynamicField::new("1x", DynamicValue::Bool(true)).is_err());
    /// # Ok::<(), pbj::well_known::DynamicFieldError>(())
    /// ```
    pub fn new(name: &str, value: DynamicValue) -> Result<Self, DynamicFieldError> {
        let valid_name = !name.is_empty()
            && name.len() <= 127
            && name.bytes().enumerate().all(|(i, b)| {
                b.is_ascii_alphabetic() || b == b'_' || (i > 0 && (b.is_ascii_digit() || b == b'-'))
            });
        if !valid_name {
            return Err(DynamicFieldError::InvalidName {
                name: name.to_owned(),
            });
        }
        match &value {
            DynamicValue::Int(v) if !(0..=4_294_967_295).contains(v) => {
                return Err(DynamicFieldError::IntOutOfRange { value: *v });
            }
            DynamicValue::Float(v) if !v.is_finite() => {
                return Err(DynamicFieldError::FloatNotFinite);
            }
            DynamicValue::String(s) | DynamicValue::Text(s)
                if s.is_empty() || s.len() > value.kind().max_bytes() =>
            {
                return Err(DynamicFieldError::Length {
                    kind: value.kind(),
                    len: s.len(),
                });
            }
            _ => {}
        }
        Ok(Self {
            name: name.into(),
            value: Box::new(value),
        })
    }
    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The value.
    pub fn value(&self) -> &DynamicValue {
        &self.value
    }
    /// The kind.
    pub fn kind(&self) -> DynamicKind {
        self.value.kind()
    }
}

#[cfg(test)]
#[allow(clippy::approx_constant)] // the spec's examples use 3.14
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert!(DynamicField::new("test", DynamicValue::Bool(true)).is_ok());
        assert!(DynamicField::new("_a-1", DynamicValue::Int(4_294_967_295)).is_ok());
        assert!(DynamicField::new(&"a".repeat(127), DynamicValue::Float(3.14)).is_ok());
        assert!(DynamicField::new(&"a".repeat(128), DynamicValue::Float(3.14)).is_err());
        for bad in ["", "1x", "-a", "a b", "é"] {
            assert!(
                DynamicField::new(bad, DynamicValue::Bool(false)).is_err(),
                "{bad}"
            );
        }
        assert!(DynamicField::new("n", DynamicValue::Int(-1)).is_err());
        assert!(DynamicField::new("n", DynamicValue::Int(4_294_967_296)).is_err());
        assert!(DynamicField::new("n", DynamicValue::Float(f64::INFINITY)).is_err());
        assert!(DynamicField::new("n", DynamicValue::String("é".repeat(127))).is_ok());
        assert!(DynamicField::new("n", DynamicValue::String("é".repeat(128))).is_err());
        assert!(DynamicField::new("n", DynamicValue::String(String::new())).is_err());
        assert!(DynamicField::new("n", DynamicValue::Text("a".repeat(65_535))).is_ok());
        assert!(DynamicField::new("n", DynamicValue::Text("a".repeat(65_536))).is_err());
        assert_eq!(DynamicKind::from_key("date_val"), Some(DynamicKind::Date));
        assert_eq!(DynamicKind::from_key("bogus_val"), None);
    }
}
