//! `es-query`: the original `QueryFactory` body for each search request.

use pbj::{DateTime, SchemaCurie};
use pbjx::search::elasticsearch_query::{SearchParams, SearchSort, create};
use pbjx::search::query::parse;
use serde_json::{Map, Value};

use super::{error, object};

/// The body for one `{"q","sort","occurred_after","occurred_before","curies"[,"now"]}` line.
pub fn line(text: &str) -> String {
    body(text).unwrap_or_else(|e| e).to_string()
}

fn body(text: &str) -> Result<Value, Value> {
    let row = object(text)?;
    let q = match row.get("q") {
        None | Some(Value::Null) => "",
        Some(Value::String(q)) => q,
        Some(_) => return Err(error("input", "q must be a string")),
    };
    let sort = match row.get("sort") {
        None | Some(Value::Null) => SearchSort::default(),
        Some(Value::String(s)) => SearchSort::from_value(s)
            .ok_or_else(|| error("input", format!("unknown sort [{s}]")))?,
        Some(_) => return Err(error("input", "sort must be a string")),
    };
    let curies = match row.get("curies") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(curies)) => curies
            .iter()
            .map(|c| {
                c.as_str()
                    .and_then(|c| SchemaCurie::parse(c).ok())
                    .ok_or_else(|| error("input", format!("invalid curie {c}")))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(error("input", "curies must be an array")),
    };
    let params = SearchParams {
        sort,
        occurred_after: date_time(&row, "occurred_after")?,
        occurred_before: date_time(&row, "occurred_before")?,
        curies,
    };
    let now = date_time(&row, "now")?.unwrap_or_else(DateTime::now);
    let query = parse(q).map_err(|e| error(e.kind(), &e))?;
    create(&query, &params, now).map_err(|e| error(e.kind(), &e))
}

/// An optional ISO-8601 date-time field of the row.
fn date_time(row: &Map<String, Value>, name: &str) -> Result<Option<DateTime>, Value> {
    match row.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => DateTime::parse(s)
            .map(Some)
            .map_err(|e| error("input", format!("{name}: {e}"))),
        Some(_) => Err(error("input", format!("{name} must be a date-time string"))),
    }
}
