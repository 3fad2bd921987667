//! Temporary paths of the tests, unique per process and call, removed on drop.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// `pbjx-{name}-{pid}-{n}` in the temp dir, nothing there yet.
fn unique(name: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("pbjx-{name}-{}-{n}", std::process::id()))
}

/// A SQLite database path, removed with its `-wal` / `-shm` companions (before use too).
pub struct TempDb(pub PathBuf);

impl TempDb {
    pub fn new(name: &str) -> Self {
        let mut path = unique(name).into_os_string();
        path.push(".db");
        let db = Self(path.into());
        db.remove();
        db
    }

    fn remove(&self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        self.remove();
    }
}

/// A folder path, removed with its contents (before use too).
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let path = unique(name);
        let _ = std::fs::remove_dir_all(&path);
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
