//! Exit codes and the CLI's error type.

use std::fmt;
use std::process::ExitCode;

/// The exit codes of `pbjx`, stable for scripts.
///
/// | code | meaning |
/// |---|---|
/// | 0 | everything succeeded |
/// | 1 | failure: the operation failed (message rejected, backend error, remote error envelope) |
/// | 2 | usage: bad arguments, bad configuration file, unknown curie, missing backend |
/// | 3 | partial failure: finished, but lines or events were skipped (`--skip-invalid`, `--skip-errors`) |
/// | 4 | not confirmed: replay or reindex declined at the prompt, or no terminal to ask and no `--yes` |
///
/// ```
/// assert_eq!(pbjx_cli::Exit::Partial.code(), 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success.
    Ok,
    /// 1: the operation failed.
    Failure,
    /// 2: the command line or the configuration is wrong.
    Usage,
    /// 3: done, but some lines or events were skipped.
    Partial,
    /// 4: the confirmation was declined (or could not be asked).
    NotConfirmed,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
            Exit::Partial => 3,
            Exit::NotConfirmed => 4,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}

/// An error that ends the command with an [`Exit`] code and a message on stderr.
#[derive(Debug)]
pub struct CliError {
    /// The exit code.
    pub exit: Exit,
    /// What went wrong (names the file, line, stream or table where known).
    pub message: String,
}

impl CliError {
    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Usage,
            message: message.into(),
        }
    }

    /// A failure (exit 1).
    pub fn failure(message: impl Into<String>) -> Self {
        Self {
            exit: Exit::Failure,
            message: message.into(),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// An error with its source chain on one line (`a: b: c`).
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(next) = source {
        let part = next.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = next.source();
    }
    text
}

impl From<pbjx::Error> for CliError {
    fn from(error: pbjx::Error) -> Self {
        Self::failure(chain(&error))
    }
}

/// The result of a command: the exit code to end with.
pub type CliResult<T = Exit> = Result<T, CliError>;

/// Writes one line to stdout. A closed stdout (`pbjx events export | head`) or any other write
/// error ends the command with an error instead of the panic of `println!`.
pub(crate) fn print_line(line: fmt::Arguments<'_>) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_fmt(line)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(|e| CliError::failure(format!("cannot write to stdout: {e}")))
}
