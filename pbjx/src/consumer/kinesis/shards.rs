//! Listing the shards of a Kinesis stream.

use aws_sdk_kinesis::Client;

use crate::aws::transport_error;
use crate::consumer::shards::ShardInfo;
use crate::error::Result;

/// Every shard of the stream (`ListShards`, paged).
pub(crate) async fn list_shards(client: &Client, stream: &str) -> Result<Vec<ShardInfo>> {
    let mut shards = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let request = match &token {
            Some(token) => client.list_shards().next_token(token),
            None => client.list_shards().stream_name(stream),
        };
        let page = request.send().await.map_err(|e| {
            transport_error(
                "kinesis",
                &format!("ListShards of Kinesis stream [{stream}]"),
                e,
            )
        })?;
        for shard in page.shards() {
            let parents = [shard.parent_shard_id(), shard.adjacent_parent_shard_id()]
                .into_iter()
                .flatten()
                .map(str::to_owned)
                .collect();
            let ending_sequence = shard
                .sequence_number_range()
                .and_then(|r| r.ending_sequence_number())
                .map(str::to_owned);
            shards.push(ShardInfo {
                id: shard.shard_id().to_owned(),
                parents,
                ending_sequence,
            });
        }
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => return Ok(shards),
        }
    }
}
