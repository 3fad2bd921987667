//! Hashtags with the JS `isValidHashtag` rules.

/// JS `isValidHashtag`: after stripping leading `#`, 1..=139 chars of `[a-zA-Z0-9_]`, not
/// starting with `_`, with at least one ASCII letter (so `1_2` is invalid, unlike PHP).
pub fn is_valid(hashtag: &str) -> bool {
    let tag = hashtag.trim_start_matches('#');
    !tag.is_empty()
        && tag.len() <= 139
        && !tag.starts_with('_')
        && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && tag.bytes().any(|b| b.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn js_examples() {
        let long_ok = "A".repeat(139);
        for v in [
            "#HomerSimpsonIsCool",
            "2Cellos",
            "50_Cent",
            "Has_Underscores",
            long_ok.as_str(),
            "##a",
        ] {
            assert!(is_valid(v), "{v}");
        }
        let too_long = "A".repeat(140);
        for v in [
            "Homer-Simpson-Is-Cool",
            "_CannotStartWithUnderscore",
            too_long.as_str(),
            "1111",
            "1111_",
            "1_2",
            "BeyoncéKnowles",
            "",
            "#",
            "#_",
            "_1_2_3_4",
            "a b",
        ] {
            assert!(!is_valid(v), "{v}");
        }
    }
}
