//! The single writer of a SQLite event store: a thread that owns the write connection and
//! commits concurrent appends together (group commit).
//!
//! Appends are queued on a channel. The thread takes the first one into a `BEGIN IMMEDIATE`
//! transaction, then every append queued meanwhile (up to [`MAX_GROUP`]), each with its own
//! expectation checked against the head as the earlier appends of the transaction left it,
//! before it writes anything, so a failing expectation fails that append alone and its
//! neighbours go on. An append that fails after it started writing (a duplicate
//! `occurred_at`, an I/O error) is rare: the transaction is rolled back and written again
//! without it (no savepoint per append). When the queue is empty, one `COMMIT` (one WAL fsync
//! with `synchronous=FULL`) makes the whole group durable, and only after it returns is each
//! caller answered. While a commit waits for its fsync, the next appends queue up and form the
//! next group: the more writers, the more appends share an fsync, and a lone writer pays no
//! waiting (its append is the whole group). After a lone append, the thread polls the queue
//! for [`LONE_WAIT`] before it sleeps (on machines with more than one core): a caller that
//! appends in a loop hands over its next append meanwhile, and neither thread then waits for
//! the other to be woken on an idle core. Hand-written rather than taken from a crate: it is
//! the few lines that tie SQLite's transactions to the store's expectation check.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tokio::sync::oneshot;

use super::checkpointer::Checkpointer;
use super::{BACKEND, CONSTRAINT_UNIQUE, db_err, fmt_micros, lock, storage};
use crate::error::{Code, Error, Result};
use crate::event_store::{Appended, ExpectedState, StreamHead, StreamId, sequences};

/// Most appends one transaction gathers.
pub(super) const MAX_GROUP: usize = 512;

/// How long the writer polls the queue after a lone append before it sleeps: longer than a
/// caller takes to be answered and hand over its next append, short enough to cost nothing
/// to a store that appends now and then.
const LONE_WAIT: Duration = Duration::from_micros(100);

const SELECT_HEAD: &str =
    "SELECT stream_no, sequence, last_event_id FROM pbjx_streams WHERE stream_id = ?1";
const INSERT_HEAD: &str =
    "INSERT INTO pbjx_streams (stream_id, sequence, last_event_id) VALUES (?1, ?2, ?3)";
const UPDATE_HEAD: &str =
    "UPDATE pbjx_streams SET sequence = ?2, last_event_id = ?3 WHERE stream_no = ?1";
const INSERT_EVENT: &str = "INSERT INTO pbjx_events \
     (stream_no, stream_id, sequence, occurred_at, event_id, curie, indexed, json) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

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
    checkpointer: Option<Checkpointer>,
    counters: Arc<Counters>,
}

impl Writer {
    /// Starts the writer thread on `conn`, and with `checkpoints` (a connection of its own
    /// to the same file) the [`Checkpointer`] of its WAL.
    pub(super) fn start(mut conn: Connection, checkpoints: Option<Connection>) -> Result<Self> {
        let checkpointer = checkpoints
            .map(|own| Checkpointer::start(own, &mut conn))
            .transpose()?;
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
            checkpointer,
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
        if let Some(checkpointer) = &mut self.checkpointer {
            checkpointer.stop(&mut lock(&self.conn));
        }
    }
}

fn run(conn: &Mutex<Connection>, queue: &mpsc::Receiver<Append>, counters: &Counters) {
    // On one core, polling would only keep the caller from running.
    let poll = std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
    let mut last_group = 1;
    while let Some(first) = next_append(queue, poll && last_group == 1) {
        let mut conn = lock(conn);
        // A panic answers the group's callers with an error (their reply channels close) and
        // leaves the thread serving the next groups; the transaction is rolled back on unwind.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| {
            last_group = commit_group(&mut conn, first, queue, last_group > 1, counters);
        }));
    }
}

/// The next append, or `None` once the queue is closed. With `poll`, the queue is polled
/// for [`LONE_WAIT`] (yielding the core between tries) before the thread sleeps on it. When
/// the caller sits on another core, a sleeping writer costs each append two wake-ups of an
/// idle core; a polling one, one.
fn next_append(queue: &mpsc::Receiver<Append>, poll: bool) -> Option<Append> {
    if poll {
        let since = Instant::now();
        while since.elapsed() < LONE_WAIT {
            match queue.try_recv() {
                Ok(append) => return Some(append),
                Err(mpsc::TryRecvError::Disconnected) => return None,
                Err(mpsc::TryRecvError::Empty) => std::thread::yield_now(),
            }
        }
    }
    queue.recv().ok()
}

type Done = Vec<(Append, Result<Appended>)>;

/// Writes `first` and the appends queued while its transaction is open, commits, answers
/// every caller; returns the size of the group.
fn commit_group(
    conn: &mut Connection,
    first: Append,
    queue: &mpsc::Receiver<Append>,
    expect_company: bool,
    counters: &Counters,
) -> usize {
    let mut done = Vec::new();
    let failure = match write_group(conn, first, queue, expect_company, &mut done) {
        Ok(0) => None,
        Ok(committed) => {
            counters.commits.fetch_add(1, Ordering::Relaxed);
            counters.appends.fetch_add(committed, Ordering::Relaxed);
            None
        }
        Err(e) => Some(e),
    };
    let size = done.len();
    for (append, result) in done {
        // A failed transaction (its commit) fails every append it held.
        let result = match &failure {
            Some(e) => result.and_then(|_| Err(e.clone())),
            None => result,
        };
        let _ = append.reply.send(result);
    }
    size
}

/// One transaction: `first`, then every append queued meanwhile, until the queue is empty or
/// the group full; then one commit. Each append's expectation is checked against the head as
/// the earlier appends of the transaction left it, before it writes anything, so a failed
/// expectation leaves the transaction as it was and its neighbours go on. An append that fails
/// after it started writing (a duplicate `occurred_at`, an I/O error) is taken out: the
/// transaction is rolled back and the others are written again without it (the rare path; no
/// savepoint per append on the common one). Every append taken from the queue ends up in
/// `done` with its own result; returns how many appends were committed, or the error of the
/// transaction itself (nothing of it was committed).
fn write_group(
    conn: &mut Connection,
    first: Append,
    queue: &mpsc::Receiver<Append>,
    expect_company: bool,
    done: &mut Done,
) -> Result<u64> {
    let mut group = vec![first];
    // Under concurrent appends (the last group had company), let the writers that are about
    // to queue theirs run once before concluding the queue is empty.
    let mut take = Some(!expect_company);
    loop {
        let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(e) => {
                let e = db_err(e);
                done.extend(group.into_iter().map(|append| (append, Err(e.clone()))));
                return Ok(0);
            }
        };
        let mut results = Vec::with_capacity(group.len());
        let mut index = 0;
        let dirty = loop {
            if index == group.len() {
                // Only the first pass takes more appends (a retry writes the same group).
                let Some(yielded) = take.as_mut() else {
                    break None;
                };
                if done.len() + group.len() >= MAX_GROUP {
                    break None;
                }
                match queue.try_recv() {
                    Ok(next) => group.push(next),
                    Err(_) if !*yielded => {
                        *yielded = true;
                        std::thread::yield_now();
                        continue;
                    }
                    Err(_) => break None,
                }
            }
            match apply(&tx, &group[index]) {
                Ok(appended) => results.push(Ok(appended)),
                Err(Failed::Clean(e)) => results.push(Err(e)),
                Err(Failed::Dirty(e)) => break Some(e),
            }
            index += 1;
        };
        take = None;
        if let Some(e) = dirty {
            // Undo the transaction, write the others again without this append.
            drop(tx);
            done.push((group.remove(index), Err(e)));
            if group.is_empty() {
                return Ok(0);
            }
            continue;
        }
        let written = group
            .iter()
            .zip(&results)
            .filter(|(append, result)| result.is_ok() && !append.rows.is_empty())
            .count() as u64;
        done.extend(group.into_iter().zip(results));
        if written == 0 {
            // Nothing to make durable (empty batches, failed expectations): roll back.
            return Ok(0);
        }
        tx.commit().map_err(db_err)?;
        return Ok(written);
    }
}

/// How an append failed.
enum Failed {
    /// Before it wrote anything (its expectation, its sequences): the transaction goes on.
    Clean(Error),
    /// After it may have written rows: the transaction must be rolled back.
    Dirty(Error),
}

/// One append inside the open transaction: the optimistic check against the stream's head,
/// the rows, the new head. Everything that can fail without a database error is checked
/// before the first write.
fn apply(conn: &Connection, append: &Append) -> std::result::Result<Appended, Failed> {
    let Append {
        stream,
        rows,
        expected,
        ..
    } = append;
    let found = conn
        .prepare_cached(SELECT_HEAD)
        .and_then(|mut select| {
            select
                .query_row([stream.as_str()], |r| {
                    let head = StreamHead {
                        sequence: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                        last_event_id: r.get(2)?,
                    };
                    Ok((r.get::<_, i64>(0)?, head))
                })
                .optional()
        })
        .map_err(|e| Failed::Dirty(db_err(e)))?;
    let (stream_no, head) = match found {
        Some((stream_no, head)) => (Some(stream_no), head),
        None => (None, StreamHead::default()),
    };
    if !head.satisfies(expected) {
        return Err(Failed::Clean(head.mismatch(stream, expected)));
    }
    let appended = sequences(BACKEND, stream, head.sequence, rows.len()).map_err(Failed::Clean)?;
    let Some(last) = rows.last() else {
        return Ok(appended);
    };
    // The last sequence fits SQLite's INTEGER, so every one before it does.
    let last_sequence = i64::try_from(appended.last_sequence).map_err(|_| {
        Failed::Clean(storage(
            Code::OutOfRange,
            format!(
                "stream [{stream}]: sequence {} does not fit SQLite's INTEGER",
                appended.last_sequence
            ),
        ))
    })?;
    let first_sequence = last_sequence - (rows.len() as i64 - 1);
    let write = || -> Result<()> {
        let stream_no = match stream_no {
            Some(n) => {
                conn.prepare_cached(UPDATE_HEAD)
                    .and_then(|mut update| update.execute(params![n, last_sequence, last.event_id]))
                    .map_err(db_err)?;
                n
            }
            None => {
                // A new stream: its head row gives it its number.
                conn.prepare_cached(INSERT_HEAD)
                    .and_then(|mut insert| {
                        insert.execute(params![stream.as_str(), last_sequence, last.event_id])
                    })
                    .map_err(db_err)?;
                conn.last_insert_rowid()
            }
        };
        insert_rows(conn, stream_no, stream, rows, first_sequence)
    };
    write().map_err(Failed::Dirty)?;
    Ok(appended)
}

/// Inserts `rows` with the sequences from `first_sequence` on.
fn insert_rows(
    conn: &Connection,
    stream_no: i64,
    stream: &StreamId,
    rows: &[NewRow],
    first_sequence: i64,
) -> Result<()> {
    let mut insert = conn.prepare_cached(INSERT_EVENT).map_err(db_err)?;
    for (row, sequence) in rows.iter().zip(first_sequence..) {
        insert
            .execute(params![
                stream_no,
                stream.as_str(),
                sequence,
                row.occurred_at,
                row.event_id,
                row.curie,
                row.indexed,
                row.json,
            ])
            .map_err(|e| match e.sqlite_error() {
                Some(f) if f.extended_code == CONSTRAINT_UNIQUE => duplicate(stream, row),
                _ => db_err(e),
            })?;
    }
    Ok(())
}

/// The error of a row whose `occurred_at` the stream already has.
fn duplicate(stream: &StreamId, row: &NewRow) -> Error {
    Error::AlreadyExists {
        stream: stream.to_string(),
        what: format!(
            "an event with occurred_at [{}] (event [{}])",
            fmt_micros(row.occurred_at),
            row.event_id
        ),
    }
}
