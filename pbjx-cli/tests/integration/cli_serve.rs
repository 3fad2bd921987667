//! `pbjx serve` as a real process on a real socket, driven by `pbjx send --url`: a signed
//! command is accepted (202 envelope), a signed request answered, a token signed with a wrong
//! secret is refused with a nonzero exit, SIGTERM stops the server gracefully; no key refuses
//! to start; the configured scheduler's due jobs are sent by the worker serve runs.

#![cfg(feature = "http")]

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{Env, Run};

const CHECK_HEALTH: &str = "gdbots:pbjx:command:check-health";

/// A running `pbjx serve`, killed when dropped.
struct Server {
    child: Child,
    url: String,
    stderr: mpsc::Receiver<String>,
}

impl Server {
    /// Starts `pbjx --config <env> serve --listen 127.0.0.1:0 extra...` and waits for the URL it
    /// prints.
    fn start(env: &Env, extra: &[&str]) -> Self {
        let mut child = common::pbjx()
            .current_dir(env.dir.path())
            .arg("--config")
            .arg(env.config())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn pbjx serve");
        let (tx, stderr) = mpsc::channel();
        let pipe = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let first = stderr
            .recv_timeout(Duration::from_secs(30))
            .expect("pbjx serve printed nothing within 30 s");
        let url = first
            .strip_prefix("pbjx: serving ")
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("unexpected first line: {first}"))
            .to_owned();
        Self { child, url, stderr }
    }

    /// `pbjx send --url <this server> CHECK_HEALTH json` with the token key in `env_vars`.
    fn send(&self, client: &Env, json: &str, env_vars: &[(&str, &str)]) -> Run {
        client.run_with(
            &["send", "--url", &self.url, CHECK_HEALTH, json],
            None,
            env_vars,
        )
    }

    /// SIGTERM, then the exit code and the rest of stderr.
    fn terminate(mut self) -> (i32, String) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success());
        let code = self.child.wait().expect("wait").code().expect("exit code");
        // The reader thread may still be forwarding the last lines: read until it reaches the
        // end of the pipe (the channel closes), not just what has arrived so far.
        let mut rest = Vec::new();
        loop {
            match self.stderr.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => rest.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!("stderr still open 30 s after exit"),
            }
        }
        (code, rest.join("\n"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serve_accepts_signed_commands_and_refuses_a_wrong_key() {
    let server_env = Env::new(
        "[event_store]\nbackend = \"sqlite\"\npath = \"events.db\"\n\
         [http.keys]\nops = \"the right secret\"\n",
    );
    let server = Server::start(&server_env, &[]);
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );
    assert!(server.url.ends_with("/pbjx"), "{}", server.url);

    // The client has its own (empty) configuration: the key comes from the environment.
    let client = Env::new("");
    let ok = server.send(
        &client,
        r#"{"msg":"over http"}"#,
        &[
            ("PBJX_TOKEN_KID", "ops"),
            ("PBJX_TOKEN_SECRET", "the right secret"),
        ],
    );
    assert_eq!(ok.code, 0, "{ok:?}");
    let envelope = ok.json();
    assert_eq!(envelope["ok"], true, "{ok:?}");
    assert_eq!(envelope["http_code"], 202, "{ok:?}");
    assert_eq!(envelope["message_ref"]["curie"], CHECK_HEALTH);

    // A request is answered by the server's echo handler.
    let echo = client.run_with(
        &[
            "request",
            "--url",
            &server.url,
            "gdbots:pbjx:request:echo-request",
            r#"{"msg":"ping"}"#,
        ],
        None,
        &[
            ("PBJX_TOKEN_KID", "ops"),
            ("PBJX_TOKEN_SECRET", "the right secret"),
        ],
    );
    assert_eq!(echo.code, 0, "{echo:?}");
    assert_eq!(echo.json()["http_code"], 200, "{echo:?}");
    assert_eq!(echo.json()["message"]["msg"], "ping", "{echo:?}");

    for (kid, secret) in [("ops", "a wrong secret"), ("other", "the right secret")] {
        let refused = server.send(
            &client,
            "{}",
            &[("PBJX_TOKEN_KID", kid), ("PBJX_TOKEN_SECRET", secret)],
        );
        assert_eq!(refused.code, 1, "{kid}: {refused:?}");
        let envelope = refused.json();
        assert_eq!(envelope["ok"], false, "{refused:?}");
        assert_eq!(envelope["http_code"], 400, "{refused:?}");
    }
    // No token at all.
    let unsigned = server.send(&client, "{}", &[]);
    assert_eq!(unsigned.code, 1, "{unsigned:?}");

    let (code, rest) = server.terminate();
    assert_eq!(code, 0, "{rest}");
    assert!(rest.contains("stopped"), "{rest}");
}

#[test]
fn serve_without_a_key_refuses_to_start_unless_insecure() {
    let env = Env::sqlite();
    let refused = env.run(&["serve", "--listen", "127.0.0.1:0"]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(refused.stderr.contains("no PbjxToken key"), "{refused:?}");
    assert!(
        refused.stderr.contains("--insecure-no-token"),
        "{refused:?}"
    );

    let server = Server::start(&env, &["--insecure-no-token"]);
    let ok = server.send(&Env::new(""), "{}", &[]);
    assert_eq!(ok.code, 0, "{ok:?}");
    assert_eq!(ok.json()["http_code"], 202, "{ok:?}");
    let (code, rest) = server.terminate();
    assert_eq!(code, 0, "{rest}");
}

#[test]
fn a_taken_address_is_a_failure_naming_it() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let env = Env::sqlite();
    let out = env.run(&["serve", "--insecure-no-token", "--listen", &addr]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains(&addr), "{out:?}");
}

/// Jobs of the configured scheduler fire while `pbjx serve` runs (its worker sends them).
#[test]
fn serve_runs_the_scheduler_worker() {
    use std::sync::Arc;

    use pbjx::SendAt;
    use pbjx::pbj::Message;
    use pbjx::scheduler::{Scheduler, SqliteScheduler};
    use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;

    let env = Env::new(
        "[event_store]\nbackend = \"sqlite\"\npath = \"events.db\"\n\
         [scheduler]\nbackend = \"sqlite\"\npath = \"jobs.db\"\n",
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let scheduler = SqliteScheduler::open(env.path("jobs.db"), pbjx::registry()).unwrap();
    runtime.block_on(async {
        scheduler.create_storage().await.unwrap();
        let mut command = CheckHealthV1::new().with_msg("from the job").unwrap();
        command.freeze();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        scheduler
            .send_at(
                Arc::new(command),
                SendAt::from_unix_seconds(now - 1),
                Some("job-1".to_owned()),
            )
            .await
            .unwrap();
        assert_eq!(scheduler.job_count().await.unwrap(), 1);
    });

    let server = Server::start(&env, &["--insecure-no-token"]);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let left = runtime.block_on(scheduler.job_count()).unwrap();
        if left == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the due job was not sent within 30 s ({left} left)"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (code, rest) = server.terminate();
    assert_eq!(code, 0, "{rest}");
}
