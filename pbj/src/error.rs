//! The error type of the pbj crate.

use std::fmt;

use crate::codec::UnknownFlavor;
use crate::codec::base64::Base64Error;
use crate::pattern::PatternError;
use crate::time::ParseTimeError;
use crate::well_known::{
    DynamicFieldError, GeoPointError, IdentifierError, MessageRefError, MicrotimeError,
    NodeRefError,
};

/// Everything that can go wrong in pbj. Each variant names the field or value at fault.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A schema version string does not match `M-m-p`.
    InvalidSchemaVersion {
        /// The rejected input.
        value: String,
    },
    /// A schema id string is malformed or too long.
    InvalidSchemaId {
        /// The rejected input.
        value: String,
    },
    /// A curie string is malformed or too long.
    InvalidSchemaCurie {
        /// The rejected input.
        value: String,
    },
    /// A qname string is malformed.
    InvalidSchemaQName {
        /// The rejected input.
        value: String,
    },
    /// The input is not well-formed JSON.
    InvalidJson {
        /// Byte offset of the problem.
        offset: usize,
        /// What was wrong.
        message: String,
    },
    /// A field value has the wrong JSON type, is out of range or fails a format/pattern check.
    InvalidValue {
        /// Path of the field, e.g. `ctx_app.name` or `tags[2]`.
        field: String,
        /// What was wrong.
        message: String,
    },
    /// A required field is not set.
    RequiredFieldNotSet {
        /// Path of the field.
        field: String,
        /// Schema id of the message.
        schema: String,
    },
    /// The field name does not exist in the schema.
    UnknownField {
        /// The field name.
        field: String,
        /// Schema id of the message.
        schema: String,
    },
    /// The value's rule does not match the field's rule (e.g. `set` on a list field).
    WrongRule {
        /// The field name.
        field: String,
        /// What was wrong.
        message: String,
    },
    /// The message is frozen and cannot be modified.
    Frozen {
        /// Schema id of the message.
        schema: String,
    },
    /// No message type is registered for a schema id or curie.
    NoMessageForSchemaId {
        /// Path of the field holding the message (`""` at top level).
        field: String,
        /// The schema id or curie.
        schema: String,
    },
    /// The payload's `_schema` names a different message than the one decoded into.
    InvalidResolvedSchema {
        /// Path of the field holding the message (`""` at top level).
        field: String,
        /// The expected curie major.
        expected: String,
        /// The payload's schema id.
        found: String,
    },
    /// A nested message does not use any of the field's allowed curies.
    AnyOfMismatch {
        /// Path of the field.
        field: String,
        /// The nested message's schema id.
        schema: String,
    },
    /// Nesting is deeper than the decoder allows.
    TooDeep {
        /// Path of the field where the limit was hit.
        field: String,
    },
    /// A message has one or more violations: rejected values and unset required fields, all
    /// of them (what generated builders' `build` returns).
    Violations {
        /// Schema id of the message.
        schema: String,
        /// Every problem, each naming its field.
        violations: Vec<Violation>,
    },
    /// A [`MessageRef`](crate::MessageRef) cannot be built.
    InvalidMessageRef(MessageRefError),
    /// A text is not a [`NodeRef`](crate::NodeRef).
    InvalidNodeRef(NodeRefError),
    /// A text is not a [`Microtime`](crate::Microtime).
    InvalidMicrotime(MicrotimeError),
    /// A text is not a [`Date`](crate::Date) or [`DateTime`](crate::DateTime).
    InvalidTime(ParseTimeError),
    /// Coordinates are not a [`GeoPoint`](crate::GeoPoint).
    InvalidGeoPoint(GeoPointError),
    /// A name and value are not a [`DynamicField`](crate::DynamicField).
    InvalidDynamicField(DynamicFieldError),
    /// A value is not valid for its identifier class.
    InvalidIdentifier(IdentifierError),
    /// A text is not base64.
    InvalidBase64(Base64Error),
    /// A schema pattern has no Rust equivalent.
    InvalidPattern(PatternError),
    /// A flavor name other than `js` or `php`.
    UnknownFlavor(UnknownFlavor),
}

/// `From` conversions of the typed errors of pbj's value constructors and parsers.
macro_rules! from_value_errors {
    ($($source:ty => $variant:ident),* $(,)?) => {
        $(impl From<$source> for Error {
            fn from(e: $source) -> Self {
                Self::$variant(e)
            }
        })*
    };
}

from_value_errors!(
    MessageRefError => InvalidMessageRef,
    NodeRefError => InvalidNodeRef,
    MicrotimeError => InvalidMicrotime,
    ParseTimeError => InvalidTime,
    GeoPointError => InvalidGeoPoint,
    DynamicFieldError => InvalidDynamicField,
    IdentifierError => InvalidIdentifier,
    Base64Error => InvalidBase64,
    PatternError => InvalidPattern,
    UnknownFlavor => UnknownFlavor,
);

impl Error {
    /// A short, stable machine-readable kind, e.g. `invalid_value`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidSchemaVersion { .. } => "invalid_schema_version",
            Self::InvalidSchemaId { .. } => "invalid_schema_id",
            Self::InvalidSchemaCurie { .. } => "invalid_schema_curie",
            Self::InvalidSchemaQName { .. } => "invalid_schema_qname",
            Self::InvalidJson { .. } => "invalid_json",
            Self::InvalidValue { .. } => "invalid_value",
            Self::RequiredFieldNotSet { .. } => "required_field_not_set",
            Self::UnknownField { .. } => "unknown_field",
            Self::WrongRule { .. } => "wrong_rule",
            Self::Frozen { .. } => "frozen",
            Self::NoMessageForSchemaId { .. } => "no_message_for_schema_id",
            Self::InvalidResolvedSchema { .. } => "invalid_resolved_schema",
            Self::AnyOfMismatch { .. } => "any_of_mismatch",
            Self::TooDeep { .. } => "too_deep",
            Self::Violations { .. } => "violations",
            Self::InvalidMessageRef(_) => "invalid_message_ref",
            Self::InvalidNodeRef(_) => "invalid_node_ref",
            Self::InvalidMicrotime(_) => "invalid_microtime",
            Self::InvalidTime(_) => "invalid_time",
            Self::InvalidGeoPoint(_) => "invalid_geo_point",
            Self::InvalidDynamicField(_) => "invalid_dynamic_field",
            Self::InvalidIdentifier(_) => "invalid_identifier",
            Self::InvalidBase64(_) => "invalid_base64",
            Self::InvalidPattern(_) => "invalid_pattern",
            Self::UnknownFlavor(_) => "unknown_flavor",
        }
    }

    /// The field path the error is about, if any (`_schema` for schema id problems).
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::InvalidValue { field, .. }
            | Self::RequiredFieldNotSet { field, .. }
            | Self::UnknownField { field, .. }
            | Self::WrongRule { field, .. }
            | Self::AnyOfMismatch { field, .. }
            | Self::TooDeep { field } => Some(field),
            Self::NoMessageForSchemaId { field, .. }
            | Self::InvalidResolvedSchema { field, .. } => Some(field),
            Self::Violations { violations, .. } => violations.first().map(|v| v.field.as_str()),
            _ => None,
        }
    }

    /// The error as one [`Violation`] (its field, or `""`, and what is wrong).
    pub fn to_violation(&self) -> Violation {
        let message = match self {
            Self::InvalidValue { message, .. } | Self::WrongRule { message, .. } => message.clone(),
            other => other.to_string(),
        };
        Violation {
            field: self.field().unwrap_or_default().to_owned(),
            message,
        }
    }

    /// Prefixes the field path with `parent.` (used while unwinding nested decoding).
    pub(crate) fn within(mut self, parent: &str) -> Self {
        let join = |f: &mut String| {
            *f = if f.is_empty() {
                parent.to_owned()
            } else if f.starts_with('[') {
                format!("{parent}{f}")
            } else {
                format!("{parent}.{f}")
            };
        };
        match &mut self {
            Self::InvalidValue { field, .. }
            | Self::RequiredFieldNotSet { field, .. }
            | Self::UnknownField { field, .. }
            | Self::WrongRule { field, .. }
            | Self::AnyOfMismatch { field, .. }
            | Self::TooDeep { field }
            | Self::NoMessageForSchemaId { field, .. }
            | Self::InvalidResolvedSchema { field, .. } => join(field),
            _ => {}
        }
        self
    }

    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidValue {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidSchemaVersion { value } => {
                write!(
                    f,
                    "schema version [{value}] is invalid, it must look like 1-0-0"
                )
            }
            Self::InvalidSchemaId { value } => write!(
                f,
                "schema id [{value}] is invalid, it must look like pbj:vendor:package:category:message:1-0-0 (max 150 chars)"
            ),
            Self::InvalidSchemaCurie { value } => write!(
                f,
                "schema curie [{value}] is invalid, it must look like vendor:package:category:message (max 145 chars)"
            ),
            Self::InvalidSchemaQName { value } => {
                write!(
                    f,
                    "schema qname [{value}] is invalid, it must look like vendor:message"
                )
            }
            Self::InvalidJson { offset, message } => {
                write!(f, "invalid JSON at byte {offset}: {message}")
            }
            Self::InvalidValue { field, message } => write!(f, "field [{field}]: {message}"),
            Self::RequiredFieldNotSet { field, schema } => {
                write!(
                    f,
                    "required field [{field}] must be set on message [{schema}]"
                )
            }
            Self::UnknownField { field, schema } => {
                write!(f, "field [{field}] does not exist on message [{schema}]")
            }
            Self::WrongRule { field, message } => write!(f, "field [{field}]: {message}"),
            Self::Frozen { schema } => {
                write!(f, "message [{schema}] is frozen and cannot be modified")
            }
            Self::NoMessageForSchemaId { field, schema } => {
                write!(f, "no message is registered for schema [{schema}]")?;
                if !field.is_empty() {
                    write!(f, " (field [{field}])")?;
                }
                Ok(())
            }
            Self::InvalidResolvedSchema {
                field,
                expected,
                found,
            } => {
                write!(
                    f,
                    "payload schema [{found}] does not resolve to [{expected}]"
                )?;
                if !field.is_empty() {
                    write!(f, " (field [{field}])")?;
                }
                Ok(())
            }
            Self::AnyOfMismatch { field, schema } => write!(
                f,
                "field [{field}]: message [{schema}] does not use any of the allowed curies"
            ),
            Self::TooDeep { field } => write!(f, "field [{field}]: messages are nested too deeply"),
            Self::Violations { schema, violations } => {
                write!(f, "message [{schema}] is invalid: ")?;
                for (i, v) in violations.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{v}")?;
                }
                Ok(())
            }
            Self::InvalidMessageRef(e) => e.fmt(f),
            Self::InvalidNodeRef(e) => e.fmt(f),
            Self::InvalidMicrotime(e) => e.fmt(f),
            Self::InvalidTime(e) => e.fmt(f),
            Self::InvalidGeoPoint(e) => e.fmt(f),
            Self::InvalidDynamicField(e) => e.fmt(f),
            Self::InvalidIdentifier(e) => e.fmt(f),
            Self::InvalidBase64(e) => e.fmt(f),
            Self::InvalidPattern(e) => e.fmt(f),
            Self::UnknownFlavor(e) => e.fmt(f),
        }
    }
}

/// The typed value errors are shown as they are: their text is this error's text.
impl std::error::Error for Error {}

/// One problem found by [`crate::Message::validate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// Path of the field, e.g. `ctx_app.name`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_errors_convert_keeping_their_type_and_text() {
        fn message_ref(s: &str) -> crate::Result<crate::MessageRef> {
            Ok(crate::MessageRef::parse(s)?)
        }
        let e = message_ref("acme:blog").unwrap_err();
        assert_eq!(
            e,
            Error::InvalidMessageRef(MessageRefError::Malformed {
                value: "acme:blog".into()
            })
        );
        assert_eq!(
            (e.kind(), e.to_string().as_str()),
            ("invalid_message_ref", "MessageRef [acme:blog] is invalid")
        );
        let cases: [(Error, &str, &str); 6] = [
            (
                crate::NodeRef::parse("acme:user:").unwrap_err().into(),
                "invalid_node_ref",
                "NodeRef [acme:user:]: id [] is invalid",
            ),
            (
                crate::Microtime::parse("123").unwrap_err().into(),
                "invalid_microtime",
                "[123] is not a valid microtime (16 digits expected)",
            ),
            (
                crate::DateTime::parse("yesterday").unwrap_err().into(),
                "invalid_time",
                "[yesterday] is not a valid ISO-8601 date-time",
            ),
            (
                crate::GeoPoint::new(91.0, 0.0).unwrap_err().into(),
                "invalid_geo_point",
                "Latitude must be within range [-90.0, 90.0]",
            ),
            (
                crate::codec::base64::decode("Y").unwrap_err().into(),
                "invalid_base64",
                "invalid base64 length",
            ),
            (
                "xml".parse::<crate::Flavor>().unwrap_err().into(),
                "unknown_flavor",
                "unknown flavor [xml], expected js or php",
            ),
        ];
        for (e, kind, text) in cases {
            assert_eq!(
                (e.kind(), e.to_string().as_str(), e.field()),
                (kind, text, None)
            );
        }
    }
}
