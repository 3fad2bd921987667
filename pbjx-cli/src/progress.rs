//! Progress bars on stderr (rate and ETA), hidden when stderr is not a terminal or with
//! `--quiet`.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar for one long operation.
#[derive(Clone)]
pub(crate) struct Progress {
    bar: ProgressBar,
    quiet: bool,
}

impl Progress {
    /// A bar over `total` items (a spinner with the rate when the total is unknown), labelled
    /// `what`; hidden when `quiet` or when stderr is no terminal.
    pub(crate) fn new(total: Option<u64>, what: &str, quiet: bool) -> Self {
        let visible = !quiet && std::io::stderr().is_terminal();
        let bar = match (visible, total) {
            (false, _) => ProgressBar::hidden(),
            (true, Some(total)) => {
                let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template(
                        "{prefix} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} ({per_sec}, ETA {eta}) {msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar
            }
            (true, None) => {
                let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template(
                        "{spinner} {prefix} [{elapsed_precise}] {human_pos} ({per_sec}) {msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.enable_steady_tick(Duration::from_millis(200));
                bar
            }
        };
        bar.set_prefix(what.to_owned());
        Self { bar, quiet }
    }

    /// Counts `n` more items.
    pub(crate) fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Sets the trailing message (e.g. failures so far).
    pub(crate) fn message(&self, text: String) {
        self.bar.set_message(text);
    }

    /// Prints a line on stderr without garbling the bar (nothing with `--quiet`).
    pub(crate) fn note(&self, line: &str) {
        if !self.quiet {
            self.bar.suspend(|| eprintln!("{line}"));
        }
    }

    /// Prints a warning or error line on stderr (also with `--quiet`).
    pub(crate) fn warn(&self, line: &str) {
        self.bar.suspend(|| eprintln!("{line}"));
    }

    /// Removes the bar.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
