//! Shared AWS plumbing for the AWS backends (internal cargo feature `aws`, enabled by
//! `dynamodb` and every later AWS backend): one place for
//!
//! - the client configuration from the environment ([`config_from_env`]);
//! - the classification of SDK errors ([`ErrorClass`], [`classify`]) and their conversion into
//!   [`crate::Error::Storage`] / [`crate::Error::Transport`] with the SDK error kept as
//!   `source()` ([`storage_error`], [`transport_error`]);
//! - the retry policy of the backends' own retry loops (lost optimistic races, unprocessed
//!   batch keys): exponential backoff with full jitter ([`RetryPolicy`]).
//!
//! Nothing here depends on a particular service crate: errors are read through
//! `aws-smithy-types`' [`ProvideErrorMetadata`](aws_smithy_types::error::metadata::ProvideErrorMetadata)
//! and `aws-smithy-runtime-api`'s `SdkError`, which every AWS SDK client shares.

mod config;
mod error;

pub use crate::retry::RetryPolicy;
pub use config::config_from_env;
pub use error::{
    ErrorClass, classify, error_code, storage_error, storage_error_with_code, transport_error,
};
