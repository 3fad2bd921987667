//! [`SqliteScheduler`]: the embedded, durable scheduler (feature `sqlite`, on by default).

mod writer;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use pbj::{Flavor, Message, Registry};
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::Notify;

use super::clock::micros;
use super::dispatch::Dispatcher;
use super::queue::{self, Claimed, JobTable};
use super::{STRIPPED_FIELDS, Scheduler, WorkerHandle, WorkerOptions, check_command};
use crate::error::{Error, Result};
use crate::event_store::Synchronous;
use crate::exchange::Pbjx;
use crate::sqlite::{db_err, open_wal};
use crate::time::SendAt;
use writer::Writer;

/// The backend name used in errors and logs.
const BACKEND: &str = "sqlite";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS pbjx_jobs (
    job_id      TEXT    PRIMARY KEY,
    send_at     INTEGER NOT NULL,
    due_at      INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    lease       TEXT,
    lease_until INTEGER,
    payload     TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS pbjx_jobs_due_at ON pbjx_jobs (due_at);
";

const UPSERT: &str = "INSERT INTO pbjx_jobs (job_id, send_at, due_at, attempts, payload) \
     VALUES (?1, ?2, ?2, 0, ?3) ON CONFLICT (job_id) DO UPDATE SET \
     send_at = excluded.send_at, due_at = excluded.due_at, attempts = 0, \
     lease = NULL, lease_until = NULL, payload = excluded.payload";

const CLAIM: &str = "UPDATE pbjx_jobs SET lease = ?1, lease_until = ?2 WHERE job_id IN \
     (SELECT job_id FROM pbjx_jobs WHERE due_at <= ?3 \
      AND (lease_until IS NULL OR lease_until <= ?3) ORDER BY due_at LIMIT ?4) \
     RETURNING job_id, send_at, attempts, payload";

/// Options for [`SqliteScheduler::open_with`].
#[derive(Debug, Clone)]
pub struct SqliteSchedulerOptions {
    synchronous: Synchronous,
    busy_timeout: Duration,
}

impl Default for SqliteSchedulerOptions {
    /// [`Synchronous::Full`] (a scheduled job survives power loss), 5 s busy timeout.
    fn default() -> Self {
        Self {
            synchronous: Synchronous::Full,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

impl SqliteSchedulerOptions {
    /// The WAL sync level (see [`crate::event_store::SqliteEventStore`] for the trade-off).
    pub fn with_synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }

    /// How long a transaction waits for another process holding the write lock.
    pub fn with_busy_timeout(mut self, busy_timeout: Duration) -> Self {
        self.busy_timeout = busy_timeout;
        self
    }
}

/// A scheduler keeping its jobs in a SQLite database (a file, or memory for tests), and the
/// worker that sends them ([`Self::spawn_worker`]). Cheap to clone (shared state). The file
/// may be the event store's: the table has its own name and the scheduler leaves
/// `PRAGMA user_version` alone.
///
/// # Table
///
/// ```sql
/// CREATE TABLE pbjx_jobs (
///     job_id      TEXT    PRIMARY KEY,
///     send_at     INTEGER NOT NULL,  -- microseconds since the epoch: when the job is due
///     due_at      INTEGER NOT NULL,  -- when it is tried next: send_at, later after a failure
///     attempts    INTEGER NOT NULL DEFAULT 0,  -- failed attempts so far
///     lease       TEXT,              -- the claim holding the job (worker id : claim number)
///     lease_until INTEGER,           -- when that claim expires
///     payload     TEXT    NOT NULL   -- the command, pbj JSON without the stripped fields
/// ) WITHOUT ROWID;
/// CREATE INDEX pbjx_jobs_due_at ON pbjx_jobs (due_at);
/// ```
///
/// # Workers
///
/// A worker claims up to a batch of due jobs in one `UPDATE ... RETURNING` that sets a lease
/// token (unique per claim) and its expiry on jobs that are due and not leased (or whose lease
/// expired). SQLite serializes writers, so two workers, in one process or several, never hold
/// the same job. The worker sends the jobs one by one, in due order, only during the first
/// half of the lease; then it deletes the sent jobs, re-schedules the failed ones (`due_at`
/// later, `attempts` + 1) and hands back the jobs it did not start, each change applying only
/// to jobs still holding its lease (a job replaced by `send_at` meanwhile lost it and is
/// kept). A worker that dies leaves its claimed jobs to be claimed again when the lease
/// expires: a job sent just before the crash is sent again (at least once). Jobs that came due
/// while no worker ran are sent as soon as one starts, once.
///
/// Between claims the worker sleeps until the earliest due time it knows of, at most the poll
/// interval (which bounds how late it notices jobs scheduled by other processes), and wakes at
/// once when this process schedules a job. [`WorkerHandle::shutdown`] lets it finish the job
/// in flight, delete it and hand back the rest.
///
/// # Writes
///
/// One writer thread owns the connection and runs every operation queued meanwhile in one
/// transaction with one commit (group commit): many concurrent `send_at` calls share an fsync.
/// Each operation runs in its own savepoint; callers are answered after the commit.
///
/// ```no_run
/// # async fn demo(pbjx: pbjx::Pbjx) -> pbjx::Result<()> {
/// use pbjx::scheduler::{Scheduler, SqliteScheduler, WorkerOptions};
/// let scheduler = SqliteScheduler::open("jobs.db", pbjx.registry().clone())?;
/// let worker = scheduler.spawn_worker(pbjx.clone(), WorkerOptions::default());
/// println!("{}", scheduler.describe_storage().await?);
/// worker.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SqliteScheduler {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Writer,
    path: Option<PathBuf>,
    registry: Arc<Registry>,
    options: SqliteSchedulerOptions,
    scheduled: Arc<Notify>,
}

impl std::fmt::Debug for SqliteScheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteScheduler")
            .field("path", &self.inner.path)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

fn to_i64(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl SqliteScheduler {
    /// Opens (creating if needed) the database file at `path` in WAL mode with default
    /// options, and creates the jobs table. `registry` decodes stored commands: it must hold
    /// every command type that will be scheduled.
    pub fn open(path: impl AsRef<Path>, registry: impl Into<Arc<Registry>>) -> Result<Self> {
        Self::open_with(path, registry, SqliteSchedulerOptions::default())
    }

    /// Like [`Self::open`] with explicit options.
    pub fn open_with(
        path: impl AsRef<Path>,
        registry: impl Into<Arc<Registry>>,
        options: SqliteSchedulerOptions,
    ) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let conn = open_wal(&path)?;
        Self::from_connection(conn, Some(path), registry.into(), options)
    }

    /// A private in-memory database (for tests): nothing survives the scheduler.
    pub fn open_in_memory(registry: impl Into<Arc<Registry>>) -> Result<Self> {
        let conn = Connection::open_in_memory().map_err(db_err)?;
        Self::from_connection(
            conn,
            None,
            registry.into(),
            SqliteSchedulerOptions::default(),
        )
    }

    fn from_connection(
        conn: Connection,
        path: Option<PathBuf>,
        registry: Arc<Registry>,
        options: SqliteSchedulerOptions,
    ) -> Result<Self> {
        crate::sqlite::configure(&conn, options.busy_timeout, options.synchronous, "")?;
        conn.execute_batch(SCHEMA).map_err(db_err)?;
        Ok(Self {
            inner: Arc::new(Inner {
                writer: Writer::start(conn)?,
                path,
                registry,
                options,
                scheduled: Arc::new(Notify::new()),
            }),
        })
    }

    /// The database file (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// The registry stored commands are decoded with.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.inner.registry
    }

    /// Starts a worker (a tokio task on the current runtime) that sends this scheduler's due
    /// jobs through `pbjx`. Several workers, in this process or others sharing the file, may
    /// run at once.
    pub fn spawn_worker(&self, pbjx: Pbjx, options: WorkerOptions) -> WorkerHandle {
        let table: Arc<dyn JobTable> = self.inner.clone();
        let dispatcher = Dispatcher::new(pbjx, *options.retry());
        WorkerHandle::spawn(move |token| queue::run(table, dispatcher, options, token))
    }

    /// The number of jobs stored (due or not, claimed or not).
    pub async fn job_count(&self) -> Result<u64> {
        self.inner
            .writer
            .run(|conn| {
                conn.query_row("SELECT COUNT(*) FROM pbjx_jobs", [], |r| r.get::<_, i64>(0))
                    .map(|n| u64::try_from(n).unwrap_or(0))
                    .map_err(db_err)
            })
            .await
    }
}

#[async_trait::async_trait]
impl Scheduler for SqliteScheduler {
    fn name(&self) -> &str {
        BACKEND
    }

    async fn create_storage(&self) -> Result<()> {
        self.inner
            .writer
            .run(|conn| conn.execute_batch(SCHEMA).map_err(db_err))
            .await
    }

    async fn describe_storage(&self) -> Result<String> {
        let (jobs, leased, next): (i64, i64, Option<i64>) = self
            .inner
            .writer
            .run(|conn| {
                conn.query_row(
                    "SELECT COUNT(*), COUNT(lease), MIN(due_at) FROM pbjx_jobs",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .map_err(db_err)
            })
            .await?;
        let mut out = String::from("SQLite scheduler\n");
        let file = self
            .inner
            .path
            .as_ref()
            .map_or_else(|| "(in memory)".to_owned(), |p| p.display().to_string());
        let _ = writeln!(out, "file: {file}");
        let _ = writeln!(out, "table: pbjx_jobs");
        let _ = writeln!(
            out,
            "synchronous: {}",
            self.inner.options.synchronous.pragma()
        );
        let _ = writeln!(out, "jobs: {jobs} ({leased} claimed by a worker)");
        let next = next.map_or_else(
            || "-".to_owned(),
            |m| super::clock::from_micros(m).to_string(),
        );
        let _ = write!(out, "next due: {next}");
        Ok(out)
    }

    async fn send_at(
        &self,
        command: Arc<dyn Message>,
        at: SendAt,
        job_id: Option<String>,
    ) -> Result<String> {
        check_command(&*command)?;
        let id = super::job_id(job_id)?;
        let mut payload = String::with_capacity(256);
        pbj::codec::encode_into(&mut payload, command.data(), Flavor::Js, &STRIPPED_FIELDS);
        let at = micros(at);
        let key = id.clone();
        self.inner
            .writer
            .run(move |conn| {
                conn.prepare_cached(UPSERT)
                    .and_then(|mut s| s.execute(params![key, at, payload]))
                    .map_err(db_err)
            })
            .await?;
        self.inner.scheduled.notify_one();
        Ok(id)
    }

    async fn cancel_jobs(&self, job_ids: Vec<String>) -> Result<()> {
        if job_ids.is_empty() {
            return Ok(());
        }
        self.inner
            .writer
            .run(move |conn| {
                let mut delete = conn
                    .prepare_cached("DELETE FROM pbjx_jobs WHERE job_id = ?1")
                    .map_err(db_err)?;
                for id in &job_ids {
                    delete.execute([id]).map_err(db_err)?;
                }
                Ok(())
            })
            .await
    }
}

/// Runs `sql` once per job id with `?1` = the lease and `?2` = the job id.
fn per_job(conn: &Connection, sql: &str, lease: &str, job_ids: &[String]) -> Result<()> {
    let mut stmt = conn.prepare_cached(sql).map_err(db_err)?;
    for id in job_ids {
        stmt.execute(params![lease, id]).map_err(db_err)?;
    }
    Ok(())
}

/// A claimed row before its payload is decoded.
struct RawJob {
    job_id: String,
    send_at: i64,
    attempts: i64,
    payload: String,
}

#[async_trait::async_trait]
impl JobTable for Inner {
    async fn claim(
        &self,
        now: i64,
        lease: &str,
        lease_until: i64,
        limit: usize,
    ) -> Result<Vec<Claimed>> {
        let lease = lease.to_owned();
        let rows = self
            .writer
            .run(move |conn| {
                let mut stmt = conn.prepare_cached(CLAIM).map_err(db_err)?;
                let rows = stmt
                    .query_map(params![lease, lease_until, now, to_i64(limit)], |r| {
                        Ok(RawJob {
                            job_id: r.get(0)?,
                            send_at: r.get(1)?,
                            attempts: r.get(2)?,
                            payload: r.get(3)?,
                        })
                    })
                    .map_err(db_err)?;
                rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let command =
                    pbj::codec::decode(&row.payload, &self.registry).map_err(|e| Error::Corrupt {
                        backend: BACKEND.to_owned(),
                        location: format!("job [{}]", row.job_id),
                        message: format!("the stored command does not decode: {e}"),
                    });
                Claimed {
                    job_id: row.job_id,
                    send_at: row.send_at,
                    attempts: u32::try_from(row.attempts).unwrap_or(0),
                    command,
                }
            })
            .collect())
    }

    async fn delete(&self, lease: &str, job_ids: Vec<String>) -> Result<()> {
        let lease = lease.to_owned();
        self.writer
            .run(move |conn| {
                per_job(
                    conn,
                    "DELETE FROM pbjx_jobs WHERE lease = ?1 AND job_id = ?2",
                    &lease,
                    &job_ids,
                )
            })
            .await
    }

    async fn reschedule(&self, lease: &str, job_id: &str, attempts: u32, due: i64) -> Result<()> {
        let (lease, job_id) = (lease.to_owned(), job_id.to_owned());
        self.writer
            .run(move |conn| {
                conn.prepare_cached(
                    "UPDATE pbjx_jobs SET due_at = ?3, attempts = ?4, lease = NULL, \
                     lease_until = NULL WHERE lease = ?1 AND job_id = ?2",
                )
                .and_then(|mut s| s.execute(params![lease, job_id, due, attempts]))
                .map(drop)
                .map_err(db_err)
            })
            .await
    }

    async fn release(&self, lease: &str, job_ids: Vec<String>) -> Result<()> {
        let lease = lease.to_owned();
        self.writer
            .run(move |conn| {
                per_job(
                    conn,
                    "UPDATE pbjx_jobs SET lease = NULL, lease_until = NULL \
                     WHERE lease = ?1 AND job_id = ?2",
                    &lease,
                    &job_ids,
                )
            })
            .await
    }

    async fn next_due(&self) -> Result<Option<i64>> {
        self.writer
            .run(|conn| {
                conn.query_row(
                    "SELECT due_at FROM pbjx_jobs WHERE lease IS NULL ORDER BY due_at LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db_err)
            })
            .await
    }

    fn scheduled(&self) -> Arc<Notify> {
        self.scheduled.clone()
    }
}
