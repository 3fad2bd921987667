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
use crate::lifecycle::BoxFuture;

/// Delivers commands, events and requests to the buses that handle them.
pub trait Transport: Send + Sync + 'static {
    /// The transport's name, e.g. `in_memory`.
    fn name(&self) -> &str;
    /// Delivers a frozen command to its handler.
    fn send_command<'a>(
        &'a self,
        pbjx: &'a Pbjx,
        command: Arc<dyn Message>,
    ) -> BoxFuture<'a, Result<()>>;
    /// Delivers a frozen event to its subscribers.
    fn send_event<'a>(
        &'a self,
        pbjx: &'a Pbjx,
        event: Arc<dyn Message>,
    ) -> BoxFuture<'a, Result<()>>;
    /// Delivers a frozen request to its handler and returns the response (a failed handler
    /// yields a `request-failed-response`, not an error).
    fn send_request<'a>(
        &'a self,
        pbjx: &'a Pbjx,
        request: Arc<dyn Message>,
    ) -> BoxFuture<'a, Result<Box<dyn Message>>>;
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
