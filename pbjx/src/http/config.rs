//! [`HttpConfig`]: the options of the HTTP endpoint.

use std::time::Duration;

use crate::token::PbjxTokenSigner;

/// Default body limit of [`HttpConfig`]: 2 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Default request timeout of [`HttpConfig`]: 30 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Options of [`super::router`] and [`super::serve`]: a plain struct with builder-style
/// `with_*` methods.
///
/// The defaults are the original's: `POST` only, PbjxTokens required on every curie (with no
/// key configured, so every token is refused until one is added), error messages redacted,
/// the receive endpoint disabled. On top of it: a 2 MiB body limit and a 30 s timeout.
///
/// ```
/// use std::time::Duration;
/// use pbjx::http::HttpConfig;
///
/// let config = HttpConfig::default()
///     .with_key("2024", "a long random secret")
///     .with_token_bypass("gdbots:pbjx:command:check-health")
///     .with_receive(true)
///     .with_body_limit(64 * 1024)
///     .with_timeout(Duration::from_secs(5))
///     .with_public_origin("https://api.example.com");
/// assert_eq!(config.signer().default_kid(), Some("2024"));
/// assert_eq!(config.body_limit(), 64 * 1024);
/// ```
#[derive(Debug, Clone)]
pub struct HttpConfig {
    signer: PbjxTokenSigner,
    token_bypass: Vec<String>,
    allow_get: bool,
    receive: bool,
    body_limit: usize,
    timeout: Option<Duration>,
    redact_errors: bool,
    public_origin: Option<String>,
    mount_path: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            signer: PbjxTokenSigner::default(),
            token_bypass: Vec::new(),
            allow_get: false,
            receive: false,
            body_limit: DEFAULT_BODY_LIMIT,
            timeout: Some(DEFAULT_TIMEOUT),
            redact_errors: true,
            public_origin: None,
            mount_path: "/pbjx".to_owned(),
        }
    }
}

impl HttpConfig {
    /// The signer that validates `x-pbjx-token` headers (replaces any keys added before).
    pub fn with_signer(mut self, signer: PbjxTokenSigner) -> Self {
        self.signer = signer;
        self
    }

    /// Adds a token key (`kid` → secret) to the signer and makes it the default kid (as the
    /// original's signer defaults to the last key); several kids allow key rotation.
    pub fn with_key(mut self, kid: impl Into<String>, secret: impl AsRef<[u8]>) -> Self {
        let kid = kid.into();
        self.signer.add_key(kid.clone(), secret);
        self.signer.set_default_kid(Some(&kid));
        self
    }

    /// Curies that need no token on the message route: `all`, an exact curie, or a regular
    /// expression matched against the curie (slashes around it are trimmed, as the original
    /// does). A pattern that is not a valid regular expression only matches exactly.
    pub fn with_token_bypass(mut self, pattern: impl Into<String>) -> Self {
        self.token_bypass.push(pattern.into());
        self
    }

    /// Also accept `GET` on the message route, with the message as base64url JSON in the
    /// query parameter `pbj` (default: `POST` only).
    pub fn with_get_requests(mut self, allow: bool) -> Self {
        self.allow_get = allow;
        self
    }

    /// Enables the `/receive` endpoint (default: disabled, answering 403).
    pub fn with_receive(mut self, enabled: bool) -> Self {
        self.receive = enabled;
        self
    }

    /// The largest body accepted, in bytes (default [`DEFAULT_BODY_LIMIT`]); larger bodies get
    /// a 413 envelope.
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// How long one request may take (default [`DEFAULT_TIMEOUT`]; `None`: no limit); a
    /// request over it gets a 504 envelope (`DEADLINE_EXCEEDED`) and its handling is dropped.
    pub fn with_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.timeout = timeout.into();
        self
    }

    /// Whether error messages of failed sends, publishes and requests are replaced by
    /// `Your message could not be handled (Code:NAME).` (default `true`; schema errors and
    /// the checks before the message is built are never redacted, as in the original).
    pub fn with_redaction(mut self, redact: bool) -> Self {
        self.redact_errors = redact;
        self
    }

    /// The scheme and host clients address, e.g. `https://api.example.com`, used as the start
    /// of a token's audience (the full request URL). Default: `http://` plus the `Host`
    /// header; set it when the service runs behind a proxy or TLS terminator.
    pub fn with_public_origin(mut self, origin: impl Into<String>) -> Self {
        let origin: String = origin.into();
        self.public_origin = Some(origin.trim_end_matches('/').to_owned());
        self
    }

    /// Where [`super::serve`] mounts the router (default `/pbjx`, as the original's routes are
    /// usually mounted; `/` or an empty string for the root).
    pub fn with_mount_path(mut self, path: impl Into<String>) -> Self {
        self.mount_path = path.into();
        self
    }

    /// The token signer.
    pub fn signer(&self) -> &PbjxTokenSigner {
        &self.signer
    }

    /// The token bypass patterns.
    pub fn token_bypass(&self) -> &[String] {
        &self.token_bypass
    }

    /// Whether `GET` is accepted.
    pub fn get_requests(&self) -> bool {
        self.allow_get
    }

    /// Whether `/receive` is enabled.
    pub fn receive(&self) -> bool {
        self.receive
    }

    /// The body limit in bytes.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// The request timeout.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Whether error messages are redacted.
    pub fn redaction(&self) -> bool {
        self.redact_errors
    }

    /// The public origin, if set.
    pub fn public_origin(&self) -> Option<&str> {
        self.public_origin.as_deref()
    }

    /// Where [`super::serve`] mounts the router.
    pub fn mount_path(&self) -> &str {
        &self.mount_path
    }
}
