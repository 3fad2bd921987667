//! Compiler diagnostics: errors and warnings with `file:line:col`, rendered like rustc.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::model::Location;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The store is invalid; `pbjc check` exits 1.
    Error,
    /// Suspicious but accepted.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One finding about a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The main message (`error: <message>`).
    pub message: String,
    /// Where it happened (absent for e.g. a missing store directory).
    pub location: Option<Location>,
    /// Short text printed next to the `^` marker.
    pub label: Option<String>,
    /// A related site, e.g. the earlier definition of an overridden field.
    pub note: Option<(Location, String)>,
}

impl Diagnostic {
    /// An error at `location`.
    pub fn error(message: impl Into<String>, location: Option<Location>) -> Self {
        Self {
            severity: Severity::Error,
            message: message.into(),
            location,
            label: None,
            note: None,
        }
    }

    /// A warning at `location`.
    pub fn warning(message: impl Into<String>, location: Option<Location>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(message, location)
        }
    }

    /// Sets the label printed next to the marker.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Adds a related location with a note.
    pub fn with_note(mut self, location: Location, note: impl Into<String>) -> Self {
        self.note = Some((location, note.into()));
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Every diagnostic of a run, plus the source text needed to render them.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    sources: BTreeMap<PathBuf, Arc<str>>,
}

impl Diagnostics {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a diagnostic.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// Registers the text of a file so its lines can be shown.
    pub fn add_source(&mut self, file: PathBuf, text: Arc<str>) {
        self.sources.insert(file, text);
    }

    /// All diagnostics, in report order.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// All diagnostics as a slice.
    pub fn as_slice(&self) -> &[Diagnostic] {
        &self.items
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    /// Number of warnings.
    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    /// Whether there is at least one error.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    /// Whether there are no diagnostics at all.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Number of diagnostics.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Sorts by file, line, column (diagnostics without a location first), then removes
    /// exact duplicates; keeps the report deterministic.
    pub fn sort(&mut self) {
        self.items.sort_by(|a, b| {
            (&a.location, a.severity, &a.message).cmp(&(&b.location, b.severity, &b.message))
        });
        self.items.dedup();
    }

    /// The summary line, e.g. `2 errors, 1 warning`.
    pub fn summary(&self) -> String {
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        format!(
            "{}, {}",
            plural(self.error_count(), "error"),
            plural(self.warning_count(), "warning")
        )
    }

    fn source_line(&self, loc: &Location) -> Option<&str> {
        let text = self.sources.get(&loc.file)?;
        let index = usize::try_from(loc.line).ok()?.checked_sub(1)?;
        text.lines().nth(index)
    }

    fn render_snippet(
        &self,
        f: &mut fmt::Formatter<'_>,
        loc: &Location,
        label: Option<&str>,
        arrow: &str,
    ) -> fmt::Result {
        let line_no = loc.line.to_string();
        let pad = " ".repeat(line_no.len());
        writeln!(
            f,
            "{pad}{arrow} {}:{}:{}",
            loc.file.display(),
            loc.line,
            loc.column
        )?;
        if let Some(line) = self.source_line(loc) {
            let line = line.trim_end();
            writeln!(f, "{pad} |")?;
            writeln!(f, "{line_no} | {line}")?;
            // Column is in characters; keep tabs so the marker lines up.
            let col = usize::try_from(loc.column).unwrap_or(1).saturating_sub(1);
            let indent: String = line
                .chars()
                .take(col)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            match label {
                Some(l) => writeln!(f, "{pad} | {indent}^ {l}")?,
                None => writeln!(f, "{pad} | {indent}^")?,
            }
        } else if let Some(l) = label {
            writeln!(f, "{pad} = {l}")?;
        }
        Ok(())
    }

    /// Renders one diagnostic like rustc.
    pub fn render(&self, d: &Diagnostic) -> String {
        struct One<'a>(&'a Diagnostics, &'a Diagnostic);
        impl fmt::Display for One<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt_one(f, self.1)
            }
        }
        One(self, d).to_string()
    }

    fn fmt_one(&self, f: &mut fmt::Formatter<'_>, d: &Diagnostic) -> fmt::Result {
        writeln!(f, "{}: {}", d.severity, d.message)?;
        if let Some(loc) = &d.location {
            self.render_snippet(f, loc, d.label.as_deref(), "-->")?;
        } else if let Some(l) = &d.label {
            writeln!(f, "  = {l}")?;
        }
        if let Some((loc, note)) = &d.note {
            self.render_snippet(f, loc, Some(note), "::>")?;
        }
        Ok(())
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.items.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            self.fmt_one(f, d)?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl Extend<Diagnostic> for Diagnostics {
    fn extend<T: IntoIterator<Item = Diagnostic>>(&mut self, iter: T) {
        self.items.extend(iter);
    }
}
