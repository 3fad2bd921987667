//! [`StaticRouter`]: one channel per message kind, partitions from message ids.

use pbj::Message;

use super::shard::{DEFAULT_SHARDS, determine_shard};
use super::{PartitionableRouter, Router};

/// Routes every command to one channel, every event to another and every request to a third;
/// the partition key is the shard (see [`determine_shard`]) of the message id
/// (`command_id`, `event_id`, `request_id`), so one message always lands on the same
/// partition. The original's doc example (all commands to `command_stream`, partitioned on
/// `command_id` mod 8) is `StaticRouter::new("command_stream", ..).with_shards(8)`.
///
/// ```
/// use pbjx::pbj::Message;
/// use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
/// use pbjx::transport::{PartitionableRouter, Router, StaticRouter};
///
/// let router = StaticRouter::new("command_stream", "event_stream", "request_stream").with_shards(8);
/// let command = CheckHealthV1::new();
/// assert_eq!(router.for_command(&command), "command_stream");
/// let partition: u16 = router.partition_for_command(&command).parse().unwrap();
/// assert!(partition < 8);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticRouter {
    command: String,
    event: String,
    request: String,
    shards: u16,
}

impl StaticRouter {
    /// A router with these channels and [`DEFAULT_SHARDS`] partitions.
    pub fn new(
        command: impl Into<String>,
        event: impl Into<String>,
        request: impl Into<String>,
    ) -> Self {
        Self {
            command: command.into(),
            event: event.into(),
            request: request.into(),
            shards: DEFAULT_SHARDS,
        }
    }

    /// Sets the number of partitions (`0`: the raw 16-bit shard key, 0..=65535).
    pub fn with_shards(mut self, shards: u16) -> Self {
        self.shards = shards;
        self
    }

    /// The partition key of a message: the shard of its id, in decimal.
    pub fn partition_key(&self, message: &dyn Message) -> String {
        let message_ref = message.generate_message_ref(None);
        determine_shard(message_ref.id(), self.shards).to_string()
    }
}

impl Router for StaticRouter {
    fn for_command(&self, _command: &dyn Message) -> String {
        self.command.clone()
    }

    fn for_event(&self, _event: &dyn Message) -> String {
        self.event.clone()
    }

    fn for_request(&self, _request: &dyn Message) -> String {
        self.request.clone()
    }
}

impl PartitionableRouter for StaticRouter {
    fn partition_for_command(&self, command: &dyn Message) -> String {
        self.partition_key(command)
    }

    fn partition_for_event(&self, event: &dyn Message) -> String {
        self.partition_key(event)
    }

    fn partition_for_request(&self, request: &dyn Message) -> String {
        self.partition_key(request)
    }
}
