//! Etags: the md5 hex digest the original implementations use to fingerprint messages.

use md5::{Digest, Md5};

/// The lowercase hex md5 digest of `bytes` (32 characters), as PHP `md5()` and the JS `md5`
/// package print it.
///
/// ```
/// assert_eq!(pbj::etag::md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
/// assert_eq!(pbj::etag::md5_hex("123"), "202cb962ac59075b964b07152d234b70");
/// ```
pub fn md5_hex(bytes: impl AsRef<[u8]>) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Md5::digest(bytes.as_ref());
    let mut out = String::with_capacity(32);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}
