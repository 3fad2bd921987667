use std::fmt;

/// A reference to a node: `vendor:label:id` (on the wire that string).
///
/// Ordered by vendor, then label, then id.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NodeRef {
    // One allocation holding the wire form `vendor:label:id` (keeps `Value`, and so every
    // message's storage, small, and costs one malloc per ref); the lengths of vendor and label.
    text: Box<str>,
    vendor_len: u32,
    label_len: u32,
}

impl fmt::Debug for NodeRef {
    // The same output as a derived impl of `{ vendor, label, id }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeRef")
            .field("vendor", &self.vendor())
            .field("label", &self.label())
            .field("id", &self.id())
            .finish()
    }
}

impl PartialOrd for NodeRef {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for NodeRef {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.vendor(), self.label(), self.id()).cmp(&(other.vendor(), other.label(), other.id()))
    }
}

/// Whether `id` is a valid node/message-ref id: `^[\w\/\.:-]+$` with ASCII `\w`.
pub(crate) fn is_valid_ref_id(id: &str) -> bool {
    const TABLE: [bool; 256] = {
        let mut t = [false; 256];
        let mut i = 0;
        while i < 256 {
            let b = i as u8;
            t[i] = b.is_ascii_alphanumeric() || matches!(b, b'_' | b'/' | b'.' | b':' | b'-');
            i += 1;
        }
        t
    };
    #[cfg(target_arch = "x86_64")]
    if id.len() >= 16 {
        return crate::simd::none_of(id.as_bytes(), crate::simd::non_ref_id_bytes16);
    }
    // Branch-free over the bytes: ids are short and almost always valid.
    !id.is_empty() && id.bytes().fold(true, |ok, b| ok & TABLE[usize::from(b)])
}

fn is_qname_part(s: &str) -> bool {
    !s.is_empty() && qname_part_len(s.as_bytes()) == s.len()
}

/// The length of the run of qname bytes (`[a-z0-9-]`) at the start of `b`.
fn qname_part_len(b: &[u8]) -> usize {
    b.iter()
        .position(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-'))
        .unwrap_or(b.len())
}

/// Why a text is not a [`NodeRef`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NodeRefError {
    /// `vendor:label` is not a qname (`[a-z0-9-]+:[a-z0-9-]+`).
    #[error("NodeRef [{value}]: qname [{qname}] is invalid")]
    InvalidQName {
        /// The rejected text.
        value: String,
        /// Its `vendor:label` part.
        qname: String,
    },
    /// The id is missing or does not match `^[\w\/\.:-]+$`.
    #[error("NodeRef [{value}]: id [{id}] is invalid")]
    InvalidId {
        /// The rejected text.
        value: String,
        /// Its (trimmed) id part.
        id: String,
    },
}

impl NodeRef {
    /// Parses `vendor:label:id`: `vendor:label` is a SchemaQName (`[a-z0-9-]+:[a-z0-9-]+`), the
    /// id is everything after the second `:` (so it may contain `:`), JS-trimmed, and must match
    /// `^[\w\/\.:-]+$`.
    ///
    /// ```
    /// let node: pbj::NodeRef = "acme:article:2015/12/25/test".parse()?;
    /// assert_eq!((node.qname().as_str(), node.id()), ("acme:article", "2015/12/25/test"));
    /// assert!(pbj::NodeRef::parse("ACME:article:1").is_err());
    /// # Ok::<(), pbj::well_known::NodeRefError>(())
    /// ```
    pub fn parse(s: &str) -> Result<Self, NodeRefError> {
        // One pass over the qname bytes (no `split` searcher), then the id: the common valid
        // case. Anything else takes `parse_error`'s path for the exact error.
        let b = s.as_bytes();
        let vendor_len = qname_part_len(b);
        let label_start = vendor_len + 1;
        let label_len = qname_part_len(b.get(label_start..).unwrap_or_default());
        let id_start = label_start + label_len + 1;
        if vendor_len > 0
            && label_len > 0
            && b.get(vendor_len) == Some(&b':')
            && b.get(id_start - 1) == Some(&b':')
            && let Some(raw_id) = s.get(id_start..)
        {
            let id = crate::text::js_trim(raw_id);
            if is_valid_ref_id(id)
                && let (Ok(vendor_len), Ok(label_len)) =
                    (u32::try_from(vendor_len), u32::try_from(label_len))
            {
                let text = if id.len() == raw_id.len() {
                    Box::from(s)
                } else {
                    let mut text = String::with_capacity(id_start + id.len());
                    text.push_str(&s[..id_start]);
                    text.push_str(id);
                    text.into_boxed_str()
                };
                return Ok(Self {
                    text,
                    vendor_len,
                    label_len,
                });
            }
        }
        Err(Self::parse_error(s))
    }

    /// Why `s` is not a node ref (the checks of [`Self::parse`] in the order they report).
    #[cold]
    fn parse_error(s: &str) -> NodeRefError {
        let mut parts = s.splitn(3, ':');
        let vendor = parts.next().unwrap_or_default();
        let label = parts.next().unwrap_or_default();
        let id = crate::text::js_trim(parts.next().unwrap_or_default());
        if !is_qname_part(vendor)
            || !is_qname_part(label)
            || (is_valid_ref_id(id)
                && (u32::try_from(vendor.len()).is_err() || u32::try_from(label.len()).is_err()))
        {
            return NodeRefError::InvalidQName {
                value: s.to_owned(),
                qname: format!("{vendor}:{label}"),
            };
        }
        NodeRefError::InvalidId {
            value: s.to_owned(),
            id: id.to_owned(),
        }
    }

    /// The vendor.
    pub fn vendor(&self) -> &str {
        self.text
            .get(..self.vendor_len as usize)
            .unwrap_or_default()
    }
    /// The label (message name of the node).
    pub fn label(&self) -> &str {
        let start = self.vendor_len as usize + 1;
        self.text
            .get(start..start + self.label_len as usize)
            .unwrap_or_default()
    }
    /// The node id.
    pub fn id(&self) -> &str {
        let start = self.vendor_len as usize + self.label_len as usize + 2;
        self.text.get(start..).unwrap_or_default()
    }
    /// The qname, `vendor:label`.
    pub fn qname(&self) -> String {
        self.text
            .get(..self.vendor_len as usize + 1 + self.label_len as usize)
            .unwrap_or_default()
            .to_owned()
    }
    /// The wire form `vendor:label:id` (what [`fmt::Display`] writes), without allocating.
    ///
    /// ```
    /// let node = pbj::NodeRef::parse("acme:article: 123 ")?;
    /// assert_eq!(node.as_str(), "acme:article:123");
    /// # Ok::<(), pbj::well_known::NodeRefError>(())
    /// ```
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for NodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for NodeRef {
    type Err = NodeRefError;
    fn from_str(s: &str) -> Result<Self, NodeRefError> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ref_ids_of_every_length_are_checked_byte_by_byte() {
        let slow = |b: &[u8]| {
            !b.is_empty()
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || b"_/.:-".contains(c))
        };
        let alphabet = b"aZ09_/.:-,; #@[`{\x7f\x80\xc3";
        let mut rng = crate::test_rng::Xorshift::new(0x9e37_79b9_7f4a_7c15_u64);
        let mut next = |n: usize| rng.below(n);
        let mut valid = 0;
        for _ in 0..100_000 {
            let len = next(48);
            let bytes: Vec<u8> = (0..len)
                .map(|_| match next(16) {
                    0 => alphabet[next(alphabet.len())],
                    _ => b"abc-019:/._XY"[next(13)],
                })
                .collect();
            let Ok(id) = std::str::from_utf8(&bytes) else {
                continue;
            };
            let want = slow(&bytes);
            valid += usize::from(want);
            assert_eq!(is_valid_ref_id(id), want, "{id:?}");
        }
        assert!(valid > 10_000, "{valid}");
    }

    #[test]
    fn parses_like_js() {
        let r = NodeRef::parse("acme:article:this/id/is:WeirD:and:_.what").unwrap();
        assert_eq!(
            (r.vendor(), r.label(), r.id()),
            ("acme", "article", "this/id/is:WeirD:and:_.what")
        );
        assert_eq!(r.to_string(), "acme:article:this/id/is:WeirD:and:_.what");
        assert_eq!(NodeRef::parse("acme:user:a:b:c").unwrap().id(), "a:b:c");
        assert_eq!(
            NodeRef::parse("acme-widgets:poll-widget: a:b:C_ ")
                .unwrap()
                .id(),
            "a:b:C_"
        );
        for bad in [
            "",
            "acme:article",
            "acme:user:",
            "ACME:article:123",
            "acme:article:invalid!#id",
            "acme:user:has space",
            "123",
            ":a:1",
            "acme:user:café",
        ] {
            assert!(NodeRef::parse(bad).is_err(), "{bad}");
        }
    }

    /// The split-based reading `parse` replaced: the same refs and the same errors.
    fn split_parse(s: &str) -> Result<(String, String, String), NodeRefError> {
        let mut parts = s.splitn(3, ':');
        let vendor = parts.next().unwrap_or_default();
        let label = parts.next().unwrap_or_default();
        if !is_qname_part(vendor) || !is_qname_part(label) {
            return Err(NodeRefError::InvalidQName {
                value: s.to_owned(),
                qname: format!("{vendor}:{label}"),
            });
        }
        let id = crate::text::js_trim(parts.next().unwrap_or_default());
        if !is_valid_ref_id(id) {
            return Err(NodeRefError::InvalidId {
                value: s.to_owned(),
                id: id.to_owned(),
            });
        }
        Ok((vendor.to_owned(), label.to_owned(), id.to_owned()))
    }

    #[test]
    fn byte_scan_agrees_with_split_reading() {
        let mut rng = crate::test_rng::Xorshift::new(0x2545_f491_4f6c_dd1d);
        let alphabet = [
            "a", "z", "0", "-", ":", "A", "_", "/", ".", " ", "\u{a0}", "é", "#", "",
        ];
        let mut valid = 0;
        for _ in 0..100_000 {
            let mut text = String::from("acme:user:7f0c-9d1e");
            for _ in 0..1 + rng.below(3) {
                let piece = alphabet[rng.below(alphabet.len())];
                let at = rng.below(text.len() + 1);
                if text.is_char_boundary(at) {
                    text.insert_str(at, piece);
                }
                if rng.below(2) == 0 && !text.is_empty() {
                    let at = rng.below(text.len());
                    if text.is_char_boundary(at) && text.is_char_boundary(at + 1) {
                        text.remove(at);
                    }
                }
            }
            let got = NodeRef::parse(&text).map(|r| {
                (
                    r.vendor().to_owned(),
                    r.label().to_owned(),
                    r.id().to_owned(),
                )
            });
            if let Ok((v, l, id)) = &got {
                valid += 1;
                assert_eq!(
                    NodeRef::parse(&text).unwrap().as_str(),
                    format!("{v}:{l}:{id}")
                );
            }
            assert_eq!(got, split_parse(&text), "{text:?}");
        }
        assert!(valid > 10_000, "{valid} valid refs");
    }
}
