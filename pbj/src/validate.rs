//! Per-value checks (the original's `guard`) and whole-message validation.

use crate::error::Violation;
use crate::message::MessageData;
use crate::value::Value;

/// Checks a value against its field and normalizes it (strings are trimmed; a string that
/// trims to empty yields `None`, i.e. "unset"): the decoders' function, shared.
pub(crate) use crate::codec::normalize;

/// Collects every violation of `data` (and nested messages) under `prefix`.
pub(crate) fn collect_violations(data: &MessageData, prefix: &str, out: &mut Vec<Violation>) {
    let path = |name: &str| {
        if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}.{name}")
        }
    };
    let fields = data.schema().fields;
    // Every stored value was checked when it was set or decoded; only required fields and
    // nested messages (which can still miss required fields) need a look. `_schema` (the
    // first field) is never looked into.
    for (i, (field, stored)) in fields.iter().zip(data.slots()).enumerate() {
        let message = field.kind == crate::types::FieldType::Message;
        if !field.required && !message {
            continue;
        }
        let nested = message && i != 0;
        let Some(stored) = stored.as_ref().filter(|v| !v.is_empty()) else {
            if field.required {
                out.push(Violation {
                    field: path(field.name),
                    message: format!(
                        "required field must be set on message [{}]",
                        data.schema().id
                    ),
                });
            }
            continue;
        };
        if nested {
            for v in stored.values() {
                if let Value::Message(m) = v {
                    collect_violations(m.data(), &path(field.name), out);
                }
            }
        }
    }
}
