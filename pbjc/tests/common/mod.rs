//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

/// The `shared/` reference folder (real schema stores, interop data): `$PBJ_SHARED_DIR`, else
/// `shared/` beside the repository. Panics when it is missing: CI always has it.
pub fn shared_dir() -> PathBuf {
    let dir = std::env::var_os("PBJ_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    assert!(
        dir.join("schemas").is_dir(),
        "the reference folder {} is missing: clone the repository beside `shared/` or set \
         PBJ_SHARED_DIR",
        dir.display()
    );
    dir
}

/// `path` as a `/`-separated string (the same on every platform).
#[allow(dead_code)] // not every test binary uses it
pub fn slash_path(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}
