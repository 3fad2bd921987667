//! SQLite plumbing shared by the SQLite backends (the event store, the scheduler and the
//! checkpoint store): opening a file in WAL mode, the per-connection pragmas, mapping
//! rusqlite errors and running database work on tokio's blocking pool.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use crate::error::{Code, Error, Result};
use crate::event_store::Synchronous;

/// The backend name used in errors and logs.
const BACKEND: &str = "sqlite";

fn storage(code: Code, message: impl Into<String>) -> Error {
    Error::storage(BACKEND, code, message)
}

/// Maps a rusqlite error to [`Error::Storage`] with the code a caller can act on (busy or
/// locked: unavailable, retry; full: resource exhausted; corrupt: data loss).
pub(crate) fn db_err(e: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode as C;
    let code = match e.sqlite_error_code() {
        Some(C::DatabaseBusy | C::DatabaseLocked) => Code::Unavailable,
        Some(C::DiskFull | C::OutOfMemory) => Code::ResourceExhausted,
        Some(C::DatabaseCorrupt | C::NotADatabase) => Code::DataLoss,
        Some(C::CannotOpen | C::SystemIoFailure | C::PermissionDenied | C::ReadOnly) => {
            Code::Unavailable
        }
        _ => Code::Internal,
    };
    storage(code, e.to_string()).with_source(e)
}

/// Opens (creating if needed) the database file at `path` and switches it to WAL mode (the
/// event store's, the scheduler's and the checkpoint store's files).
pub(crate) fn open_wal(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(db_err)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(db_err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(storage(
            Code::FailedPrecondition,
            format!("cannot switch {} to WAL mode (got {mode})", path.display()),
        ));
    }
    Ok(conn)
}

/// Sets up one connection: waits up to `busy_timeout` for another process holding the write
/// lock, caches 32 prepared statements, syncs at `synchronous`, keeps temporary tables in
/// memory, then runs `extra_pragmas` (more `PRAGMA ...;` statements, may be empty).
pub(crate) fn configure(
    conn: &Connection,
    busy_timeout: Duration,
    synchronous: Synchronous,
    extra_pragmas: &str,
) -> Result<()> {
    conn.busy_timeout(busy_timeout).map_err(db_err)?;
    conn.set_prepared_statement_cache_capacity(32);
    conn.execute_batch(&format!(
        "PRAGMA synchronous = {}; PRAGMA temp_store = MEMORY; {extra_pragmas}",
        synchronous.pragma()
    ))
    .map_err(db_err)
}

/// Runs database work on tokio's blocking pool (inline when there is no runtime).
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle.spawn_blocking(f).await.map_err(|e| {
            storage(Code::Internal, format!("blocking task failed: {e}")).with_source(e)
        })?,
        Err(_) => f(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_wal_switches_a_file_to_wal_and_configure_sets_the_pragmas() {
        let path = std::env::temp_dir().join(format!("pbjx-sqlite-{:x}.db", fastrand::u64(..)));
        let conn = open_wal(&path).unwrap();
        configure(
            &conn,
            Duration::from_millis(1500),
            Synchronous::Normal,
            "PRAGMA cache_size = -2048;",
        )
        .unwrap();
        let text = |sql: &str| -> String {
            conn.query_row(sql, [], |r| r.get::<_, rusqlite::types::Value>(0))
                .map(|v| format!("{v:?}"))
                .unwrap()
        };
        assert_eq!(text("PRAGMA journal_mode"), "Text(\"wal\")");
        assert_eq!(text("PRAGMA synchronous"), "Integer(1)");
        assert_eq!(text("PRAGMA temp_store"), "Integer(2)");
        assert_eq!(text("PRAGMA cache_size"), "Integer(-2048)");
        assert_eq!(text("PRAGMA busy_timeout"), "Integer(1500)");
        drop(conn);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    #[test]
    fn db_err_maps_a_busy_database_to_unavailable() {
        let e = db_err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            None,
        ));
        assert!(matches!(
            e,
            Error::Storage {
                code: Code::Unavailable,
                ..
            }
        ));
    }
}
