//! Helpers of the CLI tests: run the real `pbjx` binary on a temporary configuration.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use pbjx::event_store::{EventStore, ExpectedState, SqliteEventStore, StreamId};
use pbjx::pbj::{Message, Microtime};
use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;

/// A temporary folder with a `pbjx.toml`.
pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    /// A folder whose `pbjx.toml` holds `config`.
    pub fn new(config: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("pbjx.toml"), config).expect("write config");
        Self { dir }
    }

    /// A SQLite event store at `events.db` (and no scheduler).
    pub fn sqlite() -> Self {
        Self::new("[event_store]\nbackend = \"sqlite\"\npath = \"events.db\"\n")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn config(&self) -> PathBuf {
        self.path("pbjx.toml")
    }

    /// Runs `pbjx --config <this config> args...` (no PBJX_* from the outer environment).
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, None, &[])
    }

    /// Runs with stdin and extra environment variables.
    pub fn run_with(&self, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Run {
        let mut command = pbjx();
        command
            .current_dir(self.dir.path())
            .arg("--config")
            .arg(self.config())
            .args(args);
        for (k, v) in env {
            command.env(k, v);
        }
        run(command, stdin)
    }
}

/// The binary, with the PBJX_* variables of the outer environment removed.
pub fn pbjx() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pbjx"));
    for (key, _) in std::env::vars() {
        if key.starts_with("PBJX_") {
            command.env_remove(key);
        }
    }
    command
}

/// What a run printed and returned.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not one JSON value ({e}): {self:?}"))
    }

    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().filter(|l| !l.is_empty()).collect()
    }
}

pub fn run(mut command: Command, stdin: Option<&str>) -> Run {
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn pbjx");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("wait pbjx");
    Run {
        code: status.code().expect("exit code"),
        stdout: String::from_utf8(stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(stderr).expect("utf-8 stderr"),
    }
}

pub const BASE_SEC: u64 = 1_700_000_000;

/// A frozen health-checked event at `BASE_SEC + offset_sec` seconds.
pub fn event(offset_sec: u64, msg: &str) -> Arc<dyn Message> {
    let mut event = HealthCheckedV1::new()
        .with_occurred_at(Microtime::new(BASE_SEC + offset_sec, 0).unwrap())
        .unwrap()
        .with_msg(msg)
        .unwrap();
    event.freeze();
    Arc::new(event)
}

/// Appends `count` events per stream (offsets 1.., one second apart, interleaved over the
/// streams) to the SQLite store at `path`.
pub fn seed_sqlite(path: &Path, streams: &[&str], count: u64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = SqliteEventStore::open(path, pbjx::registry()).unwrap();
        for (s, stream) in streams.iter().enumerate() {
            let events: Vec<_> = (0..count)
                .map(|i| {
                    event(
                        1 + i * streams.len() as u64 + s as u64,
                        &format!("{stream}/{i}"),
                    )
                })
                .collect();
            store
                .put_events(
                    &StreamId::parse(stream).unwrap(),
                    events,
                    ExpectedState::NoStream,
                )
                .await
                .unwrap();
        }
    });
}
