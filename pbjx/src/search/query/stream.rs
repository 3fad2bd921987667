//! `TokenStream` of the original: a cursor over the tokens with one token of lookahead.

use super::token::{Kind, Token};

pub(super) struct TokenStream {
    tokens: Vec<Token>,
    /// Index of the lookahead token.
    position: usize,
    /// Index of the current token; `None` is the end of input.
    current: Option<usize>,
}

impl TokenStream {
    pub fn new(tokens: Vec<Token>) -> Self {
        let current = (!tokens.is_empty()).then_some(0);
        Self {
            tokens,
            position: 0,
            current,
        }
    }

    /// Moves to the next token; `false` at the end of input.
    pub fn next(&mut self) -> bool {
        self.current = (self.position < self.tokens.len()).then_some(self.position);
        if self.current.is_some() {
            self.position += 1;
        }
        self.current.is_some()
    }

    pub fn current(&self) -> Option<&Token> {
        self.current.map(|i| &self.tokens[i])
    }

    pub fn lookahead(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    pub fn is(&self, kind: Kind) -> bool {
        self.current().is_some_and(|t| t.is(kind))
    }

    pub fn lookahead_is(&self, kind: Kind) -> bool {
        self.lookahead().is_some_and(|t| t.is(kind))
    }

    /// Whether the token before the current one is of `kind`.
    pub fn prev_is(&self, kind: Kind) -> bool {
        self.position
            .checked_sub(2)
            .and_then(|i| self.tokens.get(i))
            .is_some_and(|t| t.is(kind))
    }

    /// Moves on until the current token is of `kind` (or the input ends).
    pub fn skip_until(&mut self, kind: Kind) {
        while self.current.is_some() && !self.is(kind) {
            self.next();
        }
    }

    /// Moves on if the current token is of one of `kinds`.
    pub fn next_if(&mut self, kinds: &[Kind]) -> bool {
        let hit = self.current().is_some_and(|t| kinds.contains(&t.kind));
        if hit {
            self.next();
        }
        hit
    }

    /// Moves on if the lookahead token is of `kind`.
    pub fn next_if_lookahead(&mut self, kind: Kind) -> bool {
        let hit = self.lookahead_is(kind);
        if hit {
            self.next();
        }
        hit
    }
}
