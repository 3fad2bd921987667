//! The bytes of a token: PHP's `json_encode` of strings, unpadded base64url and HMAC-SHA256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::digest::Key;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Appends `s` as PHP's `json_encode` writes a string: `\uXXXX` (lower-case hex, UTF-16) for
/// every non-ASCII character, short escapes for `"`, `\`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u00XX`
/// for other control characters, and `\/` unless `JSON_UNESCAPED_SLASHES`.
pub(super) fn push_php_json_string(out: &mut String, s: &str, escape_slashes: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if escape_slashes => out.push_str("\\/"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' || !c.is_ascii() => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Base64url without padding (`StringUtil::urlsafeB64Encode`).
pub(super) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Strict base64url without padding: only the canonical encoding of some bytes is accepted
/// (PHP's decoder also skips stray characters and padding).
pub(super) fn b64_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// HMAC-SHA256 keyed with `secret`.
pub(super) fn hmac(secret: &[u8]) -> HmacSha256 {
    // RFC 2104: a key longer than a block is hashed, a shorter one padded with zeros; building
    // the block-sized key here gives the same MAC without a fallible constructor.
    let mut key = Key::<HmacSha256>::default();
    if secret.len() > key.len() {
        let digest = Sha256::digest(secret);
        key[..digest.len()].copy_from_slice(&digest);
    } else {
        key[..secret.len()].copy_from_slice(secret);
    }
    HmacSha256::new(&key)
}

/// HMAC-SHA256 of the concatenated `parts`.
pub(super) fn hmac_sha256(secret: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = hmac(secret);
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// Lower-case hex (`hash_hmac`'s default output).
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `signature` is the HMAC of `message`, compared in constant time.
pub(super) fn verify(secret: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let mut mac = hmac(secret);
    mac.update(message);
    mac.verify_slice(signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_php_does() {
        let json = |s: &str, slashes: bool| {
            let mut out = String::new();
            push_php_json_string(&mut out, s, slashes);
            out
        };
        assert_eq!(json("a/b", true), r#""a\/b""#);
        assert_eq!(json("a/b", false), r#""a/b""#);
        // DEL is not escaped.
        let expected = concat!(r#""\u00ff\ud83d\udca9\u0001"#, "\u{7f}", r#"\"\\""#);
        assert_eq!(json("ÿ💩\u{1}\u{7f}\"\\", true), expected);
    }

    #[test]
    fn long_and_short_keys_give_the_rfc_4231_macs() {
        // RFC 4231 test cases 2 and 6.
        let mac = hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let key = [0xaa; 131];
        let mac = hmac_sha256(
            &key,
            &[b"Test Using Larger Than Block-Size Key - Hash Key First"],
        );
        assert_eq!(
            hex(&mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }
}
