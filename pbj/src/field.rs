//! Static field descriptors ([`Field`]), as emitted by pbjc.

use std::mem::ManuallyDrop;
use std::sync::OnceLock;

use regex::Regex;

use crate::types::{FieldRule, FieldType, Format};

/// A constant default value declared in the schema (`<default>`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DefaultValue {
    /// A boolean default.
    Bool(bool),
    /// An integer default (ints, int-enums, trinary).
    Int(i64),
    /// A float default.
    Float(f64),
    /// A string default (strings, string-enums).
    Str(&'static str),
    /// A freshly generated v4 uuid (identifier fields bound to a uuid identifier class).
    GenerateUuid,
}

/// A pbj enum: id and its `(KEY, value)` options.
#[derive(Debug)]
pub struct EnumDef {
    /// Enum id `vendor:package:name`.
    pub id: &'static str,
    /// Options in declaration order.
    pub options: &'static [(&'static str, EnumValue)],
}

/// The value of one enum option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnumValue {
    /// An `int-enum` option.
    Int(i64),
    /// A `string-enum` option.
    Str(&'static str),
}

impl EnumDef {
    /// Whether `v` is one of the string values.
    pub fn has_str(&self, v: &str) -> bool {
        self.options
            .iter()
            .any(|(_, o)| matches!(o, EnumValue::Str(s) if *s == v))
    }
    /// Whether `v` is one of the int values.
    pub fn has_int(&self, v: i64) -> bool {
        self.options.iter().any(|(_, o)| *o == EnumValue::Int(v))
    }
}

/// The pattern of node-ref and message-ref ids, matched by a byte table.
const REF_ID_PATTERN: &str = r"^[\w\/\.:-]+$";

/// A field pattern: the JS/PHP regex source and its lazily compiled Rust translation.
///
/// The compiled regex is cached in the pattern itself (compiled on first use, then shared for
/// the life of the process). The cache is a [`OnceLock`] inside [`ManuallyDrop`]: `static` field
/// tables are built with struct update syntax (`..Field::new(..)`), which a constant can only do
/// for types without drop glue. Generated patterns live in statics and are never dropped; a
/// pattern built at run time keeps its compiled regex allocated after it is dropped.
#[derive(Debug)]
pub struct Pattern {
    /// The pattern as written in the schema (without delimiters).
    pub source: &'static str,
    /// How [`Self::is_match`] can answer without the regex engine (computed at compile time).
    fast: FastMatch,
    compiled: ManuallyDrop<OnceLock<Option<Regex>>>,
}

/// The E.164 phone number pattern of several schemas, matched by hand.
const E164_PATTERN: &str = r"^\+?[1-9]\d{1,14}$";

/// A pattern the matcher answers without the regex engine, with the same semantics (`^`/`$`
/// are `\A`/`\z`, `\w` and `\d` are ASCII, see [`crate::pattern`]).
#[derive(Debug, Clone, Copy)]
enum FastMatch {
    /// Only the regex engine.
    No,
    /// [`REF_ID_PATTERN`], the id pattern of many schemas.
    RefId,
    /// `^[class]+$` (or `^\w+$`, `^\d+$`) of ASCII bytes: the bytes allowed, as a bitmask.
    Class(u128),
    /// [`E164_PATTERN`].
    E164,
}

impl FastMatch {
    const fn of(source: &str) -> Self {
        if const_eq(source, REF_ID_PATTERN) {
            return Self::RefId;
        }
        if const_eq(source, E164_PATTERN) {
            return Self::E164;
        }
        match simple_class(source.as_bytes()) {
            0 => Self::No,
            mask => Self::Class(mask),
        }
    }
}

const fn const_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn bits(from: u8, to: u8) -> u128 {
    let mut m = 0u128;
    let mut c = from;
    while c <= to {
        m |= 1 << c;
        c += 1;
    }
    m
}

const DIGITS: u128 = bits(b'0', b'9');
const WORD_BYTES: u128 = DIGITS | bits(b'A', b'Z') | bits(b'a', b'z') | bits(b'_', b'_');

/// The bitmask of `^[class]+$`, `^\w+$` or `^\d+$` whose class holds only `\w`, `\d`, ASCII
/// letters, digits, ranges of those, and punctuation (escaped or not); 0 for any other source.
const fn simple_class(s: &[u8]) -> u128 {
    let n = s.len();
    if n < 5 || s[0] != b'^' || s[n - 2] != b'+' || s[n - 1] != b'$' {
        return 0;
    }
    let body_end = n - 2;
    if body_end == 3 && s[1] == b'\\' {
        return match s[2] {
            b'w' => WORD_BYTES,
            b'd' => DIGITS,
            _ => 0,
        };
    }
    if s[1] != b'[' || s[body_end - 1] != b']' {
        return 0;
    }
    let end = body_end - 1;
    let mut i = 2;
    if i >= end || s[i] == b'^' {
        return 0;
    }
    let mut mask = 0u128;
    while i < end {
        let c = s[i];
        if c == b'\\' {
            if i + 1 >= end {
                return 0;
            }
            let e = s[i + 1];
            mask |= match e {
                b'w' => WORD_BYTES,
                b'd' => DIGITS,
                b'.' | b'-' | b'/' | b':' | b'_' | b'*' | b'+' | b'?' | b'(' | b')' | b'['
                | b']' | b'{' | b'}' | b'|' | b'^' | b'$' | b'\\' => 1 << e,
                _ => return 0,
            };
            i += 2;
        } else if c == b']' || c == b'[' || c >= 0x80 || c < 0x20 {
            return 0;
        } else if i + 2 < end && s[i + 1] == b'-' {
            // A range `a-z` of letters or digits.
            let d = s[i + 2];
            if !c.is_ascii_alphanumeric() || !d.is_ascii_alphanumeric() || c > d {
                return 0;
            }
            mask |= bits(c, d);
            i += 3;
        } else {
            mask |= 1 << c;
            i += 1;
        }
    }
    mask
}

/// Whether `s` is `^\+?[1-9]\d{1,14}$`.
fn is_e164(s: &str) -> bool {
    let b = s.as_bytes();
    let b = b.strip_prefix(b"+").unwrap_or(b);
    matches!(b.first(), Some(b'1'..=b'9'))
        && (2..=15).contains(&b.len())
        && b.iter().all(u8::is_ascii_digit)
}

impl Pattern {
    /// Creates a pattern from its schema source.
    ///
    /// ```
    /// let slug = pbj::Pattern::new(r"^[a-z0-9-]+$");
    /// assert!(slug.is_match("hello-world"));
    /// assert!(!slug.is_match("Hello World"));
    /// ```
    pub const fn new(source: &'static str) -> Self {
        Self {
            source,
            fast: FastMatch::of(source),
            compiled: ManuallyDrop::new(OnceLock::new()),
        }
    }

    /// The compiled regex (`None` if the source cannot be translated; pbjc rejects such schemas).
    pub fn regex(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| crate::pattern::compile(self.source).ok())
            .as_ref()
    }

    /// Whether `value` matches (a pattern that cannot compile matches nothing).
    #[inline]
    pub fn is_match(&self, value: &str) -> bool {
        match self.fast {
            // The id pattern of many schemas, by a byte table (same semantics: `^`/`$` are
            // `\A`/`\z` and `\w` is ASCII, see [`crate::pattern`]).
            FastMatch::RefId => crate::well_known::is_valid_ref_id(value),
            FastMatch::Class(mask) => class_match(mask, value.as_bytes()),
            FastMatch::E164 => is_e164(value),
            FastMatch::No => self.regex().is_some_and(|r| r.is_match(value)),
        }
    }
}

/// Whether `value` is one or more bytes of the ASCII class `mask` (bit `b` set: byte `b`
/// allowed): every byte looked up in the mask's two words without a branch per byte (the
/// value's length is already checked against the field's bounds).
#[inline]
fn class_match(mask: u128, value: &[u8]) -> bool {
    // Bytes >= 128 find an empty word: never allowed.
    let words = [mask as u64, (mask >> 64) as u64, 0, 0];
    let mut all = u64::from(!value.is_empty());
    for &b in value {
        // `b >> 6` is below 4: no bounds check.
        all &= words[usize::from(b >> 6)] >> (b & 63);
    }
    all & 1 != 0
}

/// The pattern of the `_schema` field: a schema id (`pbj:vendor:package:category:message:1-0-0`).
pub const SCHEMA_ID_PATTERN: &str =
    r"^pbj:([a-z0-9-]+):([a-z0-9\.-]+):([a-z0-9-]+)?:([a-z0-9-]+):([0-9]+-[0-9]+-[0-9]+)$";

/// Everything about one field of a schema. Built as a `static` by generated code.
#[derive(Debug)]
pub struct Field {
    /// Field name (the JSON key).
    pub name: &'static str,
    /// Value type.
    pub kind: FieldType,
    /// Cardinality.
    pub rule: FieldRule,
    /// Whether the field must be set for the message to be valid.
    pub required: bool,
    /// Minimum byte length (string and binary types).
    pub min_length: u32,
    /// Maximum byte length (string and binary types), already clamped to the type's maximum.
    pub max_length: u32,
    /// Inclusive lower bound (int types), already clamped to the type's bounds.
    pub min: i64,
    /// Inclusive upper bound (int types), already clamped to the type's bounds.
    pub max: i64,
    /// Decimal precision (1..=65).
    pub precision: u8,
    /// Decimal scale (0..=precision).
    pub scale: u8,
    /// Regex the (string) value must match.
    pub pattern: Option<Pattern>,
    /// Format the (string) value must satisfy.
    pub format: Format,
    /// The schema's `<default>`.
    pub default: Option<DefaultValue>,
    /// Whether the type default (0, false, now, new id) applies when no default is given.
    pub use_type_default: bool,
    /// Curies a nested message must use (empty: any message).
    pub any_of: &'static [&'static str],
    /// The enum of `int-enum` / `string-enum` fields.
    pub enum_def: Option<&'static EnumDef>,
    /// Whether a mixin user may redefine this field.
    pub overridable: bool,
    /// The identifier class bound to an `identifier` field (e.g. `UuidIdentifier`), if any.
    pub identifier_class: Option<&'static str>,
    /// The `<description>` text.
    pub description: &'static str,
    /// The key as the JSON encoder writes it, made on first use (leave at
    /// [`JsonKey::new`], which [`Field::new`] sets).
    pub json_key: JsonKey,
}

/// A field's key as the JSON encoder writes it after the member before it: `,"name":` (JS
/// escaping), made once on first use. The encoder writes it with one copy instead of quoting
/// and checking the name for every message (pbjx-bench under callgrind, BENCHMARKS.md).
pub struct JsonKey(ManuallyDrop<OnceLock<Box<str>>>);

impl JsonKey {
    /// Not made yet.
    pub const fn new() -> Self {
        Self(ManuallyDrop::new(OnceLock::new()))
    }

    /// `,"name":`, made from `name` (the field's name) on first use.
    #[inline]
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0.get_or_init(|| crate::codec::member_key(name))
    }
}

impl Default for JsonKey {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for JsonKey {
    // Opaque: a field prints the same before and after its first encoding.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JsonKey")
    }
}

impl Field {
    /// A field with the given name, type and rule and every other property at its type's
    /// default; the `const` builder methods below change one property each, so a generated
    /// field table names only what differs:
    ///
    /// ```
    /// use pbj::{Field, FieldRule, FieldType};
    ///
    /// static TITLE: Field = Field::new("title", FieldType::String, FieldRule::Single)
    ///     .required()
    ///     .with_max_length(100);
    /// assert_eq!((TITLE.required, TITLE.min_length, TITLE.max_length), (true, 0, 100));
    /// ```
    pub const fn new(name: &'static str, kind: FieldType, rule: FieldRule) -> Self {
        let (min, max) = kind.int_bounds();
        Self {
            name,
            kind,
            rule,
            required: false,
            min_length: 0,
            max_length: kind.max_bytes(),
            min,
            max,
            precision: 10,
            scale: 2,
            pattern: None,
            format: Format::Unknown,
            default: None,
            use_type_default: true,
            any_of: &[],
            enum_def: None,
            overridable: false,
            identifier_class: None,
            description: "",
            json_key: JsonKey::new(),
        }
    }

    /// Field 0 of every schema: the required `_schema` string holding the schema id `id`.
    pub const fn schema_field(id: &'static str) -> Self {
        Self::new("_schema", FieldType::String, FieldRule::Single)
            .required()
            .with_pattern(SCHEMA_ID_PATTERN)
            .with_default(DefaultValue::Str(id))
    }

    /// Marks the field required.
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Sets the minimum byte length.
    pub const fn with_min_length(mut self, min_length: u32) -> Self {
        self.min_length = min_length;
        self
    }

    /// Sets the maximum byte length (already clamped to the type's maximum).
    pub const fn with_max_length(mut self, max_length: u32) -> Self {
        self.max_length = max_length;
        self
    }

    /// Sets the inclusive lower bound (already clamped to the type's bounds).
    pub const fn with_min(mut self, min: i64) -> Self {
        self.min = min;
        self
    }

    /// Sets the inclusive upper bound (already clamped to the type's bounds).
    pub const fn with_max(mut self, max: i64) -> Self {
        self.max = max;
        self
    }

    /// Sets the decimal precision and scale.
    pub const fn with_precision(mut self, precision: u8, scale: u8) -> Self {
        self.precision = precision;
        self.scale = scale;
        self
    }

    /// Sets the pattern the (string) value must match.
    pub const fn with_pattern(mut self, source: &'static str) -> Self {
        // The replaced `None` is forgotten, not dropped, so this stays a `const fn` even if
        // `Pattern` gains drop glue (a `const fn` cannot run it).
        #[allow(
            clippy::forget_non_drop,
            reason = "keeps the const fn independent of Pattern's drop glue"
        )]
        std::mem::forget(self.pattern.replace(Pattern::new(source)));
        self
    }

    /// Sets the format the (string) value must satisfy.
    pub const fn with_format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// Sets the schema's `<default>`.
    pub const fn with_default(mut self, default: DefaultValue) -> Self {
        self.default = Some(default);
        self
    }

    /// Turns the type default off (`use-type-default="false"`).
    pub const fn without_type_default(mut self) -> Self {
        self.use_type_default = false;
        self
    }

    /// Sets the curies a nested message must use.
    pub const fn with_any_of(mut self, any_of: &'static [&'static str]) -> Self {
        self.any_of = any_of;
        self
    }

    /// Sets the enum of an `int-enum` / `string-enum` field.
    pub const fn with_enum(mut self, enum_def: &'static EnumDef) -> Self {
        self.enum_def = Some(enum_def);
        self
    }

    /// Marks the field overridable by mixin users.
    pub const fn overridable(mut self) -> Self {
        self.overridable = true;
        self
    }

    /// Sets the identifier class of an `identifier` field.
    pub const fn with_identifier_class(mut self, class: &'static str) -> Self {
        self.identifier_class = Some(class);
        self
    }

    /// Sets the `<description>` text.
    pub const fn with_description(mut self, description: &'static str) -> Self {
        self.description = description;
        self
    }

    /// Whether the field holds one value.
    pub const fn is_single(&self) -> bool {
        matches!(self.rule, FieldRule::Single)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ref_id_pattern_agrees_with_its_regex() {
        let pattern = Pattern::new(REF_ID_PATTERN);
        let regex = crate::pattern::compile(REF_ID_PATTERN).expect("compiles");
        for value in [
            "",
            "a",
            "tenant-42",
            "a/b.c:d-e_F9",
            "a b",
            "a\n",
            "a\nb",
            "\n",
            "é",
            "a#b",
            "a$",
            "^a",
            "[a]",
            "a\\b",
            "a+b",
            "٣",
            "ｗ",
            "a\u{2028}",
        ] {
            assert_eq!(pattern.is_match(value), regex.is_match(value), "{value:?}");
        }
    }

    #[test]
    fn fast_patterns_agree_with_their_regex() {
        let sources = [
            r"^[\w\.:-]+$",
            r"^[\w\.-]+$",
            r"^[\w-]+$",
            r"^\w+$",
            r"^\d+$",
            r"^[a-z0-9_\*\.:-]+$",
            r"^[a-z0-9-]+$",
            r"^[A-Z0-9]+$",
            r"^[\w:]+$",
            r"^\+?[1-9]\d{1,14}$",
            // Not fast: the regex engine answers, the same way.
            r"^[\w\s-]+$",
            r"^[^a]+$",
            r"^[a-zA-Z_]{1}[\w-]*$",
            r".+",
        ];
        let values = [
            "",
            "a",
            "A",
            "tenant-42",
            "a.b:c-d_E9",
            "a b",
            "a\n",
            "\n",
            "é",
            "a#b",
            "a$",
            "^a",
            "[a]",
            "a\\b",
            "a*b",
            "a+b",
            "٣",
            "ｗ",
            "a\u{2028}",
            "-",
            ":",
            ".",
            "_",
            "*",
            "0",
            "+15551234567",
            "15551234567",
            "+0555",
            "+1",
            "12",
            "1234567890123456",
            "123456789012345",
            "+123456789012345",
            "++1",
            "1 2",
            "١٢",
        ];
        for source in sources {
            let pattern = Pattern::new(source);
            let regex = crate::pattern::compile(source).expect("compiles");
            for value in values {
                assert_eq!(
                    pattern.is_match(value),
                    regex.is_match(value),
                    "{source} on {value:?}"
                );
            }
        }
        assert!(matches!(
            Pattern::new(r"^[\w\.-]+$").fast,
            FastMatch::Class(_)
        ));
        // The branch-free class test against the byte-by-byte one it replaced.
        let mut rng = crate::test_rng::Xorshift::new(0x9e37_79b9_7f4a_7c15_u64);
        let mut next = |n: u64| rng.next_u64() % n;
        let mut matched = 0;
        for _ in 0..2_000 {
            let mask = u128::from(next(u64::MAX)) | (u128::from(next(u64::MAX)) << 64);
            for _ in 0..50 {
                // Mostly allowed bytes, so that many values match.
                let value: Vec<u8> = (0..next(12))
                    .map(|_| {
                        loop {
                            let b = next(256) as u8;
                            if next(8) == 0 || (b < 128 && mask & (1u128 << b) != 0) {
                                break b;
                            }
                        }
                    })
                    .collect();
                let old =
                    !value.is_empty() && value.iter().all(|&b| b < 128 && mask & (1u128 << b) != 0);
                matched += usize::from(old);
                assert_eq!(class_match(mask, &value), old, "{mask:x} {value:?}");
            }
        }
        assert!(matched > 10_000, "{matched}");
        assert!(matches!(
            Pattern::new(r"^\+?[1-9]\d{1,14}$").fast,
            FastMatch::E164
        ));
        assert!(matches!(Pattern::new(r"^[\w\s-]+$").fast, FastMatch::No));
    }
}
