//! Decoder options.

/// How strictly the decoder reads a document: [strict](Self::strict) (the default) or
/// [lenient](Self::lenient).
///
/// Pass them per call ([`decode_with`](super::decode_with)) or set them on a
/// [`Registry`](crate::Registry) with
/// [`Registry::with_decode_options`](crate::Registry::with_decode_options): every
/// [`decode`](super::decode) through that registry then uses them.
///
/// ```
/// use pbj::codec::DecodeOptions;
///
/// assert_eq!(DecodeOptions::default(), DecodeOptions::strict());
/// assert!(DecodeOptions::lenient().is_lenient());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecodeOptions {
    lenient: bool,
}

impl DecodeOptions {
    /// Values must have their type's wire form (`42`, not `"42"`); both the JS and the PHP
    /// dialect are accepted. The canonical documents take a streaming fast path.
    pub const fn strict() -> Self {
        Self { lenient: false }
    }

    /// Values are coerced exactly as the JS implementation (`@gdbots/pbj` 3) decodes them, for
    /// payloads from existing clients such as HTML forms: `"42"` and `4.2e1` for ints, `7.9`
    /// for 7, `"yes"` / `"on"` / `"1"` / `"+"` for true, numbers and booleans for strings,
    /// `"2020-02-30"` for 2020-03-01, `null` list elements (kept, written back as `null`), ...
    /// What the JS implementation rejects is still rejected. Documents in the canonical wire
    /// form (JS or PHP dialect) decode as in strict mode, except where the JS result differs:
    /// years 0-99 of a `date` mean 1900-1999, integers written as JSON numbers are read as
    /// doubles, and a blank identifier or uuid is an error rather than "unset". Lenient
    /// decoding always takes the tree path (no streaming fast path).
    pub const fn lenient() -> Self {
        Self { lenient: true }
    }

    /// Whether values are coerced (see [`lenient`](Self::lenient)).
    pub const fn is_lenient(&self) -> bool {
        self.lenient
    }
}
