//! [`StreamId`]: `vendor:topic[:partition[:sub-partition]]`, the key of an event stream.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// Longest stream id (characters).
pub const STREAM_ID_MAX_LEN: usize = 255;

/// A stream of events: `vendor:topic[:partition[:sub-partition]]`.
///
/// The vendor is `[a-z0-9-]+`; topic, partition and sub-partition are `[\w.-]+` (ASCII word
/// characters, case-sensitive). At most 255 characters.
///
/// ```
/// use pbjx::event_store::StreamId;
/// let id: StreamId = "acme:article:123".parse()?;
/// assert_eq!(id.topic(), "article");
/// assert_eq!(id.partition(), Some("123"));
/// # Ok::<(), pbjx::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    value: String,
    vendor_end: usize,
    topic_end: usize,
    partition_end: Option<usize>,
}

fn is_vendor(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_part(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
}

impl StreamId {
    /// Parses and validates a stream id.
    pub fn parse(s: &str) -> Result<Self> {
        let invalid = || Error::InvalidArgument {
            message: format!(
                "stream id [{s}] is invalid: it must look like vendor:topic[:partition[:sub-partition]] (max {STREAM_ID_MAX_LEN} chars)"
            ),
        };
        if s.chars().count() > STREAM_ID_MAX_LEN {
            return Err(invalid());
        }
        let parts: Vec<&str> = s.split(':').collect();
        if !(2..=4).contains(&parts.len())
            || !is_vendor(parts[0])
            || !parts[1..].iter().all(|p| is_part(p))
        {
            return Err(invalid());
        }
        let vendor_end = parts[0].len();
        let topic_end = vendor_end + 1 + parts[1].len();
        let partition_end = parts.get(2).map(|p| topic_end + 1 + p.len());
        Ok(Self {
            value: s.to_owned(),
            vendor_end,
            topic_end,
            partition_end,
        })
    }

    /// Builds a stream id from its parts (empty partition / sub-partition are left out).
    pub fn from_parts(
        vendor: &str,
        topic: &str,
        partition: Option<&str>,
        sub_partition: Option<&str>,
    ) -> Result<Self> {
        let mut value = format!("{vendor}:{topic}");
        if let Some(p) = partition.filter(|p| !p.is_empty()) {
            value.push(':');
            value.push_str(p);
            if let Some(sp) = sub_partition.filter(|sp| !sp.is_empty()) {
                value.push(':');
                value.push_str(sp);
            }
        }
        Self::parse(&value)
    }

    /// The stream id of a node: `vendor:label:id`.
    pub fn from_node_ref(node_ref: &pbj::NodeRef) -> Result<Self> {
        Self::from_parts(
            node_ref.vendor(),
            node_ref.label(),
            Some(node_ref.id()),
            None,
        )
    }

    /// The vendor.
    pub fn vendor(&self) -> &str {
        &self.value[..self.vendor_end]
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.value[self.vendor_end + 1..self.topic_end]
    }

    /// The partition, if any.
    pub fn partition(&self) -> Option<&str> {
        self.partition_end
            .map(|end| &self.value[self.topic_end + 1..end])
    }

    /// The sub-partition, if any.
    pub fn sub_partition(&self) -> Option<&str> {
        self.partition_end
            .filter(|end| *end < self.value.len())
            .map(|end| &self.value[end + 1..])
    }

    /// The string form.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// An AWS SNS topic name: `:` -> `__`, `.` -> `--`.
    pub fn to_sns_topic_name(&self) -> String {
        self.value.replace(':', "__").replace('.', "--")
    }

    /// Parses a name made by [`Self::to_sns_topic_name`].
    pub fn from_sns_topic_name(name: &str) -> Result<Self> {
        Self::parse(&name.replace("__", ":").replace("--", "."))
    }

    /// A file path: `vendor/topic`, or `vendor/topic/{md5[0..2]}/{md5[2..4]}/partition[/sub]`
    /// with the md5 of the partition.
    pub fn to_file_path(&self) -> String {
        let Some(partition) = self.partition() else {
            return format!("{}/{}", self.vendor(), self.topic());
        };
        let digest = pbj::etag::md5_hex(partition);
        let hex = &digest[..4];
        let mut path = format!(
            "{}/{}/{}/{}/{}",
            self.vendor(),
            self.topic(),
            &hex[..2],
            &hex[2..4],
            partition
        );
        if let Some(sub) = self.sub_partition() {
            path.push('/');
            path.push_str(sub);
        }
        path
    }

    /// Parses a path made by [`Self::to_file_path`].
    pub fn from_file_path(path: &str) -> Result<Self> {
        let parts: Vec<&str> = path.split('/').collect();
        match parts.len() {
            2 => Self::from_parts(parts[0], parts[1], None, None),
            5 | 6 => Self::from_parts(parts[0], parts[1], Some(parts[4]), parts.get(5).copied()),
            _ => Err(Error::InvalidArgument {
                message: format!("[{path}] is not a stream id file path"),
            }),
        }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

impl FromStr for StreamId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// pbjx-features.md §5 StreamId: accessors, conversions and the invalid examples.
    #[test]
    fn grammar_and_conversions() {
        let id = StreamId::parse("acme:My-Topic:IS_COOL:BR0.T33n").unwrap();
        assert_eq!(id.vendor(), "acme");
        assert_eq!(id.topic(), "My-Topic");
        assert_eq!(id.partition(), Some("IS_COOL"));
        assert_eq!(id.sub_partition(), Some("BR0.T33n"));
        assert_eq!(id.to_sns_topic_name(), "acme__My-Topic__IS_COOL__BR0--T33n");
        assert_eq!(
            StreamId::from_sns_topic_name(&id.to_sns_topic_name()).unwrap(),
            id
        );
        assert_eq!(id.to_file_path(), "acme/My-Topic/8a/9f/IS_COOL/BR0.T33n");
        assert_eq!(StreamId::from_file_path(&id.to_file_path()).unwrap(), id);
        let short = StreamId::parse("acme:article").unwrap();
        assert_eq!((short.partition(), short.sub_partition()), (None, None));
        assert_eq!(short.to_file_path(), "acme/article");
        let two = StreamId::parse("acme:article:123").unwrap();
        assert_eq!((two.partition(), two.sub_partition()), (Some("123"), None));
        let node = pbj::NodeRef::parse("acme:article:123").unwrap();
        assert_eq!(StreamId::from_node_ref(&node).unwrap(), two);
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
            "some:test%20",
            "Acme:topic",
            "acme",
            "a:b:c:d:e",
        ] {
            assert!(StreamId::parse(bad).is_err(), "{bad}");
        }
        assert!(StreamId::parse(&format!("acme:{}", "x".repeat(250))).is_ok());
        assert!(StreamId::parse(&format!("acme:{}", "x".repeat(251))).is_err());
    }
}
