//! `QueryParser` of the original: tokens to nodes.

use super::QueryError;
use super::node::{BoolOperator, ComparisonOperator, Node, NodeKind, Range};
use super::php;
use super::stream::TokenStream;
use super::token::{Kind, Token};

/// How deeply subqueries may nest. The tokenizer allows one level, but the original's handling
/// of an empty `()` nests one more for each `()` or `field:()` after it; the original has no
/// limit, here deeper queries are rejected so the recursion stays far within a thread's stack.
pub const MAX_DEPTH: usize = 64;

/// The nodes of a token list.
pub(super) fn parse(tokens: Vec<Token>) -> Result<Vec<Node>, QueryError> {
    let mut parser = Parser {
        stream: TokenStream::new(tokens),
        depth: 0,
    };
    let mut nodes = Vec::new();
    while parser.stream.next() {
        let bool_operator = parser.bool_operator();
        let Some(token) = parser.stream.current().cloned() else {
            break;
        };
        nodes.extend(parser.create_nodes(&token, bool_operator, None)?);
    }
    Ok(nodes)
}

/// The `*`, `^n` and `~n` after a node.
struct Modifiers {
    trailing_wildcard: bool,
    boost: Option<f64>,
    fuzzy: Option<i64>,
}

struct Parser {
    stream: TokenStream,
    /// Subqueries being parsed.
    depth: usize,
}

impl Parser {
    fn create_nodes(
        &mut self,
        token: &Token,
        bool_operator: BoolOperator,
        comparison: Option<ComparisonOperator>,
    ) -> Result<Vec<Node>, QueryError> {
        let text = || token.text.clone();
        let node = match token.kind {
            Kind::Word => self.create_word(text(), bool_operator),
            Kind::Date => self.create_date(text(), bool_operator, comparison),
            Kind::Emoji => self.create_term(NodeKind::Emoji(text()), bool_operator),
            Kind::Emoticon => self.create_term(NodeKind::Emoticon(text()), bool_operator),
            Kind::Hashtag => self.create_term(NodeKind::Hashtag(text()), bool_operator),
            Kind::Mention => self.create_term(NodeKind::Mention(text()), bool_operator),
            Kind::Number => self.create_number(token.number, comparison),
            Kind::Phrase => {
                let m = self.modifiers();
                Node::new(NodeKind::Phrase(text()), bool_operator, m.boost, m.fuzzy)
            }
            Kind::Url => {
                let m = self.modifiers();
                Node::new(NodeKind::Url(text()), bool_operator, m.boost, None)
            }
            Kind::FieldStart => return self.handle_field(text(), bool_operator),
            Kind::SubqueryStart => {
                return Ok(self.handle_subquery(bool_operator)?.into_iter().collect());
            }
            _ => return Ok(Vec::new()),
        };
        Ok(vec![node])
    }

    fn handle_field(
        &mut self,
        name: String,
        bool_operator: BoolOperator,
    ) -> Result<Vec<Node>, QueryError> {
        let Some(lookahead) = self.stream.lookahead().map(|t| t.kind) else {
            return Ok(vec![self.create_word(name, bool_operator)]);
        };
        self.stream.next();
        match lookahead {
            Kind::RangeInclStart | Kind::RangeExclStart => {
                return Ok(vec![self.handle_field_with_range(name, bool_operator)?]);
            }
            Kind::SubqueryStart => {
                return Ok(vec![self.handle_field_with_subquery(name, bool_operator)?]);
            }
            Kind::FieldEnd => return Ok(vec![self.create_word(name, bool_operator)]),
            _ => {}
        }
        self.stream.next_if(&[
            Kind::Required,
            Kind::Prohibited,
            Kind::Wildcard,
            Kind::Fuzzy,
            Kind::Boost,
        ]);
        let comparison = self.comparison_operator();
        let mut nodes = match self.stream.current().cloned() {
            Some(value) => self.create_nodes(&value, BoolOperator::Optional, comparison)?,
            None => Vec::new(),
        };
        self.stream.skip_until(Kind::FieldEnd);
        if nodes.len() > 1 {
            return Ok(nodes);
        }
        let Some(node) = nodes.pop() else {
            return Ok(vec![self.create_word(name, bool_operator)]);
        };
        let m = self.modifiers();
        Ok(vec![field(name, node, bool_operator, m.boost)?])
    }

    fn handle_field_with_range(
        &mut self,
        name: String,
        bool_operator: BoolOperator,
    ) -> Result<Node, QueryError> {
        let exclusive = self.stream.is(Kind::RangeExclStart);
        self.stream.next();
        let lower = self.range_bound();
        self.stream.skip_until(Kind::To);
        self.stream.next_if(&[Kind::To]);
        let upper = self.range_bound();
        self.stream.skip_until(Kind::FieldEnd);

        if let (Some(l), Some(u)) = (&lower, &upper)
            && std::mem::discriminant(l.kind()) != std::mem::discriminant(u.kind())
        {
            // Mismatched bounds become a subquery of both.
            let m = self.modifiers();
            let nodes = lower.into_iter().chain(upper).collect();
            let subquery = Node::new(
                NodeKind::Subquery(nodes),
                BoolOperator::Optional,
                m.boost,
                None,
            );
            return field(name, subquery, bool_operator, m.boost);
        }

        let m = self.modifiers();
        let is = |kind: &str| {
            [&lower, &upper]
                .into_iter()
                .flatten()
                .any(|n| n.type_name() == kind)
        };
        let make: fn(Range) -> NodeKind = if is("number") {
            NodeKind::NumberRange
        } else if is("date") {
            NodeKind::DateRange
        } else if is("word") {
            NodeKind::WordRange
        } else {
            return Ok(self.create_word(name, bool_operator));
        };
        match Range::new(lower, upper, exclusive) {
            Some(range) => field(
                name,
                Node::new(make(range), BoolOperator::Optional, None, None),
                bool_operator,
                m.boost,
            ),
            None => Ok(self.create_word(name, bool_operator)),
        }
    }

    /// The lower or upper bound at the current token: a number, date or word.
    fn range_bound(&mut self) -> Option<Node> {
        let token = self.stream.current()?.clone();
        match token.kind {
            Kind::Number => Some(self.create_number(token.number, None)),
            Kind::Date => Some(self.create_date(token.text, BoolOperator::Optional, None)),
            Kind::Word => Some(self.create_word(token.text, BoolOperator::Optional)),
            _ => None,
        }
    }

    fn handle_field_with_subquery(
        &mut self,
        name: String,
        bool_operator: BoolOperator,
    ) -> Result<Node, QueryError> {
        self.stream.next_if(&[Kind::SubqueryStart]);
        let subquery = self.handle_subquery(bool_operator)?;
        self.stream.skip_until(Kind::FieldEnd);
        match subquery {
            Some(node) => {
                let m = self.modifiers();
                field(name, node, bool_operator, m.boost)
            }
            None => Ok(self.create_word(name, bool_operator)),
        }
    }

    /// The nodes up to `)` as a subquery; a single node is returned on its own with the
    /// subquery's operator and modifiers (`+(cats)^5` is `+cats^5`).
    fn handle_subquery(&mut self, bool_operator: BoolOperator) -> Result<Option<Node>, QueryError> {
        if self.depth == MAX_DEPTH {
            return Err(QueryError::TooDeep { limit: MAX_DEPTH });
        }
        self.depth += 1;
        let subquery = self.subquery(bool_operator);
        self.depth -= 1;
        subquery
    }

    fn subquery(&mut self, bool_operator: BoolOperator) -> Result<Option<Node>, QueryError> {
        self.stream.next_if(&[Kind::SubqueryStart]);
        let mut nodes = Vec::new();
        loop {
            let op = self.bool_operator();
            let comparison = self.comparison_operator();
            if let Some(token) = self.stream.current().cloned() {
                nodes.extend(self.create_nodes(&token, op, comparison)?);
            }
            if !self.stream.next() || self.stream.is(Kind::SubqueryEnd) {
                break;
            }
        }
        if nodes.is_empty() {
            return Ok(None);
        }
        let m = self.modifiers();
        if let [node] = nodes.as_slice() {
            if let NodeKind::Field { name, node: inner } = node.kind()
                && inner.kind().is_compound()
                && !matches!(inner.kind(), NodeKind::Subquery(_))
            {
                return Err(QueryError::RangeInCollapsedSubquery {
                    field: name.clone(),
                });
            }
            return Ok(Some(node.with_defaults(
                bool_operator,
                m.boost,
                m.fuzzy,
                m.trailing_wildcard,
            )));
        }
        if let Some(node) = nodes.iter().find(|n| n.kind().is_compound()) {
            return Err(QueryError::CompoundNodeInSubquery {
                node_type: node.type_name(),
            });
        }
        Ok(Some(Node::new(
            NodeKind::Subquery(nodes),
            bool_operator,
            m.boost,
            None,
        )))
    }

    fn create_word(&mut self, value: String, bool_operator: BoolOperator) -> Node {
        let m = self.modifiers();
        let kind = NodeKind::Word {
            value,
            trailing_wildcard: m.trailing_wildcard,
        };
        Node::new(kind, bool_operator, m.boost, m.fuzzy)
    }

    fn create_date(
        &mut self,
        value: String,
        bool_operator: BoolOperator,
        comparison: Option<ComparisonOperator>,
    ) -> Node {
        let m = self.modifiers();
        let kind = NodeKind::Date {
            value,
            comparison: comparison.unwrap_or_default(),
        };
        Node::new(kind, bool_operator, m.boost, m.fuzzy)
    }

    /// Hashtags, mentions, emoticons and emojis: optional ones become required.
    fn create_term(&mut self, kind: NodeKind, bool_operator: BoolOperator) -> Node {
        let bool_operator = match bool_operator {
            BoolOperator::Optional => BoolOperator::Required,
            other => other,
        };
        let m = self.modifiers();
        Node::new(kind, bool_operator, m.boost, None)
    }

    /// A number; modifiers after it are consumed and ignored.
    fn create_number(&mut self, value: f64, comparison: Option<ComparisonOperator>) -> Node {
        self.modifiers();
        let kind = NodeKind::Number {
            value,
            comparison: comparison.unwrap_or_default(),
        };
        Node::new(kind, BoolOperator::Optional, None, None)
    }

    fn bool_operator(&mut self) -> BoolOperator {
        if self.stream.next_if(&[Kind::Required])
            || self.stream.lookahead_is(Kind::And)
            || self.stream.prev_is(Kind::And)
        {
            BoolOperator::Required
        } else if self.stream.next_if(&[Kind::Prohibited]) {
            BoolOperator::Prohibited
        } else {
            BoolOperator::Optional
        }
    }

    fn comparison_operator(&mut self) -> Option<ComparisonOperator> {
        let greater = if self.stream.next_if(&[Kind::GreaterThan]) {
            true
        } else if self.stream.next_if(&[Kind::LessThan]) {
            false
        } else {
            return None;
        };
        let equals = self.stream.next_if(&[Kind::Equals]);
        Some(match (greater, equals) {
            (true, false) => ComparisonOperator::Gt,
            (true, true) => ComparisonOperator::Gte,
            (false, false) => ComparisonOperator::Lt,
            (false, true) => ComparisonOperator::Lte,
        })
    }

    fn modifiers(&mut self) -> Modifiers {
        let trailing_wildcard = self.stream.next_if_lookahead(Kind::Wildcard);
        let number = |s: &TokenStream| s.current().map_or(0.0, |t| t.number);
        let mut boost = None;
        if self.stream.next_if_lookahead(Kind::Boost) && self.stream.next_if_lookahead(Kind::Number)
        {
            boost = Some(number(&self.stream));
        }
        let mut fuzzy = None;
        if self.stream.next_if_lookahead(Kind::Fuzzy) {
            fuzzy = Some(i64::from(Node::DEFAULT_FUZZY));
            if self.stream.next_if_lookahead(Kind::Number) {
                fuzzy = Some(php::float_to_int(number(&self.stream)));
            }
        }
        Modifiers {
            trailing_wildcard,
            boost,
            fuzzy,
        }
    }
}

/// `name:node`; a field cannot hold another field.
fn field(
    name: String,
    node: Node,
    bool_operator: BoolOperator,
    boost: Option<f64>,
) -> Result<Node, QueryError> {
    if let NodeKind::Field { name: inner, .. } = node.kind() {
        return Err(QueryError::NestedField {
            field: name,
            inner: inner.clone(),
        });
    }
    let kind = NodeKind::Field {
        name,
        node: Box::new(node),
    };
    Ok(Node::new(kind, bool_operator, boost, None))
}
