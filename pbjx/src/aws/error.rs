//! Classification of AWS SDK errors and their conversion into [`crate::Error`].

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::error::{Code, Error};

/// What kind of failure an AWS error is, whatever the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// The request rate or capacity was exceeded (`ThrottlingException`,
    /// `ProvisionedThroughputExceededException`, `SlowDown`, ...): retry later.
    Throttling,
    /// A condition of a conditional write did not hold (`ConditionalCheckFailedException`,
    /// `PreconditionFailed`).
    ConditionalFailure,
    /// The resource (table, stream, state machine, bucket) does not exist.
    NotFound,
    /// A transient failure: network, timeout, a 5xx answer, a transaction conflict.
    Retryable,
    /// The request is invalid (`ValidationException`, ...).
    InvalidRequest,
    /// The credentials are missing, wrong or not allowed.
    AccessDenied,
    /// Anything else.
    Other,
}

impl ErrorClass {
    /// The status code errors of this class get: `ResourceExhausted` (throttling),
    /// `FailedPrecondition` (a failed condition, a missing resource: the storage is not set
    /// up), `Unavailable` (transient), `InvalidArgument`, `PermissionDenied`, else `Internal`.
    pub fn code(self) -> Code {
        match self {
            ErrorClass::Throttling => Code::ResourceExhausted,
            ErrorClass::ConditionalFailure | ErrorClass::NotFound => Code::FailedPrecondition,
            ErrorClass::Retryable => Code::Unavailable,
            ErrorClass::InvalidRequest => Code::InvalidArgument,
            ErrorClass::AccessDenied => Code::PermissionDenied,
            ErrorClass::Other => Code::Internal,
        }
    }

    /// Whether trying again later can succeed (throttling and transient failures).
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorClass::Throttling | ErrorClass::Retryable)
    }

    /// The class of an AWS error code (the `__type` / `Code` of the error response).
    ///
    /// ```
    /// use pbjx::aws::ErrorClass;
    /// assert_eq!(ErrorClass::of_code("ProvisionedThroughputExceededException"), ErrorClass::Throttling);
    /// assert_eq!(ErrorClass::of_code("ResourceNotFoundException"), ErrorClass::NotFound);
    /// assert!(ErrorClass::of_code("TransactionConflictException").is_retryable());
    /// ```
    pub fn of_code(code: &str) -> ErrorClass {
        match code {
            "ThrottlingException"
            | "Throttling"
            | "ThrottledException"
            | "RequestThrottled"
            | "RequestThrottledException"
            | "TooManyRequestsException"
            | "ProvisionedThroughputExceededException"
            | "RequestLimitExceeded"
            | "LimitExceededException"
            | "BandwidthLimitExceeded"
            | "SlowDown"
            | "PriorRequestNotComplete"
            | "KMSThrottlingException"
            | "ExecutionLimitExceeded"
            | "OverLimit" => ErrorClass::Throttling,
            "ConditionalCheckFailedException" | "PreconditionFailed" => {
                ErrorClass::ConditionalFailure
            }
            "ResourceNotFoundException"
            | "TableNotFoundException"
            | "NotFound"
            | "NoSuchKey"
            | "NoSuchBucket"
            | "StateMachineDoesNotExist"
            | "StateMachineDeleting"
            | "ExecutionDoesNotExist"
            | "QueueDoesNotExist"
            | "AWS.SimpleQueueService.NonExistentQueue" => ErrorClass::NotFound,
            "InternalServerError"
            | "InternalServerException"
            | "InternalFailure"
            | "InternalError"
            | "ServiceUnavailable"
            | "ServiceUnavailableException"
            | "TransactionConflictException"
            | "TransactionInProgressException"
            | "RequestTimeout"
            | "RequestTimeoutException"
            | "IDPCommunicationError" => ErrorClass::Retryable,
            "ValidationException"
            | "SerializationException"
            | "InvalidParameterException"
            | "InvalidParameterValueException"
            | "InvalidArgumentException"
            | "InvalidRequestException"
            | "InvalidArn"
            | "InvalidExecutionInput"
            | "InvalidName"
            | "InvalidDefinition"
            | "ReceiptHandleIsInvalid" => ErrorClass::InvalidRequest,
            "AccessDeniedException"
            | "AccessDenied"
            | "UnrecognizedClientException"
            | "InvalidSignatureException"
            | "ExpiredTokenException"
            | "MissingAuthenticationToken" => ErrorClass::AccessDenied,
            _ => ErrorClass::Other,
        }
    }
}

/// The class of an SDK error of any AWS client: by the service's error code, else by the
/// HTTP status (5xx and 429 are transient), else by how the request failed (timeouts,
/// connection and response errors are transient).
pub fn classify<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> ErrorClass {
    match err {
        SdkError::ServiceError(service) => {
            let class = service
                .err()
                .code()
                .map_or(ErrorClass::Other, ErrorClass::of_code);
            let status = service.raw().status().as_u16();
            match class {
                ErrorClass::Other if status == 429 => ErrorClass::Throttling,
                ErrorClass::Other if status >= 500 => ErrorClass::Retryable,
                class => class,
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            ErrorClass::Retryable
        }
        _ => ErrorClass::Other,
    }
}

/// The error code the service answered with (`None` when the request failed before an
/// answer: timeouts, connection errors, a request that could not be built).
pub fn error_code<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Option<&str> {
    match err {
        SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    }
}

/// `{what} failed: {AWS code}: {detail}` and the class of the error.
fn describe<E>(what: &str, err: &SdkError<E, HttpResponse>) -> (ErrorClass, String)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let class = classify(err);
    let (aws_code, detail) = match err {
        SdkError::ServiceError(service) => (
            service.err().code().unwrap_or("Unknown"),
            service.err().message().unwrap_or_default().to_owned(),
        ),
        SdkError::TimeoutError(_) => ("Timeout", String::new()),
        SdkError::DispatchFailure(_) => ("DispatchFailure", String::new()),
        SdkError::ResponseError(_) => ("ResponseError", String::new()),
        _ => ("ConstructionFailure", String::new()),
    };
    let detail = if detail.is_empty() {
        DisplayErrorContext(err).to_string()
    } else {
        detail
    };
    (class, format!("{what} failed: {aws_code}: {detail}"))
}

/// An [`Error::Storage`] of `backend` for an SDK error: the code from [`classify`], a
/// message naming `what` failed (operation and resource, e.g. `Query on DynamoDB table
/// [events]`) and the AWS error code, and the SDK error as `source()`.
pub fn storage_error<E>(backend: &str, what: &str, err: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let (class, message) = describe(what, &err);
    Error::storage(backend, class.code(), message).with_source(err)
}

/// [`storage_error`] with a code the caller picked (a backend reproducing the original's
/// mapping of AWS error codes).
pub fn storage_error_with_code<E>(
    backend: &str,
    what: &str,
    code: Code,
    err: SdkError<E, HttpResponse>,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let (_, message) = describe(what, &err);
    Error::storage(backend, code, message).with_source(err)
}

/// An [`Error::Transport`] of `transport` for an SDK error (message as in
/// [`storage_error`], the SDK error as `source()`).
pub fn transport_error<E>(transport: &str, what: &str, err: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let (_, message) = describe(what, &err);
    Error::transport(transport, message).with_source(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_has_its_code() {
        let cases = [
            (
                "ProvisionedThroughputExceededException",
                Code::ResourceExhausted,
            ),
            ("ConditionalCheckFailedException", Code::FailedPrecondition),
            ("ResourceNotFoundException", Code::FailedPrecondition),
            ("TransactionConflictException", Code::Unavailable),
            ("ValidationException", Code::InvalidArgument),
            ("AccessDeniedException", Code::PermissionDenied),
            ("SomethingNew", Code::Internal),
        ];
        for (aws, code) in cases {
            assert_eq!(ErrorClass::of_code(aws).code(), code, "{aws}");
        }
        assert!(ErrorClass::Throttling.is_retryable());
        assert!(!ErrorClass::ConditionalFailure.is_retryable());
    }
}
