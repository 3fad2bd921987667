//! Attribute conversion between pbj's item marshaler and the AWS SDK.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue as SdkValue;
use pbj::marshal::dynamodb::{AttributeValue, Item};

/// pbj's attribute value as the SDK's.
pub fn to_sdk_value(value: AttributeValue) -> SdkValue {
    match value {
        AttributeValue::S(s) => SdkValue::S(s),
        AttributeValue::N(n) => SdkValue::N(n),
        AttributeValue::B(b) => SdkValue::B(Blob::new(b)),
        AttributeValue::Bool(b) => SdkValue::Bool(b),
        AttributeValue::Null => SdkValue::Null(true),
        AttributeValue::M(entries) => SdkValue::M(to_sdk_item(entries)),
        AttributeValue::L(items) => SdkValue::L(items.into_iter().map(to_sdk_value).collect()),
        AttributeValue::Ss(items) => SdkValue::Ss(items),
        AttributeValue::Ns(items) => SdkValue::Ns(items),
        AttributeValue::Bs(items) => SdkValue::Bs(items.into_iter().map(Blob::new).collect()),
    }
}

/// pbj's item as the SDK's attribute map.
pub fn to_sdk_item(item: Item) -> HashMap<String, SdkValue> {
    item.into_iter()
        .map(|(k, v)| (k, to_sdk_value(v)))
        .collect()
}

/// The SDK's attribute value as pbj's (an error for a type the SDK does not know).
pub fn from_sdk_value(value: &SdkValue) -> std::result::Result<AttributeValue, String> {
    Ok(match value {
        SdkValue::S(s) => AttributeValue::S(s.clone()),
        SdkValue::N(n) => AttributeValue::N(n.clone()),
        SdkValue::B(b) => AttributeValue::B(b.as_ref().to_vec()),
        SdkValue::Bool(b) => AttributeValue::Bool(*b),
        SdkValue::Null(_) => AttributeValue::Null,
        SdkValue::M(m) => AttributeValue::M(from_sdk_item(m)?),
        SdkValue::L(items) => AttributeValue::L(
            items
                .iter()
                .map(from_sdk_value)
                .collect::<std::result::Result<_, _>>()?,
        ),
        SdkValue::Ss(items) => AttributeValue::Ss(items.clone()),
        SdkValue::Ns(items) => AttributeValue::Ns(items.clone()),
        SdkValue::Bs(items) => {
            AttributeValue::Bs(items.iter().map(|b| b.as_ref().to_vec()).collect())
        }
        other => return Err(format!("unknown DynamoDB attribute type {other:?}")),
    })
}

/// The SDK's attribute map as pbj's item (attributes sorted by name).
pub fn from_sdk_item(item: &HashMap<String, SdkValue>) -> std::result::Result<Item, String> {
    let mut out = item
        .iter()
        .map(|(k, v)| from_sdk_value(v).map(|v| (k.clone(), v)))
        .collect::<std::result::Result<Item, _>>()?;
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_values_round_trip_through_the_sdk() {
        let item: Item = vec![
            (
                "_schema".into(),
                AttributeValue::S("pbj:a:b:c:d:1-0-0".into()),
            ),
            ("b".into(), AttributeValue::B(vec![0, 1, 255])),
            ("bool".into(), AttributeValue::Bool(true)),
            ("bs".into(), AttributeValue::Bs(vec![vec![1], vec![2, 3]])),
            (
                "l".into(),
                AttributeValue::L(vec![AttributeValue::N("1.5".into()), AttributeValue::Null]),
            ),
            (
                "m".into(),
                AttributeValue::M(vec![("k".into(), AttributeValue::S("v".into()))]),
            ),
            ("n".into(), AttributeValue::N("1422122017734617".into())),
            (
                "ns".into(),
                AttributeValue::Ns(vec!["1".into(), "2".into()]),
            ),
            ("null".into(), AttributeValue::Null),
            (
                "ss".into(),
                AttributeValue::Ss(vec!["x".into(), "y".into()]),
            ),
        ];
        let sdk = to_sdk_item(item.clone());
        assert_eq!(sdk.get("null"), Some(&SdkValue::Null(true)));
        assert_eq!(from_sdk_item(&sdk), Ok(item));
    }
}
