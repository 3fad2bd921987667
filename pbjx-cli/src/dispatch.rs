//! Where `send`, `publish`, `request` and `batch` deliver messages: the in-process exchange
//! on the configured backends, or a remote endpoint (`--url`).

use pbj::{Message, Registry};
use pbjx::{Error, Pbjx};

use crate::app::App;
use crate::config::Config;
use crate::exit::{CliError, CliResult};
use crate::message::{Kind, error_envelope, ok_envelope};

/// The outcome of one message.
pub(crate) struct Outcome {
    /// Whether it was handled (the envelope's `ok`).
    pub ok: bool,
    /// The envelope (local) or the endpoint's answer (remote), as JSON.
    pub envelope: String,
    /// A one-line error description when not ok.
    pub error: Option<String>,
}

/// In process or remote.
pub(crate) enum Target {
    /// The exchange of the app on the configured backends.
    Local(Pbjx),
    /// A remote pbjx endpoint.
    #[cfg(feature = "remote")]
    Remote(crate::remote::Remote),
}

impl Target {
    /// The remote endpoint when `url` is given (`Some("")` = the configured `remote.url`),
    /// else the in-process exchange.
    pub(crate) async fn open(app: &App, config: &Config, url: Option<&str>) -> CliResult<Self> {
        match url {
            None => Ok(Target::Local(crate::backends::exchange(app, config).await?)),
            Some(url) => {
                let url = if url.is_empty() {
                    config.remote.url.as_deref().ok_or_else(|| {
                        CliError::usage("--remote needs remote.url in the config (or PBJX_URL)")
                    })?
                } else {
                    url
                };
                remote(url, config)
            }
        }
    }

    /// Delivers one message of kind `kind` (nothing is executed with `dry_run`).
    pub(crate) async fn dispatch(
        &self,
        kind: Kind,
        mut message: Box<dyn Message>,
        dry_run: bool,
    ) -> CliResult<Outcome> {
        match self {
            #[cfg(feature = "remote")]
            Target::Remote(remote) => {
                let reply = remote.post(&*message, dry_run).await?;
                let error = (!reply.ok).then(|| {
                    let detail = serde_json::from_str::<serde_json::Value>(&reply.body)
                        .ok()
                        .and_then(|v| {
                            let name = v.get("error_name")?.as_str()?.to_owned();
                            let text = v
                                .get("error_message")
                                .and_then(|m| m.as_str())
                                .unwrap_or("");
                            Some(format!("{name}: {text}"))
                        })
                        .unwrap_or_else(|| reply.body.chars().take(200).collect());
                    format!("HTTP {}: {detail}", reply.status)
                });
                Ok(Outcome {
                    ok: reply.ok,
                    envelope: reply.body,
                    error,
                })
            }
            Target::Local(pbjx) => {
                if dry_run {
                    let http = if kind == Kind::Request { 200 } else { 202 };
                    return Ok(outcome(Ok(ok_envelope(http, &*message)), pbjx.registry()));
                }
                let result = match kind {
                    Kind::Command | Kind::Event => {
                        // Run the lifecycle here so that the envelope shows the message as it
                        // was handled (the exchange leaves frozen messages alone).
                        if let Err(e) = pbjx.trigger_lifecycle(&mut *message).await {
                            return Ok(outcome(Err((e, message)), pbjx.registry()));
                        }
                        message.freeze();
                        let copy = message.clone_message();
                        let sent = if kind == Kind::Command {
                            pbjx.send(message).await
                        } else {
                            pbjx.publish(message).await
                        };
                        match sent {
                            Ok(()) => Ok(ok_envelope(202, &*copy)),
                            Err(e) => Err((e, copy)),
                        }
                    }
                    Kind::Request => {
                        let copy = message.clone_message();
                        match pbjx.request(message).await {
                            Ok(response) => Ok(ok_envelope(200, &*response)),
                            Err(e) => Err((e, copy)),
                        }
                    }
                };
                Ok(outcome(result, pbjx.registry()))
            }
        }
    }
}

/// The envelope as pbj writes it (field order of the schema), checked against its schema.
fn envelope_json(envelope: &serde_json::Value, registry: &Registry) -> String {
    let text = envelope.to_string();
    match crate::app::decode(&text, registry) {
        Ok(message) => message.to_json(),
        Err(_) => text,
    }
}

fn outcome(
    result: Result<serde_json::Value, (Error, Box<dyn Message>)>,
    registry: &Registry,
) -> Outcome {
    match result {
        Ok(envelope) => Outcome {
            ok: true,
            envelope: envelope_json(&envelope, registry),
            error: None,
        },
        Err((error, message)) => {
            let mut envelope = error_envelope(&error, Some(&*message));
            // A failed request: name and message of the request-failed-response, as the
            // original's controller reports them.
            if let Error::RequestHandlingFailed { response } = &error {
                for field in ["error_name", "error_message"] {
                    if let Some(v) = response
                        .data()
                        .get_single(field)
                        .and_then(pbj::Value::as_str)
                    {
                        envelope[field] = serde_json::Value::String(v.to_owned());
                    }
                }
            }
            let line = format!(
                "{}: {}",
                envelope["error_name"].as_str().unwrap_or_default(),
                envelope["error_message"].as_str().unwrap_or_default()
            );
            Outcome {
                ok: false,
                envelope: envelope_json(&envelope, registry),
                error: Some(line),
            }
        }
    }
}

#[cfg(feature = "remote")]
fn remote(url: &str, config: &Config) -> CliResult<Target> {
    Ok(Target::Remote(crate::remote::Remote::new(
        url,
        &config.remote,
    )?))
}

#[cfg(not(feature = "remote"))]
fn remote(_url: &str, _config: &Config) -> CliResult<Target> {
    Err(CliError::usage(
        "this pbjx was built without the remote path (cargo feature `remote`)",
    ))
}
