//! Attribute conversion for the DynamoDB event store.

use super::*;

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
