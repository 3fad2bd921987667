//! [`SqliteEventStore`]: the embedded, durable event store (feature `sqlite`, on by default);
//! its docs describe the schema, durability and concurrency.

mod checkpointer;
mod paged;
mod schema;
mod writer;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_core::future::BoxFuture;
use pbj::{Message, Microtime, Registry};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use super::{
    Appended, BoxStream, EventStore, ExpectedState, SliceQuery, StoredEvent, StreamId, StreamSlice,
    check_events, event_id, occurred_at,
};
use crate::error::{Code, Error, Result};
use crate::sqlite::{blocking, db_err, open_wal};
use paged::{Page, Paged};
pub use writer::WriterStats;
use writer::{NewRow, Writer};

/// The backend name used in errors and logs.
const BACKEND: &str = "sqlite";

const ROW_COLUMNS: &str = "position, stream_id, sequence, occurred_at, json, stream_no";

/// `SQLITE_CONSTRAINT_UNIQUE`.
const CONSTRAINT_UNIQUE: std::ffi::c_int = 2067;

/// How hard SQLite syncs the WAL (see the module docs for the trade-off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// `synchronous = FULL`: every commit is fsynced; survives power loss. The default.
    #[default]
    Full,
    /// `synchronous = NORMAL`: no fsync per commit; survives process crashes, may lose the last
    /// commits on power loss or an OS crash (never corrupts).
    Normal,
}

impl Synchronous {
    pub(crate) fn pragma(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }

    /// The name of a `PRAGMA synchronous` value as SQLite reports it (0..=3).
    pub(crate) fn name_of(value: i64) -> &'static str {
        match value {
            0 => "OFF",
            1 => "NORMAL",
            2 => "FULL",
            3 => "EXTRA",
            _ => "unknown",
        }
    }
}

/// Options for [`SqliteEventStore::open_with`].
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// WAL sync level (default [`Synchronous::Full`]).
    pub synchronous: Synchronous,
    /// How long a writer waits for another process holding the write lock (default 5 s).
    pub busy_timeout: Duration,
    /// Rows per page for `pipe_events`, `pipe_all_events` and [`SqliteEventStore::pipe_all_from`]
    /// (default 500).
    pub page_size: usize,
    /// Idle read-only connections kept for reads of a file database (default 4).
    pub max_idle_readers: usize,
    /// Page cache per connection in KiB (default 16 MiB).
    pub cache_size_kib: u32,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            synchronous: Synchronous::Full,
            busy_timeout: Duration::from_secs(5),
            page_size: 500,
            max_idle_readers: 4,
            cache_size_kib: 16 * 1024,
        }
    }
}

/// One event of [`SqliteEventStore::pipe_all_from`] with its global position (the checkpoint).
#[derive(Debug, Clone)]
pub struct PositionedEvent {
    /// The global position of the row (append order across all streams; never reused).
    pub position: u64,
    /// The event, or [`Error::Corrupt`] when the stored row cannot be decoded.
    pub event: Result<StoredEvent>,
}

/// An event store in a SQLite database (a file, or memory for tests). Cheap to clone (shared
/// state).
///
/// # Schema (version 2)
///
/// ```sql
/// CREATE TABLE pbjx_streams (                        -- one head per stream
///     stream_no     INTEGER PRIMARY KEY,             -- the stream's number in pbjx_events
///     stream_id     TEXT    NOT NULL UNIQUE,
///     sequence      INTEGER NOT NULL,                -- last sequence given (never reused)
///     last_event_id TEXT                             -- last appended event still stored
/// );
/// CREATE TABLE pbjx_events (
///     position    INTEGER PRIMARY KEY AUTOINCREMENT, -- global append order, never reused
///     stream_no   INTEGER NOT NULL,                  -- pbjx_streams.stream_no
///     stream_id   TEXT    NOT NULL,
///     sequence    INTEGER NOT NULL,                  -- gapless per stream: 1, 2, 3, ... (given
///                                                    -- from the head row inside the append's
///                                                    -- transaction, so it needs no index)
///     occurred_at INTEGER NOT NULL,                  -- microseconds since the epoch
///     event_id    TEXT    NOT NULL,
///     curie       TEXT    NOT NULL,
///     indexed     INTEGER NOT NULL,                  -- 1 when the event uses gdbots:pbjx:mixin:indexed
///     json        TEXT    NOT NULL,                  -- the event, pbj JSON (JS flavour)
///     UNIQUE (stream_no, occurred_at)                -- slices; a number, not the id text, so
///                                                    -- interleaved appends split fewer pages
/// );
/// CREATE INDEX pbjx_events_event_id ON pbjx_events (event_id);
/// ```
///
/// A database of version 1 (the index keyed by the stream id text) is upgraded when opened,
/// in one transaction; a database of a later version is refused.
///
/// # Durability
///
/// The database runs in WAL mode. With [`Synchronous::Full`] (the default) every committed
/// append is fsynced to the WAL before `put_events` returns, so it survives a process crash,
/// an OS crash and a power loss; concurrent appends share that fsync (group commit, below).
/// [`Synchronous::Normal`] skips that fsync (the WAL is synced only at checkpoints): committed
/// appends still survive a crash of the process (they are in
/// the OS page cache), and the database stays consistent after a power loss, but the last
/// appends before an OS crash or power loss may be rolled back. Pick `Normal` for throughput
/// when the host is trusted (or the events can be replayed from elsewhere).
///
/// # Concurrency
///
/// **Group commit.** One writer thread owns the write connection. Appends are queued to it;
/// it writes every append queued at that moment in one `BEGIN IMMEDIATE` transaction, each
/// append with its own optimistic check (against the head as the earlier appends of the
/// transaction left it) made before it writes anything, so one failing expectation fails only
/// that append, and sequences stay gapless. An append that fails after it started writing (a
/// duplicate `occurred_at`, an I/O error) is taken out: the transaction is rolled back and
/// written again without it, so its neighbours still succeed. One `COMMIT` (and one fsync)
/// makes the group durable, and only then is each caller answered. A lone writer gets a
/// transaction per append; 16 concurrent writers share one fsync between many appends
/// ([`Self::writer_stats`] counts them). Every append is handed to the writer thread and its
/// answer back; after a lone append the writer polls its queue for 100 µs before it sleeps
/// (with more than one core), so a caller appending in a loop does not wait for an idle core
/// to wake the writer each time (BENCHMARKS.md measures it). Transactions of several
/// processes on one file are serialized by SQLite's lock (the writer waits up to
/// [`SqliteOptions::busy_timeout`] for it).
///
/// **Checkpoints.** A file's WAL is copied back into the database file by a checkpointer
/// thread on a connection of its own, woken every 1,024 new WAL frames, while the writer goes
/// on committing; appends do not wait for those copies. The writer checkpoints itself only
/// when the WAL reaches 16,384 frames (SQLite's `wal_autocheckpoint`), which then has little
/// left to copy and lets the WAL start over.
///
/// Reads of a file database use a small pool of read-only connections on tokio's blocking
/// pool (`spawn_blocking`) and see the last committed state (WAL snapshots), so they do not
/// wait for writers. JSON encoding happens on the caller's task before an append is queued;
/// decoding happens outside the connection locks. The store also works without a tokio
/// runtime (reads then run inline; appends need any executor).
///
/// # Example
///
/// ```no_run
/// # async fn demo() -> pbjx::Result<()> {
/// use pbjx::event_store::{EventStore, SqliteEventStore};
/// let mut registry = pbjx::pbj::Registry::new();
/// pbjx::register(&mut registry); // plus the application's event types
/// let store = SqliteEventStore::open("events.db", registry)?;
/// println!("{}", store.describe_storage().await?);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SqliteEventStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SqliteEventStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteEventStore")
            .field("path", &self.inner.path)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

struct Inner {
    writer: Writer,
    /// `None` for an in-memory database (reads use the writer connection).
    path: Option<PathBuf>,
    readers: Mutex<Vec<Connection>>,
    registry: Arc<Registry>,
    options: SqliteOptions,
}

/// A row as read, before decoding.
struct RawRow {
    position: i64,
    stream_id: String,
    sequence: i64,
    occurred_at: i64,
    json: String,
    stream_no: i64,
}

fn storage(code: Code, message: impl Into<String>) -> Error {
    Error::storage(BACKEND, code, message)
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave a transaction open (rusqlite rolls back on
    // drop), so the connection is still usable.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn micros(m: Microtime) -> Result<i64> {
    i64::try_from(m.as_micros()).map_err(|_| Error::InvalidArgument {
        message: format!("occurred_at [{m}] is out of range"),
    })
}

fn bound(m: Option<Microtime>, default: i64) -> Result<i64> {
    m.map_or(Ok(default), micros)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        position: row.get(0)?,
        stream_id: row.get(1)?,
        sequence: row.get(2)?,
        occurred_at: row.get(3)?,
        json: row.get(4)?,
        stream_no: row.get(5)?,
    })
}

fn configure(conn: &Connection, options: &SqliteOptions) -> Result<()> {
    let cache = -i64::from(options.cache_size_kib);
    crate::sqlite::configure(
        conn,
        options.busy_timeout,
        options.synchronous,
        &format!(
            "PRAGMA cache_size = {cache}; PRAGMA wal_autocheckpoint = {};",
            checkpointer::LIMIT
        ),
    )
}

impl SqliteEventStore {
    /// Opens (creating if needed) the database file at `path` with default options, in WAL
    /// mode, and creates the tables. `registry` decodes stored events: it must hold every
    /// event type the store will read (call [`crate::register`] for the core types).
    pub fn open(path: impl AsRef<Path>, registry: impl Into<Arc<Registry>>) -> Result<Self> {
        Self::open_with(path, registry, SqliteOptions::default())
    }

    /// Like [`Self::open`] with explicit options.
    pub fn open_with(
        path: impl AsRef<Path>,
        registry: impl Into<Arc<Registry>>,
        options: SqliteOptions,
    ) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let conn = open_wal(&path)?;
        Self::from_connection(conn, Some(path), registry.into(), options)
    }

    /// A private in-memory database (for tests): nothing survives the store.
    pub fn open_in_memory(registry: impl Into<Arc<Registry>>) -> Result<Self> {
        let conn = Connection::open_in_memory().map_err(db_err)?;
        Self::from_connection(conn, None, registry.into(), SqliteOptions::default())
    }

    fn from_connection(
        conn: Connection,
        path: Option<PathBuf>,
        registry: Arc<Registry>,
        mut options: SqliteOptions,
    ) -> Result<Self> {
        options.page_size = options.page_size.max(1);
        configure(&conn, &options)?;
        schema::prepare(&conn)?;
        // A file's WAL is checkpointed on a connection of its own (an in-memory database
        // has no WAL).
        let checkpoints = match &path {
            Some(path) => {
                let own = open_wal(path)?;
                configure(&own, &options)?;
                Some(own)
            }
            None => None,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                writer: Writer::start(conn, checkpoints)?,
                path,
                readers: Mutex::new(Vec::new()),
                registry,
                options,
            }),
        })
    }

    /// The database file (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// The registry stored events are decoded with.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.inner.registry
    }

    /// How many appends were committed in how many transactions since the store was opened
    /// (group commit: under concurrent appends, fewer commits than appends).
    pub fn writer_stats(&self) -> WriterStats {
        self.inner.writer.stats()
    }

    /// The global position of the last appended row (0 when the store is empty): a consumer
    /// starting now can pass it to [`Self::pipe_all_from`] to see only later events.
    pub async fn last_position(&self) -> Result<u64> {
        let inner = self.inner.clone();
        blocking(move || {
            inner.read(|conn| {
                conn.query_row(
                    "SELECT COALESCE(MAX(position), 0) FROM pbjx_events",
                    [],
                    |r| r.get::<_, i64>(0),
                )
                .map(to_u64)
                .map_err(db_err)
            })
        })
        .await
    }

    /// Every stored event after global position `after` (0 = from the start), in append order
    /// across all streams, with its position, paged. A consumer checkpoints the position of the
    /// last event it processed and resumes with it after a restart. A row that does not decode
    /// is yielded with [`Error::Corrupt`] (and its position) and the stream goes on; an outer
    /// error means the database failed and ends the stream.
    pub fn pipe_all_from(&self, after: u64) -> BoxStream<'static, Result<PositionedEvent>> {
        let inner = self.inner.clone();
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        Box::pin(Paged::new(after, move |after: i64| {
            let inner = inner.clone();
            Box::pin(blocking(move || {
                let rows = inner.page(
                    "position > ?1 ORDER BY position LIMIT ?2",
                    params![after, inner.limit()],
                )?;
                let next = inner.next_cursor(&rows, |r| r.position);
                let items = rows
                    .into_iter()
                    .map(|row| {
                        Ok(PositionedEvent {
                            position: to_u64(row.position),
                            event: inner.decode(&row),
                        })
                    })
                    .collect();
                Ok::<Page<i64, PositionedEvent>, Error>((items, next))
            })) as BoxFuture<'static, _>
        }))
    }
}

impl Inner {
    /// Runs `f` on a read connection: a pooled read-only one for files, the writer in memory.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let Some(path) = &self.path else {
            return f(&self.writer.connection());
        };
        let pooled = lock(&self.readers).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => {
                let conn = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY
                        | OpenFlags::SQLITE_OPEN_NO_MUTEX
                        | OpenFlags::SQLITE_OPEN_URI,
                )
                .map_err(db_err)?;
                configure(&conn, &self.options)?;
                conn
            }
        };
        let result = f(&conn);
        let mut idle = lock(&self.readers);
        if idle.len() < self.options.max_idle_readers {
            idle.push(conn);
        }
        result
    }

    /// Rows of one page: `SELECT {ROW_COLUMNS} FROM pbjx_events WHERE {clause}`.
    fn page(&self, clause: &str, params: impl rusqlite::Params) -> Result<Vec<RawRow>> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {ROW_COLUMNS} FROM pbjx_events WHERE {clause}"
                ))
                .map_err(db_err)?;
            let rows = stmt.query_map(params, read_row).map_err(db_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
        })
    }

    /// The page size as a SQL parameter.
    fn limit(&self) -> i64 {
        i64::try_from(self.options.page_size).unwrap_or(i64::MAX)
    }

    /// The cursor after a full page (`None` after the last page).
    fn next_cursor<C>(&self, rows: &[RawRow], cursor: impl Fn(&RawRow) -> C) -> Option<C> {
        (rows.len() >= self.options.page_size)
            .then(|| rows.last().map(cursor))
            .flatten()
    }

    fn decode(&self, row: &RawRow) -> Result<StoredEvent> {
        let corrupt = |message: String| Error::Corrupt {
            backend: BACKEND.to_owned(),
            location: format!("stream [{}] position [{}]", row.stream_id, row.position),
            message,
        };
        let stream_id = StreamId::parse(&row.stream_id).map_err(|e| corrupt(e.to_string()))?;
        let sequence = u64::try_from(row.sequence)
            .map_err(|_| corrupt(format!("negative sequence {}", row.sequence)))?;
        let mut event = pbj::codec::decode(&row.json, &self.registry)
            .map_err(|e| corrupt(format!("the stored event does not decode: {e}")))?;
        event.freeze();
        Ok(StoredEvent {
            stream_id,
            sequence,
            event: Arc::from(event),
        })
    }

    fn decode_all(&self, rows: &[RawRow]) -> Result<Vec<StoredEvent>> {
        rows.iter().map(|row| self.decode(row)).collect()
    }

    fn delete(&self, event_id: &str) -> Result<()> {
        let mut conn = self.writer.connection();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_err)?;
        {
            let streams: Vec<i64> = {
                let mut stmt = tx
                    .prepare_cached(
                        "SELECT DISTINCT stream_no FROM pbjx_events WHERE event_id = ?1",
                    )
                    .map_err(db_err)?;
                stmt.query_map([event_id], |r| r.get(0))
                    .map_err(db_err)?
                    .collect::<rusqlite::Result<_>>()
                    .map_err(db_err)?
            };
            if streams.is_empty() {
                return Ok(());
            }
            tx.execute("DELETE FROM pbjx_events WHERE event_id = ?1", [event_id])
                .map_err(db_err)?;
            // The head keeps its sequence (sequences are never reused); where the deleted
            // event was the etag, the etag moves to the remaining event with the highest
            // sequence (NULL when none is left).
            let mut fix = tx
                .prepare_cached(
                    "UPDATE pbjx_streams SET last_event_id = \
                     (SELECT event_id FROM pbjx_events WHERE stream_no = ?1 \
                      ORDER BY sequence DESC LIMIT 1) \
                     WHERE stream_no = ?1 AND last_event_id = ?2",
                )
                .map_err(db_err)?;
            for stream in &streams {
                fix.execute(params![stream, event_id]).map_err(db_err)?;
            }
        }
        tx.commit().map_err(db_err)
    }
}

fn fmt_micros(v: i64) -> String {
    let v = to_u64(v);
    Microtime::new(v / 1_000_000, (v % 1_000_000) as u32)
        .map(|m| m.to_string())
        .unwrap_or_else(|| v.to_string())
}

fn new_rows(stream: &StreamId, events: &[Arc<dyn Message>]) -> Result<Vec<NewRow>> {
    check_events(events)?;
    let mut rows = Vec::with_capacity(events.len());
    for event in events {
        let (Some(id), Some(at)) = (event_id(&**event), occurred_at(&**event)) else {
            return Err(Error::InvalidArgument {
                message: "events need an event_id and an occurred_at".to_owned(),
            });
        };
        let schema = event.schema();
        rows.push(NewRow {
            event_id: id.to_owned(),
            occurred_at: micros(at)?,
            curie: schema.curie,
            indexed: schema.has_mixin(crate::mixins::INDEXED),
            json: event.to_json(),
        });
    }
    let mut seen: Vec<i64> = rows.iter().map(|r| r.occurred_at).collect();
    seen.sort_unstable();
    if let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::AlreadyExists {
            stream: stream.to_string(),
            what: format!(
                "an event with occurred_at [{}] (twice in the batch)",
                fmt_micros(w[0])
            ),
        });
    }
    Ok(rows)
}

/// `PRAGMA {name}` of `conn` as text.
fn pragma_text(conn: &Connection, sql: &str) -> Result<String> {
    conn.query_row(sql, [], |r| r.get::<_, rusqlite::types::Value>(0))
        .map(|v| match v {
            rusqlite::types::Value::Integer(i) => i.to_string(),
            rusqlite::types::Value::Text(t) => t,
            other => format!("{other:?}"),
        })
        .map_err(db_err)
}

#[async_trait::async_trait]
impl EventStore for SqliteEventStore {
    fn name(&self) -> &str {
        BACKEND
    }

    async fn create_storage(&self) -> Result<()> {
        let inner = self.inner.clone();
        blocking(move || schema::prepare(&inner.writer.connection())).await
    }

    /// Path, SQLite version, schema version, and the settings read back from the write
    /// connection (`PRAGMA journal_mode`, `PRAGMA synchronous`), counts and size.
    async fn describe_storage(&self) -> Result<String> {
        let inner = self.inner.clone();
        blocking(move || {
            let conn = inner.writer.connection();
            let q = |sql: &str| pragma_text(&conn, sql);
            let synchronous: i64 = conn
                .query_row("PRAGMA synchronous", [], |r| r.get(0))
                .map_err(db_err)?;
            let mut out = String::new();
            let location = inner
                .path
                .as_ref()
                .map_or_else(|| ":memory:".to_owned(), |p| p.display().to_string());
            let _ = writeln!(out, "SqliteEventStore");
            let _ = writeln!(out, "  path:           {location}");
            let _ = writeln!(out, "  sqlite:         {}", q("SELECT sqlite_version()")?);
            let _ = writeln!(out, "  schema version: {}", q("PRAGMA user_version")?);
            let _ = writeln!(out, "  journal mode:   {}", q("PRAGMA journal_mode")?);
            let _ = writeln!(
                out,
                "  synchronous:    {} (PRAGMA synchronous = {synchronous})",
                Synchronous::name_of(synchronous)
            );
            let _ = writeln!(
                out,
                "  streams:        {}",
                q("SELECT COUNT(*) FROM pbjx_streams")?
            );
            let _ = writeln!(
                out,
                "  events:         {}",
                q("SELECT COUNT(*) FROM pbjx_events")?
            );
            let _ = writeln!(
                out,
                "  last position:  {}",
                q("SELECT COALESCE(MAX(position), 0) FROM pbjx_events")?
            );
            let stats = inner.writer.stats();
            let _ = writeln!(
                out,
                "  group commit:   {} appends in {} commits since opened",
                stats.appends, stats.commits
            );
            let pages: i64 = q("PRAGMA page_count")?.parse().unwrap_or(0);
            let page_size: i64 = q("PRAGMA page_size")?.parse().unwrap_or(0);
            let _ = write!(out, "  size:           {} bytes", pages * page_size);
            Ok(out)
        })
        .await
    }

    async fn put_events(
        &self,
        stream: &StreamId,
        events: Vec<Arc<dyn Message>>,
        expected: ExpectedState,
    ) -> Result<Appended> {
        let rows = new_rows(stream, &events)?;
        drop(events);
        self.inner
            .writer
            .append(stream.clone(), rows, expected)
            .await
    }

    async fn get_event(&self, event_id: &str) -> Result<StoredEvent> {
        let inner = self.inner.clone();
        let id = event_id.to_owned();
        blocking(move || {
            let row = inner.read(|conn| {
                let mut stmt = conn
                    .prepare_cached(&format!(
                        "SELECT {ROW_COLUMNS} FROM pbjx_events WHERE event_id = ?1 \
                         ORDER BY position LIMIT 1"
                    ))
                    .map_err(db_err)?;
                stmt.query_row([&id], read_row).optional().map_err(db_err)
            })?;
            match row {
                Some(row) => inner.decode(&row),
                None => Err(Error::EventNotFound { event_id: id }),
            }
        })
        .await
    }

    async fn get_events(&self, event_ids: &[String]) -> Result<Vec<StoredEvent>> {
        let inner = self.inner.clone();
        let ids = event_ids.to_vec();
        blocking(move || {
            let mut unique: Vec<&str> = ids.iter().map(String::as_str).collect();
            unique.sort_unstable();
            unique.dedup();
            let mut found: HashMap<String, RawRow> = HashMap::with_capacity(unique.len());
            inner.read(|conn| {
                for chunk in unique.chunks(500) {
                    let placeholders = vec!["?"; chunk.len()].join(",");
                    let mut stmt = conn
                        .prepare(&format!(
                            "SELECT {ROW_COLUMNS}, event_id FROM pbjx_events \
                             WHERE event_id IN ({placeholders}) ORDER BY position DESC"
                        ))
                        .map_err(db_err)?;
                    let rows = stmt
                        .query_map(rusqlite::params_from_iter(chunk.iter()), |r| {
                            Ok((r.get::<_, String>(6)?, read_row(r)?))
                        })
                        .map_err(db_err)?;
                    for row in rows {
                        // Newest first, so the oldest copy of an event wins.
                        let (id, row) = row.map_err(db_err)?;
                        found.insert(id, row);
                    }
                }
                Ok(())
            })?;
            let mut out = Vec::with_capacity(found.len());
            for id in &ids {
                if let Some(row) = found.get(id) {
                    out.push(inner.decode(row)?);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn delete_event(&self, event_id: &str) -> Result<()> {
        let inner = self.inner.clone();
        let id = event_id.to_owned();
        blocking(move || inner.delete(&id)).await
    }

    async fn get_stream_slice(&self, stream: &StreamId, query: SliceQuery) -> Result<StreamSlice> {
        let inner = self.inner.clone();
        let stream = stream.clone();
        blocking(move || {
            let count = query.count.max(1);
            let limit = i64::try_from(count).unwrap_or(i64::MAX - 1) + 1;
            let clause = if query.forward {
                "stream_no = (SELECT stream_no FROM pbjx_streams WHERE stream_id = ?1) \
                 AND occurred_at > ?2 ORDER BY occurred_at LIMIT ?3"
            } else {
                "stream_no = (SELECT stream_no FROM pbjx_streams WHERE stream_id = ?1) \
                 AND occurred_at < ?2 ORDER BY occurred_at DESC LIMIT ?3"
            };
            let since = bound(query.since, if query.forward { i64::MIN } else { i64::MAX })?;
            let mut rows = inner.page(clause, params![stream.as_str(), since, limit])?;
            let has_more = rows.len() > count;
            rows.truncate(count);
            Ok(StreamSlice {
                stream_id: stream,
                events: inner.decode_all(&rows)?,
                forward: query.forward,
                // Reads see every committed append (one database, WAL snapshots).
                consistent: true,
                has_more,
            })
        })
        .await
    }

    fn pipe_events<'a>(
        &'a self,
        stream: &'a StreamId,
        since: Option<Microtime>,
        until: Option<Microtime>,
    ) -> BoxStream<'a, Result<StoredEvent>> {
        let inner = self.inner.clone();
        let stream = stream.clone();
        let start = bound(since, i64::MIN);
        let until = bound(until, i64::MAX);
        Box::pin(Paged::new(start, move |after: Result<i64>| {
            let inner = inner.clone();
            let stream = stream.clone();
            let until = until.clone();
            Box::pin(blocking(move || {
                let rows = inner.page(
                    "stream_no = (SELECT stream_no FROM pbjx_streams WHERE stream_id = ?1) \
                     AND occurred_at > ?2 AND occurred_at < ?3 ORDER BY occurred_at LIMIT ?4",
                    params![stream.as_str(), after?, until?, inner.limit()],
                )?;
                let next = inner.next_cursor(&rows, |r| Ok(r.occurred_at));
                let items = rows.iter().map(|row| inner.decode(row)).collect();
                Ok::<Page<Result<i64>, StoredEvent>, Error>((items, next))
            })) as BoxFuture<'static, _>
        }))
    }

    /// Stream by stream (in the order the streams were created), each by `occurred_at`:
    /// keyset pages over the `(stream_no, occurred_at)` index.
    fn pipe_all_events<'a>(
        &'a self,
        since: Option<Microtime>,
        until: Option<Microtime>,
    ) -> BoxStream<'a, Result<StoredEvent>> {
        let inner = self.inner.clone();
        let bounds = bound(since, i64::MIN).and_then(|s| Ok((s, bound(until, i64::MAX)?)));
        let start = (i64::MIN, i64::MIN);
        Box::pin(Paged::new(start, move |(stream, at): (i64, i64)| {
            let inner = inner.clone();
            let bounds = bounds.clone();
            Box::pin(blocking(move || {
                let (since, until) = bounds?;
                let rows = inner.page(
                    "(stream_no, occurred_at) > (?1, ?2) \
                     AND occurred_at > ?3 AND occurred_at < ?4 \
                     ORDER BY stream_no, occurred_at LIMIT ?5",
                    params![stream, at, since, until, inner.limit()],
                )?;
                let next = inner.next_cursor(&rows, |r| (r.stream_no, r.occurred_at));
                let items = rows.iter().map(|row| inner.decode(row)).collect();
                Ok::<Page<(i64, i64), StoredEvent>, Error>((items, next))
            })) as BoxFuture<'static, _>
        }))
    }
}
