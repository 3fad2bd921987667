//! Storage administration: creating and describing the event table and the heads table.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::error::BuildError;
use aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, IndexStatus, KeySchemaElement, KeyType,
    Projection, ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TableDescription, TableStatus,
};

use super::{
    BACKEND, GSI_EVENT_ID_HASH_KEY_NAME, GSI_EVENT_ID_NAME, HASH_KEY_NAME, Inner, RANGE_KEY_NAME,
    aws_error, internal,
};
use crate::error::{Code, Error, Result};

/// How long `create_storage` waits for the tables to become `ACTIVE`.
const CREATE_TIMEOUT: Duration = Duration::from_secs(300);

fn build(e: BuildError) -> Error {
    internal(format!("cannot build a CreateTable request: {e}"))
}

fn attribute(name: &str, t: ScalarAttributeType) -> Result<AttributeDefinition> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(t)
        .build()
        .map_err(build)
}

fn key(name: &str, t: KeyType) -> Result<KeySchemaElement> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(t)
        .build()
        .map_err(build)
}

impl Inner {
    /// The description of `table` (`None` when it does not exist).
    async fn describe_table(&self, table: &str) -> Result<Option<TableDescription>> {
        match self.client.describe_table().table_name(table).send().await {
            Ok(out) => Ok(out.table),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(aws_error(table, "DescribeTable", e)),
        }
    }

    /// The original's event table: hash `__stream_id`, range `occurred_at`, GSI
    /// `event_id_index` (`KEYS_ONLY`), stream `NEW_IMAGE`, on demand.
    fn create_event_table(&self) -> Result<CreateTableFluentBuilder> {
        let gsi = GlobalSecondaryIndex::builder()
            .index_name(GSI_EVENT_ID_NAME)
            .key_schema(key(GSI_EVENT_ID_HASH_KEY_NAME, KeyType::Hash)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::KeysOnly)
                    .build(),
            )
            .build()
            .map_err(build)?;
        let stream = StreamSpecification::builder()
            .stream_enabled(true)
            .stream_view_type(StreamViewType::NewImage)
            .build()
            .map_err(build)?;
        Ok(self
            .client
            .create_table()
            .table_name(&self.table)
            .attribute_definitions(attribute(HASH_KEY_NAME, ScalarAttributeType::S)?)
            .attribute_definitions(attribute(RANGE_KEY_NAME, ScalarAttributeType::N)?)
            .attribute_definitions(attribute(
                GSI_EVENT_ID_HASH_KEY_NAME,
                ScalarAttributeType::S,
            )?)
            .key_schema(key(HASH_KEY_NAME, KeyType::Hash)?)
            .key_schema(key(RANGE_KEY_NAME, KeyType::Range)?)
            .global_secondary_indexes(gsi)
            .stream_specification(stream)
            .billing_mode(BillingMode::PayPerRequest))
    }

    /// The heads table: hash `__stream_id`, on demand, no stream.
    fn create_heads_table(&self) -> Result<CreateTableFluentBuilder> {
        Ok(self
            .client
            .create_table()
            .table_name(&self.heads_table)
            .attribute_definitions(attribute(HASH_KEY_NAME, ScalarAttributeType::S)?)
            .key_schema(key(HASH_KEY_NAME, KeyType::Hash)?)
            .billing_mode(BillingMode::PayPerRequest))
    }

    /// Creates `table` with `request` unless it exists (or someone creates it meanwhile).
    async fn ensure_table(&self, table: &str, request: CreateTableFluentBuilder) -> Result<()> {
        if self.describe_table(table).await?.is_some() {
            return Ok(());
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_in_use_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(aws_error(table, "CreateTable", e)),
        }
    }

    /// Waits until `table` and its indexes are `ACTIVE`.
    async fn wait_active(&self, table: &str, started: Instant) -> Result<()> {
        loop {
            let active = self.describe_table(table).await?.is_some_and(|t| {
                t.table_status() == Some(&TableStatus::Active)
                    && t.global_secondary_indexes()
                        .iter()
                        .all(|g| g.index_status().is_none_or(|s| *s == IndexStatus::Active))
            });
            if active {
                return Ok(());
            }
            if started.elapsed() > CREATE_TIMEOUT {
                return Err(Error::storage(
                    BACKEND,
                    Code::DeadlineExceeded,
                    format!(
                        "DynamoDB table [{table}] is not ACTIVE after {} s",
                        CREATE_TIMEOUT.as_secs()
                    ),
                ));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    pub(super) async fn create_storage(&self) -> Result<()> {
        self.ensure_table(&self.table, self.create_event_table()?)
            .await?;
        self.ensure_table(&self.heads_table, self.create_heads_table()?)
            .await?;
        let started = Instant::now();
        self.wait_active(&self.table, started).await?;
        self.wait_active(&self.heads_table, started).await
    }

    pub(super) async fn describe_storage(&self) -> Result<String> {
        let mut out = String::from("DynamoDB event store\n");
        for (role, table) in [("events", &self.table), ("heads", &self.heads_table)] {
            match self.describe_table(table).await? {
                Some(t) => describe(&mut out, role, table, &t),
                None => {
                    let _ = writeln!(
                        out,
                        "{role} table: {table} does not exist (run create_storage)"
                    );
                }
            }
        }
        Ok(out.trim_end().to_owned())
    }
}

fn describe(out: &mut String, role: &str, table: &str, t: &TableDescription) {
    let _ = writeln!(out, "{role} table: {table}");
    let _ = writeln!(out, "  arn: {}", t.table_arn().unwrap_or("-"));
    let _ = writeln!(
        out,
        "  status: {}",
        t.table_status().map_or("-", |s| s.as_str())
    );
    let keys: Vec<String> = t
        .key_schema()
        .iter()
        .map(|k| format!("{} ({})", k.attribute_name(), k.key_type().as_str()))
        .collect();
    let _ = writeln!(out, "  keys: {}", keys.join(", "));
    for g in t.global_secondary_indexes() {
        let _ = writeln!(
            out,
            "  index: {} on {} ({}, {})",
            g.index_name().unwrap_or("-"),
            g.key_schema()
                .iter()
                .map(|k| k.attribute_name())
                .collect::<Vec<_>>()
                .join(", "),
            g.projection()
                .and_then(|p| p.projection_type())
                .map_or("-", |p| p.as_str()),
            g.index_status().map_or("-", |s| s.as_str()),
        );
    }
    let _ = writeln!(
        out,
        "  billing: {}",
        t.billing_mode_summary()
            .and_then(|b| b.billing_mode())
            .map_or("PROVISIONED", |b| b.as_str())
    );
    let _ = writeln!(
        out,
        "  stream: {} ({})",
        t.latest_stream_arn().unwrap_or("disabled"),
        t.stream_specification()
            .and_then(|s| s.stream_view_type())
            .map_or("-", |v| v.as_str())
    );
    let _ = writeln!(
        out,
        "  items (approximate): {}",
        t.item_count().unwrap_or(0)
    );
    let _ = writeln!(
        out,
        "  bytes (approximate): {}",
        t.table_size_bytes().unwrap_or(0)
    );
}
