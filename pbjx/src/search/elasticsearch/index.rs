//! Index names (the original's `IndexManager`): quarterly indices `{prefix}-YYYYqN`, one set per
//! tenant, and the indices a search window needs.

use pbj::DateTime;

use crate::error::{Code, Error, Result};

const WEEK_MICROS: i64 = 7 * 86_400_000_000;

/// Names the indices of event search.
///
/// Without a tenant the indices are `{prefix}-YYYYqN`; a tenant's are
/// `{prefix}.{tenant}-YYYYqN` with the tenant id encoded for index names (`a-z` and `0-9`
/// kept, every other byte as `_` and two hex digits), so no tenant's indices match another
/// tenant's patterns or the tenant-less `{prefix}-*`. The template patterns `{prefix}-*` and
/// `{prefix}.*` cover them all.
///
/// ```
/// use pbjx::pbj::DateTime;
/// use pbjx::search::elasticsearch::IndexManager;
///
/// let manager = IndexManager::new("acme-events").unwrap();
/// let at = DateTime::parse("2024-08-15T00:00:00Z").unwrap();
/// assert_eq!(manager.index_for_write(None, at), "acme-events-2024q3");
/// assert_eq!(manager.index_for_write(Some("Tenant-1"), at), "acme-events._54enant_2d1-2024q3");
/// assert_eq!(manager.indices_for_search(None, None, None, at), vec!["acme-events-*"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexManager {
    prefix: String,
}

impl IndexManager {
    /// A manager for `prefix` (lower-case letters, digits, `-`, `_`, `.`; not starting with
    /// `-`, `_`, `.`; a trailing `-` is dropped).
    pub fn new(prefix: &str) -> Result<Self> {
        let prefix = prefix.trim_end_matches('-');
        let valid = !prefix.is_empty()
            && prefix.len() <= 200
            && !prefix.starts_with(['-', '_', '.'])
            && prefix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b));
        if !valid {
            return Err(Error::search(
                "elasticsearch",
                prefix,
                Code::InvalidArgument,
                "an index prefix needs lower-case letters, digits, '-', '_' or '.', and cannot start with '-', '_' or '.'",
            ));
        }
        Ok(Self {
            prefix: prefix.to_owned(),
        })
    }

    /// The prefix (without a trailing `-`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The prefix of a tenant's indices (the prefix itself without a tenant).
    pub fn tenant_prefix(&self, tenant: Option<&str>) -> String {
        match tenant {
            None => self.prefix.clone(),
            Some(tenant) => format!("{}.{}", self.prefix, encode_tenant(tenant)),
        }
    }

    /// `YYYYqN` of `at` (the original's `getIndexIntervalSuffix`).
    pub fn interval_suffix(at: DateTime) -> String {
        let text = at.to_php_string();
        let year = &text[..4];
        let month: u32 = text[5..7].parse().unwrap_or(1);
        format!("{year}q{}", month.div_ceil(3))
    }

    /// The index an event that occurred at `at` is written to.
    pub fn index_for_write(&self, tenant: Option<&str>, at: DateTime) -> String {
        format!(
            "{}-{}",
            self.tenant_prefix(tenant),
            Self::interval_suffix(at)
        )
    }

    /// Every index of a tenant (`{tenant prefix}-*`).
    pub fn all_indices(&self, tenant: Option<&str>) -> String {
        format!("{}-*", self.tenant_prefix(tenant))
    }

    /// The indices a search over `after..before` reads (the original's
    /// `getIndexNamesForSearch`): without `after` every index; else the quarters met walking
    /// from `after` to `before` (or `now`) in one-week steps plus the end, or yearly wildcards
    /// `{prefix}-YYYY*` when that is more than 9 indices.
    pub fn indices_for_search(
        &self,
        tenant: Option<&str>,
        after: Option<DateTime>,
        before: Option<DateTime>,
        now: DateTime,
    ) -> Vec<String> {
        let Some(after) = after else {
            return vec![self.all_indices(tenant)];
        };
        let end = before.unwrap_or(now).unix_micros();
        let mut suffixes: Vec<String> = Vec::new();
        let mut push = |s: String| {
            if !suffixes.contains(&s) {
                suffixes.push(s);
            }
        };
        let mut at = after.unix_micros();
        while at <= end {
            if let Some(dt) = DateTime::from_unix_micros(at) {
                push(Self::interval_suffix(dt));
            }
            at = at.saturating_add(WEEK_MICROS);
        }
        if let Some(dt) = DateTime::from_unix_micros(end) {
            push(Self::interval_suffix(dt));
        }
        let prefix = self.tenant_prefix(tenant);
        if suffixes.len() > 9 {
            let mut years: Vec<String> = suffixes.iter().map(|s| s[..4].to_owned()).collect();
            years.dedup();
            return years
                .into_iter()
                .map(|y| format!("{prefix}-{y}*"))
                .collect();
        }
        suffixes
            .into_iter()
            .map(|s| format!("{prefix}-{s}"))
            .collect()
    }
}

/// A tenant id as part of an index name: `a-z`, `0-9` kept, every other byte `_` + 2 hex
/// digits (injective, lower-case, no `-`).
pub fn encode_tenant(tenant: &str) -> String {
    let mut out = String::with_capacity(tenant.len());
    for b in tenant.bytes() {
        if b.is_ascii_lowercase() || b.is_ascii_digit() {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("_{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime {
        DateTime::parse(s).unwrap()
    }

    #[test]
    fn quarters_and_windows() {
        let m = IndexManager::new("acme-prod-events-").unwrap();
        assert_eq!(m.prefix(), "acme-prod-events");
        assert_eq!(
            IndexManager::interval_suffix(at("2024-01-01T00:00:00Z")),
            "2024q1"
        );
        assert_eq!(
            IndexManager::interval_suffix(at("2024-12-31T23:59:59Z")),
            "2024q4"
        );
        let now = at("2024-06-01T00:00:00Z");
        assert_eq!(
            m.indices_for_search(None, Some(at("2024-03-20T00:00:00Z")), None, now),
            vec!["acme-prod-events-2024q1", "acme-prod-events-2024q2"]
        );
        assert_eq!(
            m.indices_for_search(
                Some("t1"),
                Some(at("2020-01-01T00:00:00Z")),
                Some(at("2023-02-01T00:00:00Z")),
                now
            ),
            vec![
                "acme-prod-events.t1-2020*",
                "acme-prod-events.t1-2021*",
                "acme-prod-events.t1-2022*",
                "acme-prod-events.t1-2023*"
            ]
        );
    }

    #[test]
    fn tenants_are_encoded_injectively() {
        assert_eq!(encode_tenant("acme"), "acme");
        assert_eq!(encode_tenant("Acme"), "_41cme");
        assert_eq!(encode_tenant("a-b/c"), "a_2db_2fc");
        assert_ne!(encode_tenant("a_2d"), encode_tenant("a-"));
        assert!(IndexManager::new("Bad").is_err());
        assert!(IndexManager::new("_bad").is_err());
    }
}
