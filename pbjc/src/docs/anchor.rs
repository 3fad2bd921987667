//! Heading anchors as GitHub and mdBook compute them, and relative links between pages.
//!
//! Both lowercase the heading text, drop every character that is not alphanumeric, `-` or `_`,
//! turn spaces into `-`, and suffix a repeated anchor with `-1`, `-2`, … in page order. The
//! catalogue's headings only use lowercase words, digits and `-`, so both agree on every
//! anchor.

use std::collections::BTreeMap;

/// The anchor GitHub and mdBook give a heading with this text (before de-duplication).
pub fn slug(heading: &str) -> String {
    heading
        .chars()
        .filter_map(|c| match c {
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_ascii_lowercase()),
            ' ' => Some('-'),
            _ => None,
        })
        .collect()
}

/// The anchors of one page, in heading order.
#[derive(Debug, Default)]
pub struct PageAnchors {
    seen: BTreeMap<String, usize>,
}

impl PageAnchors {
    /// Registers the next heading of the page and returns its anchor.
    pub fn add(&mut self, heading: &str) -> String {
        let base = slug(heading);
        let count = self.seen.entry(base.clone()).or_insert(0);
        let anchor = match *count {
            0 => base,
            n => format!("{base}-{n}"),
        };
        *count += 1;
        anchor
    }
}

/// The link from page `from` to page `to` (both `/`-separated paths relative to the
/// catalogue's root).
pub fn relative(from: &str, to: &str) -> String {
    let from_dir: Vec<&str> = match from.rsplit_once('/') {
        Some((dir, _)) => dir.split('/').collect(),
        None => Vec::new(),
    };
    let to_parts: Vec<&str> = to.split('/').collect();
    let common = from_dir
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<&str> = vec![".."; from_dir.len() - common];
    parts.extend(&to_parts[common..]);
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_duplicates() {
        assert_eq!(slug("command create-node v1"), "command-create-node-v1");
        assert_eq!(slug("gdbots:ncr"), "gdbotsncr");
        let mut a = PageAnchors::default();
        assert_eq!(a.add("enum foo v1"), "enum-foo-v1");
        assert_eq!(a.add("enum foo-v1"), "enum-foo-v1-1");
    }

    #[test]
    fn relative_links() {
        assert_eq!(relative("README.md", "gdbots/ncr.md"), "gdbots/ncr.md");
        assert_eq!(relative("gdbots/ncr.md", "gdbots/pbjx.md"), "pbjx.md");
        assert_eq!(relative("acme/iam.md", "gdbots/ncr.md"), "../gdbots/ncr.md");
        assert_eq!(relative("gdbots/ncr.md", "README.md"), "../README.md");
    }
}
