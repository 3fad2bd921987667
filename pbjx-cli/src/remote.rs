//! `--url`: messages POSTed to a remote pbjx endpoint with a signed `x-pbjx-token`.

use pbj::Message;
use pbjx::token::PbjxTokenSigner;

use crate::config::RemoteConfig;
use crate::exit::CliError;

/// A client of a remote pbjx endpoint (the original's `PbjxController` routes).
pub(crate) struct Remote {
    client: reqwest::Client,
    base: String,
    signer: Option<(PbjxTokenSigner, Option<String>)>,
}

/// What the endpoint answered.
pub(crate) struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The body (an envelope as JSON, when the endpoint is a pbjx endpoint).
    pub body: String,
    /// The envelope's `ok`, or the status when the body is no envelope.
    pub ok: bool,
}

impl Remote {
    /// A client for `url` (the base the message routes hang under, e.g.
    /// `https://api.acme.com/pbjx`), signing with the configured key when there is a secret.
    pub(crate) fn new(url: &str, config: &RemoteConfig) -> Result<Self, CliError> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(CliError::usage(format!(
                "--url must be an http:// or https:// URL, got [{url}]"
            )));
        }
        let client = reqwest::Client::builder()
            .user_agent(concat!("pbjx-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CliError::failure(format!("cannot build the HTTP client: {e}")))?;
        let signer = config.token_secret.as_ref().map(|secret| {
            let kid = config
                .token_kid
                .clone()
                .unwrap_or_else(|| "default".to_owned());
            (
                PbjxTokenSigner::new([(kid.clone(), secret.as_bytes())], Some(&kid)),
                Some(kid),
            )
        });
        Ok(Self {
            client,
            base: url.trim_end_matches('/').to_owned(),
            signer,
        })
    }

    /// The route of a message: `{base}/{vendor}/{package}/{category or _}/{message}`.
    pub(crate) fn route(&self, message: &dyn Message) -> String {
        let curie = message.schema().curie;
        let mut parts = curie.splitn(4, ':');
        let vendor = parts.next().unwrap_or_default();
        let package = parts.next().unwrap_or_default();
        let category = parts.next().filter(|c| !c.is_empty()).unwrap_or("_");
        let name = parts.next().unwrap_or_default();
        format!("{}/{vendor}/{package}/{category}/{name}", self.base)
    }

    /// POSTs the message's JSON to its route with a token signed for the body and the URL
    /// (`x-pbjx-dry-run` when `dry_run`).
    pub(crate) async fn post(
        &self,
        message: &dyn Message,
        dry_run: bool,
    ) -> Result<Reply, CliError> {
        let url = self.route(message);
        let body = message.to_json();
        let mut request = self
            .client
            .post(&url)
            .header("content-type", "application/json");
        if let Some((signer, kid)) = &self.signer {
            let token = signer
                .sign(&body, &url, kid.as_deref())
                .map_err(|e| CliError::usage(format!("cannot sign the PbjxToken: {e}")))?;
            request = request.header("x-pbjx-token", token.as_str());
        }
        if dry_run {
            request = request.header("x-pbjx-dry-run", "1");
        }
        let response =
            request.body(body).send().await.map_err(|e| {
                CliError::failure(format!("POST {url}: {}", crate::exit::chain(&e)))
            })?;
        let status = response.status().as_u16();
        let body = response
            .text()
            .await
            .map_err(|e| CliError::failure(format!("POST {url}: reading the body: {e}")))?;
        let ok = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("ok").and_then(serde_json::Value::as_bool))
            .unwrap_or(status < 400);
        Ok(Reply { status, body, ok })
    }
}
