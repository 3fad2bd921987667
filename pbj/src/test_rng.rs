//! The deterministic generator of the randomised equivalence tests (xorshift64): each test
//! draws the same inputs on every run, so a failure names an input that can be replayed.

/// xorshift64 with a fixed seed.
pub(crate) struct Xorshift(u64);

impl Xorshift {
    /// A generator starting from `seed` (not zero).
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next value.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// The next value below `n` (not zero).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Fewer than `most` of `pieces`, each drawn at random, one after the other.
    pub(crate) fn concat(&mut self, pieces: &[&str], most: usize) -> String {
        let mut text = String::new();
        for _ in 0..self.below(most) {
            text.push_str(pieces[self.below(pieces.len())]);
        }
        text
    }
}
