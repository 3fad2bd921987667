//! Low-level XML helpers: pbj namespace filtering, positions, typed attribute values.

use std::path::Path;

use roxmltree::{Document, Node};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::Location;

/// The pbj XML namespace.
pub const PBJ_NS: &str = "http://gdbots.io/pbj/xsd";

/// Parses `text` as XML, rejecting a DOCTYPE; a malformed document gives an error at its position.
pub fn parse_document<'a>(
    file: &Path,
    text: &'a str,
    diags: &mut Diagnostics,
) -> Option<Document<'a>> {
    if text.trim().is_empty() {
        diags.push(
            Diagnostic::error(
                "file does not contain valid XML, it is empty",
                Some(Location {
                    file: file.to_path_buf(),
                    line: 1,
                    column: 1,
                }),
            )
            .with_label("empty file"),
        );
        return None;
    }
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..Default::default()
    };
    match Document::parse_with_options(text, options) {
        Ok(doc) => Some(doc),
        Err(e) => {
            let pos = e.pos();
            let message = match e {
                roxmltree::Error::DtdDetected => "document types (DOCTYPE) are not allowed".into(),
                other => {
                    let text = other.to_string();
                    let suffix = format!(" at {}:{}", pos.row, pos.col);
                    format!(
                        "malformed XML: {}",
                        text.strip_suffix(&suffix).unwrap_or(&text)
                    )
                }
            };
            diags.push(
                Diagnostic::error(
                    message,
                    Some(Location {
                        file: file.to_path_buf(),
                        line: pos.row,
                        column: pos.col,
                    }),
                )
                .with_label("here"),
            );
            None
        }
    }
}

/// A parsed document plus the file it came from; hands out locations and reports errors.
pub struct Ctx<'a, 'input> {
    /// The file.
    pub file: &'a Path,
    /// The document.
    pub doc: &'a Document<'input>,
    /// Where errors go.
    pub diags: &'a mut Diagnostics,
}

impl<'input> Ctx<'_, 'input> {
    /// The location of a byte offset.
    pub fn loc_at(&self, pos: usize) -> Location {
        let p = self.doc.text_pos_at(pos);
        Location {
            file: self.file.to_path_buf(),
            line: p.row,
            column: p.col,
        }
    }

    /// The location of a node's start.
    pub fn loc(&self, node: Node) -> Location {
        self.loc_at(node.range().start)
    }

    /// The location of an attribute (falls back to the element).
    pub fn attr_loc(&self, node: Node, name: &str) -> Location {
        node.attributes()
            .find(|a| a.namespace().is_none() && a.name() == name)
            .map_or_else(|| self.loc(node), |a| self.loc_at(a.range().start))
    }

    /// Reports an error.
    pub fn error(&mut self, message: impl Into<String>, loc: Location, label: &str) {
        self.diags
            .push(Diagnostic::error(message, Some(loc)).with_label(label));
    }

    /// Reports a warning.
    pub fn warning(&mut self, message: impl Into<String>, loc: Location, label: &str) {
        self.diags
            .push(Diagnostic::warning(message, Some(loc)).with_label(label));
    }

    /// Child elements in the pbj namespace; other namespaces are ignored.
    pub fn children<'n, 'i>(node: Node<'n, 'i>) -> impl Iterator<Item = Node<'n, 'i>> {
        node.children()
            .filter(|c| c.is_element() && c.tag_name().namespace() == Some(PBJ_NS))
    }

    /// Reports pbj-namespace children not in `allowed` and repeated ones listed in `single`.
    pub fn check_children(&mut self, node: Node, allowed: &[&str], single: &[&str]) {
        let mut seen: Vec<&str> = Vec::new();
        for c in Self::children(node) {
            let name = c.tag_name().name();
            if !allowed.contains(&name) {
                let parent = node.tag_name().name();
                self.error(
                    format!("unknown element <{name}> in <{parent}>"),
                    self.loc(c),
                    &format!("expected one of: {}", allowed.join(", ")),
                );
            } else if single.contains(&name) && seen.contains(&name) {
                self.error(
                    format!("element <{name}> may appear only once"),
                    self.loc(c),
                    "repeated",
                );
            }
            seen.push(name);
        }
    }

    /// Reports attributes without namespace that are not in `allowed` (namespaced ones are ignored).
    pub fn check_attrs(&mut self, node: Node, allowed: &[&str]) {
        for a in node.attributes() {
            if a.namespace().is_none() && !allowed.contains(&a.name()) {
                let el = node.tag_name().name();
                let msg = format!("unknown attribute `{}` on <{el}>", a.name());
                self.error(msg, self.loc_at(a.range().start), "not allowed here");
            }
        }
    }

    /// A required attribute; reports its absence.
    pub fn required_attr<'n>(&mut self, node: Node<'n, '_>, name: &str) -> Option<&'n str> {
        let v = node.attribute(name);
        if v.is_none() {
            let el = node.tag_name().name();
            self.error(
                format!("<{el}> is missing the `{name}` attribute"),
                self.loc(node),
                "here",
            );
        }
        v
    }

    /// An `xsd:boolean` attribute (`true|false|1|0`, surrounding whitespace allowed).
    pub fn bool_attr(&mut self, node: Node, name: &str, default: bool) -> bool {
        let Some(raw) = node.attribute(name) else {
            return default;
        };
        match raw.trim() {
            "true" | "1" => true,
            "false" | "0" => false,
            other => {
                self.error(
                    format!("invalid boolean `{other}` for attribute `{name}`"),
                    self.attr_loc(node, name),
                    "expected true, false, 1 or 0",
                );
                default
            }
        }
    }

    /// An `xsd:integer` attribute.
    pub fn int_attr(&mut self, node: Node, name: &str) -> Option<i64> {
        let raw = node.attribute(name)?;
        match parse_int(raw.trim()) {
            Some(v) => Some(v),
            None => {
                self.error(
                    format!("invalid integer `{raw}` for attribute `{name}`"),
                    self.attr_loc(node, name),
                    "expected an integer",
                );
                None
            }
        }
    }

    /// Trimmed text of an element (text and CDATA); `None` when empty or whitespace-only.
    pub fn text(node: Node) -> Option<String> {
        let mut s = String::new();
        for c in node.children() {
            if c.is_text() {
                s.push_str(c.text().unwrap_or(""));
            }
        }
        let t = s.trim();
        (!t.is_empty()).then(|| t.to_owned())
    }
}

/// Parses an `xsd:integer` (optional sign, decimal digits; no octal/hex guessing).
pub fn parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.strip_prefix('+').unwrap_or(s).parse().ok()
}
