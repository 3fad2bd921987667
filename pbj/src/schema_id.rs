//! Schema identity: [`SchemaVersion`], [`SchemaId`], [`SchemaCurie`] and [`SchemaQName`].
//!
//! The grammar is the original pbj grammar:
//! `pbj:vendor:package:category:message:major-minor-patch`, lowercase only, the category may be
//! empty (`pbj:acme:blog::article:1-0-0`), package names may contain dots.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// Maximum length of a schema id string (characters).
pub const SCHEMA_ID_MAX_LEN: usize = 150;
/// Maximum length of a schema curie string (characters).
pub const SCHEMA_CURIE_MAX_LEN: usize = 145;

fn is_segment(s: &str, allow_dot: bool) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || (allow_dot && b == b'.')
        })
}

fn is_category(s: &str) -> bool {
    s.is_empty() || is_segment(s, false)
}

/// Class bits of a curie byte: `[a-z0-9-]`, `:`, `.` or anything else.
const SEGMENT: u8 = 1;
const COLON: u8 = 2;
const DOT: u8 = 4;
const OTHER: u8 = 8;
const CURIE_CLASS: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' {
            t[i] = SEGMENT;
        } else if b == b':' {
            t[i] = COLON;
        } else if b == b'.' {
            t[i] = DOT;
        }
        i += 1;
    }
    t
};

/// The high bit of every byte of `word` equal to `:` (exact for every byte).
#[inline(always)]
fn colon_bytes(word: u64) -> u64 {
    const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = word ^ (0x0101_0101_0101_0101 * u64::from(b':'));
    // High bit of `(x & 0x7f) + 0x7f` is set iff the low seven bits are not all zero.
    !(((x & LO7) + LO7) | x | LO7)
}

/// The positions of the first three `:` of `b`, `None` unless there are exactly three
/// (eight bytes at a time).
#[inline(always)]
fn three_colons(b: &[u8]) -> Option<[usize; 3]> {
    let mut at = [0usize; 3];
    let mut found = 0;
    let mut record = |mut bits: u64, base: usize| -> bool {
        while bits != 0 {
            if found == 3 {
                return false;
            }
            at[found] = base + (bits.trailing_zeros() / 8) as usize;
            found += 1;
            bits &= bits - 1;
        }
        true
    };
    let word = |at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let n = b.len();
    let mut i = 0;
    while i + 8 <= n {
        if !record(colon_bytes(word(i)), i) {
            return None;
        }
        i += 8;
    }
    if i < n {
        if n >= 8 {
            // The last eight bytes, without the ones already looked at.
            let last = n - 8;
            let seen = (i - last) * 8;
            if !record(colon_bytes(word(last)) & (!0u64 << seen), last) {
                return None;
            }
        } else {
            for (j, &c) in b.iter().enumerate() {
                if c == b':' && !record(0x80, j) {
                    return None;
                }
            }
        }
    }
    (found == 3).then_some(at)
}

/// Checks a curie without allocating: `Some(is_mixin)` when [`SchemaCurie::parse`] accepts it.
pub(crate) fn check_curie(s: &str) -> Option<bool> {
    let b = s.as_bytes();
    // A valid curie is ASCII, so its byte length is its character count.
    if b.len() > SCHEMA_CURIE_MAX_LEN {
        return None;
    }
    // `vendor:package:category:message` of `[a-z0-9-]`, where only the package may hold dots
    // and only the category may be empty: the kinds of all bytes (no branch per byte), then
    // the three colons, then the segments.
    #[cfg(target_arch = "x86_64")]
    if (16..=64).contains(&b.len()) {
        let (colons, dots, others) = crate::simd::curie_bits(b);
        // Exactly three colons: each of the three lowest set bits cleared in turn (no
        // `popcnt` in the x86-64 baseline).
        let rest = colons & colons.wrapping_sub(1);
        let last = rest & rest.wrapping_sub(1);
        if others != 0 || rest == 0 || last == 0 || last & (last - 1) != 0 {
            return None;
        }
        let vendor_end = colons.trailing_zeros() as usize;
        let package_end = rest.trailing_zeros() as usize;
        let category_end = last.trailing_zeros() as usize;
        // Dots only in the package (`package_end` < 62: two more colons follow it).
        if dots & ((1 << vendor_end) - 1) != 0 || dots >> (package_end + 1) != 0 {
            return None;
        }
        return curie_segments(b, [vendor_end, package_end, category_end]);
    }
    let classes = b
        .iter()
        .fold(0u8, |acc, &c| acc | CURIE_CLASS[usize::from(c)]);
    if classes & OTHER != 0 {
        return None;
    }
    let colons = three_colons(b)?;
    let [vendor_end, package_end, _] = colons;
    if classes & DOT != 0
        && (b.get(..vendor_end)?.contains(&b'.') || b.get(package_end + 1..)?.contains(&b'.'))
    {
        return None;
    }
    curie_segments(b, colons)
}

/// The rest of [`check_curie`] once the bytes are known to be of the curie alphabet, with
/// dots only in the package: the vendor, package and message are not empty.
#[inline(always)]
fn curie_segments(b: &[u8], [vendor_end, package_end, category_end]: [usize; 3]) -> Option<bool> {
    if vendor_end == 0 || package_end == vendor_end + 1 || category_end + 1 == b.len() {
        return None;
    }
    Some(b.get(package_end + 1..category_end)? == b"mixin")
}

/// A schema version `major-minor-patch`, e.g. `1-0-0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SchemaVersion {
    /// Breaking changes.
    pub major: u32,
    /// Backward compatible additions.
    pub minor: u32,
    /// Fully compatible changes.
    pub patch: u32,
}

impl SchemaVersion {
    /// Creates a version from its three parts.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// Parses `M-m-p` (digits only, exactly three parts).
    pub fn parse(s: &str) -> Result<Self, Error> {
        let err = || Error::InvalidSchemaVersion {
            value: s.to_owned(),
        };
        let mut parts = s.split('-');
        let mut next = || -> Result<u32, Error> {
            let p = parts.next().ok_or_else(err)?;
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            p.parse::<u32>().map_err(|_| err())
        };
        let v = Self::new(next()?, next()?, next()?);
        if parts.next().is_some() {
            return Err(err());
        }
        Ok(v)
    }
}

impl fmt::Display for SchemaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.major, self.minor, self.patch)
    }
}

impl FromStr for SchemaVersion {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

/// A schema curie `vendor:package:category:message` (category may be empty).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SchemaCurie {
    vendor: String,
    package: String,
    category: Option<String>,
    message: String,
}

impl SchemaCurie {
    /// Parses a curie, e.g. `acme:blog:node:article` or `acme:blog::article`.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let err = || Error::InvalidSchemaCurie {
            value: s.to_owned(),
        };
        if s.chars().count() > SCHEMA_CURIE_MAX_LEN {
            return Err(err());
        }
        let parts: Vec<&str> = s.split(':').collect();
        if parts.len() != 4 {
            return Err(err());
        }
        Self::from_parts(parts[0], parts[1], parts[2], parts[3]).ok_or_else(err)
    }

    fn from_parts(vendor: &str, package: &str, category: &str, message: &str) -> Option<Self> {
        if !(is_segment(vendor, false)
            && is_segment(package, true)
            && is_category(category)
            && is_segment(message, false))
        {
            return None;
        }
        Some(Self {
            vendor: vendor.to_owned(),
            package: package.to_owned(),
            category: (!category.is_empty()).then(|| category.to_owned()),
            message: message.to_owned(),
        })
    }

    /// The vendor, e.g. `acme`.
    pub fn vendor(&self) -> &str {
        &self.vendor
    }
    /// The package, e.g. `blog` (may contain dots).
    pub fn package(&self) -> &str {
        &self.package
    }
    /// The category, `None` when empty.
    pub fn category(&self) -> Option<&str> {
        self.category.as_deref()
    }
    /// The message name, e.g. `article`.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// True when the category is exactly `mixin`.
    pub fn is_mixin(&self) -> bool {
        self.category.as_deref() == Some("mixin")
    }
    /// The qualified name `vendor:message`.
    pub fn qname(&self) -> SchemaQName {
        SchemaQName {
            vendor: self.vendor.clone(),
            message: self.message.clone(),
        }
    }
}

impl fmt::Display for SchemaCurie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}:{}",
            self.vendor,
            self.package,
            self.category.as_deref().unwrap_or(""),
            self.message
        )
    }
}

impl FromStr for SchemaCurie {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

/// A schema id `pbj:vendor:package:category:message:M-m-p`.
///
/// ```
/// use pbj::SchemaId;
///
/// let id: SchemaId = "pbj:acme:blog:event:article-published:1-2-3".parse()?;
/// assert_eq!((id.vendor(), id.package()), ("acme", "blog"));
/// assert_eq!((id.category(), id.message()), (Some("event"), "article-published"));
/// assert_eq!(id.version().to_string(), "1-2-3");
/// assert_eq!(id.curie().to_string(), "acme:blog:event:article-published");
/// assert_eq!(id.curie_major(), "acme:blog:event:article-published:v1");
/// assert_eq!(id.qname().to_string(), "acme:article-published");
///
/// // The category may be empty; nothing may be uppercase.
/// assert_eq!(SchemaId::parse("pbj:acme:blog::article:1-0-0")?.category(), None);
/// assert!(SchemaId::parse("pbj:ACME:blog::article:1-0-0").is_err());
/// # Ok::<(), pbj::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SchemaId {
    curie: SchemaCurie,
    version: SchemaVersion,
}

impl SchemaId {
    /// Parses and validates a schema id string (max 150 characters).
    pub fn parse(s: &str) -> Result<Self, Error> {
        let err = || Error::InvalidSchemaId {
            value: s.to_owned(),
        };
        if s.chars().count() > SCHEMA_ID_MAX_LEN {
            return Err(err());
        }
        let rest = s.strip_prefix("pbj:").ok_or_else(err)?;
        let parts: Vec<&str> = rest.split(':').collect();
        if parts.len() != 5 {
            return Err(err());
        }
        let curie =
            SchemaCurie::from_parts(parts[0], parts[1], parts[2], parts[3]).ok_or_else(err)?;
        let version = SchemaVersion::parse(parts[4]).map_err(|_| err())?;
        Ok(Self { curie, version })
    }

    /// The curie (id without `pbj:` and version).
    pub fn curie(&self) -> &SchemaCurie {
        &self.curie
    }
    /// The version.
    pub fn version(&self) -> SchemaVersion {
        self.version
    }
    /// The vendor.
    pub fn vendor(&self) -> &str {
        self.curie.vendor()
    }
    /// The package.
    pub fn package(&self) -> &str {
        self.curie.package()
    }
    /// The category, `None` when empty.
    pub fn category(&self) -> Option<&str> {
        self.curie.category()
    }
    /// The message name.
    pub fn message(&self) -> &str {
        self.curie.message()
    }
    /// The curie major, `vendor:package:category:message:vN`.
    pub fn curie_major(&self) -> String {
        format!("{}:v{}", self.curie, self.version.major)
    }
    /// The qualified name `vendor:message`.
    pub fn qname(&self) -> SchemaQName {
        self.curie.qname()
    }
}

impl fmt::Display for SchemaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pbj:{}:{}", self.curie, self.version)
    }
}

impl FromStr for SchemaId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

/// A qualified name `vendor:message` (not guaranteed unique).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SchemaQName {
    vendor: String,
    message: String,
}

impl SchemaQName {
    /// Parses `vendor:message` (no dots, lowercase).
    pub fn parse(s: &str) -> Result<Self, Error> {
        let err = || Error::InvalidSchemaQName {
            value: s.to_owned(),
        };
        let (vendor, message) = s.split_once(':').ok_or_else(err)?;
        if !is_segment(vendor, false) || !is_segment(message, false) {
            return Err(err());
        }
        Ok(Self {
            vendor: vendor.to_owned(),
            message: message.to_owned(),
        })
    }
    /// The vendor.
    pub fn vendor(&self) -> &str {
        &self.vendor
    }
    /// The message name.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for SchemaQName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.vendor, self.message)
    }
}

impl FromStr for SchemaQName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_curie_agrees_with_parse() {
        for s in [
            "acme:blog:node:article",
            "acme:blog::article",
            "acme:b.l.og:mixin:x",
            "acme:blog:mixin:x",
            "acme:blog:mixin",
            "a:b:c:d:e",
            ":b:c:d",
            "a::c:d",
            "a:b:c:",
            "a:b.c:d.e:f",
            "A:b:c:d",
            "a:b:c:d ",
            "",
            ":::",
            "a:b:mixinx:c",
            "a:b:xmixin:c",
        ] {
            let parsed = SchemaCurie::parse(s).ok().map(|c| c.is_mixin());
            assert_eq!(check_curie(s), parsed, "{s}");
        }
        assert_eq!(check_curie(&format!("a:b:c:{}", "x".repeat(200))), None);
    }

    #[test]
    fn check_curie_agrees_with_parse_on_generated_text() {
        // Lengths on both sides of the 8- and 16-byte words: segments of `[a-z0-9-]` with now and then a dot, a colon or a byte a curie never
        // holds, joined by colons.
        let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789-abcdefgh.:Z ";
        let mut rng = crate::test_rng::Xorshift::new(0x2545_f491_4f6c_dd1d_u64);
        let mut next = |n: u64| (rng.next_u64() % n) as usize;
        let mut valid = 0;
        for _ in 0..200_000 {
            let segments = 2 + next(4);
            let mut text = String::new();
            for k in 0..segments {
                if k > 0 {
                    text.push(':');
                }
                if next(6) == 0 {
                    text.push_str("mixin");
                    continue;
                }
                let len = next(13);
                let letters = if next(3) == 0 {
                    alphabet.len() as u64
                } else {
                    37
                };
                for _ in 0..len {
                    text.push(char::from(alphabet[next(letters)]));
                }
            }
            let parsed = SchemaCurie::parse(&text).ok().map(|c| c.is_mixin());
            valid += usize::from(parsed.is_some());
            assert_eq!(check_curie(&text), parsed, "{text}");
        }
        assert!(valid > 1_000, "{valid} valid curies generated");
        for s in [
            "acme.x:blog:node:article",
            "acme:blog:no.de:article",
            "acme:blog:node:arti.cle",
            "acme:blog.v1:mixin:article-published",
            "acme:blog:node:article-published-in-a-very-long-name:",
            "acme-widgets-and-gadgets:blog:node:article",
            "abcdefg:abcdefg:abcdefg:abcdefgh",
            "abcdefgh:abcdefgh:abcdefgh:abcdefgh",
            // Past the 64 bytes of the SSE2 bitsets.
            "acme-widgets-and-gadgets-and-more:blog.package.name:node:article-published-long",
            "acme-widgets-and-gadgets-and-more:blog.package.name:node:article.published-long",
        ] {
            let parsed = SchemaCurie::parse(s).ok().map(|c| c.is_mixin());
            assert_eq!(check_curie(s), parsed, "{s}");
        }
    }

    #[test]
    fn versions() {
        for v in ["1-0-0", "1-1-1", "2-20-0", "300-4000-5000"] {
            assert_eq!(SchemaVersion::parse(v).unwrap().to_string(), v);
        }
        for v in [
            "Not A version",
            "1-0-0.1",
            "1.0.0",
            "1-1-1-dev",
            " 1-0-0 ",
            "1",
            "0",
            "",
        ] {
            assert!(SchemaVersion::parse(v).is_err(), "{v}");
        }
    }

    #[test]
    fn ids() {
        for id in [
            "pbj:acme:blog:node:article:1-2-3",
            "pbj:acme:blog::article:1-2-3",
            "pbj:acme:blog.v1::article:1-2-3",
            "pbj:acme:blog.v1:node:article:1-2-3",
            "pbj:acme-widgets:web.v1::article:1-2-3",
            "pbj:acme-widgets:web.v1:node:article:1-2-3",
            "pbj:gdbots:tests.pbj:fixtures:email-message:1-0-0",
        ] {
            let parsed = SchemaId::parse(id).unwrap();
            assert_eq!(parsed.to_string(), id);
        }
        let id = SchemaId::parse("pbj:acme:blog::article:1-2-3").unwrap();
        assert_eq!(id.category(), None);
        assert_eq!(id.curie().to_string(), "acme:blog::article");
        assert_eq!(id.curie_major(), "acme:blog::article:v1");
        assert_eq!(id.qname().to_string(), "acme:article");
        let long = format!("pbj:acme:blog:node:article{}:1-2-3", "x".repeat(124));
        for bad in [
            long.as_str(),
            "test::what",
            "test:::",
            ":test",
            "john@doe.com",
            "#hashtag",
            "http://www.what.com/",
            "ACME:blog:node:article:1:2:3:4#tag",
            "pbj:acme:blog:node:",
            "pbj:acme:blog::",
            "pbj:acme:::",
            "pbj:ACME:blog:node:article:1-0-0",
            " : ",
            ":",
        ] {
            assert!(SchemaId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn curies_and_qnames() {
        for c in [
            "acme:blog:node:article",
            "acme:blog::article",
            "acme-widgets:web.v1:node:article",
        ] {
            assert_eq!(SchemaCurie::parse(c).unwrap().to_string(), c);
        }
        assert!(
            SchemaCurie::parse("gdbots:tests.pbj:mixin:many")
                .unwrap()
                .is_mixin()
        );
        assert!(SchemaCurie::parse(&format!("acme:blog:node:{}", "a".repeat(140))).is_err());
        for q in ["acme:article", "youtube:video", "acme-widgets:widget-thing"] {
            assert_eq!(SchemaQName::parse(q).unwrap().to_string(), q);
        }
        for q in [
            "Not A qname",
            "acme.widgets:widget",
            " acme:widget ",
            ":",
            " : ",
            " ",
            "",
        ] {
            assert!(SchemaQName::parse(q).is_err(), "{q}");
        }
    }
}
