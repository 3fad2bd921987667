//! Slugs with the JS `isValidSlug` rules, plus the dated-slug helpers.

/// JS `isValidSlug(slug, allowSlashes)`: lowercase `[a-z0-9-]` (and `/` when `allow_slashes`),
/// no leading or trailing `-`/`/`; without slashes no double dashes (`^([a-z0-9]-?)*[a-z0-9]$`),
/// with slashes the dated pattern `^([a-z0-9-]|[a-z0-9-][a-z0-9-\/]*[a-z0-9-])$`.
pub fn is_valid(slug: &str, allow_slashes: bool) -> bool {
    let b = slug.as_bytes();
    let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) if alnum(f) && alnum(l) => {}
        _ => return false,
    }
    if allow_slashes {
        b.iter().all(|c| alnum(c) || *c == b'-' || *c == b'/')
    } else {
        b.iter().all(|c| alnum(c) || *c == b'-') && !slug.contains("--")
    }
}

/// Whether the slug starts with a `YYYY/MM/DD` date (`^\d{4}\/\d{2}\/\d{2}\/?(\S+)?`).
pub fn contains_date(slug: &str) -> bool {
    let b = slug.as_bytes();
    b.len() >= 10
        && b[..10].iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'/',
            _ => c.is_ascii_digit(),
        })
    // `(\S+)?` then `$`-less: anything may follow, but a JS `\s` right after is fine too.
}

/// Removes every leading `YYYY/MM/DD/` from the slug.
pub fn remove_date(slug: &str) -> &str {
    let mut s = slug;
    while s.len() >= 11 && contains_date(s) && s.as_bytes()[10] == b'/' {
        s = &s[11..];
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity() {
        assert!(is_valid("homer-simpson", false));
        assert!(is_valid("a", false));
        assert!(!is_valid("homer--simpson", false));
        assert!(!is_valid("-homer", false));
        assert!(!is_valid("homer-", false));
        assert!(!is_valid("Homer", false));
        assert!(!is_valid("2015/12/25/not-a-simple-slug", false));
        assert!(is_valid("2015/12/25/a-dated-slug", true));
        assert!(!is_valid("/2015/12/25/a", true));
        assert!(!is_valid("", true));
    }

    #[test]
    fn dates() {
        assert!(contains_date("2012/12/12/valid-slug"));
        assert!(!contains_date("invalid-slug"));
        assert_eq!(remove_date("2012/12/12/2013/01/01/bart"), "bart");
        assert_eq!(remove_date("bart"), "bart");
    }
}
