//! The DynamoDB + Step Functions scheduler (feature `scheduler-dynamodb`): the original
//! `DynamoDbScheduler`'s table and executions, plus the half the original leaves to the user
//! (its README describes a Lambda that the state machine calls): the state machine and the
//! worker, so the whole loop runs with this crate alone.
//!
//! # The loop
//! 1. [`Scheduler::send_at`] starts an execution of the state machine with the original's
//!    input ([`ExecutionInput`]: `{"job_id", "tenant_id"?, "resend_at"?, "send_at"}`, dates
//!    `Y-m-d\TH:i:s\Z`), then writes the job item (`PutItem`, `ALL_OLD`) and stops the
//!    execution of the job it replaced, if any.
//! 2. The state machine ([`state_machine_definition`]) waits until `$.send_at`, then sends
//!    `{"job_id", "execution_arn", "input"}` (its own execution ARN and input) to the SQS queue.
//! 3. The worker ([`DynamoDbScheduler::spawn_worker`]) receives the message, reads the job item
//!    (strongly consistent) and:
//!    - drops the message when the item is gone (cancelled or done) or names another
//!      execution (the job was replaced; its old execution could not be stopped in time);
//!    - when the input still has `resend_at` dates (a job more than a year away: executions
//!      last at most a year), starts the next leg (the first date moved into `send_at`, as the
//!      original's chain expects) and records its ARN on the item (conditioned on the item
//!      still naming the execution that ended; otherwise the new leg is stopped);
//!    - else sends the command through the exchange (the shared dispatcher: stripped fields
//!      re-populated, retries, the failure report), then deletes the item (conditioned on its
//!      execution, so a replacement written meanwhile stays) and the message. A failed send
//!      makes the message visible again after the backoff delay (`ChangeMessageVisibility`); the
//!      attempt number is the message's `ApproximateReceiveCount`.
//!
//! A delivery that comes before its time (a state machine clock running ahead, an emulator
//! rounding its waits down) is held by the worker until its time, up to 5 s, while it keeps
//! receiving; earlier ones are put back in the queue until their time. Jobs therefore fire in
//! the order of their times (whole seconds; jobs due in the same second in the queue's order),
//! never before them.
//!
//! The state machine does not start the next leg itself: that would need
//! `states:StartExecution` and DynamoDB permissions for it, and the local emulator used by the
//! tests cannot run that task (moto 5.2.5 passes its parameters unconverted to the SDK). Its
//! role only needs `sqs:SendMessage` on the queue.
//!
//! # Table
//! As the original (`{vendor}-{env}-scheduler-v1` in the original bundle): hash key `job_id`
//! (S), `send_at` (N, unix seconds), `ttl` (N, `send_at` + 7 days; DynamoDB TTL is enabled on
//! it), `execution_arn` (S) and `payload` (M: the command as a pbj DynamoDB item without the
//! stripped fields). Times are whole seconds: a sub-second time is rounded up, never down.
//!
//! # Errors
//! The original's mapping: starting an execution fails with `ExecutionLimitExceeded` →
//! [`Code::ResourceExhausted`], `ExecutionAlreadyExists` → [`Code::AlreadyExists`],
//! `InvalidArn` / `InvalidExecutionInput` / `InvalidName` → [`Code::InvalidArgument`],
//! `StateMachineDoesNotExist` / `StateMachineDeleting` → [`Code::NotFound`]; DynamoDB's
//! `ProvisionedThroughputExceededException` → [`Code::ResourceExhausted`]; any other AWS error
//! [`Code::Unavailable`], anything else [`Code::Internal`]. Cancelling ignores a missing table
//! (`ResourceNotFoundException`) like the original; stopping an execution ignores
//! `ExecutionDoesNotExist` and only logs other errors (the worker's checks make a running old
//! execution harmless).
//!
//! ```no_run
//! # async fn demo(pbjx: pbjx::Pbjx) -> pbjx::Result<()> {
//! use pbjx::scheduler::{Scheduler, WorkerOptions};
//! use pbjx::scheduler::dynamodb::{DynamoDbScheduler, Resources};
//!
//! let resources = Resources::named("acme-prod-scheduler-v1")
//!     .with_role_arn("arn:aws:iam::123456789012:role/acme-prod-scheduler");
//! let scheduler = DynamoDbScheduler::from_env(resources, pbjx.registry().clone()).await;
//! scheduler.create_storage().await?; // table (TTL on), queue, state machine
//! let worker = scheduler.spawn_worker(pbjx.clone(), WorkerOptions::default());
//! # worker.shutdown().await;
//! # Ok(()) }
//! ```

mod admin;
mod input;
mod worker;

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use pbj::{Flavor, Message, Registry};
use tokio::sync::OnceCell;

pub use admin::state_machine_definition;
pub use input::{ExecutionInput, format_date};

use super::dispatch::Dispatcher;
use super::{STRIPPED_FIELDS, Scheduler, WorkerHandle, WorkerOptions, check_command};
use crate::aws::{error_code, storage_error_with_code};
use crate::error::{Code, Error, Result};
use crate::event_store::dynamodb::to_sdk_value;
use crate::exchange::Pbjx;
use crate::time::SendAt;

/// Hash key attribute: the job id.
pub const HASH_KEY_NAME: &str = "job_id";
/// When the job is due (N, unix seconds).
pub const SEND_AT_KEY_NAME: &str = "send_at";
/// DynamoDB TTL attribute: `send_at` + 7 days.
pub const TTL_KEY_NAME: &str = "ttl";
/// The ARN of the job's current execution.
pub const EXECUTION_ARN_KEY_NAME: &str = "execution_arn";
/// The command (M).
pub const PAYLOAD_KEY_NAME: &str = "payload";
/// How long after `send_at` DynamoDB may delete a job item.
pub const TTL_AFTER_SEND_AT: Duration = Duration::from_secs(7 * 86_400);

const BACKEND: &str = "dynamodb";

/// The names of the scheduler's AWS resources, and what [`Scheduler::create_storage`] needs
/// to create them.
///
/// ```
/// use pbjx::scheduler::dynamodb::Resources;
/// let resources = Resources::named("acme-prod-scheduler-v1").with_queue("acme-prod-jobs");
/// assert_eq!(resources.table(), "acme-prod-scheduler-v1");
/// assert_eq!(resources.queue(), "acme-prod-jobs");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resources {
    table: String,
    queue: String,
    state_machine: String,
    role_arn: Option<String>,
    visibility_timeout: Duration,
}

impl Resources {
    /// The table, the queue and the state machine all named `name`; no role yet; a 60 s
    /// visibility timeout.
    pub fn named(name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            table: name.clone(),
            queue: name.clone(),
            state_machine: name,
            role_arn: None,
            visibility_timeout: Duration::from_secs(60),
        }
    }

    /// The DynamoDB table of the jobs.
    pub fn with_table(mut self, table: impl Into<String>) -> Self {
        self.table = table.into();
        self
    }

    /// The SQS queue the state machine delivers due jobs to.
    pub fn with_queue(mut self, queue: impl Into<String>) -> Self {
        self.queue = queue.into();
        self
    }

    /// The Step Functions state machine (standard workflow).
    pub fn with_state_machine(mut self, state_machine: impl Into<String>) -> Self {
        self.state_machine = state_machine.into();
        self
    }

    /// The IAM role the state machine runs as (allowed `sqs:SendMessage` on the queue);
    /// needed by [`Scheduler::create_storage`] to create the state machine.
    pub fn with_role_arn(mut self, role_arn: impl Into<String>) -> Self {
        self.role_arn = Some(role_arn.into());
        self
    }

    /// The queue's visibility timeout (created with it): how long a received job is hidden
    /// from other workers; keep it above the time one send takes.
    pub fn with_visibility_timeout(mut self, timeout: Duration) -> Self {
        self.visibility_timeout = timeout;
        self
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The queue's name.
    pub fn queue(&self) -> &str {
        &self.queue
    }

    /// The state machine's name.
    pub fn state_machine(&self) -> &str {
        &self.state_machine
    }

    /// The state machine's role.
    pub fn role_arn(&self) -> Option<&str> {
        self.role_arn.as_deref()
    }

    /// The queue's visibility timeout.
    pub fn visibility_timeout(&self) -> Duration {
        self.visibility_timeout
    }
}

/// The DynamoDB + Step Functions scheduler; see the [module docs](self) for the loop, the
/// table and the errors. Cheap to clone.
#[derive(Clone)]
pub struct DynamoDbScheduler {
    inner: Arc<Inner>,
}

struct Inner {
    dynamodb: aws_sdk_dynamodb::Client,
    sfn: aws_sdk_sfn::Client,
    sqs: aws_sdk_sqs::Client,
    resources: Resources,
    registry: Arc<Registry>,
    state_machine_arn: OnceCell<String>,
    queue_url: OnceCell<String>,
}

impl std::fmt::Debug for DynamoDbScheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoDbScheduler")
            .field("resources", &self.inner.resources)
            .field("state_machine_arn", &self.inner.state_machine_arn.get())
            .field("queue_url", &self.inner.queue_url.get())
            .finish_non_exhaustive()
    }
}

/// The original's code for a failed `StartExecution`.
fn start_execution_code(aws: &str) -> Option<Code> {
    match aws {
        "ExecutionLimitExceeded" => Some(Code::ResourceExhausted),
        "ExecutionAlreadyExists" => Some(Code::AlreadyExists),
        "InvalidArn" | "InvalidExecutionInput" | "InvalidName" => Some(Code::InvalidArgument),
        "StateMachineDoesNotExist" | "StateMachineDeleting" => Some(Code::NotFound),
        _ => None,
    }
}

/// The original's code for a failed DynamoDB call.
fn dynamodb_code(aws: &str) -> Option<Code> {
    (aws == "ProvisionedThroughputExceededException").then_some(Code::ResourceExhausted)
}

/// The original's mapping: `specific` codes, other AWS errors (network included) unavailable,
/// a request that could not be built internal.
fn aws_error<E>(
    what: &str,
    err: SdkError<E, HttpResponse>,
    specific: fn(&str) -> Option<Code>,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = match &err {
        SdkError::ConstructionFailure(_) => Code::Internal,
        _ => error_code(&err)
            .and_then(specific)
            .unwrap_or(Code::Unavailable),
    };
    storage_error_with_code(BACKEND, what, code, err)
}

/// `at` in whole unix seconds, rounded up.
fn whole_seconds(at: SendAt) -> i64 {
    at.unix_seconds()
        .saturating_add(i64::from(at.subsec_nanos() > 0))
}

fn string_attr<'a>(
    item: &'a std::collections::HashMap<String, AttributeValue>,
    name: &str,
) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

impl DynamoDbScheduler {
    /// A scheduler on `resources` with clients built from `config`; `registry` decodes the
    /// stored commands (it must hold every command type that will be scheduled).
    pub fn new(
        config: &aws_config::SdkConfig,
        resources: Resources,
        registry: impl Into<Arc<Registry>>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                dynamodb: aws_sdk_dynamodb::Client::new(config),
                sfn: aws_sdk_sfn::Client::new(config),
                sqs: aws_sdk_sqs::Client::new(config),
                resources,
                registry: registry.into(),
                state_machine_arn: OnceCell::new(),
                queue_url: OnceCell::new(),
            }),
        }
    }

    /// A scheduler whose clients come from the environment ([`crate::aws::config_from_env`]).
    pub async fn from_env(resources: Resources, registry: impl Into<Arc<Registry>>) -> Self {
        let config = crate::aws::config_from_env().await;
        Self::new(&config, resources, registry)
    }

    /// Uses this state machine ARN instead of looking the state machine up by name (the
    /// original's constructor argument).
    pub fn with_state_machine_arn(self, arn: impl Into<String>) -> Self {
        let _ = self.inner.state_machine_arn.set(arn.into());
        self
    }

    /// The resources.
    pub fn resources(&self) -> &Resources {
        &self.inner.resources
    }

    /// The state machine's ARN (looked up by name once).
    pub async fn state_machine_arn(&self) -> Result<String> {
        self.inner.state_machine_arn().await
    }

    /// The queue's URL (looked up by name once).
    pub async fn queue_url(&self) -> Result<String> {
        self.inner.queue_url().await
    }

    /// The DynamoDB client.
    pub fn dynamodb(&self) -> &aws_sdk_dynamodb::Client {
        &self.inner.dynamodb
    }

    /// The Step Functions client.
    pub fn sfn(&self) -> &aws_sdk_sfn::Client {
        &self.inner.sfn
    }

    /// The SQS client.
    pub fn sqs(&self) -> &aws_sdk_sqs::Client {
        &self.inner.sqs
    }

    /// Starts a worker (a tokio task on the current runtime) that receives due jobs from the
    /// queue and sends them through `pbjx`. Several workers, in any number of processes, may
    /// run at once.
    pub fn spawn_worker(&self, pbjx: Pbjx, options: WorkerOptions) -> WorkerHandle {
        let inner = self.inner.clone();
        let dispatcher = Dispatcher::new(pbjx, *options.retry());
        WorkerHandle::spawn(move |token| worker::run(inner, dispatcher, options, token))
    }
}

impl Inner {
    async fn state_machine_arn(&self) -> Result<String> {
        self.state_machine_arn
            .get_or_try_init(|| async {
                self.find_state_machine().await?.ok_or_else(|| {
                    Error::storage(
                        BACKEND,
                        Code::FailedPrecondition,
                        format!(
                            "the state machine [{}] does not exist (run create_storage)",
                            self.resources.state_machine
                        ),
                    )
                })
            })
            .await
            .cloned()
    }

    async fn queue_url(&self) -> Result<String> {
        self.queue_url
            .get_or_try_init(|| async {
                let queue = &self.resources.queue;
                let out = self
                    .sqs
                    .get_queue_url()
                    .queue_name(queue)
                    .send()
                    .await
                    .map_err(|e| {
                        crate::aws::storage_error(
                            BACKEND,
                            &format!("GetQueueUrl of SQS queue [{queue}]"),
                            e,
                        )
                    })?;
                out.queue_url.ok_or_else(|| {
                    Error::storage(
                        BACKEND,
                        Code::Internal,
                        format!("SQS gave no URL for queue [{queue}]"),
                    )
                })
            })
            .await
            .cloned()
    }

    /// Starts an execution with `input`; returns its ARN.
    async fn start_execution(&self, input: &ExecutionInput) -> Result<String> {
        let state_machine = self.state_machine_arn().await?;
        let out = self
            .sfn
            .start_execution()
            .state_machine_arn(&state_machine)
            .name(pbj::well_known::identifier::generate_time_uuid())
            .input(input.to_json())
            .send()
            .await
            .map_err(|e| {
                aws_error(
                    &format!(
                        "StartExecution on state machine [{state_machine}] for job [{}]",
                        input.job_id
                    ),
                    e,
                    start_execution_code,
                )
            })?;
        Ok(out.execution_arn)
    }

    /// Stops an execution (a missing one is fine; other errors are only logged: the worker
    /// ignores deliveries of executions the job no longer names).
    async fn stop_execution(&self, job_id: &str, execution_arn: &str) {
        let result = self
            .sfn
            .stop_execution()
            .execution_arn(execution_arn)
            .cause("canceled")
            .send()
            .await;
        if let Err(e) = result
            && error_code(&e) != Some("ExecutionDoesNotExist")
        {
            tracing::error!(
                job_id, execution_arn, error = %crate::aws::storage_error(BACKEND, "StopExecution", e),
                "cannot stop the execution of a replaced or cancelled job"
            );
        }
    }
}

#[async_trait::async_trait]
impl Scheduler for DynamoDbScheduler {
    fn name(&self) -> &str {
        BACKEND
    }

    async fn create_storage(&self) -> Result<()> {
        self.inner.create_storage().await
    }

    async fn describe_storage(&self) -> Result<String> {
        self.inner.describe_storage().await
    }

    async fn send_at(
        &self,
        command: Arc<dyn Message>,
        at: SendAt,
        job_id: Option<String>,
    ) -> Result<String> {
        check_command(&*command)?;
        let job_id = super::job_id(job_id)?;
        let inner = &self.inner;
        let table = &inner.resources.table;
        let send_at = whole_seconds(at);
        let ttl = send_at.saturating_add(TTL_AFTER_SEND_AT.as_secs().try_into().unwrap_or(0));
        let payload: std::collections::HashMap<String, AttributeValue> =
            pbj::marshal::dynamodb::marshal(command.data(), Flavor::Js)
                .into_iter()
                .filter(|(name, _)| !STRIPPED_FIELDS.contains(&name.as_str()))
                .map(|(name, value)| (name, to_sdk_value(value)))
                .collect();
        let tenant_id = command
            .data()
            .get_single("ctx_tenant_id")
            .and_then(pbj::Value::as_str);
        let now = SendAt::now().unix_seconds();
        let input = ExecutionInput::new(&job_id, tenant_id, send_at, now)?;
        let execution_arn = inner.start_execution(&input).await?;
        let put = inner
            .dynamodb
            .put_item()
            .table_name(table)
            .item(HASH_KEY_NAME, AttributeValue::S(job_id.clone()))
            .item(SEND_AT_KEY_NAME, AttributeValue::N(send_at.to_string()))
            .item(TTL_KEY_NAME, AttributeValue::N(ttl.to_string()))
            .item(
                EXECUTION_ARN_KEY_NAME,
                AttributeValue::S(execution_arn.clone()),
            )
            .item(PAYLOAD_KEY_NAME, AttributeValue::M(payload))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        let old = match put {
            Ok(out) => out.attributes,
            Err(e) => {
                // No item names the new execution: stop it rather than leave it running.
                inner.stop_execution(&job_id, &execution_arn).await;
                return Err(aws_error(
                    &format!("PutItem of job [{job_id}] into DynamoDB table [{table}]"),
                    e,
                    dynamodb_code,
                ));
            }
        };
        if let Some(old_arn) = old
            .as_ref()
            .and_then(|o| string_attr(o, EXECUTION_ARN_KEY_NAME))
            && old_arn != execution_arn
        {
            inner.stop_execution(&job_id, old_arn).await;
        }
        Ok(job_id)
    }

    async fn cancel_jobs(&self, job_ids: Vec<String>) -> Result<()> {
        let inner = &self.inner;
        let table = &inner.resources.table;
        for job_id in job_ids {
            let deleted = inner
                .dynamodb
                .delete_item()
                .table_name(table)
                .key(HASH_KEY_NAME, AttributeValue::S(job_id.clone()))
                .return_values(ReturnValue::AllOld)
                .send()
                .await;
            match deleted {
                Ok(out) => {
                    if let Some(arn) = out
                        .attributes
                        .as_ref()
                        .and_then(|o| string_attr(o, EXECUTION_ARN_KEY_NAME))
                    {
                        inner.stop_execution(&job_id, arn).await;
                    }
                }
                Err(e) if error_code(&e) == Some("ResourceNotFoundException") => {}
                Err(e) => {
                    return Err(aws_error(
                        &format!("DeleteItem of job [{job_id}] from DynamoDB table [{table}]"),
                        e,
                        dynamodb_code,
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_originals_codes() {
        assert_eq!(
            start_execution_code("ExecutionLimitExceeded"),
            Some(Code::ResourceExhausted)
        );
        assert_eq!(
            start_execution_code("ExecutionAlreadyExists"),
            Some(Code::AlreadyExists)
        );
        for invalid in ["InvalidArn", "InvalidExecutionInput", "InvalidName"] {
            assert_eq!(start_execution_code(invalid), Some(Code::InvalidArgument));
        }
        for missing in ["StateMachineDoesNotExist", "StateMachineDeleting"] {
            assert_eq!(start_execution_code(missing), Some(Code::NotFound));
        }
        assert_eq!(start_execution_code("ThrottlingException"), None);
        assert_eq!(
            dynamodb_code("ProvisionedThroughputExceededException"),
            Some(Code::ResourceExhausted)
        );
        assert_eq!(dynamodb_code("ValidationException"), None);
    }

    #[test]
    fn times_round_up_to_whole_seconds() {
        assert_eq!(whole_seconds(SendAt::from_unix_seconds(10)), 10);
        let later = SendAt::from(
            std::time::UNIX_EPOCH + Duration::from_secs(10) + Duration::from_millis(1),
        );
        assert_eq!(whole_seconds(later), 11);
    }
}
