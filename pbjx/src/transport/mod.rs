//! Transports move frozen messages to where they are handled; routers pick channels and
//! partitions for them.

pub mod envelope;
mod in_memory;
pub mod local;
pub mod router;
pub mod shard;

pub use envelope::{SERIALIZER_JSON, TransportEnvelope};
pub use in_memory::InMemoryTransport;
pub use local::{LocalReport, LocalTransport};
pub use router::StaticRouter;
pub use shard::{DEFAULT_SHARDS, determine_shard, shard_key};

use std::sync::Arc;

use pbj::Message;

use crate::Pbjx;
use crate::error::Result;

/// Delivers commands, events and requests to the buses that handle them. Implementors write
/// plain `async fn`s inside `#[pbjx::async_trait]`; the trait stays object-safe
/// (`Arc<dyn Transport>`).
///
/// ```
/// use std::sync::Arc;
/// use pbjx::Pbjx;
/// use pbjx::pbj::Message;
/// use pbjx::transport::Transport;
///
/// /// Handles everything inline, like `InMemoryTransport`.
/// struct Inline;
///
/// #[pbjx::async_trait]
/// impl Transport for Inline {
///     fn name(&self) -> &str {
///         "inline"
///     }
///     async fn send_command(&self, pbjx: &Pbjx, command: Arc<dyn Message>) -> pbjx::Result<()> {
///         pbjx.receive_command(command).await
///     }
///     async fn send_event(&self, pbjx: &Pbjx, event: Arc<dyn Message>) -> pbjx::Result<()> {
///         pbjx.receive_event(event).await
///     }
///     async fn send_request(
///         &self,
///         pbjx: &Pbjx,
///         request: Arc<dyn Message>,
///     ) -> pbjx::Result<Box<dyn Message>> {
///         Ok(pbjx.receive_request(request).await)
///     }
/// }
/// let pbjx = Pbjx::builder().transport(Inline).build()?;
/// assert_eq!(pbjx.transport_name(), "inline");
/// # Ok::<(), pbjx::Error>(())
/// ```
#[async_trait::async_trait]
pub trait Transport: Send + Sync + 'static {
    /// The transport's name, e.g. `in_memory`.
    fn name(&self) -> &str;
    /// Whether each `send_*` does exactly what the matching `Pbjx::receive_*` does (and
    /// nothing else), so the exchange may call that directly and skip the boxed future of the
    /// trait call. `false` unless a transport overrides it; [`InMemoryTransport`] is `true`.
    fn delivers_in_process(&self) -> bool {
        false
    }
    /// Delivers a frozen command to its handler.
    async fn send_command(&self, pbjx: &Pbjx, command: Arc<dyn Message>) -> Result<()>;
    /// Delivers a frozen event to its subscribers.
    async fn send_event(&self, pbjx: &Pbjx, event: Arc<dyn Message>) -> Result<()>;
    /// Delivers a frozen request to its handler and returns the response (a failed handler
    /// yields a `request-failed-response`, not an error).
    async fn send_request(
        &self,
        pbjx: &Pbjx,
        request: Arc<dyn Message>,
    ) -> Result<Box<dyn Message>>;
}

/// Picks the channel (stream, topic) of a message. Should be deterministic per message.
pub trait Router: Send + Sync + 'static {
    /// Channel for a command.
    fn for_command(&self, command: &dyn Message) -> String;
    /// Channel for an event.
    fn for_event(&self, event: &dyn Message) -> String;
    /// Channel for a request.
    fn for_request(&self, request: &dyn Message) -> String;
}

/// A router that also picks partition keys.
pub trait PartitionableRouter: Router {
    /// Partition key for a command.
    fn partition_for_command(&self, command: &dyn Message) -> String;
    /// Partition key for an event.
    fn partition_for_event(&self, event: &dyn Message) -> String;
    /// Partition key for a request.
    fn partition_for_request(&self, request: &dyn Message) -> String;
}
