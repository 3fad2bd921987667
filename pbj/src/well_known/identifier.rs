//! Uuid / time-uuid identifiers: validation and generation.

/// Whether `s` is a uuid as JS checks it: `^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`
/// (any version, any case, nil allowed; no braces or `urn:` prefix).
pub fn is_valid_uuid(s: &str) -> bool {
    // Eight bytes at a time (the last word overlaps the one before), each word against the
    // uuid's layout: the high bit of each byte that must be a hex digit, of each that must
    // be `-` (bytes 8, 13, 18 and 23).
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const LAYOUT: [(usize, u64); 5] = [
        (0, 0),
        (8, 0x80 | 0x80 << 40),
        (16, 0x80 << 16 | 0x80 << 56),
        (24, 0),
        (28, 0),
    ];
    let b = s.as_bytes();
    if b.len() != 36 {
        return false;
    }
    // For bytes below 0x80: the high bit of each byte in `lo..=hi`, no carry or borrow
    // crossing bytes.
    let within = |x: u64, lo: u8, hi: u8| {
        let at_least = x + LO * u64::from(0x80 - lo);
        let at_most = LO * (0x80 + u64::from(hi)) - x;
        at_least & at_most
    };
    LAYOUT.iter().all(|&(at, dashes)| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[at..at + 8]);
        let w = u64::from_le_bytes(w);
        let x = w & LO7;
        let hex = within(x, b'0', b'9') | within((w | (LO * 0x20)) & LO7, b'a', b'f');
        let dash = if dashes == 0 {
            0
        } else {
            within(x, b'-', b'-')
        };
        // Every byte ASCII, and the right class at every position.
        w & HI == 0 && (hex & !dashes | dash & dashes) & HI == HI
    })
}

/// Whether `s` is a time uuid as JS checks it: a uuid whose version nibble is `1`.
pub fn is_valid_time_uuid(s: &str) -> bool {
    is_valid_uuid(s) && s.as_bytes()[14] == b'1'
}

/// A new random (v4) uuid, lowercase.
pub fn generate_uuid() -> String {
    hyphenated(uuid::Uuid::new_v4())
}

/// A new time-based (v1) uuid with a random node id, lowercase.
pub fn generate_time_uuid() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    time_uuid_at(now)
}

/// A new time-based (v1) uuid for `since_epoch` (a clock reading the caller already made,
/// e.g. shared with a `microtime` default of the same message). Unique per process like
/// [`generate_time_uuid`]: every call takes the next value of one shared clock sequence.
///
/// The RFC 9562 v1 layout is written here rather than through `uuid::Timestamp` and
/// `Uuid::new_v1`: every event and command gets one, and the crate's path (a context object,
/// conversions through its own timestamp type) measured 125 instructions per uuid against 49
/// for these few shifts (pbjx-bench `pbjx_publish_event` under callgrind, formatting aside).
pub(crate) fn time_uuid_at(since_epoch: std::time::Duration) -> String {
    /// 100 ns intervals from the Gregorian reform (1582-10-15) to the Unix epoch.
    const GREGORIAN_TO_UNIX: u64 = 0x01B2_1DD2_1381_4000;
    let ticks = since_epoch
        .as_secs()
        .wrapping_mul(10_000_000)
        .wrapping_add(u64::from(since_epoch.subsec_nanos() / 100))
        .wrapping_add(GREGORIAN_TO_UNIX);
    let sequence = CLOCK_SEQUENCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed) & 0x3fff;
    let mut bytes = [0u8; 16];
    bytes[..4].copy_from_slice(&(ticks as u32).to_be_bytes());
    bytes[4..6].copy_from_slice(&((ticks >> 32) as u16).to_be_bytes());
    // The high 12 bits of the time and the version (1).
    bytes[6..8].copy_from_slice(&((ticks >> 48) as u16 & 0x0fff | 0x1000).to_be_bytes());
    // The variant (binary 10) and the clock sequence.
    bytes[8..10].copy_from_slice(&(sequence | 0x8000).to_be_bytes());
    bytes[10..].copy_from_slice(&*NODE_ID);
    hyphenated(uuid::Uuid::from_bytes(bytes))
}

/// The clock sequence of every time uuid of this process (random start, one step per uuid;
/// 14 bits are used).
static CLOCK_SEQUENCE: std::sync::LazyLock<std::sync::atomic::AtomicU16> =
    std::sync::LazyLock::new(|| {
        let random = uuid::Uuid::new_v4();
        let start = u16::from_be_bytes([random.as_bytes()[0], random.as_bytes()[1]]);
        std::sync::atomic::AtomicU16::new(start)
    });

/// The lowercase hyphenated form, written into a stack buffer and copied once (no
/// `fmt::Display` machinery, one exact allocation).
fn hyphenated(id: uuid::Uuid) -> String {
    let mut buf = uuid::Uuid::encode_buffer();
    id.hyphenated().encode_lower(&mut buf).to_owned()
}

/// A random node id chosen once per process (multicast bit set, as RFC 4122 requires for
/// random node ids), so time uuids need no per-call randomness.
static NODE_ID: std::sync::LazyLock<[u8; 6]> = std::sync::LazyLock::new(|| {
    let random = uuid::Uuid::new_v4();
    let b = random.as_bytes();
    [b[0] | 0x01, b[1], b[2], b[3], b[4], b[5]]
});

#[cfg(test)]
mod tests {
    #[test]
    fn uuid_check_agrees_with_the_pattern() {
        let re = regex::Regex::new(
            r"\A[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\z",
        )
        .unwrap();
        let base = b"ba3e2f4b-332b-1ace-af25-7188d96b8794";
        // Every byte position with every byte that matters (hex range edges, dash, high bit).
        let bytes = b"0123456789abcdefABCDEF-/:@G`gxz \xad\xb0\xc1\xe6";
        let mut valid = 0;
        for i in 0..=base.len() {
            for &c in bytes {
                let mut s = base.to_vec();
                if i < s.len() {
                    s[i] = c;
                } else {
                    s.push(c);
                }
                let Ok(text) = std::str::from_utf8(&s) else {
                    // A lone high byte is not a `str`: check the bytes directly.
                    continue;
                };
                assert_eq!(super::is_valid_uuid(text), re.is_match(text), "{text}");
                valid += usize::from(re.is_match(text));
            }
        }
        assert!(valid > 500, "{valid}");
        for text in [
            "",
            "ba3e2f4b332b1aceaf257188d96b8794",
            "ba3e2f4b-332b-1ace-af25-7188d96b879",
        ] {
            assert!(!super::is_valid_uuid(text), "{text}");
        }
        // Non-ASCII text of the right byte length (U+00AD ends in 0xAD, `-` | 0x80; U+00F0
        // in 0xB0, `0` | 0x80).
        for i in 0..base.len() - 1 {
            for pair in [[0xc2, 0xad], [0xc3, 0xb0], [0xc3, 0xa1]] {
                let mut s = base.to_vec();
                s[i..i + 2].copy_from_slice(&pair);
                let text = std::str::from_utf8(&s).unwrap();
                assert!(!super::is_valid_uuid(text), "{text}");
            }
        }
    }

    use super::*;

    #[test]
    fn js_rules() {
        assert!(is_valid_uuid("4b268351-2445-4d98-a777-b461330d5c7f"));
        assert!(is_valid_uuid("6BA7B810-9DAD-11D1-80B4-00C04FD430C8"));
        assert!(is_valid_uuid("00000000-0000-0000-0000-000000000000"));
        for bad in [
            "{3c1cb4b4-2c5e-4d5f-9c1f-0e9b0c2d7a11}",
            "urn:uuid:3c1cb4b4-2c5e-4d5f-9c1f-0e9b0c2d7a11",
            "not-a-uuid",
            "123",
            "3c1cb4b42c5e4d5f9c1f0e9b0c2d7a11",
            " 4b268351-2445-4d98-a777-b461330d5c7f",
        ] {
            assert!(!is_valid_uuid(bad), "{bad}");
        }
        assert!(is_valid_time_uuid("A1B2C3D4-E5F6-11EA-8B3A-0242AC130003"));
        assert!(!is_valid_time_uuid("3c1cb4b4-2c5e-4d5f-9c1f-0e9b0c2d7a11"));
        let u = generate_uuid();
        assert!(is_valid_uuid(&u) && u.as_bytes()[14] == b'4' && u == u.to_lowercase());
        let t = generate_time_uuid();
        assert!(is_valid_time_uuid(&t), "{t}");
        assert_ne!(generate_time_uuid(), generate_time_uuid());
        for _ in 0..100 {
            let id = uuid::Uuid::new_v4();
            assert_eq!(hyphenated(id), id.hyphenated().to_string());
        }
        let t = generate_time_uuid();
        let parsed = uuid::Uuid::parse_str(&t).unwrap();
        assert_eq!(parsed.get_version_num(), 1);
        assert_eq!(parsed.get_node_id(), Some(*NODE_ID));
        let (secs, _) = parsed.get_timestamp().unwrap().to_unix();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(secs.abs_diff(now) <= 5, "{secs} vs {now}");
        // The layout against the crate's reading of it: time to the 100 ns, version, variant,
        // node, and one clock sequence step per uuid.
        let at = std::time::Duration::new(1_764_806_400, 123_456_789);
        let (a, b) = (time_uuid_at(at), time_uuid_at(at));
        let (a, b) = (
            uuid::Uuid::parse_str(&a).unwrap(),
            uuid::Uuid::parse_str(&b).unwrap(),
        );
        assert_eq!(
            a.get_timestamp().unwrap().to_unix(),
            (1_764_806_400, 123_456_700)
        );
        assert_eq!(a.get_version_num(), 1);
        assert_eq!(a.get_variant(), uuid::Variant::RFC4122);
        assert_eq!(a.get_node_id(), Some(*NODE_ID));
        let sequence = |u: uuid::Uuid| u.get_timestamp().unwrap().to_gregorian().1;
        assert_eq!(sequence(b), (sequence(a) + 1) & 0x3fff);
        let before_epoch = time_uuid_at(std::time::Duration::ZERO);
        let parsed = uuid::Uuid::parse_str(&before_epoch).unwrap();
        assert_eq!(parsed.get_timestamp().unwrap().to_unix(), (0, 0));
        let many: std::collections::HashSet<String> =
            (0..10_000).map(|_| generate_time_uuid()).collect();
        assert_eq!(many.len(), 10_000);
    }
}

/// A value that is not valid for its identifier class.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("[{value}] is not a valid {class}")]
#[non_exhaustive]
pub struct IdentifierError {
    /// The identifier class, e.g. `SlugIdentifier`.
    pub class: String,
    /// The rejected value.
    pub value: String,
}

/// Whether `s` is a valid value for an `identifier` field bound to `class` (the identifier
/// class named in the schema's `<php-options><class-name>`), with the JS classes' rules:
/// `UuidIdentifier`, `TimeUuidIdentifier`, `SlugIdentifier`/`RoleId` (plain slug),
/// `DatedSlugIdentifier`, `FileId` (`type_ext_yyyymmdd_hex32`) and `StreamId`
/// (`vendor:topic[:partition[:sub-partition]]`, at most 255 characters). Other classes accept
/// any non-empty string.
///
/// ```
/// use pbj::well_known::identifier::check_for_class;
///
/// assert!(check_for_class("SlugIdentifier", "homer-simpson").is_ok());
/// let err = check_for_class("SlugIdentifier", "Homer Simpson").unwrap_err();
/// assert_eq!(err.to_string(), "[Homer Simpson] is not a valid SlugIdentifier");
/// ```
pub fn check_for_class(class: &str, s: &str) -> Result<(), IdentifierError> {
    let ok = match class {
        "UuidIdentifier" => is_valid_uuid(s),
        "TimeUuidIdentifier" => is_valid_time_uuid(s),
        "SlugIdentifier" | "RoleId" => super::slug::is_valid(s, false),
        "DatedSlugIdentifier" => super::slug::is_valid(s, true) && super::slug::contains_date(s),
        "FileId" => is_valid_file_id(s),
        "StreamId" => is_valid_stream_id(s),
        _ => !s.is_empty(),
    };
    if ok {
        Ok(())
    } else {
        Err(IdentifierError {
            class: class.to_owned(),
            value: s.to_owned(),
        })
    }
}

/// `type_ext_yyyymmdd_hex32`, e.g. `image_jpg_20151201_27ca03c7b490460992a78692aca42b10`.
fn is_valid_file_id(s: &str) -> bool {
    let parts: Vec<&str> = s.split('_').collect();
    let lower_alnum = |p: &str, max: usize| {
        !p.is_empty()
            && p.len() <= max
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    parts.len() == 4
        && lower_alnum(parts[0], 12)
        && lower_alnum(parts[1], 10)
        && parts[2].len() == 8
        && parts[2].bytes().all(|b| b.is_ascii_digit())
        && parts[3].len() == 32
        && parts[3]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `vendor:topic[:partition[:sub-partition]]`, vendor `[a-z0-9-]+`, other parts `[\w.-]+`.
fn is_valid_stream_id(s: &str) -> bool {
    let word = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    };
    let parts: Vec<&str> = s.split(':').collect();
    s.len() <= 255
        && (2..=4).contains(&parts.len())
        && !parts[0].is_empty()
        && parts[0]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && parts[1..].iter().all(|p| word(p))
}

#[cfg(test)]
mod class_tests {
    use super::check_for_class;

    #[test]
    fn identifier_classes() {
        assert!(
            check_for_class(
                "FileId",
                "image_jpg_20151201_27ca03c7b490460992a78692aca42b10"
            )
            .is_ok()
        );
        assert!(
            check_for_class(
                "FileId",
                "image_jpg_2015120_27ca03c7b490460992a78692aca42b10"
            )
            .is_err()
        );
        assert!(check_for_class("RoleId", "super-user").is_ok());
        assert!(check_for_class("RoleId", "not valid id!").is_err());
        assert!(check_for_class("StreamId", "acme:My-Topic:IS_COOL:BR0.T33n").is_ok());
        for bad in [
            "test::what",
            "test::",
            ":test",
            "john@doe.com",
            "cool~topic",
            "some:test%20",
        ] {
            assert!(check_for_class("StreamId", bad).is_err(), "{bad}");
        }
        assert!(check_for_class("UuidIdentifier", "4b268351-2445-4d98-a777-b461330d5c7f").is_ok());
        assert!(check_for_class("Anything", "x").is_ok());
    }
}
