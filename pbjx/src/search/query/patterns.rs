//! The original tokenizer's regular expressions, with PCRE's semantics kept where they differ
//! from the `regex` crate's defaults.
//!
//! - The input is split with one `/(…)|(…)|…/iu` pattern. In PHP, `u` turns on PCRE's UTF and
//!   UCP modes: `\s` is White_Space plus U+180E, `\w` is `[\p{L}\p{N}_]`, and `i` folds `[a-z]`
//!   to also match `K` (U+212A) and `ſ` (U+017F), as `(?i)` does here. `\p{..}` classes are not
//!   case-folded by PCRE, so `(?i)` is applied only to the alternatives that spell letters.
//! - The checks made on each chunk use the same patterns without `u`: PCRE then works on bytes
//!   with ASCII classes, which is `regex::bytes` with `(?-u)`.
//! - Alternation and greedy repetition follow the same leftmost-first preference as PCRE's
//!   backtracking, so anchored matches end where the original's end. The emoticon's lookbehind
//!   `(?<=^|\s)` is evaluated by the tokenizer ([`Patterns::emoticon_at`]).

use std::sync::LazyLock;

use regex::Regex;
use regex::bytes::Regex as BytesRegex;

/// `Tokenizer::REGEX_EMOTICON` without its lookbehind. The fifth alternative really is
/// `:-?\|:-?/` (an escaped `|` in the original).
const EMOTICON: &str = concat!(
    r">:-?\(|:-?\)|<3|:'\(|:-?\|:-?/|:-?\(|:-?\*|:-?\||:o\)|:-?o|=-?\)|:-?D|:-?p|:-?P|:-?b",
    r"|;-?p|;-?P|;-?b|;-?\)",
);

/// The class of `Tokenizer::REGEX_EMOJI`'s first alternative (single emoji code points).
const EMOJI_CLASS: &str = concat!(
    r"\x{2712}\x{2714}\x{2716}\x{271d}\x{2721}\x{2728}\x{2733}\x{2734}\x{2744}\x{2747}\x{274c}",
    r"\x{274e}\x{2753}-\x{2755}\x{2757}\x{2763}\x{2764}\x{2795}-\x{2797}\x{27a1}\x{27b0}",
    r"\x{27bf}\x{2934}\x{2935}\x{2b05}-\x{2b07}\x{2b1b}\x{2b1c}\x{2b50}\x{2b55}\x{3030}",
    r"\x{303d}\x{1f004}\x{1f0cf}\x{1f170}\x{1f171}\x{1f17e}\x{1f17f}\x{1f18e}",
    r"\x{1f191}-\x{1f19a}\x{1f201}\x{1f202}\x{1f21a}\x{1f22f}\x{1f232}-\x{1f23a}\x{1f250}",
    r"\x{1f251}\x{1f300}-\x{1f321}\x{1f324}-\x{1f393}\x{1f396}\x{1f397}\x{1f399}-\x{1f39b}",
    r"\x{1f39e}-\x{1f3f0}\x{1f3f3}-\x{1f3f5}\x{1f3f7}-\x{1f4fd}\x{1f4ff}-\x{1f53d}",
    r"\x{1f549}-\x{1f54e}\x{1f550}-\x{1f567}\x{1f56f}\x{1f570}\x{1f573}-\x{1f579}\x{1f587}",
    r"\x{1f58a}-\x{1f58d}\x{1f590}\x{1f595}\x{1f596}\x{1f5a5}\x{1f5a8}\x{1f5b1}\x{1f5b2}",
    r"\x{1f5bc}\x{1f5c2}-\x{1f5c4}\x{1f5d1}-\x{1f5d3}\x{1f5dc}-\x{1f5de}\x{1f5e1}\x{1f5e3}",
    r"\x{1f5ef}\x{1f5f3}\x{1f5fa}-\x{1f64f}\x{1f680}-\x{1f6c5}\x{1f6cb}-\x{1f6d0}",
    r"\x{1f6e0}-\x{1f6e5}\x{1f6e9}\x{1f6eb}\x{1f6ec}\x{1f6f0}\x{1f6f3}\x{1f910}-\x{1f918}",
    r"\x{1f980}-\x{1f984}\x{1f9c0}\x{3297}\x{3299}\x{a9}\x{ae}\x{203c}\x{2049}\x{2122}\x{2139}",
    r"\x{2194}-\x{2199}\x{21a9}\x{21aa}\x{231a}\x{231b}\x{2328}\x{2388}\x{23cf}",
    r"\x{23e9}-\x{23f3}\x{23f8}-\x{23fa}\x{24c2}\x{25aa}\x{25ab}\x{25b6}\x{25c0}",
    r"\x{25fb}-\x{25fe}\x{2600}-\x{2604}\x{260e}\x{2611}\x{2614}\x{2615}\x{2618}\x{261d}",
    r"\x{2620}\x{2622}\x{2623}\x{2626}\x{262a}\x{262e}\x{262f}\x{2638}-\x{263a}",
    r"\x{2648}-\x{2653}\x{2660}\x{2663}\x{2665}\x{2666}\x{2668}\x{267b}\x{267f}",
    r"\x{2692}-\x{2694}\x{2696}\x{2697}\x{2699}\x{269b}\x{269c}\x{26a0}\x{26a1}\x{26aa}",
    r"\x{26ab}\x{26b0}\x{26b1}\x{26bd}\x{26be}\x{26c4}\x{26c5}\x{26c8}\x{26ce}\x{26cf}\x{26d1}",
    r"\x{26d3}\x{26d4}\x{26e9}\x{26ea}\x{26f0}-\x{26f5}\x{26f7}-\x{26fa}\x{26fd}\x{2702}",
    r"\x{2705}\x{2708}-\x{270d}\x{270f}",
);

/// The middle alternatives of `REGEX_EMOJI`: keycaps and flags, two code points each.
const EMOJI_PAIRS: &str = concat!(
    r"\x{23}\x{20e3}|\x{2a}\x{20e3}|\x{30}\x{20e3}|\x{31}\x{20e3}|\x{32}\x{20e3}",
    r"|\x{33}\x{20e3}|\x{34}\x{20e3}|\x{35}\x{20e3}|\x{36}\x{20e3}|\x{37}\x{20e3}",
    r"|\x{38}\x{20e3}|\x{39}\x{20e3}",
    r"|\x{1f1e6}[\x{1f1e8}-\x{1f1ec}\x{1f1ee}\x{1f1f1}\x{1f1f2}\x{1f1f4}\x{1f1f6}-\x{1f1fa}\x{1f1fc}\x{1f1fd}\x{1f1ff}]",
    r"|\x{1f1e7}[\x{1f1e6}\x{1f1e7}\x{1f1e9}-\x{1f1ef}\x{1f1f1}-\x{1f1f4}\x{1f1f6}-\x{1f1f9}\x{1f1fb}\x{1f1fc}\x{1f1fe}\x{1f1ff}]",
    r"|\x{1f1e8}[\x{1f1e6}\x{1f1e8}\x{1f1e9}\x{1f1eb}-\x{1f1ee}\x{1f1f0}-\x{1f1f5}\x{1f1f7}\x{1f1fa}-\x{1f1ff}]",
    r"|\x{1f1e9}[\x{1f1ea}\x{1f1ec}\x{1f1ef}\x{1f1f0}\x{1f1f2}\x{1f1f4}\x{1f1ff}]",
    r"|\x{1f1ea}[\x{1f1e6}\x{1f1e8}\x{1f1ea}\x{1f1ec}\x{1f1ed}\x{1f1f7}-\x{1f1fa}]",
    r"|\x{1f1eb}[\x{1f1ee}-\x{1f1f0}\x{1f1f2}\x{1f1f4}\x{1f1f7}]",
    r"|\x{1f1ec}[\x{1f1e6}\x{1f1e7}\x{1f1e9}-\x{1f1ee}\x{1f1f1}-\x{1f1f3}\x{1f1f5}-\x{1f1fa}\x{1f1fc}\x{1f1fe}]",
    r"|\x{1f1ed}[\x{1f1f0}\x{1f1f2}\x{1f1f3}\x{1f1f7}\x{1f1f9}\x{1f1fa}]",
    r"|\x{1f1ee}[\x{1f1e8}-\x{1f1ea}\x{1f1f1}-\x{1f1f4}\x{1f1f6}-\x{1f1f9}]",
    r"|\x{1f1ef}[\x{1f1ea}\x{1f1f2}\x{1f1f4}\x{1f1f5}]",
    r"|\x{1f1f0}[\x{1f1ea}\x{1f1ec}-\x{1f1ee}\x{1f1f2}\x{1f1f3}\x{1f1f5}\x{1f1f7}\x{1f1fc}\x{1f1fe}\x{1f1ff}]",
    r"|\x{1f1f1}[\x{1f1e6}-\x{1f1e8}\x{1f1ee}\x{1f1f0}\x{1f1f7}-\x{1f1fb}\x{1f1fe}]",
    r"|\x{1f1f2}[\x{1f1e6}\x{1f1e8}-\x{1f1ed}\x{1f1f0}-\x{1f1ff}]",
    r"|\x{1f1f3}[\x{1f1e6}\x{1f1e8}\x{1f1ea}-\x{1f1ec}\x{1f1ee}\x{1f1f1}\x{1f1f4}\x{1f1f5}\x{1f1f7}\x{1f1fa}\x{1f1ff}]",
    r"|\x{1f1f4}\x{1f1f2}",
    r"|\x{1f1f5}[\x{1f1e6}\x{1f1ea}-\x{1f1ed}\x{1f1f0}-\x{1f1f3}\x{1f1f7}-\x{1f1f9}\x{1f1fc}\x{1f1fe}]",
    r"|\x{1f1f6}\x{1f1e6}|\x{1f1f7}[\x{1f1ea}\x{1f1f4}\x{1f1f8}\x{1f1fa}\x{1f1fc}]",
    r"|\x{1f1f8}[\x{1f1e6}-\x{1f1ea}\x{1f1ec}-\x{1f1f4}\x{1f1f7}-\x{1f1f9}\x{1f1fb}\x{1f1fd}-\x{1f1ff}]",
    r"|\x{1f1f9}[\x{1f1e6}\x{1f1e8}\x{1f1e9}\x{1f1eb}-\x{1f1ed}\x{1f1ef}-\x{1f1f4}\x{1f1f7}\x{1f1f9}\x{1f1fb}\x{1f1fc}\x{1f1ff}]",
    r"|\x{1f1fa}[\x{1f1e6}\x{1f1ec}\x{1f1f2}\x{1f1f8}\x{1f1fe}\x{1f1ff}]",
    r"|\x{1f1fb}[\x{1f1e6}\x{1f1e8}\x{1f1ea}\x{1f1ec}\x{1f1ee}\x{1f1f3}\x{1f1fa}]",
    r"|\x{1f1fc}[\x{1f1eb}\x{1f1f8}]|\x{1f1fd}\x{1f1f0}|\x{1f1fe}[\x{1f1ea}\x{1f1f9}]",
);

/// The last alternative of `REGEX_EMOJI`, the only one the original's `$` applies to.
const EMOJI_LAST: &str = r"\x{1f1ff}[\x{1f1e6}\x{1f1f2}\x{1f1fc}]";

/// PCRE's UCP `\s` as a class body: Unicode White_Space plus U+180E.
const UCP_SPACE: &str = r"\s\x{180E}";

/// Every pattern, compiled once.
pub(super) struct Patterns {
    split_emoticon: Regex,
    split_url: Regex,
    split_phrase: Regex,
    split_field: Regex,
    split_word: Regex,
    /// `/^REGEX_EMOTICON$/`
    pub emoticon: BytesRegex,
    emoji_start: Regex,
    emoji_pair_at: Regex,
    emoji_pair_in: Regex,
    emoji_end: Regex,
    /// `/^REGEX_URL$/`
    pub url: BytesRegex,
    /// `/^REGEX_FIELD$/`
    pub field: BytesRegex,
    /// `/^REGEX_PHRASE$/`
    pub phrase: BytesRegex,
    /// `/^REGEX_HASHTAG$/`
    pub hashtag: BytesRegex,
    /// `/^REGEX_MENTION$/`
    pub mention: BytesRegex,
    /// `/^REGEX_DATE$/`
    pub date: BytesRegex,
    /// `/REGEX_WORD_MINIMUM/u` (unanchored: one letter or ASCII digit anywhere).
    pub word_minimum: Regex,
}

static PATTERNS: LazyLock<Option<Patterns>> = LazyLock::new(Patterns::compile);

/// The compiled patterns (`None` only if a pattern above failed to compile, which a unit test
/// rules out).
pub(super) fn patterns() -> Option<&'static Patterns> {
    PATTERNS.as_ref()
}

impl Patterns {
    fn compile() -> Option<Self> {
        let re = |p: &str| Regex::new(p).ok();
        let bytes = |p: &str| BytesRegex::new(&format!("(?-u)^(?:{p})$")).ok();
        Some(Self {
            split_emoticon: re(&format!("^(?i:{EMOTICON})"))?,
            split_url: re(&format!(
                r"^[+-]?[\p{{L}}\p{{N}}_-]+://[^{UCP_SPACE}/$.?#].[^{UCP_SPACE}^~]*"
            ))?,
            split_phrase: re(r#"^[+-]?"(?:""|[^"])*""#)?,
            split_field: re(r"^(?i:[+-]?[a-zA-Z_]+(?:[a-zA-Z0-9_.\-]+)?:)")?,
            split_word: re(&format!(r"^[+-]?[^{UCP_SPACE}()\\^<>\[\]{{}}~=]*"))?,
            emoticon: bytes(EMOTICON)?,
            emoji_start: re(&format!("^[{EMOJI_CLASS}]"))?,
            emoji_pair_at: re(&format!("^(?:{EMOJI_PAIRS})"))?,
            emoji_pair_in: re(EMOJI_PAIRS)?,
            emoji_end: re(&format!("(?:{EMOJI_LAST})$"))?,
            url: bytes(r"[+-]?[\w-]+://[^\s/$.?#].[^\s^~]*")?,
            field: bytes(r"[+-]?[a-zA-Z_]+(?:[a-zA-Z0-9_.\-]+)?:")?,
            phrase: bytes(r#"[+-]?"(?:""|[^"])*""#)?,
            hashtag: bytes(r"[+-]?#+[a-zA-Z0-9_]+")?,
            mention: bytes(r"[+-]?@+[a-zA-Z0-9_]+(?:[a-zA-Z0-9_.\-]+)?")?,
            date: bytes(r"[+-]?\d{4}-\d{2}-\d{2}")?,
            word_minimum: re(r"[a-zA-Z0-9\p{L}]")?,
        })
    }

    /// `/^REGEX_EMOJI$/u`: `value` starts with an emoji code point, holds a keycap or flag pair
    /// anywhere (`has_pair`, see [`Patterns::has_emoji_pair`]), or ends with one of the last
    /// alternative's flags.
    pub fn is_emoji(&self, value: &str, has_pair: impl FnOnce() -> bool) -> bool {
        self.emoji_start.is_match(value) || has_pair() || self.emoji_end.is_match(value)
    }

    /// Whether a keycap or flag pair of `REGEX_EMOJI` occurs in `value`.
    pub fn has_emoji_pair(&self, value: &str) -> bool {
        self.emoji_pair_in.is_match(value)
    }

    /// Byte offset of the last keycap or flag pair of `REGEX_EMOJI` in `text`: a suffix of
    /// `text` holds a pair exactly when it starts at or before this offset.
    pub fn last_emoji_pair(&self, text: &str) -> Option<usize> {
        text.char_indices()
            .rev()
            .map(|(i, _)| i)
            .find(|&i| self.emoji_pair_at.is_match(&text[i..]))
    }

    /// Length of the split pattern's match at byte `at` of `input`: the first alternative that
    /// matches (emoticon, url, phrase, field, word), as PCRE tries them. The word alternative
    /// matches the empty string where nothing else does.
    pub fn split_match_len(&self, input: &str, at: usize) -> usize {
        let rest = &input[at..];
        if let Some(len) = self.emoticon_at(input, at) {
            return len;
        }
        [
            &self.split_url,
            &self.split_phrase,
            &self.split_field,
            &self.split_word,
        ]
        .into_iter()
        .find_map(|re| re.find(rest).map(|m| m.end()))
        .unwrap_or(0)
    }

    /// The emoticon alternative at `at`, with its lookbehind `(?<=^|\s)`.
    fn emoticon_at(&self, input: &str, at: usize) -> Option<usize> {
        let after_space = input[..at].chars().next_back().is_none_or(is_ucp_space);
        if !after_space {
            return None;
        }
        self.split_emoticon.find(&input[at..]).map(|m| m.end())
    }
}

/// PCRE's `\s` in UCP mode.
fn is_ucp_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{180E}'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        assert!(patterns().is_some());
    }

    #[test]
    fn emoji_anchors_bind_to_the_first_and_last_alternative_only() {
        let p = patterns().unwrap();
        let emoji = |v: &str| p.is_emoji(v, || p.has_emoji_pair(v));
        assert!(emoji("😀"));
        assert!(emoji("😀ORAND"));
        assert!(emoji("x#\u{20e3}x"));
        assert!(emoji("x\u{1f1ff}\u{1f1e6}"));
        assert!(!emoji("x\u{1f1ff}\u{1f1e6}x"));
        assert!(!emoji("x😀"));
        let flags = "\u{1f1e6}\u{1f1e8}\u{1f1e6}x";
        assert_eq!(p.last_emoji_pair(flags), Some(4));
        assert_eq!(p.last_emoji_pair("abc"), None);
    }

    #[test]
    fn split_alternatives_are_tried_in_order() {
        let p = patterns().unwrap();
        assert_eq!(p.split_match_len(" :)x", 1), 2);
        // Without a space before it, `:)` is not an emoticon: the word stops at `)`.
        assert_eq!(p.split_match_len("a:)x", 1), 1);
        assert_eq!(p.split_match_len(" http://a b", 1), 10);
        assert_eq!(p.split_match_len(" \"a\"\"b\" c", 1), 6);
        assert_eq!(p.split_match_len(" ſ:", 1), 3);
        assert_eq!(p.split_match_len(" (", 1), 0);
    }
}
