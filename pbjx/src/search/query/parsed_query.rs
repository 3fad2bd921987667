//! [`ParsedQuery`]: the nodes of a query, in input order.

use serde_json::Value;

use super::node::{Node, NodeKind};

/// The result of [`super::parse`]: the top-level nodes in the order they were written.
///
/// ```
/// use pbjx::search::query::parse;
///
/// let query = parse("funny #cats plays:>500 -dogs").unwrap();
/// assert_eq!(query.nodes().len(), 4);
/// assert_eq!(query.fields_used(), ["plays"]);
/// assert!(query.has_a_matchable_node());
/// assert_eq!(
///     query.to_array()[2],
///     serde_json::json!({
///         "type": "field", "value": "plays",
///         "node": {"type": "number", "value": 500.0, "comparison_operator": "gt"}
///     })
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedQuery {
    nodes: Vec<Node>,
}

impl ParsedQuery {
    /// A query of these nodes.
    pub fn new(nodes: Vec<Node>) -> Self {
        Self { nodes }
    }

    /// Every top-level node.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Appends a node.
    pub fn add_node(&mut self, node: Node) {
        self.nodes.push(node);
    }

    /// No nodes at all.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The top-level nodes of one type (`"word"`, `"field"`, ...; see [`Node::type_name`]).
    pub fn nodes_of_type<'a>(&'a self, type_name: &'a str) -> impl Iterator<Item = &'a Node> {
        self.nodes
            .iter()
            .filter(move |n| n.type_name() == type_name)
    }

    /// Whether some node is not prohibited (a query of only prohibited nodes would match
    /// nearly everything).
    pub fn has_a_matchable_node(&self) -> bool {
        self.nodes.iter().any(|n| !n.is_prohibited())
    }

    /// The names of the top-level fields, each once, in first-use order.
    pub fn fields_used(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for node in &self.nodes {
            if let NodeKind::Field { name, .. } = node.kind()
                && !names.contains(&name.as_str())
            {
                names.push(name);
            }
        }
        names
    }

    /// The original's `ParsedQuery::toArray()`: the nodes' [`Node::to_array`] in order.
    pub fn to_array(&self) -> Value {
        Value::Array(self.nodes.iter().map(Node::to_array).collect())
    }
}
