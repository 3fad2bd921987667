use std::fmt;

/// A reference to a node: `vendor:label:id`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeRef {
    vendor: String,
    label: String,
    id: String,
}

impl NodeRef {
    /// Parses `vendor:label:id`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let err = || format!("[{s}] is not a valid node ref (vendor:label:id)");
        let mut parts = s.splitn(3, ':');
        let vendor = parts.next().ok_or_else(err)?;
        let label = parts.next().ok_or_else(err)?;
        let id = parts.next().ok_or_else(err)?;
        if vendor.is_empty() || label.is_empty() || id.is_empty() {
            return Err(err());
        }
        Ok(Self { vendor: vendor.to_owned(), label: label.to_owned(), id: id.to_owned() })
    }
    /// The vendor.
    pub fn vendor(&self) -> &str {
        &self.vendor
    }
    /// The label (message name of the node).
    pub fn label(&self) -> &str {
        &self.label
    }
    /// The node id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl fmt::Display for NodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.vendor, self.label, self.id)
    }
}
