//! Compiler diagnostics: errors and warnings with `file:line:col`, rendered like rustc.
//!
//! [`Diagnostic`] is pbjc's own data model (severity, message, location, label, a related
//! note); rendering is done by `annotate-snippets`, rustc's renderer, plain or with colours.
//!
//! ```
//! use pbjc::{Diagnostic, Diagnostics};
//! use pbjc::model::Location;
//!
//! let file = std::path::PathBuf::from("schemas/acme/blog/command/publish/1-0-0.xml");
//! let mut diags = Diagnostics::new();
//! diags.add_source(file.clone(), r#"<field name="n" type="strin"/>"#.into());
//! let at = Location { file, line: 1, column: 17 };
//! diags.push(Diagnostic::error("unknown field type `strin`", Some(at)).with_label("not a pbj type"));
//! assert!(diags.has_errors());
//! let text = diags.to_string();
//! assert!(text.starts_with("error: unknown field type `strin`\n"));
//! assert!(text.contains("--> schemas/acme/blog/command/publish/1-0-0.xml:1:17"));
//! assert!(text.contains("^^^^^^^^^^^^ not a pbj type"));
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Element, Group, Level, Origin, Renderer, Snippet};

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

    /// Renders one diagnostic like rustc (file:line:col, the source line, a marker under the
    /// offending token), without colours.
    pub fn render(&self, d: &Diagnostic) -> String {
        self.render_with(d, false)
    }

    /// Renders one diagnostic like [`Diagnostics::render`], with ANSI colours when `color`.
    pub fn render_with(&self, d: &Diagnostic, color: bool) -> String {
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        renderer.render(&[self.group(d)])
    }

    /// The annotate-snippets group of one diagnostic: the title, the primary site with its
    /// label, then the related site with its note.
    fn group<'a>(&'a self, d: &'a Diagnostic) -> Group<'a> {
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let mut group = Group::with_title(level.primary_title(d.message.as_str()));
        match &d.location {
            Some(loc) => group = group.elements(self.site(loc, d.label.as_deref(), true)),
            None => group = group.elements(d.label.as_deref().map(|l| Level::NOTE.message(l))),
        }
        if let Some((loc, note)) = &d.note {
            group = group.elements(self.site(loc, Some(note), false));
        }
        group
    }

    /// One annotated site: the source with a marker under the token at `loc` when the file's
    /// text is known, else `file:line:col` followed by the label as a note.
    fn site<'a>(
        &'a self,
        loc: &'a Location,
        label: Option<&'a str>,
        primary: bool,
    ) -> Vec<Element<'a>> {
        let path = loc.file.to_string_lossy();
        let known = self
            .sources
            .get(&loc.file)
            .and_then(|text| token_span(text, loc).map(|span| (text, span)));
        match known {
            Some((text, span)) => {
                let kind = if primary {
                    AnnotationKind::Primary
                } else {
                    AnnotationKind::Context
                };
                let snippet = Snippet::source(&**text)
                    .path(path)
                    .annotation(kind.span(span).label(label));
                vec![snippet.into()]
            }
            None => {
                let origin = Origin::path(path)
                    .line(loc.line as usize)
                    .char_column(loc.column as usize);
                let note = label.map(|l| Level::NOTE.message(l).into());
                std::iter::once(origin.into()).chain(note).collect()
            }
        }
    }
}

/// The byte range of the token starting at `loc` (1-based line and character column): up to
/// the next whitespace, `>` or `/>` outside quotes, and at least one character.
fn token_span(text: &str, loc: &Location) -> Option<Range<usize>> {
    let line_index = usize::try_from(loc.line).ok()?.checked_sub(1)?;
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line_index)
        .map(str::len)
        .sum();
    let line = text.get(line_start..)?.lines().next()?;
    let col = usize::try_from(loc.column).ok()?.checked_sub(1)?;
    let start = line.char_indices().nth(col).map(|(i, _)| i)?;
    let mut quote = None;
    let mut end = start;
    for (i, c) in line[start..].char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if i > 0
                && (c.is_whitespace() || c == '>' || line[start + i..].starts_with("/>")) =>
            {
                break;
            }
            None => {}
        }
        end = start + i + c.len_utf8();
    }
    Some(line_start + start..line_start + end)
}

impl fmt::Display for Diagnostics {
    /// Every diagnostic, rendered without colours, separated by blank lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.items.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "{}", self.render(d))?;
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
