//! Line input from a file or stdin (`-`), with 1-based line numbers.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use crate::exit::CliError;

/// The lines of `path` (`-` = stdin).
pub(crate) fn lines(path: &Path) -> Result<Box<dyn BufRead>, CliError> {
    if path == Path::new("-") {
        return Ok(Box::new(BufReader::new(std::io::stdin())));
    }
    let file = File::open(path)
        .map_err(|e| CliError::usage(format!("cannot open {}: {e}", path.display())))?;
    Ok(Box::new(BufReader::new(file)))
}

/// The number of lines of a file (`None` for stdin or when it cannot be read twice).
pub(crate) fn count_lines(path: &Path) -> Option<u64> {
    if path == Path::new("-") {
        return None;
    }
    let file = File::open(path).ok()?;
    let mut count = 0u64;
    for line in BufReader::new(file).split(b'\n') {
        line.ok()?;
        count += 1;
    }
    Some(count)
}

/// `file:line` for messages.
pub(crate) fn at(path: &Path, line: u64) -> String {
    if path == Path::new("-") {
        format!("stdin:{line}")
    } else {
        format!("{}:{line}", path.display())
    }
}
