//! The single writer of a SQLite scheduler: a thread that owns the connection and runs every
//! operation queued meanwhile in one transaction (group commit), each in its own savepoint.
//!
//! Scheduling many jobs at once therefore costs one commit (one WAL fsync with
//! `synchronous=FULL`) per group instead of one per job; an operation that fails is rolled
//! back alone (its savepoint) while its neighbours commit, and every caller is answered only
//! after the commit. Unlike the event store's writer (whose appends carry an optimistic check),
//! the operations here are closures over the connection: scheduling, cancelling, claiming,
//! deleting and re-scheduling jobs all go through the same queue.

use std::sync::mpsc;
use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::{BACKEND, db_err};
use crate::error::{Code, Error, Result};

/// Most operations one transaction gathers.
const MAX_GROUP: usize = 1024;

/// Answers the caller of one operation once the transaction's fate is known.
type Answer = Box<dyn FnOnce(Result<()>) + Send>;
/// One queued operation: run in the open transaction (or told why it cannot run); returns
/// whether the transaction is still sound, and the answer.
type Work = Box<dyn FnOnce(std::result::Result<&Connection, &Error>) -> (bool, Answer) + Send>;

fn stopped() -> Error {
    Error::storage(
        BACKEND,
        Code::Unavailable,
        "the SQLite scheduler's writer thread has stopped",
    )
}

/// The writer thread and its queue.
pub(super) struct Writer {
    queue: Option<mpsc::Sender<Work>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    pub(super) fn start(conn: Connection) -> Result<Self> {
        let (queue, work) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("pbjx-scheduler-writer".to_owned())
            .spawn(move || run(conn, &work))
            .map_err(|e| {
                Error::storage(
                    BACKEND,
                    Code::Internal,
                    format!("cannot start the scheduler's writer thread: {e}"),
                )
                .with_source(e)
            })?;
        Ok(Self {
            queue: Some(queue),
            thread: Some(thread),
        })
    }

    /// Runs `op` in the next transaction; answers with its result once that transaction is
    /// committed (or with the commit's error).
    pub(super) async fn run<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let work: Work = Box::new(move |conn| {
            let (sound, result) = match conn {
                Ok(conn) => in_savepoint(conn, op),
                Err(e) => (true, Err(e.clone())),
            };
            let answer: Answer = Box::new(move |commit: Result<()>| {
                let _ = reply.send(commit.and(result));
            });
            (sound, answer)
        });
        self.queue
            .as_ref()
            .ok_or_else(stopped)?
            .send(work)
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the queue ends the thread after the operations already queued.
        drop(self.queue.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs `op` in a savepoint: released when it succeeds, rolled back when it fails. Returns
/// whether the transaction is still sound (the savepoint statements worked) and the result.
fn in_savepoint<T>(
    conn: &Connection,
    op: impl FnOnce(&Connection) -> Result<T>,
) -> (bool, Result<T>) {
    let exec = |sql: &str| {
        conn.prepare_cached(sql)
            .and_then(|mut s| s.execute([]))
            .map_err(db_err)
    };
    if let Err(e) = exec("SAVEPOINT pbjx_op") {
        return (false, Err(e));
    }
    let result = op(conn);
    let closed = match &result {
        Ok(_) => exec("RELEASE pbjx_op"),
        Err(_) => exec("ROLLBACK TO pbjx_op").and_then(|_| exec("RELEASE pbjx_op")),
    };
    match closed {
        Ok(_) => (true, result),
        Err(e) => (false, result.and(Err(e))),
    }
}

fn run(conn: Connection, queue: &mpsc::Receiver<Work>) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(work) => group.push(work),
                Err(_) => break,
            }
        }
        // A panicking operation answers its group with an error (their reply channels close)
        // and leaves the thread serving the next groups.
        let panicked =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| commit_group(&conn, group)));
        if panicked.is_err() && !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
    }
}

/// Runs a group in one transaction and answers every caller after the commit.
fn commit_group(conn: &Connection, group: Vec<Work>) {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE").map_err(db_err) {
        for work in group {
            let (_, answer) = work(Err(&e));
            answer(Err(e.clone()));
        }
        return;
    }
    let mut sound = true;
    let mut answers = Vec::with_capacity(group.len());
    for work in group {
        let (ok, answer) = work(Ok(conn));
        sound &= ok;
        answers.push(answer);
    }
    let commit = if sound {
        conn.execute_batch("COMMIT").map_err(db_err)
    } else {
        Err(Error::storage(
            BACKEND,
            Code::Internal,
            "a savepoint of the scheduler's transaction failed; the transaction was rolled back",
        ))
    };
    if commit.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    for answer in answers {
        answer(commit.clone());
    }
}
