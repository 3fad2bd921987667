//! [`DynamoDbCheckpointStore`]: leases and checkpoints in a DynamoDB table (consumers on many
//! machines).

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ReturnValue,
    ScalarAttributeType,
};

use super::{CheckpointStore, Lease, expiry};
use crate::aws::storage_error;
use crate::consumer::now_millis;
use crate::error::{Code, Error, Result};

const BACKEND: &str = "dynamodb";
const GROUP: &str = "consumer_group";
const SHARD: &str = "shard_id";

/// Leases and checkpoints in a DynamoDB table: hash key `consumer_group` (S), range key
/// `shard_id` (S), attributes `lease_owner` (S, absent when free), `lease_expires_at` (N,
/// milliseconds), `checkpoint` (S), `finished` (BOOL). Leases are taken and checkpoints
/// written with conditional `UpdateItem`s, so two consumers never both hold a shard.
///
/// ```no_run
/// use pbjx::consumer::{CheckpointStore, DynamoDbCheckpointStore};
/// # async fn demo() -> pbjx::Result<()> {
/// let client = aws_sdk_dynamodb::Client::new(&pbjx::aws::config_from_env().await);
/// let store = DynamoDbCheckpointStore::new(client, "acme-prod-pbjx-checkpoints");
/// store.create_storage().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DynamoDbCheckpointStore {
    client: Client,
    table: String,
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn read_lease(item: &HashMap<String, AttributeValue>) -> Lease {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    Lease {
        shard: text(SHARD).unwrap_or_default(),
        owner: text("lease_owner"),
        expires_at_ms: item
            .get("lease_expires_at")
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        checkpoint: text("checkpoint"),
        finished: item
            .get("finished")
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(false),
    }
}

impl DynamoDbCheckpointStore {
    /// A store in `table` (created by [`CheckpointStore::create_storage`]).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    fn what(&self, operation: &str) -> String {
        format!("{operation} on DynamoDB checkpoint table [{}]", self.table)
    }
}

fn build_error(e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::storage(
        BACKEND,
        Code::Internal,
        format!("cannot build a request: {e}"),
    )
    .with_source(e)
}

#[async_trait::async_trait]
impl CheckpointStore for DynamoDbCheckpointStore {
    fn name(&self) -> &str {
        BACKEND
    }

    async fn create_storage(&self) -> Result<()> {
        let exists = self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await;
        match exists {
            Ok(_) => return Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) => {}
            Err(e) => return Err(storage_error(BACKEND, &self.what("DescribeTable"), e)),
        }
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(build_error)
        };
        let key = |name: &str, t: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(t)
                .build()
                .map_err(build_error)
        };
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .attribute_definitions(attribute(GROUP)?)
            .attribute_definitions(attribute(SHARD)?)
            .key_schema(key(GROUP, KeyType::Hash)?)
            .key_schema(key(SHARD, KeyType::Range)?)
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_in_use_exception()) => {}
            Err(e) => return Err(storage_error(BACKEND, &self.what("CreateTable"), e)),
        }
        for _ in 0..600 {
            let described = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(|e| storage_error(BACKEND, &self.what("DescribeTable"), e))?;
            let active = described
                .table()
                .and_then(|t| t.table_status())
                .is_some_and(|s| s.as_str() == "ACTIVE");
            if active {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Err(Error::storage(
            BACKEND,
            Code::DeadlineExceeded,
            format!("checkpoint table [{}] did not become ACTIVE", self.table),
        ))
    }

    async fn leases(&self, group: &str) -> Result<Vec<Lease>> {
        let mut leases = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#g = :g")
                .expression_attribute_names("#g", GROUP)
                .expression_attribute_values(":g", s(group))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| storage_error(BACKEND, &self.what("Query"), e))?;
            leases.extend(page.items().iter().map(read_lease));
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(leases),
            }
        }
    }

    async fn acquire(
        &self,
        group: &str,
        shard: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<Option<Lease>> {
        let now = now_millis();
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(GROUP, s(group))
            .key(SHARD, s(shard))
            .update_expression("SET lease_owner = :me, lease_expires_at = :until")
            .condition_expression(
                "attribute_not_exists(lease_owner) OR lease_owner = :me OR lease_expires_at < :now",
            )
            .expression_attribute_values(":me", s(owner))
            .expression_attribute_values(":until", n(expiry(now, ttl)))
            .expression_attribute_values(":now", n(now))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => Ok(Some(read_lease(&out.attributes.unwrap_or_default()))),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(storage_error(
                BACKEND,
                &self.what("UpdateItem (acquire)"),
                e,
            )),
        }
    }

    async fn checkpoint(
        &self,
        group: &str,
        shard: &str,
        owner: &str,
        checkpoint: &str,
        finished: bool,
        ttl: Duration,
    ) -> Result<bool> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(GROUP, s(group))
            .key(SHARD, s(shard))
            .update_expression("SET #c = :c, finished = :f, lease_expires_at = :until")
            .condition_expression("lease_owner = :me")
            .expression_attribute_names("#c", "checkpoint")
            .expression_attribute_values(":c", s(checkpoint))
            .expression_attribute_values(":f", AttributeValue::Bool(finished))
            .expression_attribute_values(":until", n(expiry(now_millis(), ttl)))
            .expression_attribute_values(":me", s(owner))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(storage_error(
                BACKEND,
                &self.what("UpdateItem (checkpoint)"),
                e,
            )),
        }
    }

    async fn release(&self, group: &str, shard: &str, owner: &str) -> Result<()> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(GROUP, s(group))
            .key(SHARD, s(shard))
            .update_expression("REMOVE lease_owner SET lease_expires_at = :zero")
            .condition_expression("lease_owner = :me")
            .expression_attribute_values(":me", s(owner))
            .expression_attribute_values(":zero", n(0))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(storage_error(
                BACKEND,
                &self.what("UpdateItem (release)"),
                e,
            )),
        }
    }
}
