//! [`SqliteCheckpointStore`]: leases and checkpoints in a SQLite file (consumers on one
//! machine).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use super::{CheckpointStore, Lease, expiry};
use crate::consumer::now_millis;
use crate::error::{Code, Error, Result};

const BACKEND: &str = "sqlite";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS pbjx_checkpoints (
    consumer_group TEXT    NOT NULL,
    shard          TEXT    NOT NULL,
    owner          TEXT,
    expires_at     INTEGER NOT NULL DEFAULT 0,
    checkpoint     TEXT,
    finished       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (consumer_group, shard)
) WITHOUT ROWID;
";

/// Leases and checkpoints in the table `pbjx_checkpoints` of a SQLite database (its own file,
/// or the event store's). Every operation is one statement, so processes sharing the file
/// see each other's leases.
///
/// ```
/// use std::time::Duration;
/// use pbjx::consumer::{CheckpointStore, SqliteCheckpointStore};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = SqliteCheckpointStore::open_in_memory()?;
/// store.create_storage().await?;
/// let ttl = Duration::from_secs(10);
/// store.acquire("billing/orders", "shardId-0", "worker-1", ttl).await?.unwrap();
/// assert!(store.checkpoint("billing/orders", "shardId-0", "worker-1", "4900", false, ttl).await?);
/// assert!(store.acquire("billing/orders", "shardId-0", "worker-2", ttl).await?.is_none());
/// # Ok::<(), pbjx::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct SqliteCheckpointStore {
    conn: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteCheckpointStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteCheckpointStore")
            .finish_non_exhaustive()
    }
}

fn db_err(e: rusqlite::Error) -> Error {
    Error::storage(BACKEND, Code::Unavailable, format!("checkpoint store: {e}")).with_source(e)
}

fn to_i64(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

fn read_lease(row: &rusqlite::Row<'_>) -> rusqlite::Result<Lease> {
    Ok(Lease {
        shard: row.get(0)?,
        owner: row.get(1)?,
        expires_at_ms: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
        checkpoint: row.get(3)?,
        finished: row.get::<_, i64>(4)? != 0,
    })
}

impl SqliteCheckpointStore {
    /// Opens (creating if needed) the database file at `path` (WAL mode, 5 s busy timeout).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let conn = crate::sqlite::open_wal(path.as_ref())?;
        Self::from_connection(conn)
    }

    /// A private in-memory database (tests).
    pub fn open_in_memory() -> Result<Self> {
        Self::from_connection(Connection::open_in_memory().map_err(db_err)?)
    }

    fn from_connection(conn: Connection) -> Result<Self> {
        conn.busy_timeout(Duration::from_secs(5)).map_err(db_err)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T> {
        let conn = self.conn.clone();
        let run = move || {
            let conn = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&conn).map_err(db_err)
        };
        crate::sqlite::blocking(run).await
    }
}

#[async_trait::async_trait]
impl CheckpointStore for SqliteCheckpointStore {
    fn name(&self) -> &str {
        BACKEND
    }

    async fn create_storage(&self) -> Result<()> {
        self.with(|conn| conn.execute_batch(SCHEMA)).await
    }

    async fn leases(&self, group: &str) -> Result<Vec<Lease>> {
        let group = group.to_owned();
        self.with(move |conn| {
            let mut statement = conn.prepare_cached(
                "SELECT shard, owner, expires_at, checkpoint, finished FROM pbjx_checkpoints \
                 WHERE consumer_group = ?1 ORDER BY shard",
            )?;
            let rows = statement.query_map(params![group], read_lease)?;
            rows.collect()
        })
        .await
    }

    async fn acquire(
        &self,
        group: &str,
        shard: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<Option<Lease>> {
        let (group, shard, owner) = (group.to_owned(), shard.to_owned(), owner.to_owned());
        let now = now_millis();
        let until = expiry(now, ttl);
        self.with(move |conn| {
            conn.query_row(
                "INSERT INTO pbjx_checkpoints (consumer_group, shard, owner, expires_at) \
                 VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (consumer_group, shard) DO UPDATE SET \
                   owner = excluded.owner, expires_at = excluded.expires_at \
                 WHERE pbjx_checkpoints.owner IS NULL OR pbjx_checkpoints.owner = excluded.owner \
                   OR pbjx_checkpoints.expires_at < ?5 \
                 RETURNING shard, owner, expires_at, checkpoint, finished",
                params![group, shard, owner, to_i64(until), to_i64(now)],
                read_lease,
            )
            .optional()
        })
        .await
    }

    async fn checkpoint(
        &self,
        group: &str,
        shard: &str,
        owner: &str,
        checkpoint: &str,
        finished: bool,
        ttl: Duration,
    ) -> Result<bool> {
        let (group, shard, owner, checkpoint) = (
            group.to_owned(),
            shard.to_owned(),
            owner.to_owned(),
            checkpoint.to_owned(),
        );
        let until = expiry(now_millis(), ttl);
        self.with(move |conn| {
            let changed = conn.execute(
                "UPDATE pbjx_checkpoints SET checkpoint = ?4, finished = ?5, expires_at = ?6 \
                 WHERE consumer_group = ?1 AND shard = ?2 AND owner = ?3",
                params![group, shard, owner, checkpoint, finished, to_i64(until)],
            )?;
            Ok(changed == 1)
        })
        .await
    }

    async fn release(&self, group: &str, shard: &str, owner: &str) -> Result<()> {
        let (group, shard, owner) = (group.to_owned(), shard.to_owned(), owner.to_owned());
        self.with(move |conn| {
            conn.execute(
                "UPDATE pbjx_checkpoints SET owner = NULL, expires_at = 0 \
                 WHERE consumer_group = ?1 AND shard = ?2 AND owner = ?3",
                params![group, shard, owner],
            )
            .map(|_| ())
        })
        .await
    }
}
