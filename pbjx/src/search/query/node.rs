//! The nodes of a parsed query and their `toArray()` form.

use serde_json::{Map, Value};

/// How a node takes part in the query: `+word` is required, `-word` prohibited, `word`
/// optional. Serialized as the original's integers 0, 1 and 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BoolOperator {
    /// May match (the default).
    #[default]
    Optional,
    /// Must match (`+`, or next to `AND` / `&&`).
    Required,
    /// Must not match (`-`).
    Prohibited,
}

impl BoolOperator {
    /// The original's integer value: 0, 1 or 2.
    ///
    /// ```
    /// use pbjx::search::query::parse;
    ///
    /// let query = parse("+a -b c").unwrap();
    /// let ops: Vec<u8> = query.nodes().iter().map(|n| n.bool_operator().value()).collect();
    /// assert_eq!(ops, [1, 2, 0]);
    /// ```
    pub fn value(self) -> u8 {
        match self {
            Self::Optional => 0,
            Self::Required => 1,
            Self::Prohibited => 2,
        }
    }
}

/// The comparison of a number or date inside a field (`plays:>500`, `date:<=2024-01-01`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ComparisonOperator {
    /// Equal (no operator written).
    #[default]
    Eq,
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `<`
    Lt,
    /// `<=`
    Lte,
}

impl ComparisonOperator {
    /// The original's value and Elasticsearch's range key: `eq`, `gt`, `gte`, `lt`, `lte`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Gt => "gt",
            Self::Gte => "gte",
            Self::Lt => "lt",
            Self::Lte => "lte",
        }
    }
}

/// The bounds of a range node (`field:[1..5]`, `field:{a TO m}`): at least one of them is set.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    lower: Option<Box<Node>>,
    upper: Option<Box<Node>>,
    exclusive: bool,
}

impl Range {
    /// A range with at least one bound (`None` when both are missing, where the original
    /// throws).
    ///
    /// ```
    /// use pbjx::search::query::{BoolOperator, ComparisonOperator, Node, NodeKind, Range};
    ///
    /// let one = NodeKind::Number { value: 1.0, comparison: ComparisonOperator::Eq };
    /// let one = Node::new(one, BoolOperator::Optional, None, None);
    /// let range = Range::new(Some(one), None, true).unwrap();
    /// assert!(range.is_exclusive() && range.upper().is_none());
    /// assert!(Range::new(None, None, false).is_none());
    /// ```
    pub fn new(lower: Option<Node>, upper: Option<Node>, exclusive: bool) -> Option<Self> {
        (lower.is_some() || upper.is_some()).then(|| Self {
            lower: lower.map(Box::new),
            upper: upper.map(Box::new),
            exclusive,
        })
    }
    /// The lower bound.
    pub fn lower(&self) -> Option<&Node> {
        self.lower.as_deref()
    }
    /// The upper bound.
    pub fn upper(&self) -> Option<&Node> {
        self.upper.as_deref()
    }
    /// `{..}` (exclusive) rather than `[..]` (inclusive).
    pub fn is_exclusive(&self) -> bool {
        self.exclusive
    }
}

/// What a node is, with its value.
///
/// ```
/// use pbjx::search::query::{NodeKind, parse};
///
/// let query = parse("plays:>500").unwrap();
/// let NodeKind::Field { name, node } = query.nodes()[0].kind() else { panic!() };
/// assert_eq!(name, "plays");
/// assert!(matches!(node.kind(), NodeKind::Number { value, .. } if *value == 500.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// A word, e.g. `cats` or `pre*` (trailing wildcard).
    Word {
        /// The word as written (case kept).
        value: String,
        /// Written with a trailing `*`.
        trailing_wildcard: bool,
    },
    /// A quoted phrase (quotes and outer whitespace removed).
    Phrase(String),
    /// `#tag` (value without `#`).
    Hashtag(String),
    /// `@user` (value without `@`).
    Mention(String),
    /// An emoticon such as `:)`.
    Emoticon(String),
    /// An emoji.
    Emoji(String),
    /// A URL.
    Url(String),
    /// A number (always optional, never boosted).
    Number {
        /// The value, as PHP's `(float)` read it.
        value: f64,
        /// The comparison inside a field.
        comparison: ComparisonOperator,
    },
    /// A date `YYYY-MM-DD` (the digits are not checked further).
    Date {
        /// The date as written.
        value: String,
        /// The comparison inside a field.
        comparison: ComparisonOperator,
    },
    /// `name:node` (the parser never puts a field in a field).
    Field {
        /// The field name.
        name: String,
        /// What the field must match.
        node: Box<Node>,
    },
    /// A parenthesised group of simple nodes.
    Subquery(Vec<Node>),
    /// A range of numbers.
    NumberRange(Range),
    /// A range of dates.
    DateRange(Range),
    /// A range of words.
    WordRange(Range),
}

impl NodeKind {
    /// The original's `NODE_TYPE`: `word`, `phrase`, ..., `number_range`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Word { .. } => "word",
            Self::Phrase(_) => "phrase",
            Self::Hashtag(_) => "hashtag",
            Self::Mention(_) => "mention",
            Self::Emoticon(_) => "emoticon",
            Self::Emoji(_) => "emoji",
            Self::Url(_) => "url",
            Self::Number { .. } => "number",
            Self::Date { .. } => "date",
            Self::Field { .. } => "field",
            Self::Subquery(_) => "subquery",
            Self::NumberRange(_) => "number_range",
            Self::DateRange(_) => "date_range",
            Self::WordRange(_) => "word_range",
        }
    }

    fn is_range(&self) -> bool {
        matches!(
            self,
            Self::NumberRange(_) | Self::DateRange(_) | Self::WordRange(_)
        )
    }

    /// Fields, subqueries and ranges hold other nodes.
    pub fn is_compound(&self) -> bool {
        self.is_range() || matches!(self, Self::Field { .. } | Self::Subquery(_))
    }

    /// Numbers and ranges have no bool operator and no boost of their own.
    fn has_modifiers(&self) -> bool {
        !self.is_range() && !matches!(self, Self::Number { .. })
    }

    fn supports_fuzzy(&self) -> bool {
        matches!(self, Self::Word { .. } | Self::Phrase(_))
    }

    /// The text value (`None` for numbers, subqueries and ranges; the name for a field).
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Word { value, .. }
            | Self::Phrase(value)
            | Self::Hashtag(value)
            | Self::Mention(value)
            | Self::Emoticon(value)
            | Self::Emoji(value)
            | Self::Url(value)
            | Self::Date { value, .. }
            | Self::Field { name: value, .. } => Some(value),
            _ => None,
        }
    }
}

/// The words a query builder skips (`Word::$stopWords` of the original).
pub const STOP_WORDS: [&str; 33] = [
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
];

/// One node of a parsed query: what it is, its bool operator, and its boost and fuzziness.
///
/// Built with [`Node::new`], which applies the original's rules: only optional nodes keep a
/// boost (clamped to 0..=10) or a fuzziness (words and phrases only, clamped to 1..=2); numbers
/// and ranges are always optional.
///
/// ```
/// use pbjx::search::query::{BoolOperator, Node, NodeKind};
///
/// let cats = || NodeKind::Word { value: "cats".into(), trailing_wildcard: false };
/// let boosted = Node::new(cats(), BoolOperator::Optional, Some(25.0), Some(0));
/// assert_eq!((boosted.boost(), boosted.fuzzy()), (10.0, 1));
/// let required = Node::new(cats(), BoolOperator::Required, Some(5.0), None);
/// assert!(!required.use_boost());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    kind: NodeKind,
    bool_operator: BoolOperator,
    boost: Option<f64>,
    fuzzy: Option<u8>,
}

impl Node {
    /// The boost of a node without one.
    pub const DEFAULT_BOOST: f64 = 1.0;
    /// The fuzziness of a node without one.
    pub const DEFAULT_FUZZY: u8 = 1;

    /// A node; `boost` and `fuzzy` are kept only where the original keeps them (see [`Node`]).
    pub fn new(
        kind: NodeKind,
        bool_operator: BoolOperator,
        boost: Option<f64>,
        fuzzy: Option<i64>,
    ) -> Self {
        let bool_operator = if kind.has_modifiers() {
            bool_operator
        } else {
            BoolOperator::Optional
        };
        let optional = bool_operator == BoolOperator::Optional;
        let boost = boost
            .filter(|_| optional && kind.has_modifiers())
            .map(|b| b.clamp(0.0, 10.0));
        let fuzzy = fuzzy
            .filter(|_| optional && kind.supports_fuzzy())
            .map(|f| f.clamp(1, 2) as u8);
        Self {
            kind,
            bool_operator,
            boost,
            fuzzy,
        }
    }

    /// What the node is.
    pub fn kind(&self) -> &NodeKind {
        &self.kind
    }
    /// The bool operator.
    pub fn bool_operator(&self) -> BoolOperator {
        self.bool_operator
    }
    /// Neither required nor prohibited.
    pub fn is_optional(&self) -> bool {
        self.bool_operator == BoolOperator::Optional
    }
    /// Required (`+`).
    pub fn is_required(&self) -> bool {
        self.bool_operator == BoolOperator::Required
    }
    /// Prohibited (`-`).
    pub fn is_prohibited(&self) -> bool {
        self.bool_operator == BoolOperator::Prohibited
    }
    /// Boosted (`^n`).
    pub fn use_boost(&self) -> bool {
        self.boost.is_some()
    }
    /// The boost, [`Node::DEFAULT_BOOST`] when not boosted.
    pub fn boost(&self) -> f64 {
        self.boost.unwrap_or(Self::DEFAULT_BOOST)
    }
    /// Fuzzy (`~` or `~n`).
    pub fn use_fuzzy(&self) -> bool {
        self.fuzzy.is_some()
    }
    /// The fuzziness (1 or 2), [`Node::DEFAULT_FUZZY`] when not fuzzy.
    pub fn fuzzy(&self) -> u8 {
        self.fuzzy.unwrap_or(Self::DEFAULT_FUZZY)
    }
    /// The original's `NODE_TYPE`.
    pub fn type_name(&self) -> &'static str {
        self.kind.type_name()
    }
    /// A word in [`STOP_WORDS`] (ASCII case-insensitive).
    pub fn is_stop_word(&self) -> bool {
        match &self.kind {
            NodeKind::Word { value, .. } => STOP_WORDS
                .iter()
                .any(|w| value.as_bytes().eq_ignore_ascii_case(w.as_bytes())),
            _ => false,
        }
    }

    /// The same node with other modifiers, as the original's `fromArray(toArray() + ...)`
    /// rebuilds it: the node's own operator, boost, fuzziness and wildcard win over the given
    /// ones, and the constructor's rules apply again.
    pub(super) fn with_defaults(
        &self,
        bool_operator: BoolOperator,
        boost: Option<f64>,
        fuzzy: Option<i64>,
        trailing_wildcard: bool,
    ) -> Self {
        let mut kind = self.kind.clone();
        if let NodeKind::Word {
            trailing_wildcard: wildcard,
            ..
        } = &mut kind
        {
            *wildcard |= trailing_wildcard;
        }
        let bool_operator = if self.is_optional() {
            bool_operator
        } else {
            self.bool_operator
        };
        Self::new(
            kind,
            bool_operator,
            self.boost.or(boost),
            self.fuzzy.map(i64::from).or(fuzzy),
        )
    }

    /// The original's `toArray()`: `type`, then `value` (when not empty), `bool_operator` (when
    /// not optional), `use_boost`/`boost`, `use_fuzzy`/`fuzzy`, and the kind's own keys.
    pub fn to_array(&self) -> Value {
        let mut out = Map::new();
        out.insert("type".into(), self.type_name().into());
        match &self.kind {
            NodeKind::Number { value, .. } => {
                out.insert("value".into(), (*value).into());
            }
            kind => {
                if let Some(text) = kind.text().filter(|t| !t.is_empty()) {
                    out.insert("value".into(), text.into());
                }
            }
        }
        if !self.is_optional() {
            out.insert("bool_operator".into(), self.bool_operator.value().into());
        }
        if let Some(boost) = self.boost {
            out.insert("use_boost".into(), true.into());
            out.insert("boost".into(), boost.into());
        }
        if let Some(fuzzy) = self.fuzzy {
            out.insert("use_fuzzy".into(), true.into());
            out.insert("fuzzy".into(), fuzzy.into());
        }
        match &self.kind {
            NodeKind::Word {
                trailing_wildcard: true,
                ..
            } => {
                out.insert("trailing_wildcard".into(), true.into());
            }
            NodeKind::Number { comparison, .. } | NodeKind::Date { comparison, .. }
                if *comparison != ComparisonOperator::Eq =>
            {
                out.insert("comparison_operator".into(), comparison.as_str().into());
            }
            NodeKind::Field { node, .. } => {
                out.insert("node".into(), node.to_array());
            }
            NodeKind::Subquery(nodes) => {
                let nodes = nodes.iter().map(Node::to_array).collect();
                out.insert("nodes".into(), Value::Array(nodes));
            }
            NodeKind::NumberRange(range)
            | NodeKind::DateRange(range)
            | NodeKind::WordRange(range) => {
                if let Some(lower) = range.lower() {
                    out.insert("lower_node".into(), lower.to_array());
                }
                if let Some(upper) = range.upper() {
                    out.insert("upper_node".into(), upper.to_array());
                }
                if range.exclusive {
                    out.insert("exclusive".into(), true.into());
                }
            }
            _ => {}
        }
        Value::Object(out)
    }
}
