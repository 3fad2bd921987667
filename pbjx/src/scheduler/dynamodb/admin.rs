//! Creating and describing the scheduler's table, queue and state machine.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TableStatus,
    TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_sdk_sqs::types::QueueAttributeName;

use super::{BACKEND, HASH_KEY_NAME, Inner, TTL_KEY_NAME};
use crate::aws::storage_error;
use crate::error::{Code, Error, Result};

/// How long `create_storage` waits for the table to become `ACTIVE`.
const CREATE_TIMEOUT: Duration = Duration::from_secs(300);

/// The state machine (Amazon States Language): wait until the input's `send_at`, then send
/// `{"job_id", "execution_arn", "input"}` to the queue at `queue_url` (retrying the send with
/// backoff). The worker does the rest, including the next leg of a `resend_at` chain.
///
/// ```
/// let asl = pbjx::scheduler::dynamodb::state_machine_definition("https://sqs.example/1/jobs");
/// let asl: serde_json::Value = serde_json::from_str(&asl).unwrap();
/// assert_eq!(asl["States"]["WaitUntilSendAt"]["TimestampPath"], "$.send_at");
/// ```
pub fn state_machine_definition(queue_url: &str) -> String {
    let definition = serde_json::json!({
        "Comment": "pbjx scheduler: waits until the job's send_at, then hands the job to the \
                    scheduler's worker queue (the worker sends it, or starts the next leg of a \
                    resend_at chain).",
        "StartAt": "WaitUntilSendAt",
        "States": {
            "WaitUntilSendAt": {
                "Type": "Wait",
                "TimestampPath": "$.send_at",
                "Next": "Deliver"
            },
            "Deliver": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {
                    "QueueUrl": queue_url,
                    "MessageBody": {
                        "job_id.$": "$.job_id",
                        "execution_arn.$": "$$.Execution.Id",
                        "input.$": "$"
                    }
                },
                "Retry": [{
                    "ErrorEquals": ["States.ALL"],
                    "IntervalSeconds": 2,
                    "MaxAttempts": 10,
                    "BackoffRate": 2.0
                }],
                "End": true
            }
        }
    });
    serde_json::to_string_pretty(&definition).unwrap_or_default()
}

fn build(e: impl std::fmt::Display) -> Error {
    Error::storage(
        BACKEND,
        Code::Internal,
        format!("cannot build a request: {e}"),
    )
}

impl Inner {
    pub(super) async fn create_storage(&self) -> Result<()> {
        self.create_table().await?;
        let queue_url = self.create_queue().await?;
        self.create_state_machine(&queue_url).await
    }

    /// Whether the table is `ACTIVE` (`None`: it does not exist).
    async fn table_status(&self) -> Result<Option<TableStatus>> {
        let table = &self.resources.table;
        match self
            .dynamodb
            .describe_table()
            .table_name(table)
            .send()
            .await
        {
            Ok(out) => Ok(out.table.and_then(|t| t.table_status)),
            Err(e) if crate::aws::error_code(&e) == Some("ResourceNotFoundException") => Ok(None),
            Err(e) => Err(storage_error(
                BACKEND,
                &format!("DescribeTable of [{table}]"),
                e,
            )),
        }
    }

    /// The original's table (hash `job_id`, on demand) with TTL on `ttl`.
    async fn create_table(&self) -> Result<()> {
        let table = &self.resources.table;
        if self.table_status().await?.is_none() {
            let created = self
                .dynamodb
                .create_table()
                .table_name(table)
                .attribute_definitions(
                    AttributeDefinition::builder()
                        .attribute_name(HASH_KEY_NAME)
                        .attribute_type(ScalarAttributeType::S)
                        .build()
                        .map_err(build)?,
                )
                .key_schema(
                    KeySchemaElement::builder()
                        .attribute_name(HASH_KEY_NAME)
                        .key_type(KeyType::Hash)
                        .build()
                        .map_err(build)?,
                )
                .billing_mode(BillingMode::PayPerRequest)
                .send()
                .await;
            if let Err(e) = created
                && crate::aws::error_code(&e) != Some("ResourceInUseException")
            {
                return Err(storage_error(BACKEND, &format!("CreateTable [{table}]"), e));
            }
        }
        let started = Instant::now();
        while self.table_status().await? != Some(TableStatus::Active) {
            if started.elapsed() > CREATE_TIMEOUT {
                return Err(Error::storage(
                    BACKEND,
                    Code::DeadlineExceeded,
                    format!("DynamoDB table [{table}] is not ACTIVE after {CREATE_TIMEOUT:?}"),
                ));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let ttl = self
            .dynamodb
            .describe_time_to_live()
            .table_name(table)
            .send()
            .await
            .map_err(|e| storage_error(BACKEND, &format!("DescribeTimeToLive of [{table}]"), e))?;
        let status = ttl
            .time_to_live_description
            .and_then(|d| d.time_to_live_status);
        if !matches!(
            status,
            Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
        ) {
            let spec = TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(TTL_KEY_NAME)
                .build()
                .map_err(build)?;
            self.dynamodb
                .update_time_to_live()
                .table_name(table)
                .time_to_live_specification(spec)
                .send()
                .await
                .map_err(|e| {
                    storage_error(BACKEND, &format!("UpdateTimeToLive of [{table}]"), e)
                })?;
        }
        Ok(())
    }

    /// The queue (idempotent: SQS returns the existing queue's URL); returns its URL.
    async fn create_queue(&self) -> Result<String> {
        let queue = &self.resources.queue;
        let visibility = self.resources.visibility_timeout.as_secs().max(1);
        let out = self
            .sqs
            .create_queue()
            .queue_name(queue)
            .attributes(
                QueueAttributeName::VisibilityTimeout,
                visibility.to_string(),
            )
            .send()
            .await
            .map_err(|e| storage_error(BACKEND, &format!("CreateQueue [{queue}]"), e))?;
        let url = out.queue_url.ok_or_else(|| {
            Error::storage(
                BACKEND,
                Code::Internal,
                format!("SQS gave no URL for queue [{queue}]"),
            )
        })?;
        let _ = self.queue_url.set(url.clone());
        Ok(url)
    }

    /// The state machine's ARN, looked up by name (`None` when there is none).
    pub(super) async fn find_state_machine(&self) -> Result<Option<String>> {
        let name = &self.resources.state_machine;
        let mut pages = self.sfn.list_state_machines().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| storage_error(BACKEND, "ListStateMachines", e))?;
            if let Some(found) = page.state_machines.iter().find(|m| m.name == *name) {
                return Ok(Some(found.state_machine_arn.clone()));
            }
        }
        Ok(None)
    }

    /// Creates the state machine, or brings an existing one's definition up to date.
    async fn create_state_machine(&self, queue_url: &str) -> Result<()> {
        let name = &self.resources.state_machine;
        let definition = state_machine_definition(queue_url);
        let arn = match self.state_machine_arn.get() {
            Some(arn) => Some(arn.clone()),
            None => self.find_state_machine().await?,
        };
        if let Some(arn) = arn {
            let current = self
                .sfn
                .describe_state_machine()
                .state_machine_arn(&arn)
                .send()
                .await
                .map_err(|e| storage_error(BACKEND, &format!("DescribeStateMachine [{arn}]"), e))?;
            if current.definition != definition {
                self.sfn
                    .update_state_machine()
                    .state_machine_arn(&arn)
                    .definition(definition)
                    .send()
                    .await
                    .map_err(|e| {
                        storage_error(BACKEND, &format!("UpdateStateMachine [{arn}]"), e)
                    })?;
            }
            let _ = self.state_machine_arn.set(arn);
            return Ok(());
        }
        let role = self
            .resources
            .role_arn
            .as_deref()
            .ok_or_else(|| Error::InvalidArgument {
                message: format!(
                    "Resources::with_role_arn is needed to create the state machine [{name}] \
                     (a role allowed sqs:SendMessage on the queue)"
                ),
            })?;
        let out = self
            .sfn
            .create_state_machine()
            .name(name)
            .definition(definition)
            .role_arn(role)
            .send()
            .await
            .map_err(|e| storage_error(BACKEND, &format!("CreateStateMachine [{name}]"), e))?;
        let _ = self.state_machine_arn.set(out.state_machine_arn);
        Ok(())
    }

    pub(super) async fn describe_storage(&self) -> Result<String> {
        let r = &self.resources;
        let mut out = String::from("DynamoDB + Step Functions scheduler\n");
        let _ = match self.table_status().await? {
            Some(status) => writeln!(out, "table: {} ({})", r.table, status.as_str()),
            None => writeln!(
                out,
                "table: {} does not exist (run create_storage)",
                r.table
            ),
        };
        match self.queue_url().await {
            Ok(url) => {
                let attributes = self
                    .sqs
                    .get_queue_attributes()
                    .queue_url(&url)
                    .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
                    .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
                    .send()
                    .await
                    .map_err(|e| {
                        storage_error(BACKEND, &format!("GetQueueAttributes [{url}]"), e)
                    })?;
                let count = |name: QueueAttributeName| {
                    attributes
                        .attributes
                        .as_ref()
                        .and_then(|a| a.get(&name).cloned())
                        .unwrap_or_else(|| "-".to_owned())
                };
                let _ = writeln!(
                    out,
                    "queue: {url} ({} waiting, {} being handled)",
                    count(QueueAttributeName::ApproximateNumberOfMessages),
                    count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
                );
            }
            Err(_) => {
                let _ = writeln!(
                    out,
                    "queue: {} does not exist (run create_storage)",
                    r.queue
                );
            }
        }
        let _ = match self.state_machine_arn().await {
            Ok(arn) => write!(out, "state machine: {arn}"),
            Err(_) => write!(
                out,
                "state machine: {} does not exist (run create_storage)",
                r.state_machine
            ),
        };
        Ok(out)
    }
}
