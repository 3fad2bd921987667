//! Field types ([`FieldType`]), rules ([`FieldRule`]) and string formats ([`Format`]).

use std::fmt;

/// Every pbj field type, named as in the schema XML (`type="big-int"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum FieldType {
    BigInt,
    Binary,
    Blob,
    Boolean,
    Date,
    DateTime,
    Decimal,
    DynamicField,
    Float,
    GeoPoint,
    Identifier,
    Int,
    IntEnum,
    MediumBlob,
    MediumInt,
    MediumText,
    Message,
    MessageRef,
    Microtime,
    NodeRef,
    SignedBigInt,
    SignedInt,
    SignedMediumInt,
    SignedSmallInt,
    SignedTinyInt,
    SmallInt,
    String,
    StringEnum,
    Text,
    TimeUuid,
    Timestamp,
    TinyInt,
    Trinary,
    Uuid,
}

/// How a type is represented in memory and on the wire; drives codecs and validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeFamily {
    /// `boolean`.
    Bool,
    /// Bounded integers (`int`, `tiny-int`, `signed-*`, `trinary`, `timestamp`, `int-enum`).
    Int,
    /// `big-int` / `signed-big-int` (decimal string on the wire).
    BigInt,
    /// `float` / `decimal`.
    Float,
    /// Plain strings (`string`, `text`, `medium-text`, `identifier`, `string-enum`).
    String,
    /// `uuid` / `time-uuid`.
    Uuid,
    /// `binary`, `blob`, `medium-blob` (base64 on the wire).
    Binary,
    /// `date`.
    Date,
    /// `date-time`.
    DateTime,
    /// `microtime`.
    Microtime,
    /// `node-ref`.
    NodeRef,
    /// `message-ref`.
    MessageRef,
    /// `geo-point`.
    GeoPoint,
    /// `dynamic-field`.
    DynamicField,
    /// `message`.
    Message,
}

impl FieldType {
    /// All 34 types.
    pub const ALL: [FieldType; 34] = [
        Self::BigInt,
        Self::Binary,
        Self::Blob,
        Self::Boolean,
        Self::Date,
        Self::DateTime,
        Self::Decimal,
        Self::DynamicField,
        Self::Float,
        Self::GeoPoint,
        Self::Identifier,
        Self::Int,
        Self::IntEnum,
        Self::MediumBlob,
        Self::MediumInt,
        Self::MediumText,
        Self::Message,
        Self::MessageRef,
        Self::Microtime,
        Self::NodeRef,
        Self::SignedBigInt,
        Self::SignedInt,
        Self::SignedMediumInt,
        Self::SignedSmallInt,
        Self::SignedTinyInt,
        Self::SmallInt,
        Self::String,
        Self::StringEnum,
        Self::Text,
        Self::TimeUuid,
        Self::Timestamp,
        Self::TinyInt,
        Self::Trinary,
        Self::Uuid,
    ];

    /// The schema name, e.g. `big-int`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::BigInt => "big-int",
            Self::Binary => "binary",
            Self::Blob => "blob",
            Self::Boolean => "boolean",
            Self::Date => "date",
            Self::DateTime => "date-time",
            Self::Decimal => "decimal",
            Self::DynamicField => "dynamic-field",
            Self::Float => "float",
            Self::GeoPoint => "geo-point",
            Self::Identifier => "identifier",
            Self::Int => "int",
            Self::IntEnum => "int-enum",
            Self::MediumBlob => "medium-blob",
            Self::MediumInt => "medium-int",
            Self::MediumText => "medium-text",
            Self::Message => "message",
            Self::MessageRef => "message-ref",
            Self::Microtime => "microtime",
            Self::NodeRef => "node-ref",
            Self::SignedBigInt => "signed-big-int",
            Self::SignedInt => "signed-int",
            Self::SignedMediumInt => "signed-medium-int",
            Self::SignedSmallInt => "signed-small-int",
            Self::SignedTinyInt => "signed-tiny-int",
            Self::SmallInt => "small-int",
            Self::String => "string",
            Self::StringEnum => "string-enum",
            Self::Text => "text",
            Self::TimeUuid => "time-uuid",
            Self::Timestamp => "timestamp",
            Self::TinyInt => "tiny-int",
            Self::Trinary => "trinary",
            Self::Uuid => "uuid",
        }
    }

    /// Parses a schema type name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The in-memory/wire family of this type.
    pub const fn family(self) -> TypeFamily {
        match self {
            Self::Boolean => TypeFamily::Bool,
            Self::Int
            | Self::IntEnum
            | Self::MediumInt
            | Self::SignedInt
            | Self::SignedMediumInt
            | Self::SignedSmallInt
            | Self::SignedTinyInt
            | Self::SmallInt
            | Self::TinyInt
            | Self::Trinary
            | Self::Timestamp => TypeFamily::Int,
            Self::BigInt | Self::SignedBigInt => TypeFamily::BigInt,
            Self::Float | Self::Decimal => TypeFamily::Float,
            Self::String | Self::Text | Self::MediumText | Self::Identifier | Self::StringEnum => {
                TypeFamily::String
            }
            Self::Uuid | Self::TimeUuid => TypeFamily::Uuid,
            Self::Binary | Self::Blob | Self::MediumBlob => TypeFamily::Binary,
            Self::Date => TypeFamily::Date,
            Self::DateTime => TypeFamily::DateTime,
            Self::Microtime => TypeFamily::Microtime,
            Self::NodeRef => TypeFamily::NodeRef,
            Self::MessageRef => TypeFamily::MessageRef,
            Self::GeoPoint => TypeFamily::GeoPoint,
            Self::DynamicField => TypeFamily::DynamicField,
            Self::Message => TypeFamily::Message,
        }
    }

    /// Whether the type may be used with the `set` rule.
    pub const fn allowed_in_set(self) -> bool {
        !matches!(
            self,
            Self::Blob
                | Self::MediumBlob
                | Self::Boolean
                | Self::Date
                | Self::DateTime
                | Self::DynamicField
                | Self::GeoPoint
                | Self::Message
                | Self::MessageRef
                | Self::MediumText
                | Self::Text
                | Self::Trinary
        )
    }

    /// Whether the runtime value is a native scalar (PHP `isScalar`).
    pub const fn is_scalar(self) -> bool {
        matches!(
            self.family(),
            TypeFamily::Bool | TypeFamily::Int | TypeFamily::Float | TypeFamily::Binary
        ) && !matches!(self, Self::IntEnum)
            || matches!(self, Self::String | Self::Text | Self::MediumText)
    }

    /// Whether the type is string-like for marshalers (PHP `isString`, includes binary).
    pub const fn is_string(self) -> bool {
        matches!(
            self,
            Self::String
                | Self::Text
                | Self::MediumText
                | Self::Binary
                | Self::Blob
                | Self::MediumBlob
                | Self::Date
                | Self::DateTime
                | Self::Identifier
                | Self::NodeRef
                | Self::StringEnum
                | Self::TimeUuid
                | Self::Uuid
        )
    }

    /// Whether the type is numeric for marshalers (PHP `isNumeric`).
    pub const fn is_numeric(self) -> bool {
        matches!(
            self.family(),
            TypeFamily::Int | TypeFamily::BigInt | TypeFamily::Float | TypeFamily::Microtime
        )
    }

    /// Maximum byte length for string and binary types (binary: of the base64 text).
    pub const fn max_bytes(self) -> u32 {
        match self {
            Self::Binary | Self::String => 255,
            Self::Identifier => 255,
            Self::StringEnum => 100,
            Self::MediumText | Self::MediumBlob => 16_777_215,
            _ => 65_535,
        }
    }

    /// Inclusive integer bounds of the int family.
    pub const fn int_bounds(self) -> (i64, i64) {
        match self {
            Self::TinyInt => (0, 255),
            Self::SmallInt => (0, 65_535),
            Self::MediumInt => (0, 16_777_215),
            Self::Int => (0, 4_294_967_295),
            Self::SignedTinyInt => (-128, 127),
            Self::SignedSmallInt => (-32_768, 32_767),
            Self::SignedMediumInt => (-8_388_608, 8_388_607),
            Self::SignedInt => (-2_147_483_648, 2_147_483_647),
            Self::IntEnum => (0, 65_535),
            Self::Trinary => (0, 2),
            Self::Timestamp => (0, i64::MAX),
            _ => (i32::MIN as i64, i32::MAX as i64),
        }
    }

    /// Whether a type default is generated ("now" or a fresh id) rather than a constant.
    pub const fn has_generated_default(self) -> bool {
        matches!(
            self,
            Self::Microtime | Self::Timestamp | Self::Uuid | Self::TimeUuid
        )
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A field's cardinality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldRule {
    /// One value.
    Single,
    /// Unique values (case-insensitive), first-seen order.
    Set,
    /// Ordered values, duplicates kept.
    List,
    /// String keys to values.
    Map,
}

impl FieldRule {
    /// The schema name (`single`, `set`, `list`, `map`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Set => "set",
            Self::List => "list",
            Self::Map => "map",
        }
    }
    /// Parses a schema rule name.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "single" => Self::Single,
            "set" => Self::Set,
            "list" => Self::List,
            "map" => Self::Map,
            _ => return None,
        })
    }
}

impl fmt::Display for FieldRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A string format checked after length and pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Format {
    Unknown,
    Date,
    DateTime,
    Email,
    Hashtag,
    Hostname,
    Ipv4,
    Ipv6,
    Slug,
    Uri,
    Url,
    Uuid,
}

impl Format {
    /// The schema name, e.g. `date-time`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Date => "date",
            Self::DateTime => "date-time",
            Self::Email => "email",
            Self::Hashtag => "hashtag",
            Self::Hostname => "hostname",
            Self::Ipv4 => "ipv4",
            Self::Ipv6 => "ipv6",
            Self::Slug => "slug",
            Self::Uri => "uri",
            Self::Url => "url",
            Self::Uuid => "uuid",
        }
    }
    /// Parses a schema format name.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Self::Unknown,
            Self::Date,
            Self::DateTime,
            Self::Email,
            Self::Hashtag,
            Self::Hostname,
            Self::Ipv4,
            Self::Ipv6,
            Self::Slug,
            Self::Uri,
            Self::Url,
            Self::Uuid,
        ]
        .into_iter()
        .find(|f| f.name() == name)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in FieldType::ALL {
            assert_eq!(FieldType::from_name(t.name()), Some(t));
        }
        assert_eq!(FieldType::from_name("nope"), None);
        assert!(FieldType::String.allowed_in_set());
        assert!(!FieldType::Text.allowed_in_set());
        assert_eq!(FieldType::Binary.max_bytes(), 255);
    }
}
