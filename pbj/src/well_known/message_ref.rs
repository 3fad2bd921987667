use std::fmt;

use super::node_ref::is_valid_ref_id;

/// A reference to a message: curie, id and optional tag; on the wire `{"curie","id","tag"?}`,
/// as a string `curie:id#tag`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MessageRef {
    // One allocation holding `curie`, `id` and `tag` back to back (keeps `Value`, and so every
    // message's storage, small, and costs one malloc per ref); the tag is what follows the id.
    text: Box<str>,
    // `u32`: keeps `Value` at 32 bytes (curies and ids are far shorter).
    curie_len: u32,
    id_len: u32,
}

impl fmt::Debug for MessageRef {
    // The same output as the derived impl of `{ curie, id, tag: Option<_> }` (set keys of
    // message-ref values are built from it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageRef")
            .field("curie", &self.curie())
            .field("id", &self.id())
            .field("tag", &self.tag())
            .finish()
    }
}

/// Whether the lengths of `curie` and `id` fit the ref's `u32` offsets (a 4 GiB id is not an
/// id; such a ref is rejected rather than cut).
fn fits(curie: &str, id: &str) -> bool {
    u32::try_from(curie.len()).is_ok() && u32::try_from(id.len()).is_ok()
}

/// Appends the JS normalization of `tag` to `out`: trim, every UTF-16 unit outside `[\w.-]`
/// becomes `-` (an astral char gives `--`), lowercase. Never longer than `tag`; appends nothing
/// for a blank tag.
fn push_normalized_tag(out: &mut String, tag: &str) {
    // The usual tag is normalized already: copied as it is.
    let normalized = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || b"_.-".contains(c);
    if tag.bytes().all(|c| normalized(&c)) {
        out.push_str(tag);
        return;
    }
    for c in crate::text::js_trim(tag).chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
            out.push(c.to_ascii_lowercase());
        } else {
            for _ in 0..c.len_utf16() {
                out.push('-');
            }
        }
    }
}

/// Why a [`MessageRef`] cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageRefError {
    /// The text has no `vendor:package:category:message:` prefix ([`MessageRef::parse`]).
    #[error("MessageRef [{value}] is invalid")]
    Malformed {
        /// The rejected text.
        value: String,
    },
    /// The curie is not a valid schema curie.
    #[error("{}", crate::Error::InvalidSchemaCurie { value: curie.clone() })]
    InvalidCurie {
        /// The rejected curie.
        curie: String,
    },
    /// The curie is a mixin's (category `mixin`), which a message ref cannot point to.
    #[error("Mixins cannot be used in a MessageRef [{curie}]")]
    MixinCurie {
        /// The mixin curie.
        curie: String,
    },
    /// The id does not match `^[\w\/\.:-]+$`.
    #[error("MessageRef.id [{id}] is invalid")]
    InvalidId {
        /// The rejected (trimmed) id.
        id: String,
    },
}

impl MessageRef {
    /// Creates a message ref with JS semantics: the curie must be a valid non-mixin curie; the id
    /// is JS-trimmed, empty becomes `"null"` (`"0"` is kept) and must match `^[\w\/\.:-]+$`; the
    /// tag is trimmed, `[^\w.-]` becomes `-`, lowercased, and empty gives no tag.
    ///
    /// ```
    /// use pbj::MessageRef;
    ///
    /// let r = MessageRef::new("acme:blog:node:article", " 123 ", Some("My Tag!"))?;
    /// assert_eq!(r.to_string(), "acme:blog:node:article:123#my-tag-");
    /// assert!(MessageRef::new("acme:blog:mixin:article", "1", None).is_err());
    /// # Ok::<(), pbj::well_known::MessageRefError>(())
    /// ```
    pub fn new(curie: &str, id: &str, tag: Option<&str>) -> Result<Self, MessageRefError> {
        let is_mixin = match crate::schema_id::check_curie(curie) {
            Some(is_mixin) => is_mixin,
            None => crate::SchemaCurie::parse(curie)
                .map_err(|_| MessageRefError::InvalidCurie {
                    curie: curie.to_owned(),
                })?
                .is_mixin(),
        };
        if is_mixin {
            return Err(MessageRefError::MixinCurie {
                curie: curie.to_owned(),
            });
        }
        Self::with_valid_curie(curie, id, tag)
    }

    /// [`Self::new`] for a curie already known to pass its checks (a registered schema's).
    #[inline]
    pub(crate) fn with_valid_curie(
        curie: &str,
        id: &str,
        tag: Option<&str>,
    ) -> Result<Self, MessageRefError> {
        let id = crate::text::js_trim(id);
        let id = if id.is_empty() { "null" } else { id };
        if !is_valid_ref_id(id) || !fits(curie, id) {
            return Err(MessageRefError::InvalidId { id: id.to_owned() });
        }
        Ok(Self::assemble(curie, id, tag))
    }

    /// A reference to a message of a generated schema (whose curie pbjc already checked): an id
    /// that is not a valid ref id becomes `"null"`, as the original does for missing ids.
    pub(crate) fn for_schema(curie: &str, id: &str, tag: Option<&str>) -> Self {
        let id = crate::text::js_trim(id);
        let id = if id.is_empty() || !is_valid_ref_id(id) || !fits(curie, id) {
            "null"
        } else {
            id
        };
        Self::assemble(curie, id, tag)
    }

    /// One allocation holding `curie`, `id` and the normalized `tag` (written in place: the
    /// normalized tag is never longer than the raw one, so the capacity is exact for the
    /// usual ASCII tag).
    fn assemble(curie: &str, id: &str, tag: Option<&str>) -> Self {
        let tag = tag.unwrap_or_default();
        let mut text = String::with_capacity(curie.len() + id.len() + tag.len());
        text.push_str(curie);
        text.push_str(id);
        push_normalized_tag(&mut text, tag);
        Self {
            text: text.into_boxed_str(),
            // Callers keep curies and ids under `u32::MAX` bytes (see `fits`).
            curie_len: curie.len() as u32,
            id_len: id.len() as u32,
        }
    }
    /// Parses `vendor:package:category:message:id[#tag]` as JS `fromString` does: the first `#`
    /// splits off the tag (a second `#` and what follows are dropped), the first four `:` pieces
    /// are the curie and the rest (which may contain `:`) is the id.
    ///
    /// ```
    /// let r: pbj::MessageRef = "acme:blog::article:2015/12/25:still:the:id#2015.Q4".parse()?;
    /// assert_eq!(r.curie(), "acme:blog::article");
    /// assert_eq!((r.id(), r.tag()), ("2015/12/25:still:the:id", Some("2015.q4")));
    /// # Ok::<(), pbj::well_known::MessageRefError>(())
    /// ```
    pub fn parse(s: &str) -> Result<Self, MessageRefError> {
        let mut hash = s.split('#');
        let reference = hash.next().unwrap_or_default();
        let tag = hash.next();
        let mut pieces = reference.splitn(5, ':');
        let curie: Vec<&str> = pieces.by_ref().take(4).collect();
        if curie.len() < 4 {
            return Err(MessageRefError::Malformed {
                value: s.to_owned(),
            });
        }
        let id = pieces.next().unwrap_or_default();
        Self::new(&curie.join(":"), id, tag)
    }
    /// The curie.
    pub fn curie(&self) -> &str {
        self.text.get(..self.curie_len as usize).unwrap_or_default()
    }
    /// The id (`"null"` when none was given).
    pub fn id(&self) -> &str {
        let start = self.curie_len as usize;
        self.text
            .get(start..start + self.id_len as usize)
            .unwrap_or_default()
    }
    /// Whether the id is not `"null"`.
    pub fn has_id(&self) -> bool {
        self.id() != "null"
    }
    /// The tag.
    pub fn tag(&self) -> Option<&str> {
        let start = self.curie_len as usize + self.id_len as usize;
        self.text.get(start..).filter(|tag| !tag.is_empty())
    }
}

impl fmt::Display for MessageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.curie(), self.id())?;
        if let Some(t) = self.tag() {
            write!(f, "#{t}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for MessageRef {
    type Err = MessageRefError;
    fn from_str(s: &str) -> Result<Self, MessageRefError> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_like_js() {
        let r = MessageRef::new("acme:iam:node:user", " 0 ", Some(" Mixed Case Tag! ")).unwrap();
        assert_eq!((r.id(), r.tag()), ("0", Some("mixed-case-tag-")));
        let r = MessageRef::new("acme:iam:node:user", "  ", Some("")).unwrap();
        assert_eq!((r.id(), r.tag(), r.has_id()), ("null", None, false));
        assert_eq!(
            MessageRef::new("acme:iam:node:user", "1", Some("a😀"))
                .unwrap()
                .tag(),
            Some("a--")
        );
        let r = MessageRef::new("acme:iam:node:user", "1", Some(" \u{a0}\t")).unwrap();
        assert_eq!(
            (r.tag(), r.to_string().as_str()),
            (None, "acme:iam:node:user:1")
        );
        let r = MessageRef::new("acme:iam:node:user", "1", Some("Café—X")).unwrap();
        assert_eq!((r.id(), r.tag()), ("1", Some("caf--x")));
        assert!(MessageRef::new("acme:iam:node:user", "has space", None).is_err());
        assert!(MessageRef::new("gdbots:ncr:mixin:node", "123", None).is_err());
        assert!(MessageRef::new("Not A Curie", "123", None).is_err());
    }

    #[test]
    fn normalized_tags_are_kept_as_they_are() {
        for (tag, want) in [
            ("corr", Some("corr")),
            ("a.b_c-9", Some("a.b_c-9")),
            ("", None),
            ("Corr", Some("corr")),
            ("corr ", Some("corr")),
            ("a/b", Some("a-b")),
        ] {
            let r = MessageRef::new("acme:iam:node:user", "1", Some(tag)).unwrap();
            assert_eq!(r.tag(), want, "{tag:?}");
        }
    }

    #[test]
    fn parse_like_js() {
        for ok in [
            "acme:blog:node:article:123#tag",
            "acme:blog::article:123#tag",
            "acme:blog::article:123",
            "acme:blog:node:article:2015/12/25/test#tag",
            "acme:blog::article:2015/12/25/test",
            "acme:blog::article:2015/12/25/test:still:the:id",
        ] {
            assert_eq!(MessageRef::parse(ok).unwrap().to_string(), ok);
        }
        let r =
            MessageRef::parse("acme:blog::article:2015/12/25/test:Still_The:id#2015.Q4").unwrap();
        assert_eq!(
            (r.id(), r.tag()),
            ("2015/12/25/test:Still_The:id", Some("2015.q4"))
        );
        assert_eq!(
            MessageRef::parse("acme:blog::article:1#a#b").unwrap().tag(),
            Some("a")
        );
        for bad in [
            "test::what",
            "test::",
            "test:::",
            ":test",
            "john@doe.com",
            "#hashtag",
            "http://www.what.com/",
            "test.value:2015/01/01/test:what",
            "cool~topic",
            "some:thin!@##$%$%&^^&**()-=+",
            "some:test%20",
            "ACME:blog:node:article:1:2:3:4#tag",
            "ACME:blog:node:article#tag",
            "ACME:blog:node:",
            "ACME:blog::",
            "ACME:::",
            "acme:blog:node:",
            "acme:blog::",
            "acme:::",
            "acme:::#tag",
        ] {
            assert!(MessageRef::parse(bad).is_err(), "{bad}");
        }
    }
}
