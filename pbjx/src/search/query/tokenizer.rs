//! `Tokenizer::scan` of the original: split the input into chunks with one regex, turn each
//! chunk into tokens with a small state machine (in a field, in a range, in a subquery).

use super::patterns::Patterns;
use super::php;
use super::token::{Kind, Token};

/// The tokens of `input`, whitespace and ignored tokens removed.
pub(super) fn scan(input: &str, patterns: &Patterns) -> Vec<Token> {
    let input = prepare(input);
    let mut t = Tokenizer {
        patterns,
        tokens: Vec::new(),
        last: Kind::WhiteSpace,
        last_word_colon: false,
        in_field: false,
        in_subquery: false,
        in_range: None,
    };
    for chunk in split(&input, patterns) {
        t.extract(php::trim(chunk, php::DEFAULT_TRIM));
        if t.last == Kind::WhiteSpace && t.in_field && t.in_range.is_none() && !t.in_subquery {
            t.in_field = false;
            t.add_op(Kind::FieldEnd);
        }
    }
    if t.in_field {
        t.add_op(Kind::FieldEnd);
    }
    if t.in_subquery {
        t.add_op(Kind::SubqueryEnd);
    }
    t.tokens
        .retain(|t| !matches!(t.kind, Kind::WhiteSpace | Kind::Ignored));
    t.tokens
}

/// `' ' . $input`, runs of ASCII whitespace (PCRE `\s` without `u`) made one space, then every
/// `""` made `" "`.
fn prepare(input: &str) -> String {
    let is_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r');
    let mut out = String::with_capacity(input.len() + 1);
    out.push(' ');
    let mut in_space = true;
    for c in input.chars() {
        if is_space(c) {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    out.replace("\"\"", "\" \"")
}

/// `preg_split` with `PREG_SPLIT_NO_EMPTY | PREG_SPLIT_DELIM_CAPTURE`: every non-empty match of
/// the split pattern, and every run of characters between matches. An empty match (the word
/// alternative at an excluded character) makes PHP retry non-empty at the same offset, fail and
/// step one character, so each such character becomes a chunk of its own.
fn split<'a>(input: &'a str, patterns: &Patterns) -> Vec<&'a str> {
    let mut chunks = Vec::new();
    let (mut at, mut last) = (0, 0);
    while at <= input.len() {
        let len = patterns.split_match_len(input, at);
        if at > last {
            chunks.push(&input[last..at]);
        }
        last = at;
        if len > 0 {
            chunks.push(&input[at..at + len]);
            at += len;
            last = at;
        } else if let Some(c) = input[at..].chars().next() {
            at += c.len_utf8();
        } else {
            break;
        }
    }
    if last < input.len() {
        chunks.push(&input[last..]);
    }
    chunks
}

/// Facts about the end of a chunk, found once. After each `..`, the original checks the rest of
/// the chunk again as a value of its own, and some checks look at the whole value: a keycap or
/// flag pair anywhere makes it an emoji, and a field must be made of field characters up to
/// its final `:`. Looking again in each ever shorter suffix would take quadratic time.
struct ChunkTail<'a> {
    chunk: &'a str,
    /// Offset of the chunk's last keycap or flag pair.
    last_emoji_pair: Option<Option<usize>>,
    /// Offset where the run of field characters before the chunk's final `:` starts.
    field_body: Option<Option<usize>>,
}

impl ChunkTail<'_> {
    /// Whether the suffix `len` bytes long holds a keycap or flag pair.
    fn has_emoji_pair(&mut self, patterns: &Patterns, len: usize) -> bool {
        let chunk = self.chunk;
        let last = *self
            .last_emoji_pair
            .get_or_insert_with(|| patterns.last_emoji_pair(chunk));
        last.is_some_and(|at| at >= chunk.len() - len)
    }

    /// Whether the suffix `len` bytes long can match the field pattern: it must end in `:`
    /// and hold only field characters before it, after an optional sign.
    fn may_be_field(&mut self, len: usize) -> bool {
        let chunk = self.chunk;
        let body = self.field_body.get_or_insert_with(|| {
            let name = chunk.strip_suffix(':')?;
            let run = name
                .bytes()
                .rev()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
                .count();
            Some(name.len() - run)
        });
        let start = chunk.len() - len;
        let start = match chunk.as_bytes().get(start) {
            Some(b'+' | b'-') => start + 1,
            _ => start,
        };
        body.is_some_and(|body| start >= body)
    }
}

struct Tokenizer<'p> {
    patterns: &'p Patterns,
    tokens: Vec<Token>,
    /// The kind of the last token added (it stays the removed one after a bool operator is
    /// dropped).
    last: Kind,
    /// The last token is a word ending in `:`.
    last_word_colon: bool,
    in_field: bool,
    in_subquery: bool,
    /// The kind of the open range start, if any (one range at a time).
    in_range: Option<Kind>,
}

impl Tokenizer<'_> {
    /// Adds an operator token unless the last token is of the same kind.
    fn add_op(&mut self, kind: Kind) {
        if self.last != kind {
            self.push(Token::op(kind));
        }
    }

    fn push(&mut self, token: Token) {
        self.last = token.kind;
        self.last_word_colon = token.is(Kind::Word) && token.text.ends_with(':');
        self.tokens.push(token);
    }

    /// `$value` with the last token's value in front when that token is a word ending in `:`
    /// (a value that looks like a field, e.g. `field:vevo:video`, stays one word).
    fn merged_with_last_word(&mut self, value: &str) -> String {
        match self.tokens.pop_if(|_| self.last_word_colon) {
            Some(word) => word.text + value,
            None => value.to_owned(),
        }
    }

    /// Adds the tokens of one chunk. The original recurses into the part after the first
    /// `..`; this loops instead, so a long `a..b..c…` cannot exhaust the stack.
    fn extract(&mut self, chunk: &str) {
        let mut tail = ChunkTail {
            chunk,
            last_emoji_pair: None,
            field_body: None,
        };
        let mut rest = Some(chunk);
        while let Some(value) = rest {
            rest = self.extract_up_to_range(value, Some(&mut tail));
        }
    }

    /// Adds the tokens of `value` up to its first `..` and returns what follows it, which is
    /// then extracted as a value of its own. `tail` is given when `value` is a suffix of its
    /// chunk.
    fn extract_up_to_range<'v>(
        &mut self,
        value: &'v str,
        mut tail: Option<&mut ChunkTail<'_>>,
    ) -> Option<&'v str> {
        let p = self.patterns;
        if value.is_empty() {
            if matches!(self.last, Kind::Required | Kind::Prohibited | Kind::Ignored) {
                self.tokens.pop();
            }
            self.add_op(Kind::WhiteSpace);
            return None;
        }
        if php::is_numeric(value) {
            self.push(Token::number(php::to_float(value)));
            return None;
        }
        if self.extract_symbol_or_keyword(value) {
            return None;
        }
        let value = match value.as_bytes()[0] {
            b'+' => {
                self.add_op(Kind::Required);
                &value[1..]
            }
            b'-' => {
                self.add_op(Kind::Prohibited);
                &value[1..]
            }
            _ => value,
        };
        let bytes = value.as_bytes();
        let ignored_trimmed = || php::trim(value, php::IGNORED_LEAD_TRAIL);
        if p.emoticon.is_match(bytes) {
            self.push(Token::text(Kind::Emoticon, ignored_trimmed()));
            return None;
        }
        let has_pair = || match tail.as_deref_mut() {
            Some(tail) => tail.has_emoji_pair(p, value.len()),
            None => p.has_emoji_pair(value),
        };
        if p.is_emoji(value, has_pair) {
            self.push(Token::text(Kind::Emoji, ignored_trimmed()));
            return None;
        }
        if p.url.is_match(bytes) {
            self.push(Token::text(Kind::Url, ignored_trimmed()));
            return None;
        }
        if !self.in_field
            && !self.in_subquery
            && matches!(
                self.last,
                Kind::WhiteSpace
                    | Kind::Required
                    | Kind::Prohibited
                    | Kind::FieldEnd
                    | Kind::SubqueryStart
            )
            && tail.is_none_or(|t| t.may_be_field(value.len()))
            && p.field.is_match(bytes)
        {
            self.in_field = true;
            self.push(Token::text(Kind::FieldStart, value.trim_end_matches(':')));
            return None;
        }
        if p.phrase.is_match(bytes) {
            let phrase = php::trim(value.trim_matches('"'), php::DEFAULT_TRIM);
            let kind = if php::is_empty(phrase) {
                Kind::Ignored
            } else {
                Kind::Phrase
            };
            self.push(Token::text(kind, phrase));
            return None;
        }
        if let Some((lower, upper)) = value.split_once("..") {
            // `lower` holds no `..`, so this adds all of its tokens.
            self.extract_up_to_range(lower, None);
            self.extract_symbol_or_keyword("..");
            return Some(upper);
        }
        let right_trimmed = php::rtrim(value, php::IGNORED_LEAD_TRAIL).as_bytes();
        for (re, kind) in [
            (&p.hashtag, Kind::Hashtag),
            (&p.mention, Kind::Mention),
            (&p.date, Kind::Date),
        ] {
            if re.is_match(right_trimmed) {
                self.push(Token::text(kind, ignored_trimmed()));
                return None;
            }
        }
        let word = php::trim(value, php::WORD_TRIM);
        if php::is_empty(word) {
            self.push(Token::text(Kind::Ignored, value));
            return None;
        }
        let word = self.merged_with_last_word(word);
        if !p.word_minimum.is_match(&word) {
            self.push(Token::text(Kind::Ignored, word));
            return None;
        }
        self.push(Token::text(Kind::Word, word));
        if value.ends_with('*') {
            self.add_op(Kind::Wildcard);
        }
        None
    }

    /// Handles a symbol or keyword of at most 3 bytes; returns whether `value` was one (possibly
    /// ignored, e.g. a boost after whitespace).
    fn extract_symbol_or_keyword(&mut self, value: &str) -> bool {
        if value.len() > 3 {
            return false;
        }
        let in_range = self.in_range.is_some();
        match value {
            "+" => self.add_op(Kind::Required),
            "-" => self.add_op(Kind::Prohibited),
            ">" if self.in_field && !in_range => self.add_op(Kind::GreaterThan),
            "<" if self.in_field && !in_range => self.add_op(Kind::LessThan),
            "=" if matches!(self.last, Kind::GreaterThan | Kind::LessThan) => {
                self.add_op(Kind::Equals)
            }
            "~" | "^" => {
                // Parts of a range or subquery cannot be fuzzy or boosted, nor can whitespace.
                if !self.in_subquery && !in_range && self.last != Kind::WhiteSpace {
                    if self.in_field {
                        self.in_field = false;
                        self.add_op(Kind::FieldEnd);
                    }
                    self.add_op(if value == "~" {
                        Kind::Fuzzy
                    } else {
                        Kind::Boost
                    });
                }
            }
            "[" | "{" if self.in_field && !in_range => {
                let kind = if value == "[" {
                    Kind::RangeInclStart
                } else {
                    Kind::RangeExclStart
                };
                self.in_range = Some(kind);
                self.add_op(kind);
            }
            "]" | "}" => {
                if let Some(start) = self.in_range.take() {
                    self.add_op(if start == Kind::RangeInclStart {
                        Kind::RangeInclEnd
                    } else {
                        Kind::RangeExclEnd
                    });
                    self.in_field = false;
                    self.add_op(Kind::FieldEnd);
                }
            }
            "(" if !self.in_subquery && !in_range => {
                self.add_op(Kind::SubqueryStart);
                self.in_subquery = true;
            }
            ")" if self.in_subquery && !in_range => {
                self.in_subquery = false;
                self.add_op(Kind::SubqueryEnd);
                if self.in_field {
                    self.add_op(Kind::FieldEnd);
                    self.in_field = false;
                }
            }
            "*" => self.add_op(Kind::Wildcard),
            "||" | "OR" => self.add_op(Kind::Or),
            "&&" | "AND" => self.add_op(Kind::And),
            ".." if in_range => self.add_op(Kind::To),
            "TO" if in_range => self.add_op(Kind::To),
            "TO" => self.push(Token::text(Kind::Word, "TO")),
            ">" | "<" | "=" | "[" | "{" | "(" | ")" | ".." => {}
            _ if value.len() == 1 => {
                if value.as_bytes()[0].is_ascii_alphabetic() {
                    let word = self.merged_with_last_word(value);
                    self.push(Token::text(Kind::Word, word));
                } else {
                    self.push(Token::text(Kind::Ignored, value));
                }
            }
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::super::patterns::patterns;
    use super::*;

    fn chunks(input: &str) -> Vec<String> {
        let p = patterns().unwrap();
        split(&prepare(input), p)
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn every_character_lands_in_a_chunk() {
        assert_eq!(chunks("((a"), [" ", "(", "(", "a"]);
        assert_eq!(chunks("a  \t b"), [" ", "a", " ", "b"]);
        assert_eq!(chunks("Rust\":)a.b.."), [" ", "Rust\":", ")", "a.b.."]);
        assert_eq!(chunks("x\"\"y"), [" ", "x\"", " ", "\"y"]);
    }

    #[test]
    fn kinds_of_a_field_with_a_range() {
        let p = patterns().unwrap();
        let kinds: Vec<Kind> = scan("f:[1..5]^2", p).iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            [
                Kind::FieldStart,
                Kind::RangeInclStart,
                Kind::Number,
                Kind::To,
                Kind::Number,
                Kind::RangeInclEnd,
                Kind::FieldEnd,
                Kind::Boost,
                Kind::Number
            ]
        );
    }
}
