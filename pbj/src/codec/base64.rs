//! Standard base64 (RFC 4648 alphabet, padded output), decoding as leniently as the JS
//! `base-64` package: ASCII whitespace is ignored and padding is optional.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Encodes `bytes` with padding.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn sextet(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    } as u32)
}

/// Text that is not base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Base64Error {
    /// One character too many for whole bytes (the length without padding is `4n + 1`).
    #[error("invalid base64 length")]
    Length,
    /// A character outside `A-Za-z0-9+/` (after whitespace and trailing padding are removed).
    #[error("invalid base64 character [{character}]")]
    Character {
        /// The rejected character.
        character: char,
    },
}

/// Decodes base64 text.
///
/// ```
/// use pbj::codec::base64;
///
/// assert_eq!(base64::decode("aG9tZXIg\nc2ltcHNvbg")?, b"homer simpson");
/// let err = base64::decode("a$==").unwrap_err();
/// assert_eq!(err, base64::Base64Error::Character { character: '$' });
/// # Ok::<(), base64::Base64Error>(())
/// ```
pub fn decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    let mut s: Vec<u8> = text
        .bytes()
        .filter(|b| !matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' '))
        .collect();
    if s.len().is_multiple_of(4) {
        for _ in 0..2 {
            if s.last() == Some(&b'=') {
                s.pop();
            }
        }
    }
    if s.len() % 4 == 1 {
        return Err(Base64Error::Length);
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s {
        let bits6 = sextet(c).ok_or_else(|| Base64Error::Character {
            // A non-ASCII byte belongs to the first non-ASCII character.
            character: if c.is_ascii() {
                char::from(c)
            } else {
                text.chars().find(|ch| !ch.is_ascii()).unwrap_or('\u{fffd}')
            },
        })?;
        acc = (acc << 6) | bits6;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden() {
        for (raw, b64) in [
            ("test", "dGVzdA=="),
            ("homer simpson", "aG9tZXIgc2ltcHNvbg=="),
            ("✓ à la mode", "4pyTIMOgIGxhIG1vZGU="),
            ("ಠ_ಠ", "4LKgX+CyoA=="),
            ("", ""),
            ("a", "YQ=="),
        ] {
            assert_eq!(encode(raw.as_bytes()), b64);
            assert_eq!(decode(b64).unwrap(), raw.as_bytes());
        }
        assert_eq!(decode("YQ").unwrap(), b"a");
        assert!(decode("Y").is_err());
        assert!(decode("Y!==").is_err());
    }
}
