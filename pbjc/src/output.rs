//! Generated files and writing them to an output folder.

use std::path::{Path, PathBuf};

use crate::config::Error;

/// A generated file: its path relative to the output folder, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Relative path, `/`-separated components.
    pub path: PathBuf,
    /// The file's text.
    pub contents: String,
}

/// Writes every file under `dir`, creating folders as needed; a file that already holds its
/// text is left untouched (no mtime churn). Returns how many files were written.
pub fn write_files(dir: &Path, files: &[OutputFile]) -> Result<usize, Error> {
    let mut written = 0;
    for file in files {
        let path = dir.join(&file.path);
        if std::fs::read(&path).ok().as_deref() == Some(file.contents.as_bytes()) {
            continue;
        }
        let parent = path.parent().unwrap_or(dir);
        std::fs::create_dir_all(parent).map_err(|source| Error::Io {
            path: parent.to_path_buf(),
            source,
        })?;
        std::fs::write(&path, &file.contents).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        written += 1;
    }
    Ok(written)
}
