//! Errors for the DynamoDB event store.

use super::*;

pub(super) fn aws_error<E, R>(table: &str, operation: &str, err: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let (code, aws_code, detail) = match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let aws_code = e.code().unwrap_or("Unknown").to_owned();
            let code = match aws_code.as_str() {
                "ProvisionedThroughputExceededException"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "LimitExceededException" => Code::ResourceExhausted,
                "InternalServerError" | "ServiceUnavailable" | "ServiceUnavailableException" => {
                    Code::Unavailable
                }
                "ValidationException" | "SerializationException" => Code::InvalidArgument,
                "ResourceNotFoundException" => Code::FailedPrecondition,
                "AccessDeniedException" | "UnrecognizedClientException" => Code::PermissionDenied,
                "TransactionConflictException" | "TransactionInProgressException" => Code::Aborted,
                _ => Code::Internal,
            };
            (code, aws_code, e.message().unwrap_or("").to_owned())
        }
        SdkError::TimeoutError(_) => (Code::Unavailable, "Timeout".to_owned(), String::new()),
        SdkError::DispatchFailure(_) => (
            Code::Unavailable,
            "DispatchFailure".to_owned(),
            String::new(),
        ),
        SdkError::ResponseError(_) => {
            (Code::Unavailable, "ResponseError".to_owned(), String::new())
        }
        _ => (
            Code::Internal,
            "ConstructionFailure".to_owned(),
            String::new(),
        ),
    };
    let context = aws_sdk_dynamodb::error::DisplayErrorContext(&err);
    let detail = if detail.is_empty() {
        context.to_string()
    } else {
        detail
    };
    let message = format!("{operation} on DynamoDB table [{table}] failed: {aws_code}: {detail}");
    Error::storage(BACKEND, code, message).with_source(err)
}

pub(super) fn internal(message: impl Into<String>) -> Error {
    Error::storage(BACKEND, Code::Internal, message)
}

pub(super) fn corrupt(location: String, message: impl Into<String>) -> Error {
    Error::Corrupt {
        backend: BACKEND.to_owned(),
        location,
        message: message.into(),
    }
}
