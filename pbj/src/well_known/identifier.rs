//! Uuid / time-uuid identifiers: validation and generation.

/// Whether `s` is a uuid as JS checks it: `^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`
/// (any version, any case, nil allowed; no braces or `urn:` prefix).
pub fn is_valid_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Whether `s` is a time uuid as JS checks it: a uuid whose version nibble is `1`.
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

#[cfg(test)]
mod tests {
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
    }
}
