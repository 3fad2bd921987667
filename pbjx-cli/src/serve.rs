//! `pbjx serve`: the HTTP endpoint ([`pbjx::http`]) on the configured backends.

use std::time::Duration;

use pbjx::http::HttpConfig;

use crate::app::App;
use crate::cli::ServeArgs;
use crate::config::Config;
use crate::exit::{CliError, CliResult, Exit};

/// Serves until Ctrl-C or SIGTERM, with the configured scheduler's worker running (unless
/// `--no-scheduler-worker`); prints the URL on stderr (unless `quiet`).
pub(crate) async fn run(app: &App, config: &Config, args: ServeArgs, quiet: bool) -> CliResult {
    let http = http_config(config, args.insecure_no_token)?;
    let listen = args.listen.as_deref().unwrap_or(&config.http.listen);
    let (pbjx, spawn_worker) = crate::backends::exchange_and_worker(app, config).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| CliError::failure(format!("cannot listen on [{listen}]: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::failure(format!("cannot listen on [{listen}]: {e}")))?;
    if !quiet {
        let mount = http.mount_path().trim_end_matches('/');
        eprintln!("pbjx: serving http://{addr}{mount} (Ctrl-C to stop)");
    }
    // Jobs scheduled through the endpoint (send_at) fire while it runs.
    let worker = match spawn_worker {
        Some(spawn) if !args.no_scheduler_worker => Some(spawn(pbjx.clone())),
        _ => None,
    };
    let served = pbjx::http::serve(listener, pbjx, http, shutdown_signal()).await;
    if let Some(worker) = worker {
        worker.shutdown().await;
    }
    served.map_err(|e| CliError::failure(format!("serving on [{addr}]: {e}")))?;
    if !quiet {
        eprintln!("pbjx: stopped");
    }
    Ok(Exit::Ok)
}

/// The endpoint's options from `[http]` and the `[remote]` key; refuses a configuration where
/// no token could ever be valid and nothing is bypassed, unless `insecure_no_token`.
pub(crate) fn http_config(config: &Config, insecure_no_token: bool) -> CliResult<HttpConfig> {
    let section = &config.http;
    let mut http = HttpConfig::default()
        .with_receive(section.receive)
        .with_body_limit(section.body_limit)
        .with_timeout((section.timeout > 0).then(|| Duration::from_secs(section.timeout)))
        .with_mount_path(section.mount_path.clone());
    let mut keys = 0;
    for (kid, secret) in &section.keys {
        http = http.with_key(kid.clone(), secret);
        keys += 1;
    }
    if let Some(secret) = config
        .remote
        .token_secret
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        let kid = config.remote.token_kid.as_deref().unwrap_or("default");
        // The [http.keys] entry wins when both name the same kid.
        if !section.keys.contains_key(kid) {
            http = http.with_key(kid, secret);
            keys += 1;
        }
    }
    for pattern in &section.token_bypass {
        http = http.with_token_bypass(pattern.clone());
    }
    if insecure_no_token {
        http = http.with_token_bypass("all");
    } else if keys == 0 && section.token_bypass.is_empty() {
        return Err(CliError::usage(
            "no PbjxToken key is configured for `serve`, so every message would be refused. \
             Add one ([http.keys] kid = \"secret\", PBJX_HTTP_KEYS=kid=secret, or \
             PBJX_TOKEN_SECRET) and sign with it (pbjx send --url reads PBJX_TOKEN_KID / \
             PBJX_TOKEN_SECRET), open curies with [http] token_bypass, or pass \
             --insecure-no-token to accept unsigned messages (local trials only)",
        ));
    }
    Ok(http)
}

/// Completes on Ctrl-C, or SIGTERM on unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => ctrl_c.await,
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_the_section_and_the_remote_key() {
        let config = Config::from_toml(
            "[remote]\ntoken_kid = \"r\"\ntoken_secret = \"rs\"\n[http.keys]\nk1 = \"s1\"\n",
            None,
        )
        .unwrap();
        let http = http_config(&config, false).unwrap();
        let signer = http.signer();
        for kid in ["k1", "r"] {
            let token = signer
                .sign("{}", "http://x/pbjx/a/b/c/d", Some(kid))
                .unwrap();
            let valid = signer.validate("{}", "http://x/pbjx/a/b/c/d", token.as_str());
            assert_eq!(valid.unwrap().kid(), kid);
        }
        assert!(http.token_bypass().is_empty());
        assert!(signer.sign("{}", "http://x/", Some("nope")).is_err());
    }

    #[test]
    fn no_key_refuses_unless_insecure_or_bypass() {
        let err = http_config(&Config::default(), false).unwrap_err();
        assert_eq!(err.exit, Exit::Usage);
        assert!(err.message.contains("--insecure-no-token"), "{err}");
        let open = http_config(&Config::default(), true).unwrap();
        assert_eq!(open.token_bypass(), ["all"]);
        let config = Config::from_toml(
            "[http]\ntoken_bypass = [\"gdbots:pbjx:command:check-health\"]\ntimeout = 0\n",
            None,
        )
        .unwrap();
        let http = http_config(&config, false).unwrap();
        assert_eq!(http.timeout(), None);
        assert_eq!(http.token_bypass(), ["gdbots:pbjx:command:check-health"]);
    }
}
