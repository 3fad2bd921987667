//! Uuid / time-uuid identifiers: validation and generation.

/// Whether `s` is a canonical uuid (`8-4-4-4-12` hex digits, any case).
pub fn is_valid_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Whether `s` is a version-1 (time based) uuid.
pub fn is_valid_time_uuid(s: &str) -> bool {
    is_valid_uuid(s) && s.as_bytes()[14] == b'1'
}

/// A new random (v4) uuid, lowercase.
pub fn generate_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A new time-based (v1) uuid with a random node id, lowercase.
pub fn generate_time_uuid() -> String {
    let node: [u8; 6] = {
        let r = uuid::Uuid::new_v4();
        let b = r.as_bytes();
        [b[0] | 0x01, b[1], b[2], b[3], b[4], b[5]]
    };
    uuid::Uuid::now_v1(&node).to_string()
}
