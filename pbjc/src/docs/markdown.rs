//! Markdown text helpers: code spans, table cells, links.

/// `text` as an inline code span, with a backtick fence longer than any backtick run inside.
pub fn code(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// `text` as a code span inside a table cell (`|` escaped; GitHub and mdBook unescape it).
pub fn cell_code(text: &str) -> String {
    code(text).replace('|', "\\|")
}

/// Prose made safe for one table cell: one line, `|` escaped, no raw HTML.
pub fn cell(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `[text](href)`.
pub fn link(text: &str, href: &str) -> String {
    format!("[{text}]({href})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_and_cells() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a"), "`` `a ``");
        assert_eq!(cell("a|b\n  <x>"), "a\\|b &lt;x&gt;");
        assert_eq!(cell_code("^(a|b)$"), "`^(a\\|b)$`");
    }
}
