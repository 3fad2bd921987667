//! Decoding a record and handing its message to the exchange, shared by every consumer.

use std::sync::Arc;

use pbj::Message;

use crate::error::{Error, Result};
use crate::exchange::Pbjx;
use crate::mixins;
use crate::transport::TransportEnvelope;

/// What became of one record.
#[derive(Debug, Clone)]
pub enum Delivery {
    /// The command's handler or the event's subscribers ran without error.
    Handled,
    /// The message was handed over and its handling failed.
    Failed(Error),
    /// The record is not a message this consumer can handle: not an envelope, unknown schema,
    /// invalid message, or a request (`receive_request` answers to a caller; a stream has
    /// none).
    Poison(Error),
}

/// Decodes `data` as a [`TransportEnvelope`] with the exchange's registry, checks the message
/// and hands it to [`Pbjx::receive_command`] or [`Pbjx::receive_event`].
///
/// ```
/// use std::sync::Arc;
/// use pbjx::Pbjx;
/// use pbjx::consumer::{Delivery, deliver_envelope};
/// use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
/// use pbjx::transport::TransportEnvelope;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let pbjx = Pbjx::builder()
///     .command(|_cmd: Arc<CheckHealthV1>, _pbjx| async { Ok(()) })
///     .build()?;
/// let envelope = TransportEnvelope::new(Arc::new(CheckHealthV1::new()), false).to_json();
/// assert!(matches!(deliver_envelope(&pbjx, envelope.as_bytes()).await, Delivery::Handled));
/// assert!(matches!(deliver_envelope(&pbjx, b"nope").await, Delivery::Poison(_)));
/// # Ok::<(), pbjx::Error>(())
/// # }).unwrap();
/// ```
pub async fn deliver_envelope(pbjx: &Pbjx, data: &[u8]) -> Delivery {
    let message = match decode(pbjx, data) {
        Ok(message) => message,
        Err(e) => return Delivery::Poison(e),
    };
    deliver_message(pbjx, message).await
}

/// Hands a decoded message to the exchange (see [`deliver_envelope`]).
pub(crate) async fn deliver_message(pbjx: &Pbjx, message: Arc<dyn Message>) -> Delivery {
    let schema = message.schema();
    let result = if schema.has_mixin(mixins::COMMAND) {
        pbjx.receive_command(message).await
    } else if schema.has_mixin(mixins::EVENT) {
        pbjx.receive_event(message).await
    } else {
        return Delivery::Poison(Error::InvalidArgument {
            message: format!(
                "a consumer handles only commands and events, not [{}]",
                schema.id
            ),
        });
    };
    match result {
        Ok(()) => Delivery::Handled,
        Err(e) => Delivery::Failed(e),
    }
}

fn decode(pbjx: &Pbjx, data: &[u8]) -> Result<Arc<dyn Message>> {
    let text = std::str::from_utf8(data).map_err(|e| Error::InvalidArgument {
        message: format!("Envelope is invalid: the record is not UTF-8 ({e})."),
    })?;
    let envelope = TransportEnvelope::from_json(text.trim_end(), pbjx.registry())?;
    let Some(message) = envelope.into_message() else {
        return Err(Error::InvalidArgument {
            message: "Envelope is invalid: no message.".to_owned(),
        });
    };
    if let Err(violations) = message.validate() {
        return Err(Error::Invalid {
            schema: message.schema().id.to_owned(),
            violations,
        });
    }
    Ok(message)
}
