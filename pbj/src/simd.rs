//! Byte-class tests sixteen bytes at a time with SSE2, for the scans on the codec's hot paths
//! (JSON string runs, ref ids). SSE2 is part of the x86-64 baseline, so every x86-64 CPU has
//! it; other targets use the word-at-a-time and table code of the callers. Hand-written
//! rather than a crate: the few operations below are all that is needed, and the bytes are
//! loaded through safe slices (the intrinsics only touch registers).

use std::arch::x86_64::{
    __m128i, _mm_cmpeq_epi8, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set_epi64x,
    _mm_set1_epi8, _mm_sub_epi8,
};

/// Bit `i` set: byte `i` of the 16-byte `chunk` is `"`, `\` or a control byte (below 0x20).
#[inline(always)]
pub(crate) fn special_bytes16(chunk: &[u8]) -> u32 {
    let x = load16(chunk);
    // SAFETY: register-only SSE2 operations (see the module doc).
    unsafe {
        let quote = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8));
        let control = in_range(x, 0, 0x1f);
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)) as u32
    }
}

/// Bit `i` set: byte `i` of the 16-byte `chunk` is outside `[A-Za-z0-9_/.:-]` (the ref-id
/// class).
#[inline(always)]
pub(crate) fn non_ref_id_bytes16(chunk: &[u8]) -> u32 {
    let x = load16(chunk);
    // SAFETY: register-only SSE2 operations (see the module doc).
    unsafe {
        // `-./0-9:` are one range (0x2d..=0x3a).
        let allowed = _mm_or_si128(
            _mm_or_si128(in_range(x, b'-', b':'), in_range(x, b'A', b'Z')),
            _mm_or_si128(
                in_range(x, b'a', b'z'),
                _mm_cmpeq_epi8(x, _mm_set1_epi8(b'_' as i8)),
            ),
        );
        !_mm_movemask_epi8(allowed) as u32 & 0xffff
    }
}

/// Bitsets of the bytes of `b` (16 to 64 bytes; bit `i` is byte `i`): the `:`, the `.` and
/// the bytes outside `[a-z0-9.:-]` (a curie's alphabet).
#[inline(always)]
pub(crate) fn curie_bits(b: &[u8]) -> (u64, u64, u64) {
    debug_assert!((16..=64).contains(&b.len()));
    let masks = |chunk: &[u8]| {
        let x = load16(chunk);
        // SAFETY: register-only SSE2 operations (see the module doc).
        unsafe {
            let colon = _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(b':' as i8)));
            let dot = _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(b'.' as i8)));
            // `-.` and `0-9:` are ranges (0x2d..=0x2e, 0x30..=0x3a).
            let allowed = _mm_or_si128(
                in_range(x, b'a', b'z'),
                _mm_or_si128(in_range(x, b'-', b'.'), in_range(x, b'0', b':')),
            );
            let other = !_mm_movemask_epi8(allowed) & 0xffff;
            (colon as u64, dot as u64, other as u64)
        }
    };
    let n = b.len();
    let (mut colons, mut dots, mut others) = (0, 0, 0);
    let mut i = 0;
    while i < n {
        // The last chunk overlaps the one before: the bytes seen twice get the same bits.
        let at = i.min(n - 16);
        let (c, d, o) = masks(b.get(at..at + 16).unwrap_or_default());
        colons |= c << at;
        dots |= d << at;
        others |= o << at;
        i += 16;
    }
    (colons, dots, others)
}

/// Whether `mask` finds no byte in `b` (at least 16 bytes long): 16-byte steps, the last one
/// overlapping the one before.
#[inline(always)]
pub(crate) fn none_of(b: &[u8], mask: impl Fn(&[u8]) -> u32) -> bool {
    debug_assert!(b.len() >= 16);
    let n = b.len();
    let chunk = |at: usize| b.get(at..at + 16).unwrap_or_default();
    let mut i = 0;
    while i + 16 < n {
        if mask(chunk(i)) != 0 {
            return false;
        }
        i += 16;
    }
    mask(chunk(n.saturating_sub(16))) == 0
}

/// The 16 bytes of `chunk` in a register (a missing 8-byte half reads as `a`s, a byte no mask
/// here flags; callers pass whole chunks).
#[inline(always)]
fn load16(chunk: &[u8]) -> __m128i {
    let word = |at: usize| {
        let mut w = [b'a'; 8];
        if let Some(bytes) = chunk.get(at..at + 8) {
            w.copy_from_slice(bytes);
        }
        i64::from_le_bytes(w)
    };
    // SAFETY: a register-only SSE2 operation (see the module doc).
    unsafe { _mm_set_epi64x(word(8), word(0)) }
}

/// Each byte of `x` in `lo..=hi` (unsigned) as 0xff, others as 0.
#[inline(always)]
fn in_range(x: __m128i, lo: u8, hi: u8) -> __m128i {
    // SAFETY: register-only SSE2 operations (see the module doc).
    unsafe {
        // `x - lo` is at most `hi - lo` exactly for the bytes in range (wrapping below).
        let d = _mm_sub_epi8(x, _mm_set1_epi8(lo as i8));
        _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8((hi - lo) as i8)), d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_agree_with_byte_tests() {
        let special = |c: u8| c == b'"' || c == b'\\' || c < 0x20;
        let ref_id = |c: u8| !(c.is_ascii_alphanumeric() || b"_/.:-".contains(&c));
        // Every byte at every position (the other bytes plain).
        for c in 0..=255u8 {
            for at in 0..16 {
                let mut chunk = [b'a'; 16];
                chunk[at] = c;
                let want = |f: &dyn Fn(u8) -> bool| if f(c) { 1u32 << at } else { 0 };
                assert_eq!(special_bytes16(&chunk), want(&special), "{c:#x} at {at}");
                assert_eq!(non_ref_id_bytes16(&chunk), want(&ref_id), "{c:#x} at {at}");
            }
        }
        // Curie bitsets of every length, a byte of each kind at every position.
        for n in 16..=64 {
            for at in 0..n {
                for (c, bit) in [(b':', 0), (b'.', 1), (b'A', 2), (b'_', 2), (0xff, 2)] {
                    let mut b = vec![b'a'; n];
                    b[at] = c;
                    let (colons, dots, others) = curie_bits(&b);
                    let want = [colons, dots, others];
                    for (k, got) in want.iter().enumerate() {
                        let expected = if k == bit { 1u64 << at } else { 0 };
                        assert_eq!(*got, expected, "{n} {at} {c:#x} set {k}");
                    }
                }
            }
        }
        assert!(none_of(&[b'x'; 33], non_ref_id_bytes16));
        for at in 0..33 {
            let mut b = [b'x'; 33];
            b[at] = b' ';
            assert!(!none_of(&b, non_ref_id_bytes16), "{at}");
        }
    }
}
