//! Checkpoints of a file store's WAL on a thread of their own, so that appends do not wait
//! for them.
//!
//! SQLite copies the WAL back into the database file (a checkpoint) inside the commit that
//! finds the WAL past its limit: the appends of that commit wait for the copy and its flush.
//! Here the write connection reports the WAL's size after each commit (a WAL hook); every
//! [`CHUNK`] new frames it wakes the checkpointer thread, which runs a passive checkpoint on
//! a connection of its own (one that neither blocks the writer nor waits for it) while the
//! writer goes on committing. The writer still checkpoints itself once the WAL reaches
//! [`LIMIT`] frames, as SQLite would on its own: by then little is left to copy, and a
//! checkpoint between two of its transactions completes, which lets the next transaction
//! start the WAL over (one that is copied while commits go on may never catch up).

use std::ffi::c_int;
use std::sync::mpsc;
use std::thread::JoinHandle;

use rusqlite::Connection;
use rusqlite::hooks::Wal;
use rusqlite::wal::CheckpointMode;

use super::{db_err, storage};
use crate::error::{Code, Result};

/// WAL frames at which the writer checkpoints itself (`PRAGMA wal_autocheckpoint`).
pub(super) const LIMIT: c_int = 16_384;

/// New WAL frames after which the checkpointer thread is woken.
const CHUNK: c_int = 1_024;

/// The checkpointer thread of a file store.
pub(super) struct Checkpointer {
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread on `own` (a connection of its own to the store's file) and hooks
    /// the write connection `writer` to it.
    pub(super) fn start(own: Connection, writer: &mut Connection) -> Result<Self> {
        let (wake, woken) = mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("pbjx-sqlite-checkpointer".to_owned())
            .spawn(move || {
                while woken.recv().is_ok() {
                    // Busy (the writer checkpoints itself) or failed: the writer's own
                    // checkpoint at LIMIT still comes.
                    if let Err(e) = own.wal_checkpoint_v2(None::<&str>, CheckpointMode::PASSIVE) {
                        tracing::debug!(error = %e, "background WAL checkpoint did not run");
                    }
                }
            })
            .map_err(|e| {
                storage(
                    Code::Internal,
                    format!("cannot start the checkpointer thread: {e}"),
                )
                .with_source(e)
            })?;
        let mut pace = Pace::default();
        let hook = move |wal: &mut Wal, frames: c_int| {
            match pace.after_commit(frames) {
                // An error here would fail the commit, which has happened: the next commit
                // tries again instead.
                Step::Checkpoint => drop(wal.checkpoint()),
                Step::Wake => drop(wake.try_send(())),
                Step::Nothing => {}
            }
            Ok(())
        };
        writer.wal_hook(Some(hook)).map_err(db_err)?;
        Ok(Self {
            thread: Some(thread),
        })
    }

    /// Unhooks `writer` (which closes the thread's queue) and waits for the thread.
    pub(super) fn stop(&mut self, writer: &mut Connection) {
        let _ = writer.wal_hook(None::<fn(&mut Wal, c_int) -> rusqlite::Result<()>>);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What the writer does after a commit.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// Checkpoint itself: the WAL has reached [`LIMIT`].
    Checkpoint,
    /// Wake the checkpointer: [`CHUNK`] frames were added since it was last woken.
    Wake,
    Nothing,
}

/// When to wake the checkpointer, from the WAL's size after each commit.
#[derive(Default)]
struct Pace {
    /// The WAL's size when the checkpointer was last woken.
    woken_at: c_int,
}

impl Pace {
    fn after_commit(&mut self, frames: c_int) -> Step {
        if frames < self.woken_at {
            self.woken_at = 0; // the WAL started over
        }
        if frames >= LIMIT {
            self.woken_at = 0;
            Step::Checkpoint
        } else if frames - self.woken_at >= CHUNK {
            self.woken_at = frames;
            Step::Wake
        } else {
            Step::Nothing
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checkpointer_is_woken_every_chunk_and_the_writer_checkpoints_at_the_limit() {
        let mut pace = Pace::default();
        let steps: Vec<Step> = [
            10,
            CHUNK - 1,
            CHUNK,
            CHUNK + 5,
            2 * CHUNK - 1,
            2 * CHUNK + 3,
        ]
        .into_iter()
        .map(|frames| pace.after_commit(frames))
        .collect();
        use Step::*;
        assert_eq!(steps, [Nothing, Nothing, Wake, Nothing, Nothing, Wake]);
        // The WAL started over: counted from its new start.
        assert_eq!(pace.after_commit(20), Nothing);
        assert_eq!(pace.after_commit(CHUNK - 1), Nothing);
        assert_eq!(pace.after_commit(CHUNK), Wake);
        // At the limit the writer checkpoints, commit after commit until the WAL starts over.
        assert_eq!(pace.after_commit(LIMIT), Checkpoint);
        assert_eq!(pace.after_commit(LIMIT + 30), Checkpoint);
        assert_eq!(pace.after_commit(40), Nothing);
        assert_eq!(pace.after_commit(CHUNK + 40), Wake);
    }
}
