//! The original's `ShardUtil`: stable shard numbers from strings (partition keys, the event
//! store's `s16`..`s256` attributes).

use md5::{Digest, Md5};

/// The default number of shards.
pub const DEFAULT_SHARDS: u16 = 256;

/// The 16-bit shard key of `s`: the first 4 hex digits of `md5(s)` (UTF-8 bytes) as a number,
/// 0..=65535.
pub fn shard_key(s: &str) -> u16 {
    let digest = Md5::digest(s.as_bytes());
    u16::from_be_bytes([digest[0], digest[1]])
}

/// The shard of `s` among `shards`: [`shard_key`] modulo `shards` (`ShardUtil::determineShard`
/// and JS `determineShard`). `shards == 0` means no reduction: the key itself.
///
/// ```
/// use pbjx::transport::{DEFAULT_SHARDS, determine_shard};
///
/// assert_eq!(determine_shard("test", DEFAULT_SHARDS), 143);
/// assert_eq!(determine_shard("test", 32), 15);
/// ```
pub fn determine_shard(s: &str, shards: u16) -> u16 {
    let key = shard_key(s);
    if shards == 0 { key } else { key % shards }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectors of pbjx-php `ShardUtilTest` / pbjx-js `determineShard` (pbjx-features.md §4).
    #[test]
    fn vectors() {
        let cases: [(&str, u16, [u16; 4]); 3] = [
            ("test", 0x098f, [143, 15, 15, 2447]),
            (
                "4ab60690-7d66-11e7-bb31-be2e44b06b34",
                0x8d06,
                [6, 6, 6, 36102],
            ),
            (
                "(╯°□°)╯︵ ┻━┻, ice 🍦 poop 💩 doh 😳",
                0x3432,
                [50, 18, 2, 13362],
            ),
        ];
        for (input, key, expected) in cases {
            assert_eq!(shard_key(input), key, "{input}");
            for (shards, want) in [256, 32, 16, 65535].into_iter().zip(expected) {
                assert_eq!(determine_shard(input, shards), want, "{input} % {shards}");
            }
            assert_eq!(determine_shard(input, 0), key);
            assert_eq!(determine_shard(input, 1), 0);
        }
    }
}
