//! The single writer of a SQLite event store: a thread that owns the write connection and
//! commits concurrent appends together (group commit).
//!
//! Appends are queued on a channel. The thread takes the first one, then every append already
//! queued behind it (up to [`MAX_GROUP`]), and writes them in **one** `BEGIN IMMEDIATE`
//! transaction: each append in its own savepoint, with its own expectation checked against the
//! head as the earlier appends of the group left it, so a failing append is rolled back alone
//! and its neighbours go on. One `COMMIT` (one WAL fsync with `synchronous=FULL`) then makes
//! the whole group durable, and only after it returns is each caller answered. While a commit
//! waits for its fsync, the next appends queue up and form the next group: the more writers,
//! the more appends share an fsync, and a lone writer pays no waiting (its append is the whole
//! group). Hand-written rather than taken from a crate: it is the few lines that tie SQLite's
//! savepoints to the store's expectation check.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tokio::sync::oneshot;

use super::{BACKEND, CONSTRAINT_UNIQUE, db_err, fmt_micros, lock, storage};
use crate::error::{Code, Error, Result};
use crate::event_store::{Appended, ExpectedState, StreamHead, StreamId, sequences};

/// Most appends one transaction gathers.
pub(super) const MAX_GROUP: usize = 512;

const SELECT_HEAD: &str = "SELECT sequence, last_event_id FROM pbjx_streams WHERE stream_id = ?1";
const INSERT_EVENT: &str = "INSERT INTO pbjx_events \
     (stream_id, sequence, occurred_at, event_id, curie, indexed, json) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
const UPSERT_HEAD: &str = "INSERT INTO pbjx_streams (stream_id, sequence, last_event_id) \
     VALUES (?1, ?2, ?3) ON CONFLICT (stream_id) DO UPDATE \
     SET sequence = excluded.sequence, last_event_id = excluded.last_event_id";

/// An event ready to be inserted.
pub(super) struct NewRow {
    pub(super) event_id: String,
    pub(super) occurred_at: i64,
    pub(super) curie: &'static str,
    pub(super) indexed: bool,
    pub(super) json: String,
}

/// Counters of the writer (see [`crate::event_store::SqliteEventStore::writer_stats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Transactions committed by appends (each one fsync with `synchronous=FULL`).
    pub commits: u64,
    /// Appends committed (successful `put_events` calls that wrote events).
    pub appends: u64,
}

#[derive(Default)]
struct Counters {
    commits: AtomicU64,
    appends: AtomicU64,
}

struct Append {
    stream: StreamId,
    rows: Vec<NewRow>,
    expected: ExpectedState,
    reply: oneshot::Sender<Result<Appended>>,
}

/// The writer thread and the write connection it shares (behind a mutex) with the store's
/// other writes (deletes, schema) and, for an in-memory database, its reads.
pub(super) struct Writer {
    conn: Arc<Mutex<Connection>>,
    queue: Option<mpsc::Sender<Append>>,
    thread: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
}

impl Writer {
    /// Starts the writer thread on `conn`.
    pub(super) fn start(conn: Connection) -> Result<Self> {
        let conn = Arc::new(Mutex::new(conn));
        let counters = Arc::new(Counters::default());
        let (queue, appends) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("pbjx-sqlite-writer".to_owned())
            .spawn({
                let conn = conn.clone();
                let counters = counters.clone();
                move || run(&conn, &appends, &counters)
            })
            .map_err(|e| {
                storage(
                    Code::Internal,
                    format!("cannot start the writer thread: {e}"),
                )
                .with_source(e)
            })?;
        Ok(Self {
            conn,
            queue: Some(queue),
            thread: Some(thread),
            counters,
        })
    }

    /// The write connection, for work outside the append path (blocks while a group is being
    /// written).
    pub(super) fn connection(&self) -> std::sync::MutexGuard<'_, Connection> {
        lock(&self.conn)
    }

    /// Appends `rows` if `expected` holds; answers once the transaction holding the append is
    /// committed.
    pub(super) async fn append(
        &self,
        stream: StreamId,
        rows: Vec<NewRow>,
        expected: ExpectedState,
    ) -> Result<Appended> {
        let stopped = || storage(Code::Unavailable, "the SQLite writer thread has stopped");
        let (reply, answer) = oneshot::channel();
        let append = Append {
            stream,
            rows,
            expected,
            reply,
        };
        self.queue
            .as_ref()
            .ok_or_else(stopped)?
            .send(append)
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    pub(super) fn stats(&self) -> WriterStats {
        WriterStats {
            commits: self.counters.commits.load(Ordering::Relaxed),
            appends: self.counters.appends.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the queue ends the thread after the appends already queued.
        drop(self.queue.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(conn: &Mutex<Connection>, appends: &mpsc::Receiver<Append>, counters: &Counters) {
    while let Ok(first) = appends.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match appends.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        let mut conn = lock(conn);
        // A panic answers the group's callers with an error (their reply channels close) and
        // leaves the thread serving the next groups; the transaction is rolled back on unwind.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| {
            commit_group(&mut conn, group, counters)
        }));
    }
}

fn commit_group(conn: &mut Connection, group: Vec<Append>, counters: &Counters) {
    let results = match write_group(conn, &group) {
        Ok((results, committed)) => {
            if committed > 0 {
                counters.commits.fetch_add(1, Ordering::Relaxed);
                counters.appends.fetch_add(committed, Ordering::Relaxed);
            }
            results
        }
        Err(e) => group.iter().map(|_| Err(e.clone())).collect(),
    };
    for (append, result) in group.into_iter().zip(results) {
        let _ = append.reply.send(result);
    }
}

/// Writes the group in one transaction; returns each append's result and how many appends
/// were committed. An error of the transaction itself (begin, savepoint, commit) fails every
/// append that would have been written.
fn write_group(conn: &mut Connection, group: &[Append]) -> Result<(Vec<Result<Appended>>, u64)> {
    let mut tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    let mut results = Vec::with_capacity(group.len());
    if let [append] = group {
        // Alone: the transaction is the savepoint.
        results.push(apply(&tx, append));
    } else {
        for append in group {
            let savepoint = tx.savepoint().map_err(db_err)?;
            let result = apply(&savepoint, append);
            if result.is_ok() {
                savepoint.commit().map_err(db_err)?;
            } else {
                // rolls this append back (and only it)
                savepoint.finish().map_err(db_err)?;
            }
            results.push(result);
        }
    }
    let written = group
        .iter()
        .zip(&results)
        .filter(|(a, r)| r.is_ok() && !a.rows.is_empty())
        .count() as u64;
    if written == 0 {
        // Nothing to make durable (failed expectations, empty batches): roll back.
        return Ok((results, 0));
    }
    if let Err(e) = tx.commit() {
        let err = db_err(e);
        let results = results
            .into_iter()
            .map(|r| r.and_then(|_| Err(err.clone())))
            .collect();
        return Ok((results, 0));
    }
    Ok((results, written))
}

/// One append inside the open transaction: the optimistic check against the stream's head,
/// the rows, the new head.
fn apply(conn: &Connection, append: &Append) -> Result<Appended> {
    let Append {
        stream,
        rows,
        expected,
        ..
    } = append;
    let head = conn
        .prepare_cached(SELECT_HEAD)
        .map_err(db_err)?
        .query_row([stream.as_str()], |r| {
            Ok(StreamHead {
                sequence: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                last_event_id: r.get(1)?,
            })
        })
        .optional()
        .map_err(db_err)?
        .unwrap_or_default();
    if !head.satisfies(expected) {
        return Err(head.mismatch(stream, expected));
    }
    let appended = sequences(BACKEND, stream, head.sequence, rows.len())?;
    let Some(last) = rows.last() else {
        return Ok(appended);
    };
    let stored = |sequence: u64| {
        i64::try_from(sequence).map_err(|_| {
            storage(
                Code::OutOfRange,
                format!("stream [{stream}]: sequence {sequence} does not fit SQLite's INTEGER"),
            )
        })
    };
    let mut insert = conn.prepare_cached(INSERT_EVENT).map_err(db_err)?;
    for (row, sequence) in rows.iter().zip(appended.first_sequence..) {
        insert
            .execute(params![
                stream.as_str(),
                stored(sequence)?,
                row.occurred_at,
                row.event_id,
                row.curie,
                row.indexed,
                row.json,
            ])
            .map_err(|e| match e.sqlite_error() {
                Some(f) if f.extended_code == CONSTRAINT_UNIQUE => Error::AlreadyExists {
                    stream: stream.to_string(),
                    what: format!(
                        "an event with occurred_at [{}] (event [{}])",
                        fmt_micros(row.occurred_at),
                        row.event_id
                    ),
                },
                _ => db_err(e),
            })?;
    }
    conn.prepare_cached(UPSERT_HEAD)
        .map_err(db_err)?
        .execute(params![
            stream.as_str(),
            stored(appended.last_sequence)?,
            last.event_id
        ])
        .map_err(db_err)?;
    Ok(appended)
}
