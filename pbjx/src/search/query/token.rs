//! Tokens produced by the tokenizer (the original's `Token::T_*` types).

/// What a token is. Operator kinds carry no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    WhiteSpace,
    Ignored,
    Number,
    Required,
    Prohibited,
    GreaterThan,
    LessThan,
    Equals,
    Fuzzy,
    Boost,
    RangeInclStart,
    RangeInclEnd,
    RangeExclStart,
    RangeExclEnd,
    SubqueryStart,
    SubqueryEnd,
    Wildcard,
    And,
    Or,
    To,
    Word,
    FieldStart,
    FieldEnd,
    Phrase,
    Url,
    Date,
    Hashtag,
    Mention,
    Emoticon,
    Emoji,
}

/// One token: its kind and its text (or number, for [`Kind::Number`]).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub kind: Kind,
    pub text: String,
    pub number: f64,
}

impl Token {
    pub fn op(kind: Kind) -> Self {
        Self {
            kind,
            text: String::new(),
            number: 0.0,
        }
    }

    pub fn text(kind: Kind, text: impl Into<String>) -> Self {
        Self {
            kind,
            text: text.into(),
            number: 0.0,
        }
    }

    pub fn number(number: f64) -> Self {
        Self {
            kind: Kind::Number,
            text: String::new(),
            number,
        }
    }

    pub fn is(&self, kind: Kind) -> bool {
        self.kind == kind
    }
}
