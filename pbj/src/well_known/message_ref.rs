use std::fmt;

/// A reference to a message: curie, id and optional tag; on the wire `{"curie","id","tag"?}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageRef {
    curie: String,
    id: String,
    tag: Option<String>,
}

impl MessageRef {
    /// Creates a message ref; the curie must be a non-mixin curie and the id `[\w/.:-]+`.
    pub fn new(curie: &str, id: &str, tag: Option<&str>) -> Result<Self, String> {
        let parsed = crate::SchemaCurie::parse(curie).map_err(|e| e.to_string())?;
        if parsed.is_mixin() {
            return Err("mixins cannot be used in a message ref".into());
        }
        let id = id.trim();
        let id = if id.is_empty() { "null" } else { id };
        if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b"_/.:-".contains(&b)) {
            return Err(format!("message ref id [{id}] is invalid"));
        }
        let tag = tag
            .map(|t| {
                t.trim()
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() || "_.-".contains(c) { c.to_ascii_lowercase() } else { '-' })
                    .collect::<String>()
            })
            .filter(|t| !t.is_empty());
        Ok(Self { curie: curie.to_owned(), id: id.to_owned(), tag })
    }
    /// The curie.
    pub fn curie(&self) -> &str {
        &self.curie
    }
    /// The id.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The tag.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }
}

impl fmt::Display for MessageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.curie, self.id)?;
        if let Some(t) = &self.tag {
            write!(f, "#{t}")?;
        }
        Ok(())
    }
}
