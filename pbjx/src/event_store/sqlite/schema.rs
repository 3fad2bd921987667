//! The tables of [`super::SqliteEventStore`] (its docs show them) and the upgrade of databases
//! written by earlier versions.
//!
//! Version 2 numbers each stream (`pbjx_streams.stream_no`) and keys the per-stream index of
//! events by that number instead of the stream id text. Appends of many streams interleaved
//! insert into the middle of that index at one place per stream; with 8-byte keys instead of
//! ids of 25 to 60 characters a leaf holds several times more entries, so a group commit
//! splits fewer leaves and writes (and fsyncs) fewer pages.

use rusqlite::Connection;

use super::storage;
use crate::error::{Code, Result};
use crate::sqlite::db_err;

/// The schema version written to `PRAGMA user_version`.
pub(super) const VERSION: i64 = 2;

/// The tables of a new database (version 2).
const TABLES: &str = "
CREATE TABLE pbjx_streams (
    stream_no     INTEGER PRIMARY KEY,
    stream_id     TEXT    NOT NULL UNIQUE,
    sequence      INTEGER NOT NULL,
    last_event_id TEXT
);
CREATE TABLE pbjx_events (
    position    INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_no   INTEGER NOT NULL,
    stream_id   TEXT    NOT NULL,
    sequence    INTEGER NOT NULL,
    occurred_at INTEGER NOT NULL,
    event_id    TEXT    NOT NULL,
    curie       TEXT    NOT NULL,
    indexed     INTEGER NOT NULL,
    json        TEXT    NOT NULL,
    UNIQUE (stream_no, occurred_at)
);
CREATE INDEX pbjx_events_event_id ON pbjx_events (event_id);
";

/// Version 1 → 2, in one transaction: the old tables are renamed, the new ones created
/// ([`TABLES`]) and filled with [`COPY_FROM_1`].
const RENAME_1: &str = "
ALTER TABLE pbjx_streams RENAME TO pbjx_streams_v1;
ALTER TABLE pbjx_events RENAME TO pbjx_events_v1;
DROP INDEX IF EXISTS pbjx_events_event_id;
";

/// The rows of version 1 in the tables of version 2: positions, sequences and heads are kept,
/// and so is the `AUTOINCREMENT` high-water mark (positions are still never given twice).
/// Version 1 gave every stream with events a head; a stream without one (not written by this
/// store) gets one from its rows all the same.
const COPY_FROM_1: &str = "
INSERT INTO pbjx_streams (stream_id, sequence, last_event_id)
    SELECT stream_id, sequence, last_event_id FROM pbjx_streams_v1 ORDER BY stream_id;
INSERT INTO pbjx_streams (stream_id, sequence, last_event_id)
    SELECT stream_id, MAX(sequence), NULL FROM pbjx_events_v1
    WHERE stream_id NOT IN (SELECT stream_id FROM pbjx_streams) GROUP BY stream_id;
INSERT INTO pbjx_events
    (position, stream_no, stream_id, sequence, occurred_at, event_id, curie, indexed, json)
    SELECT e.position, s.stream_no, e.stream_id, e.sequence, e.occurred_at, e.event_id,
           e.curie, e.indexed, e.json
    FROM pbjx_events_v1 e JOIN pbjx_streams s ON s.stream_id = e.stream_id
    ORDER BY e.position;
UPDATE sqlite_sequence
    SET seq = MAX(seq, (SELECT seq FROM sqlite_sequence WHERE name = 'pbjx_events_v1'))
    WHERE name = 'pbjx_events';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'pbjx_events', seq FROM sqlite_sequence WHERE name = 'pbjx_events_v1'
    AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'pbjx_events');
DROP TABLE pbjx_events_v1;
DROP TABLE pbjx_streams_v1;
";

/// Creates the tables of a new database, upgrades one of an earlier version, and refuses one
/// of a later version.
pub(super) fn prepare(conn: &Connection) -> Result<()> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(db_err)?;
    let script = match version {
        VERSION => return Ok(()),
        0 => format!("{TABLES}PRAGMA user_version = {VERSION};"),
        1 => format!("{RENAME_1}{TABLES}{COPY_FROM_1}PRAGMA user_version = {VERSION};"),
        _ => {
            return Err(storage(
                Code::FailedPrecondition,
                format!("the database has schema version {version}, this build reads {VERSION}"),
            ));
        }
    };
    // `BEGIN IMMEDIATE` holds the write lock from the start: of two processes opening the same
    // new (or old) database, the second waits and then finds it prepared.
    conn.execute_batch("BEGIN IMMEDIATE").map_err(db_err)?;
    let prepared = conn
        .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
        .and_then(|now| {
            // Another process may have prepared it while this one waited for the lock.
            let ours = now == version;
            if ours {
                conn.execute_batch(&script)?;
            }
            Ok(ours)
        });
    match prepared.and_then(|ours| conn.execute_batch("COMMIT").map(|()| ours)) {
        Ok(ours) => {
            if ours && version != 0 {
                tracing::info!(
                    from = version,
                    to = VERSION,
                    "upgraded the SQLite event store tables"
                );
            }
            Ok(())
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(storage(
                Code::Internal,
                format!("cannot prepare the tables (schema version {version} to {VERSION}): {e}"),
            )
            .with_source(e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn a_new_database_gets_the_current_tables_once() {
        let conn = Connection::open_in_memory().unwrap();
        prepare(&conn).unwrap();
        prepare(&conn).unwrap();
        assert_eq!(count(&conn, "PRAGMA user_version"), VERSION);
        assert_eq!(
            count(
                &conn,
                "SELECT COUNT(*) FROM pragma_table_info('pbjx_events') WHERE name = 'stream_no'"
            ),
            1
        );
    }

    #[test]
    fn a_later_version_is_refused_and_left_alone() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA user_version = 3").unwrap();
        let err = prepare(&conn).unwrap_err();
        assert!(err.to_string().contains("schema version 3"), "{err}");
        assert_eq!(count(&conn, "SELECT COUNT(*) FROM sqlite_master"), 0);
    }
}
