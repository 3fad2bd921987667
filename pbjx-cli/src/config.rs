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
//! [event_search]
//! backend = "tantivy"         # none (default) | tantivy | elasticsearch
//! path = "var/search"         # tantivy: the index folder, relative to this file's folder
//! # url = "http://127.0.0.1:9200"       # elasticsearch
//! # index_prefix = "acme-prod-events"   # elasticsearch (default pbjx-events)
//!
//! [remote]
//! url = "https://api.acme.com/pbjx"
//! token_kid = "2026"
//! # token_secret: better from the environment (PBJX_TOKEN_SECRET)
//!
//! [http]                      # `pbjx serve`
//! listen = "127.0.0.1:8080"   # PBJX_HTTP_LISTEN
//! token_bypass = []           # curies needing no token: "all", a curie or a regex
//! receive = false             # the /pbjx/receive endpoint
//! body_limit = 2097152        # bytes
//! timeout = 30                # seconds per request, 0: none
//! [http.keys]                 # kid = secret (rotation: several kids); the [remote] key
//! "2026" = "a long secret"    # (PBJX_TOKEN_KID / PBJX_TOKEN_SECRET) is accepted too
//! ```

use std::collections::BTreeMap;
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
    /// `[event_search]`.
    pub event_search: EventSearchConfig,
    /// `[remote]`: the endpoint `--url` talks to and the token key.
    pub remote: RemoteConfig,
    /// `[http]`: what `pbjx serve` listens on and which tokens it accepts.
    pub http: HttpSection,
}

/// The address `pbjx serve` listens on when none is configured.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// `[http]`: the endpoint of `pbjx serve`.
///
/// The PbjxToken keys are [`HttpSection::keys`] plus the `[remote]` key (`token_kid`, default
/// `default`, and `token_secret`, i.e. `PBJX_TOKEN_KID` / `PBJX_TOKEN_SECRET`), so that one
/// secret in the environment makes `pbjx serve` and `pbjx send --url` agree. With no key and
/// no bypass, `pbjx serve` refuses to start (unless `--insecure-no-token`).
///
/// ```
/// use pbjx_cli::Config;
///
/// let config = Config::from_toml("[http]\nlisten = \"0.0.0.0:9000\"\n[http.keys]\nk1 = \"s\"\n", None)?;
/// assert_eq!(config.http.listen, "0.0.0.0:9000");
/// assert_eq!(config.http.timeout, 30);
/// let config = config.with_env(|name| match name {
///     "PBJX_HTTP_TOKEN_BYPASS" => Some("gdbots:pbjx:command:check-health, all".to_owned()),
///     "PBJX_HTTP_TIMEOUT" => Some("5".to_owned()),
///     _ => None,
/// })?;
/// assert_eq!(config.http.token_bypass, ["gdbots:pbjx:command:check-health", "all"]);
/// assert_eq!(config.http.timeout, 5);
/// # Ok::<(), pbjx_cli::CliError>(())
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSection {
    /// The socket address to listen on (`PBJX_HTTP_LISTEN`; default [`DEFAULT_LISTEN`];
    /// port `0` picks a free port, printed at start).
    pub listen: String,
    /// Token keys, kid → secret (`PBJX_HTTP_KEYS` = `kid=secret,kid2=secret2` replaces them).
    pub keys: BTreeMap<String, String>,
    /// Curies that need no token: `all`, a curie or a regular expression
    /// (`PBJX_HTTP_TOKEN_BYPASS`, comma-separated).
    pub token_bypass: Vec<String>,
    /// Enables `POST {mount}/receive` (`PBJX_HTTP_RECEIVE` = true/false; default false).
    pub receive: bool,
    /// The largest body accepted, in bytes (`PBJX_HTTP_BODY_LIMIT`; default 2 MiB).
    pub body_limit: usize,
    /// Seconds one request may take, `0` for no limit (`PBJX_HTTP_TIMEOUT`; default 30).
    pub timeout: u64,
    /// Where the routes are mounted (`PBJX_HTTP_MOUNT_PATH`; default `/pbjx`).
    pub mount_path: String,
}

impl Default for HttpSection {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN.to_owned(),
            keys: BTreeMap::new(),
            token_bypass: Vec::new(),
            receive: false,
            body_limit: 2 * 1024 * 1024,
            timeout: 30,
            mount_path: "/pbjx".to_owned(),
        }
    }
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

/// The tantivy index folder when none is configured.
pub const DEFAULT_EVENT_SEARCH_PATH: &str = "pbjx-search";

/// Which event search backend.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventSearchBackend {
    /// No event search (the default).
    #[default]
    None,
    /// The embedded tantivy index (cargo feature `search-tantivy`, on by default).
    Tantivy,
    /// Elasticsearch (cargo feature `search-elasticsearch`).
    Elasticsearch,
}

/// `[event_search]`: with a backend, published events using `gdbots:pbjx:mixin:indexed` are
/// indexed and `gdbots:pbjx:request:search-events-request` is answered.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventSearchConfig {
    /// The backend (`PBJX_EVENT_SEARCH_BACKEND`).
    pub backend: EventSearchBackend,
    /// The tantivy index folder (`PBJX_EVENT_SEARCH_PATH`; default
    /// [`DEFAULT_EVENT_SEARCH_PATH`]).
    pub path: Option<PathBuf>,
    /// The Elasticsearch URL (`PBJX_EVENT_SEARCH_URL`).
    pub url: Option<String>,
    /// The Elasticsearch index prefix (`PBJX_EVENT_SEARCH_INDEX_PREFIX`; default `pbjx-events`).
    pub index_prefix: Option<String>,
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
        for path in [
            &mut self.event_store.path,
            &mut self.scheduler.path,
            &mut self.event_search.path,
        ]
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
        if let Some(v) = var("PBJX_EVENT_SEARCH_BACKEND") {
            self.event_search.backend = parse_enum("PBJX_EVENT_SEARCH_BACKEND", &v)?;
        }
        if let Some(v) = var("PBJX_EVENT_SEARCH_PATH") {
            self.event_search.path = Some(v.into());
        }
        set(&mut self.event_search.url, var("PBJX_EVENT_SEARCH_URL"));
        set(
            &mut self.event_search.index_prefix,
            var("PBJX_EVENT_SEARCH_INDEX_PREFIX"),
        );
        set(&mut self.remote.url, var("PBJX_URL"));
        set(&mut self.remote.token_kid, var("PBJX_TOKEN_KID"));
        set(&mut self.remote.token_secret, var("PBJX_TOKEN_SECRET"));
        self.http_env(&var)?;
        Ok(self)
    }

    fn http_env(&mut self, var: &impl Fn(&str) -> Option<String>) -> Result<(), CliError> {
        let http = &mut self.http;
        if let Some(v) = var("PBJX_HTTP_LISTEN") {
            http.listen = v;
        }
        if let Some(v) = var("PBJX_HTTP_KEYS") {
            http.keys = list(&v)
                .map(|pair| match pair.split_once('=') {
                    Some((kid, secret)) if !kid.trim().is_empty() && !secret.is_empty() => {
                        Ok((kid.trim().to_owned(), secret.to_owned()))
                    }
                    _ => Err(CliError::usage(format!(
                        "environment variable PBJX_HTTP_KEYS: [{pair}] is not kid=secret"
                    ))),
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = var("PBJX_HTTP_TOKEN_BYPASS") {
            http.token_bypass = list(&v).map(str::to_owned).collect();
        }
        if let Some(v) = var("PBJX_HTTP_RECEIVE") {
            http.receive = parse_value("PBJX_HTTP_RECEIVE", &v)?;
        }
        if let Some(v) = var("PBJX_HTTP_BODY_LIMIT") {
            http.body_limit = parse_value("PBJX_HTTP_BODY_LIMIT", &v)?;
        }
        if let Some(v) = var("PBJX_HTTP_TIMEOUT") {
            http.timeout = parse_value("PBJX_HTTP_TIMEOUT", &v)?;
        }
        if let Some(v) = var("PBJX_HTTP_MOUNT_PATH") {
            http.mount_path = v;
        }
        Ok(())
    }
}

/// The non-empty, trimmed items of a comma-separated list.
fn list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn parse_value<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, CliError>
where
    T::Err: std::fmt::Display,
{
    value
        .trim()
        .parse()
        .map_err(|e| CliError::usage(format!("environment variable {name}={value:?}: {e}")))
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
    fn http_defaults_and_environment() {
        let config = Config::default();
        assert_eq!(config.http.listen, DEFAULT_LISTEN);
        assert!(config.http.keys.is_empty() && !config.http.receive);
        let config = Config::from_toml("[http]\nreceive = true\n", None)
            .unwrap()
            .with_env(|name| match name {
                "PBJX_HTTP_KEYS" => Some("a=one, b=two=2".to_owned()),
                "PBJX_HTTP_BODY_LIMIT" => Some("1024".to_owned()),
                _ => None,
            })
            .unwrap();
        assert!(config.http.receive);
        assert_eq!(config.http.body_limit, 1024);
        assert_eq!(config.http.keys["a"], "one");
        assert_eq!(config.http.keys["b"], "two=2");
        for (name, value) in [
            ("PBJX_HTTP_KEYS", "nokey"),
            ("PBJX_HTTP_RECEIVE", "yes"),
            ("PBJX_HTTP_TIMEOUT", "-1"),
        ] {
            let err = Config::default()
                .with_env(|n| (n == name).then(|| value.to_owned()))
                .unwrap_err();
            assert_eq!(err.exit, crate::Exit::Usage);
            assert!(err.message.contains(name), "{err}");
        }
        let err = Config::from_toml("[http]\nlisten = 8080\n", None).unwrap_err();
        assert!(err.message.contains("listen"), "{err}");
    }

    #[test]
    fn event_search_section_and_environment() {
        let config = Config::from_toml(
            "[event_search]\nbackend = \"tantivy\"\npath = \"idx\"\n",
            Some(Path::new("conf")),
        )
        .unwrap();
        assert_eq!(config.event_search.backend, EventSearchBackend::Tantivy);
        assert_eq!(config.event_search.path, Some(PathBuf::from("conf/idx")));
        let config = config
            .with_env(|name| match name {
                "PBJX_EVENT_SEARCH_BACKEND" => Some("elasticsearch".to_owned()),
                "PBJX_EVENT_SEARCH_URL" => Some("http://127.0.0.1:9200".to_owned()),
                "PBJX_EVENT_SEARCH_INDEX_PREFIX" => Some("acme-events".to_owned()),
                _ => None,
            })
            .unwrap();
        assert_eq!(
            config.event_search.backend,
            EventSearchBackend::Elasticsearch
        );
        assert_eq!(
            config.event_search.url.as_deref(),
            Some("http://127.0.0.1:9200")
        );
        assert_eq!(
            config.event_search.index_prefix.as_deref(),
            Some("acme-events")
        );
        let err = Config::default()
            .with_env(|name| (name == "PBJX_EVENT_SEARCH_BACKEND").then(|| "solr".to_owned()))
            .unwrap_err();
        assert!(err.message.contains("PBJX_EVENT_SEARCH_BACKEND"), "{err}");
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
