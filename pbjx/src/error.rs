//! The pbjx error type, with the original's gRPC-style [`Code`] and its HTTP mapping.

use std::fmt;
use std::sync::Arc;

use heck::ToUpperCamelCase;
use pbj::Message;

/// gRPC-style status codes: the generated `gdbots:pbjx:code` enum
/// ([`crate::schemas::gdbots::pbjx::Code`]), with the original's HTTP mapping added here.
pub use crate::schemas::gdbots::pbjx::Code;

impl Code {
    /// The code for an integer value (`None` outside 0..=16).
    pub fn from_i64(value: i64) -> Option<Self> {
        Self::from_value(value)
    }

    /// The enum key, e.g. `INVALID_ARGUMENT`.
    pub const fn name(self) -> &'static str {
        self.key()
    }

    /// The HTTP status for this code (the original's `vendorToHttp`).
    ///
    /// ```
    /// use pbjx::Code;
    /// assert_eq!(Code::NotFound.to_http(), 404);
    /// assert_eq!(Code::from_http(404), Code::NotFound);
    /// ```
    pub fn to_http(self) -> u16 {
        match self {
            Code::Ok => 200,
            Code::Cancelled => 499,
            Code::Unknown | Code::DataLoss | Code::Internal => 500,
            Code::InvalidArgument | Code::OutOfRange => 400,
            Code::DeadlineExceeded => 504,
            Code::NotFound => 404,
            Code::Aborted | Code::AlreadyExists => 409,
            Code::PermissionDenied => 403,
            Code::Unauthenticated => 401,
            Code::ResourceExhausted => 429,
            Code::FailedPrecondition => 412,
            Code::Unimplemented => 501,
            Code::Unavailable => 503,
        }
    }

    /// The code for an HTTP status (the original's `httpToVendor`, except that every status
    /// from 400 up is an error: the PHP original maps exactly 400 to `OK`).
    pub fn from_http(status: u16) -> Self {
        match status {
            0..=399 => Code::Ok,
            499 => Code::Cancelled,
            500 => Code::Internal,
            504 => Code::DeadlineExceeded,
            404 => Code::NotFound,
            409 => Code::AlreadyExists,
            403 => Code::PermissionDenied,
            401 => Code::Unauthenticated,
            429 => Code::ResourceExhausted,
            412 => Code::FailedPrecondition,
            501 => Code::Unimplemented,
            503 => Code::Unavailable,
            502.. => Code::Internal,
            _ => Code::InvalidArgument,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Everything that can go wrong in an exchange.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// The message is invalid (bad value, missing required field, frozen, ...).
    Pbj(pbj::Error),
    /// A message failed validation with these violations.
    Invalid {
        /// Schema id of the message.
        schema: String,
        /// Every violation.
        violations: Vec<pbj::Violation>,
    },
    /// The operation needs a message using a mixin it does not use (e.g. `send` of an event).
    WrongMessageKind {
        /// The operation, e.g. `send`.
        operation: &'static str,
        /// The mixin required.
        mixin: &'static str,
        /// Schema id of the message given.
        schema: String,
    },
    /// No command or request handler is registered for the curie.
    HandlerNotFound {
        /// The curie.
        curie: String,
    },
    /// The request handler failed; the failed response (`request-failed-response`) says why.
    RequestHandlingFailed {
        /// The `gdbots:pbjx:request:request-failed-response` message.
        response: Arc<dyn Message>,
    },
    /// Lifecycle recursion went deeper than the configured limit.
    TooMuchRecursion {
        /// The limit.
        max: usize,
        /// Schema id of the message being triggered.
        schema: String,
    },
    /// An optional service (event store, event search, scheduler) is not configured.
    NotConfigured {
        /// The service, e.g. `EventStore`.
        service: &'static str,
    },
    /// A registration problem detected by [`crate::PbjxBuilder::build`].
    Registration {
        /// What is wrong.
        message: String,
    },
    /// The arguments are invalid (e.g. `send_at` with a timestamp in the past).
    InvalidArgument {
        /// What is wrong.
        message: String,
    },
    /// A transport could not deliver the message.
    Transport {
        /// The transport name, e.g. `in_memory`.
        transport: String,
        /// What went wrong.
        message: String,
        /// The underlying error (SDK, I/O, ...), if any.
        source: Option<BoxError>,
    },
    /// The stream is not in the state the writer expected; nothing was written.
    OptimisticCheckFailed {
        /// The stream id.
        stream: String,
        /// What the writer expected.
        expected: String,
        /// What the stream looks like.
        actual: String,
    },
    /// An event with this `occurred_at` (or this id) is already in the stream; nothing was written.
    AlreadyExists {
        /// The stream id.
        stream: String,
        /// What is duplicated.
        what: String,
    },
    /// No event has this id.
    EventNotFound {
        /// The event id.
        event_id: String,
    },
    /// A storage backend failed (I/O, database, network); the operation did not apply.
    Storage {
        /// The backend, e.g. `sqlite`.
        backend: String,
        /// The status code (e.g. `UNAVAILABLE` for throttling or network errors).
        code: Code,
        /// What went wrong.
        message: String,
        /// The underlying error (database, SDK, I/O, ...), if any.
        source: Option<BoxError>,
    },
    /// A stored record cannot be read back as a message.
    Corrupt {
        /// The backend.
        backend: String,
        /// Where the record is (stream and position, key, ...).
        location: String,
        /// What is wrong with it.
        message: String,
    },
    /// The events were appended to the stream, but publishing some of them afterwards failed
    /// ([`crate::event_store::TwoPhaseCommitEventStore`]); the append is not undone.
    NotPublished {
        /// The stream id.
        stream: String,
        /// The sequence numbers given to the appended events.
        appended: crate::event_store::Appended,
        /// `(event_id, error)` of each event that could not be published.
        failures: Vec<(String, Error)>,
    },
    /// A search query that cannot be run (the parser or the query builder rejects it);
    /// nothing was searched.
    InvalidQuery {
        /// The query as given (`q`).
        query: String,
        /// A stable name of what is wrong, e.g. `nested_subquery`.
        kind: String,
        /// What is wrong.
        message: String,
    },
    /// An event search backend failed (the original's `EventSearchOperationFailed`); the
    /// operation did not apply.
    Search {
        /// The backend, e.g. `tantivy` or `elasticsearch`.
        backend: String,
        /// The index (or index pattern, or folder) involved.
        index: String,
        /// The status code (`INTERNAL` unless the cause says otherwise).
        code: Code,
        /// What went wrong.
        message: String,
        /// The underlying error (I/O, index, HTTP, ...), if any.
        source: Option<BoxError>,
    },
    /// An error raised by application code (a hook, handler or subscriber).
    Handler {
        /// The status code.
        code: Code,
        /// A short name, e.g. `ArticleNotFound`.
        name: String,
        /// What went wrong.
        message: String,
        /// The underlying error (an I/O, database or `anyhow` error, ...), if any.
        source: Option<BoxError>,
    },
}

/// A shared underlying error, kept as [`std::error::Error::source`] of an [`Error`].
pub type BoxError = Arc<dyn std::error::Error + Send + Sync + 'static>;

impl Error {
    /// A storage backend failure without an underlying error; add one with
    /// [`Error::with_source`].
    ///
    /// ```
    /// use pbjx::{Code, Error};
    /// let io = std::io::Error::other("disk full");
    /// let err = Error::storage("sqlite", Code::Unavailable, "append failed").with_source(io);
    /// assert_eq!(err.code(), Code::Unavailable);
    /// assert_eq!(std::error::Error::source(&err).unwrap().to_string(), "disk full");
    /// ```
    pub fn storage(backend: impl Into<String>, code: Code, message: impl Into<String>) -> Self {
        Error::Storage {
            backend: backend.into(),
            code,
            message: message.into(),
            source: None,
        }
    }

    /// An event search failure on `index` without an underlying error; add one with
    /// [`Error::with_source`].
    ///
    /// ```
    /// use pbjx::{Code, Error};
    /// let err = Error::search("tantivy", "events", Code::Internal, "commit failed");
    /// assert_eq!(err.name(), "EventSearchOperationFailed");
    /// assert!(err.to_string().contains("[events]"));
    /// ```
    pub fn search(
        backend: impl Into<String>,
        index: impl Into<String>,
        code: Code,
        message: impl Into<String>,
    ) -> Self {
        Error::Search {
            backend: backend.into(),
            index: index.into(),
            code,
            message: message.into(),
            source: None,
        }
    }

    /// A transport failure without an underlying error; add one with [`Error::with_source`].
    pub fn transport(transport: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Transport {
            transport: transport.into(),
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the underlying error to a [`Error::Storage`], [`Error::Transport`] or
    /// [`Error::Handler`] error (other variants are returned unchanged). It accepts what `?`
    /// accepts into a `Box<dyn Error + Send + Sync>`: any error type, and `anyhow::Error`.
    pub fn with_source(
        mut self,
        error: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        if let Error::Storage { source, .. }
        | Error::Transport { source, .. }
        | Error::Search { source, .. }
        | Error::Handler { source, .. } = &mut self
        {
            *source = Some(Arc::from(error.into()));
        }
        self
    }

    /// An application error with a code, a short name and a message.
    ///
    /// ```
    /// use pbjx::{Code, Error};
    /// let err = Error::handler(Code::NotFound, "ArticleNotFound", "article [1] does not exist");
    /// assert_eq!((err.code(), err.name()), (Code::NotFound, "ArticleNotFound".to_owned()));
    /// assert_eq!(err.to_string(), "ArticleNotFound (NOT_FOUND): article [1] does not exist");
    /// ```
    pub fn handler(code: Code, name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Handler {
            code,
            name: name.into(),
            message: message.into(),
            source: None,
        }
    }

    /// An application error with a code wrapping any error (`std::error::Error + Send + Sync`,
    /// or an `anyhow::Error`): its message becomes the error message, the error itself the
    /// [`std::error::Error::source`] (so its whole chain stays reachable), and the short type
    /// name of `E` the error name (like the original's short exception class name); see
    /// [`ResultExt::with_code`] for the `?`-friendly form and [`Error::with_name`] to rename.
    ///
    /// ```
    /// use pbjx::{Code, Error};
    /// let parse = "x".parse::<u32>().unwrap_err();
    /// let err = Error::wrap(Code::InvalidArgument, parse);
    /// assert_eq!(err.name(), "ParseIntError");
    /// assert_eq!(err.to_string(), "ParseIntError (INVALID_ARGUMENT): invalid digit found in string");
    /// assert!(std::error::Error::source(&err).is_some());
    /// ```
    pub fn wrap<E>(code: Code, error: E) -> Self
    where
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let error: BoxError = Arc::from(error.into());
        Error::Handler {
            code,
            name: short_type_name::<E>().to_owned(),
            message: error.to_string(),
            source: Some(error),
        }
    }

    /// Renames an [`Error::Handler`] (other variants are returned unchanged).
    pub fn with_name(mut self, new_name: impl Into<String>) -> Self {
        if let Error::Handler { name, .. } = &mut self {
            *name = new_name.into();
        }
        self
    }

    /// The status code of this error.
    pub fn code(&self) -> Code {
        match self {
            Error::Pbj(_) | Error::Invalid { .. } | Error::TooMuchRecursion { .. } => {
                Code::InvalidArgument
            }
            Error::InvalidArgument { .. } => Code::InvalidArgument,
            Error::WrongMessageKind { .. } => Code::Internal,
            Error::HandlerNotFound { .. } | Error::NotConfigured { .. } => Code::Unimplemented,
            Error::RequestHandlingFailed { response } => response
                .data()
                .get_i64(
                    response
                        .schema()
                        .field_index("error_code")
                        .unwrap_or(usize::MAX),
                )
                .and_then(Code::from_i64)
                .unwrap_or(Code::Unknown),
            Error::Registration { .. } => Code::Internal,
            Error::Transport { .. } => Code::Unavailable,
            Error::OptimisticCheckFailed { .. } => Code::FailedPrecondition,
            Error::AlreadyExists { .. } => Code::AlreadyExists,
            Error::EventNotFound { .. } => Code::NotFound,
            Error::Storage { code, .. } => *code,
            Error::Corrupt { .. } => Code::DataLoss,
            Error::NotPublished { .. } => Code::Unavailable,
            Error::InvalidQuery { .. } => Code::InvalidArgument,
            Error::Search { code, .. } => *code,
            Error::Handler { code, .. } => *code,
        }
    }

    /// A short error name (`HandlerNotFound`, `RequestHandlingFailed`, ...), used as `error_name`.
    pub fn name(&self) -> String {
        match self {
            Error::Pbj(e) => format!("Pbj{}", e.kind().to_upper_camel_case()),
            Error::Invalid { .. } => "InvalidMessage".into(),
            Error::WrongMessageKind { .. } => "LogicException".into(),
            Error::HandlerNotFound { .. } => "HandlerNotFound".into(),
            Error::RequestHandlingFailed { .. } => "RequestHandlingFailed".into(),
            Error::TooMuchRecursion { .. } => "TooMuchRecursion".into(),
            Error::NotConfigured { .. } => "NotConfigured".into(),
            Error::Registration { .. } => "InvalidRegistration".into(),
            Error::InvalidArgument { .. } => "InvalidArgumentException".into(),
            Error::Transport { .. } => "TransportFailed".into(),
            Error::OptimisticCheckFailed { .. } => "OptimisticCheckFailed".into(),
            Error::AlreadyExists { .. } => "AlreadyExists".into(),
            Error::EventNotFound { .. } => "EventNotFound".into(),
            Error::Storage { .. } => "EventStoreOperationFailed".into(),
            Error::Corrupt { .. } => "CorruptRecord".into(),
            Error::NotPublished { .. } => "EventsNotPublished".into(),
            Error::InvalidQuery { .. } => "InvalidQuery".into(),
            Error::Search { .. } => "EventSearchOperationFailed".into(),
            Error::Handler { name, .. } => name.clone(),
        }
    }
}

/// `ParseIntError` for `core::num::ParseIntError`, `Error` for `anyhow::Error` (generic
/// arguments dropped).
fn short_type_name<E>() -> &'static str {
    let full = std::any::type_name::<E>();
    let path = full.split('<').next().unwrap_or(full);
    path.rsplit("::").next().unwrap_or(path)
}

/// Turns any error into an [`Error::Handler`] with a status code, for `?` in handlers, hooks
/// and subscribers. Works with every error type and with `anyhow::Error`; the original error
/// stays reachable through [`std::error::Error::source`].
///
/// ```
/// use pbjx::{Code, ResultExt};
///
/// fn load(id: &str) -> pbjx::Result<u32> {
///     let n = id.parse::<u32>().with_code(Code::InvalidArgument)?;
///     Ok(n)
/// }
/// let err = load("x").unwrap_err();
/// assert_eq!(err.code(), Code::InvalidArgument);
/// ```
pub trait ResultExt<T> {
    /// Maps the error with [`Error::wrap`].
    fn with_code(self, code: Code) -> Result<T>;
}

impl<T, E> ResultExt<T> for std::result::Result<T, E>
where
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn with_code(self, code: Code) -> Result<T> {
        self.map_err(|error| Error::wrap(code, error))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Pbj(e) => write!(f, "{e}"),
            Error::Invalid { schema, violations } => {
                write!(f, "message [{schema}] is invalid: ")?;
                for (i, v) in violations.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{v}")?;
                }
                Ok(())
            }
            Error::WrongMessageKind {
                operation,
                mixin,
                schema,
            } => {
                write!(
                    f,
                    "Pbjx::{operation} requires a message using [{mixin}], got [{schema}]"
                )
            }
            Error::HandlerNotFound { curie } => {
                write!(f, "no handler is registered for curie [{curie}]")
            }
            Error::RequestHandlingFailed { response } => {
                let data = response.data();
                let text = |name: &str| {
                    response
                        .schema()
                        .field_index(name)
                        .and_then(|i| data.get_str(i))
                        .unwrap_or("")
                };
                let request_ref = response
                    .schema()
                    .field_index("ctx_request_ref")
                    .and_then(|i| data.get_message_ref(i))
                    .map(|r| r.to_string())
                    .unwrap_or_default();
                write!(
                    f,
                    "request [{request_ref}] could not be handled: {}::{}::{}",
                    text("error_name"),
                    self.code().value(),
                    text("error_message")
                )
            }
            Error::TooMuchRecursion { max, schema } => {
                write!(
                    f,
                    "lifecycle recursion is limited to {max} levels (message [{schema}])"
                )
            }
            Error::NotConfigured { service } => write!(f, "no {service} has been configured"),
            Error::Registration { message } => write!(f, "invalid registration: {message}"),
            Error::InvalidArgument { message } => f.write_str(message),
            Error::Transport {
                transport, message, ..
            } => {
                write!(f, "the [{transport}] transport failed: {message}")
            }
            Error::OptimisticCheckFailed {
                stream,
                expected,
                actual,
            } => write!(
                f,
                "optimistic check failed on stream [{stream}]: expected {expected}, found {actual}"
            ),
            Error::AlreadyExists { stream, what } => {
                write!(f, "stream [{stream}] already holds {what}")
            }
            Error::EventNotFound { event_id } => write!(f, "event [{event_id}] not found"),
            Error::Storage {
                backend,
                code,
                message,
                ..
            } => {
                write!(f, "the {backend} event store failed ({code}): {message}")
            }
            Error::Corrupt {
                backend,
                location,
                message,
            } => {
                write!(
                    f,
                    "corrupt record in the {backend} event store at {location}: {message}"
                )
            }
            Error::NotPublished {
                stream,
                appended,
                failures,
            } => {
                write!(
                    f,
                    "events {}..={} were appended to stream [{stream}] but {} could not be published",
                    appended.first_sequence,
                    appended.last_sequence,
                    failures.len()
                )?;
                for (id, e) in failures {
                    write!(f, "; [{id}]: {e}")?;
                }
                Ok(())
            }
            Error::InvalidQuery {
                query,
                kind,
                message,
            } => write!(f, "invalid search query [{query}] ({kind}): {message}"),
            Error::Search {
                backend,
                index,
                code,
                message,
                ..
            } => write!(
                f,
                "the {backend} event search failed on index [{index}] ({code}): {message}"
            ),
            Error::Handler {
                code,
                name,
                message,
                ..
            } => write!(f, "{name} ({code}): {message}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Pbj(e) => Some(e),
            Error::Storage { source, .. }
            | Error::Transport { source, .. }
            | Error::Search { source, .. }
            | Error::Handler { source, .. } => source
                .as_deref()
                .map(|e| e as &(dyn std::error::Error + 'static)),
            _ => None,
        }
    }
}

impl From<pbj::Error> for Error {
    fn from(e: pbj::Error) -> Self {
        Error::Pbj(e)
    }
}

/// Result type of the pbjx crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// StatusCodeUtil::vendorToHttp / httpToVendor (pbjx-features.md §8), without the PHP
    /// `400 -> OK` bug.
    #[test]
    fn http_mapping() {
        assert_eq!(Code::Ok.to_http(), 200);
        assert_eq!(Code::Cancelled.to_http(), 499);
        assert_eq!(Code::FailedPrecondition.to_http(), 412);
        assert_eq!(Code::from_http(400), Code::InvalidArgument);
        assert_eq!(Code::from_http(302), Code::Ok);
        assert_eq!(Code::from_http(422), Code::InvalidArgument);
        assert_eq!(Code::from_http(502), Code::Internal);
        assert_eq!(Code::ALL.len(), 17);
        for &code in Code::ALL {
            assert_eq!(Code::from_i64(code.value()), Some(code));
            assert_eq!(code.to_string(), code.name());
        }
        assert_eq!(Code::from_i64(17), None);
        assert_eq!(Code::Unauthenticated.value(), 16);
        assert_eq!(Code::InvalidArgument.name(), "INVALID_ARGUMENT");
    }

    /// Error names of pbj errors: `Pbj` + the kind in upper camel case.
    #[test]
    fn pbj_error_names() {
        let err = Error::from(pbj::Error::InvalidSchemaQName { value: "x".into() });
        assert_eq!(err.name(), "PbjInvalidSchemaQname");
        let err = Error::from(pbj::Error::TooDeep { field: "a".into() });
        assert_eq!(err.name(), "PbjTooDeep");
    }

    #[test]
    fn short_type_names() {
        assert_eq!(
            short_type_name::<std::num::ParseIntError>(),
            "ParseIntError"
        );
        assert_eq!(short_type_name::<Vec<std::io::Error>>(), "Vec");
        assert_eq!(short_type_name::<String>(), "String");
    }
}
