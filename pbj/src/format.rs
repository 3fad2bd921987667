//! String format checks ([`Format`]) with the JS implementation's semantics.

use crate::types::Format;

/// Whether `value` satisfies `format`.
pub fn check(format: Format, value: &str) -> bool {
    match format {
        Format::Unknown => true,
        Format::Date => crate::time::Date::parse(value).is_ok(),
        Format::DateTime => crate::time::DateTime::parse(value).is_ok(),
        Format::Uuid => crate::well_known::identifier::is_valid_uuid(value),
        Format::Ipv4 => value.parse::<std::net::Ipv4Addr>().is_ok(),
        Format::Ipv6 => value.parse::<std::net::Ipv6Addr>().is_ok(),
        Format::Email => value.contains('@'),
        Format::Hashtag | Format::Hostname | Format::Slug | Format::Uri | Format::Url => {
            !value.is_empty()
        }
    }
}
