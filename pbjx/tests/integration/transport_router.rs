//! StaticRouter: channels per kind, partitions from message ids.

use pbjx::pbj::Message;
use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
use pbjx::schemas::gdbots::pbjx::request::EchoRequestV1;
use pbjx::transport::{PartitionableRouter, Router, StaticRouter, determine_shard};

#[test]
fn static_router() {
    let router = StaticRouter::new("commands", "events", "requests").with_shards(8);
    let command = CheckHealthV1::new();
    let event = HealthCheckedV1::new();
    let request = EchoRequestV1::new();
    assert_eq!(router.for_command(&command), "commands");
    assert_eq!(router.for_event(&event), "events");
    assert_eq!(router.for_request(&request), "requests");
    for message in [&command as &dyn Message, &event, &request] {
        let id = message.generate_message_ref(None).id().to_owned();
        assert_ne!(id, "null", "{} has an id", message.schema().id);
        let expected = determine_shard(&id, 8).to_string();
        assert_eq!(router.partition_key(message), expected);
        // Deterministic per message.
        assert_eq!(router.partition_key(message), router.partition_key(message));
    }
    assert_eq!(
        router.partition_for_command(&command),
        router.partition_key(&command)
    );
    assert_eq!(
        router.partition_for_event(&event),
        router.partition_key(&event)
    );
    assert_eq!(
        router.partition_for_request(&request),
        router.partition_key(&request)
    );
    let wide = StaticRouter::new("c", "e", "r");
    let p: u16 = wide
        .partition_for_command(&command)
        .parse()
        .expect("a number");
    assert!(p < 256);
}
