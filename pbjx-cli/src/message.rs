//! Messages from the command line, their kind, and the envelope `pbjx send` prints.

use pbj::{Message, Registry};
use pbjx::mixins;

use crate::exit::CliError;

/// What the exchange does with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `send` (the command mixin).
    Command,
    /// `publish` (the event mixin).
    Event,
    /// `request` (the request mixin).
    Request,
}

impl Kind {
    /// The kind of a message, or `None` for other messages.
    pub(crate) fn of(message: &dyn Message) -> Option<Self> {
        let schema = message.schema();
        if schema.has_mixin(mixins::COMMAND) {
            Some(Kind::Command)
        } else if schema.has_mixin(mixins::EVENT) {
            Some(Kind::Event)
        } else if schema.has_mixin(mixins::REQUEST) {
            Some(Kind::Request)
        } else {
            None
        }
    }

    /// The subcommand for this kind.
    pub(crate) fn verb(self) -> &'static str {
        match self {
            Kind::Command => "send",
            Kind::Event => "publish",
            Kind::Request => "request",
        }
    }
}

/// The message named by `curie` with the fields of `json` (a JSON object; its `_schema`, when
/// present, must name the same curie), decoded with `registry` and validated; `tenant_id` is
/// written to `ctx_tenant_id` when given.
pub(crate) fn from_args(
    registry: &Registry,
    curie: &str,
    json: &str,
    tenant_id: Option<&str>,
) -> Result<Box<dyn Message>, CliError> {
    let entry = registry.resolve_curie(curie).ok_or_else(|| {
        CliError::usage(format!(
            "unknown curie [{curie}]: no message of this pbjx's registry has it"
        ))
    })?;
    let mut value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| CliError::failure(format!("the JSON argument is invalid: {e}")))?;
    let object = value
        .as_object_mut()
        .ok_or_else(|| CliError::failure("the JSON argument must be an object"))?;
    match object.get("_schema").and_then(serde_json::Value::as_str) {
        Some(id) => {
            let named = registry.resolve_id_str(id).map_err(|e| {
                CliError::failure(format!("the JSON's _schema [{id}] is not usable: {e}"))
            })?;
            if named.schema.curie != entry.schema.curie {
                return Err(CliError::failure(format!(
                    "the JSON's _schema [{id}] does not match the curie [{curie}]"
                )));
            }
        }
        None => {
            object.insert(
                "_schema".to_owned(),
                serde_json::Value::String(entry.schema.id.to_owned()),
            );
        }
    }
    let mut message = crate::app::decode(&value.to_string(), registry)
        .map_err(|e| CliError::failure(format!("[{curie}]: {e}")))?;
    if let Some(tenant) = tenant_id {
        set_tenant(&mut *message, tenant).map_err(CliError::failure)?;
    }
    Ok(message)
}

/// Writes `ctx_tenant_id` (the original's `--tenant-id`).
pub(crate) fn set_tenant(message: &mut dyn Message, tenant: &str) -> Result<(), String> {
    let id = message.schema().id;
    message
        .data_mut()
        .set("ctx_tenant_id", tenant)
        .map_err(|e| format!("[{id}]: cannot set ctx_tenant_id: {e}"))
}

/// The message ref (`curie:id`) of a message, as JSON.
fn message_ref(message: &dyn Message) -> serde_json::Value {
    let r = message.generate_message_ref(None);
    serde_json::json!({ "curie": r.curie(), "id": r.id() })
}

/// A successful envelope (`gdbots:pbjx::envelope`, as the original's console prints it):
/// `code` 0, `http_code`, `message_ref` and the message (a command or event as sent, a
/// request's response).
pub(crate) fn ok_envelope(http_code: u16, message: &dyn Message) -> serde_json::Value {
    let mut envelope = envelope_base(true, 0, http_code);
    envelope["message_ref"] = message_ref(message);
    envelope["message"] = json_of(message);
    envelope
}

/// A failed envelope: the error's code, its HTTP status, name and message (not redacted: the
/// console is trusted, as in the original).
pub(crate) fn error_envelope(
    error: &pbjx::Error,
    message: Option<&dyn Message>,
) -> serde_json::Value {
    let code = error.code();
    let code = if code == pbjx::Code::Ok {
        pbjx::Code::Unknown
    } else {
        code
    };
    let mut envelope = envelope_base(false, code.value(), code.to_http());
    envelope["error_name"] = serde_json::Value::String(error.name());
    envelope["error_message"] = serde_json::Value::String(crate::exit::chain(error));
    if let Some(message) = message {
        envelope["message_ref"] = message_ref(message);
    }
    envelope
}

fn envelope_base(ok: bool, code: i64, http_code: u16) -> serde_json::Value {
    serde_json::json!({
        "_schema": <pbjx::schemas::gdbots::pbjx::EnvelopeV1 as pbj::MessageType>::SCHEMA.id,
        "envelope_id": uuid::Uuid::new_v4().to_string(),
        "ok": ok,
        "code": code,
        "http_code": http_code,
    })
}

/// A message's JSON as a value (the pbj JSON form).
pub(crate) fn json_of(message: &dyn Message) -> serde_json::Value {
    serde_json::from_str(&message.to_json()).unwrap_or(serde_json::Value::Null)
}
