//! The configuration: a TOML or JSON file plus `PBJX_*` environment overrides.
//!
//! ```toml
//! [event_store]
//! backend = "sqlite"          # sqlite (default) | dynamodb | memory | none
//! path = "var/events.db"      # sqlite: relative to this file's folder
//! # table = "acme-prod-event-store-v1"   # dynamodb
//! # heads_table = "acme-prod-event-store-v1-heads"
//!
//! [scheduler]
//! backend = "sqlite"          # none (default) | sqlite | dynamodb
//! path = "var/jobs.db"
//! # table = "acme-prod-scheduler-v1"     # dynamodb: table, queue and state machine names
//! # queue = "acme-prod-jobs"
//! # state_machine = "acme-prod-scheduler-v1"
//! # role_arn = "arn:aws:iam::123456789012:role/scheduler"
//!
//! [remote]
//! url = "https://api.acme.com/pbjx"
//! token_kid = "2026"
//! # token_secret: better from the environment (PBJX_TOKEN_SECRET)
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::exit::CliError;

/// The file read when `--config` is not given (if it exists).
pub const DEFAULT_CONFIG_FILE: &str = "pbjx.toml";

/// The SQLite event store file when none is configured.
pub const DEFAULT_EVENT_STORE_PATH: &str = "pbjx-events.db";

/// Everything `pbjx` reads from its configuration file and environment.
///
/// ```
/// use pbjx_cli::{Config, EventStoreBackend};
///
/// let config = Config::from_toml("[event_store]\nbackend = \"dynamodb\"\ntable = \"events\"\n", None)?;
/// assert_eq!(config.event_store.backend, EventStoreBackend::Dynamodb);
/// let config = config.with_env(|name| (name == "PBJX_EVENT_STORE_TABLE").then(|| "other".to_owned()))?;
/// assert_eq!(config.event_store.table.as_deref(), Some("other"));
/// # Ok::<(), pbjx_cli::CliError>(())
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `[event_store]`.
    pub event_store: EventStoreConfig,
    /// `[scheduler]`.
    pub scheduler: SchedulerConfig,
    /// `[remote]`: the endpoint `--url` talks to and the token key.
    pub remote: RemoteConfig,
}

/// Which event store backend.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventStoreBackend {
    /// The embedded SQLite store (the default).
    #[default]
    Sqlite,
    /// The DynamoDB store (cargo feature `dynamodb`).
    Dynamodb,
    /// An in-memory store (lost when the command ends; for trying things out).
    Memory,
    /// No event store.
    None,
}

/// `[event_store]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventStoreConfig {
    /// The backend (`PBJX_EVENT_STORE_BACKEND`).
    pub backend: EventStoreBackend,
    /// SQLite database file (`PBJX_EVENT_STORE_PATH`; default [`DEFAULT_EVENT_STORE_PATH`]).
    pub path: Option<PathBuf>,
    /// DynamoDB event table (`PBJX_EVENT_STORE_TABLE`).
    pub table: Option<String>,
    /// DynamoDB heads table (`PBJX_EVENT_STORE_HEADS_TABLE`; default `{table}-heads`).
    pub heads_table: Option<String>,
}

/// Which scheduler backend.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SchedulerBackend {
    /// No scheduler (the default).
    #[default]
    None,
    /// The embedded SQLite scheduler.
    Sqlite,
    /// DynamoDB + Step Functions + SQS (cargo feature `scheduler-dynamodb`).
    Dynamodb,
}

/// `[scheduler]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SchedulerConfig {
    /// The backend (`PBJX_SCHEDULER_BACKEND`).
    pub backend: SchedulerBackend,
    /// SQLite database file (`PBJX_SCHEDULER_PATH`).
    pub path: Option<PathBuf>,
    /// DynamoDB jobs table (`PBJX_SCHEDULER_TABLE`).
    pub table: Option<String>,
    /// SQS queue name (`PBJX_SCHEDULER_QUEUE`; default: the table's name).
    pub queue: Option<String>,
    /// Step Functions state machine name (`PBJX_SCHEDULER_STATE_MACHINE`; default: the table's name).
    pub state_machine: Option<String>,
    /// The state machine's IAM role, needed to create it (`PBJX_SCHEDULER_ROLE_ARN`).
    pub role_arn: Option<String>,
}

/// `[remote]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemoteConfig {
    /// Base URL of the pbjx endpoint, e.g. `https://api.acme.com/pbjx` (`PBJX_URL`).
    pub url: Option<String>,
    /// The PbjxToken key id (`PBJX_TOKEN_KID`).
    pub token_kid: Option<String>,
    /// The PbjxToken secret (`PBJX_TOKEN_SECRET`); without one, requests carry no token.
    pub token_secret: Option<String>,
}

impl Config {
    /// Loads `path`, or [`DEFAULT_CONFIG_FILE`] when `path` is `None` and that file exists
    /// (else the defaults), then applies the `PBJX_*` environment variables.
    pub fn load(path: Option<&Path>) -> Result<Self, CliError> {
        let config = match path {
            Some(path) => Self::read(path)?,
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
                Self::read(Path::new(DEFAULT_CONFIG_FILE))?
            }
            None => Self::default(),
        };
        config.with_env(|name| std::env::var(name).ok())
    }

    /// Reads a configuration file: JSON when its name ends in `.json`, else TOML. Relative
    /// SQLite paths are resolved against the file's folder.
    pub fn read(path: &Path) -> Result<Self, CliError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CliError::usage(format!("cannot read config file {}: {e}", path.display()))
        })?;
        let base = path.parent();
        let config = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str::<Self>(&text)
                .map_err(|e| CliError::usage(format!("config file {}: {e}", path.display())))?
                .resolved(base)
        } else {
            Self::from_toml(&text, base)
                .map_err(|e| CliError::usage(format!("config file {}: {e}", path.display())))?
        };
        Ok(config)
    }

    /// Parses TOML; relative SQLite paths are resolved against `base` when given.
    pub fn from_toml(text: &str, base: Option<&Path>) -> Result<Self, CliError> {
        let config: Self = toml::from_str(text).map_err(|e| CliError::usage(e.to_string()))?;
        Ok(config.resolved(base))
    }

    fn resolved(mut self, base: Option<&Path>) -> Self {
        let Some(base) = base else { return self };
        for path in [&mut self.event_store.path, &mut self.scheduler.path]
            .into_iter()
            .flatten()
        {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        }
        self
    }

    /// Applies the `PBJX_*` overrides found by `var` (each field's doc names its variable).
    pub fn with_env(mut self, var: impl Fn(&str) -> Option<String>) -> Result<Self, CliError> {
        fn set(target: &mut Option<String>, value: Option<String>) {
            if let Some(v) = value {
                *target = Some(v);
            }
        }
        if let Some(v) = var("PBJX_EVENT_STORE_BACKEND") {
            self.event_store.backend = parse_enum("PBJX_EVENT_STORE_BACKEND", &v)?;
        }
        if let Some(v) = var("PBJX_EVENT_STORE_PATH") {
            self.event_store.path = Some(v.into());
        }
        set(&mut self.event_store.table, var("PBJX_EVENT_STORE_TABLE"));
        set(
            &mut self.event_store.heads_table,
            var("PBJX_EVENT_STORE_HEADS_TABLE"),
        );
        if let Some(v) = var("PBJX_SCHEDULER_BACKEND") {
            self.scheduler.backend = parse_enum("PBJX_SCHEDULER_BACKEND", &v)?;
        }
        if let Some(v) = var("PBJX_SCHEDULER_PATH") {
            self.scheduler.path = Some(v.into());
        }
        set(&mut self.scheduler.table, var("PBJX_SCHEDULER_TABLE"));
        set(&mut self.scheduler.queue, var("PBJX_SCHEDULER_QUEUE"));
        set(
            &mut self.scheduler.state_machine,
            var("PBJX_SCHEDULER_STATE_MACHINE"),
        );
        set(&mut self.scheduler.role_arn, var("PBJX_SCHEDULER_ROLE_ARN"));
        set(&mut self.remote.url, var("PBJX_URL"));
        set(&mut self.remote.token_kid, var("PBJX_TOKEN_KID"));
        set(&mut self.remote.token_secret, var("PBJX_TOKEN_SECRET"));
        Ok(self)
    }
}

fn parse_enum<T: serde::de::DeserializeOwned>(name: &str, value: &str) -> Result<T, CliError> {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|e| CliError::usage(format!("environment variable {name}={value:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_environment_value_names_the_variable() {
        let err = Config::default()
            .with_env(|name| (name == "PBJX_SCHEDULER_BACKEND").then(|| "redis".to_owned()))
            .unwrap_err();
        assert_eq!(err.exit, crate::Exit::Usage);
        assert!(
            err.message.contains("PBJX_SCHEDULER_BACKEND=\"redis\""),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_and_relative_paths() {
        let err = Config::from_toml("[event_store]\ntabel = \"x\"\n", None).unwrap_err();
        assert!(err.message.contains("tabel"), "{err}");
        let config = Config::from_toml(
            "[event_store]\npath = \"a.db\"\n[scheduler]\npath = \"/abs/jobs.db\"\n",
            Some(Path::new("conf")),
        )
        .unwrap();
        assert_eq!(config.event_store.path, Some(PathBuf::from("conf/a.db")));
        assert_eq!(config.scheduler.path, Some(PathBuf::from("/abs/jobs.db")));
    }
}
