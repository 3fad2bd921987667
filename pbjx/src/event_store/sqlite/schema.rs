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

/// Version 1 → 2, in one transaction: the tables are copied into the new layout (positions,
/// sequences, heads and the `AUTOINCREMENT` high-water mark kept, so positions are still never
/// given twice). Version 1 gave every stream with events a head; a stream without one (not
/// written by this store) gets one from its rows all the same.
const UPGRADE_FROM_1: &str = "
ALTER TABLE pbjx_streams RENAME TO pbjx_streams_v1;
ALTER TABLE pbjx_events RENAME TO pbjx_events_v1;
DROP INDEX IF EXISTS pbjx_events_event_id;
CREATE TABLE pbjx_streams (
    stream_no     INTEGER PRIMARY KEY,
    stream_id     TEXT    NOT NULL UNIQUE,
    sequence      INTEGER NOT NULL,
    last_event_id TEXT
);
INSERT INTO pbjx_streams (stream_id, sequence, last_event_id)
    SELECT stream_id, sequence, last_event_id FROM pbjx_streams_v1 ORDER BY stream_id;
INSERT INTO pbjx_streams (stream_id, sequence, last_event_id)
    SELECT stream_id, MAX(sequence), NULL FROM pbjx_events_v1
    WHERE stream_id NOT IN (SELECT stream_id FROM pbjx_streams) GROUP BY stream_id;
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
CREATE INDEX pbjx_events_event_id ON pbjx_events (event_id);
PRAGMA user_version = 2;
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
        1 => UPGRADE_FROM_1.to_owned(),
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
            if now == version {
                conn.execute_batch(&script)
            } else {
                Ok(())
            }
        });
    match prepared.and_then(|()| conn.execute_batch("COMMIT")) {
        Ok(()) => Ok(()),
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

    /// The tables as version 1 created them.
    const VERSION_1: &str = "
    CREATE TABLE pbjx_events (
        position    INTEGER PRIMARY KEY AUTOINCREMENT,
        stream_id   TEXT    NOT NULL,
        sequence    INTEGER NOT NULL,
        occurred_at INTEGER NOT NULL,
        event_id    TEXT    NOT NULL,
        curie       TEXT    NOT NULL,
        indexed     INTEGER NOT NULL,
        json        TEXT    NOT NULL,
        UNIQUE (stream_id, occurred_at)
    );
    CREATE INDEX pbjx_events_event_id ON pbjx_events (event_id);
    CREATE TABLE pbjx_streams (
        stream_id     TEXT PRIMARY KEY,
        sequence      INTEGER NOT NULL,
        last_event_id TEXT
    ) WITHOUT ROWID;
    PRAGMA user_version = 1;
    ";

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
    fn version_1_is_upgraded_keeping_rows_heads_and_the_position_high_water_mark() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(VERSION_1).unwrap();
        for (stream, sequence, at, id) in [
            ("acme:a", 1, 10, "e1"),
            ("acme:b", 1, 11, "e2"),
            ("acme:a", 2, 12, "e3"),
            ("acme:b", 2, 13, "e4"),
        ] {
            conn.execute(
                "INSERT INTO pbjx_events (stream_id, sequence, occurred_at, event_id, curie, \
                 indexed, json) VALUES (?1, ?2, ?3, ?4, 'acme:x:event:y', 0, '{}')",
                rusqlite::params![stream, sequence, at, id],
            )
            .unwrap();
        }
        // The last event was deleted: its position must not be given again.
        conn.execute_batch(
            "DELETE FROM pbjx_events WHERE event_id = 'e4';
             INSERT INTO pbjx_streams VALUES ('acme:a', 2, 'e3'), ('acme:b', 2, 'e2');",
        )
        .unwrap();

        prepare(&conn).unwrap();

        assert_eq!(count(&conn, "PRAGMA user_version"), 2);
        let rows: Vec<(i64, String, i64, i64)> = conn
            .prepare(
                "SELECT e.position, e.stream_id, e.sequence, s.stream_no FROM pbjx_events e \
                 JOIN pbjx_streams s USING (stream_id) ORDER BY e.position",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let streams: Vec<i64> = rows.iter().map(|r| r.3).collect();
        assert_eq!(
            rows.iter()
                .map(|r| (r.0, r.1.as_str(), r.2))
                .collect::<Vec<_>>(),
            [(1, "acme:a", 1), (2, "acme:b", 1), (3, "acme:a", 2)]
        );
        assert_eq!(streams[0], streams[2]);
        assert_ne!(streams[0], streams[1]);
        assert_eq!(
            count(
                &conn,
                "SELECT sequence FROM pbjx_streams WHERE stream_id = 'acme:b'"
            ),
            2
        );
        conn.execute(
            "INSERT INTO pbjx_events (stream_no, stream_id, sequence, occurred_at, event_id, \
             curie, indexed, json) VALUES (?1, 'acme:a', 3, 14, 'e5', 'acme:x:event:y', 0, '{}')",
            [streams[0]],
        )
        .unwrap();
        assert_eq!(
            count(
                &conn,
                "SELECT position FROM pbjx_events WHERE event_id = 'e5'"
            ),
            5,
            "position 4 (deleted) is not given again"
        );
        assert_eq!(
            count(
                &conn,
                "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '%_v1'"
            ),
            0
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
