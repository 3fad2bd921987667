//! Elasticsearch bodies against the original `QueryFactory`'s (`../shared/interop/es-query/`).

use pbj::DateTime;
use pbjx::search::elasticsearch_query::{SearchParams, SearchSort, create};
use pbjx::search::query::parse;
use pbjx_tests::{interop_lines, json_equal, pipe};
use serde_json::{Value, json};

/// Lines in `es-query/corpus.jsonl`: a changed corpus must be looked at, not skipped.
const CORPUS_LINES: usize = 213;

fn corpus() -> Vec<Value> {
    let lines = interop_lines("es-query/corpus.jsonl");
    assert_eq!(lines.len(), CORPUS_LINES, "corpus size changed");
    lines
        .iter()
        .map(|l| serde_json::from_str(l).expect("corpus lines are JSON"))
        .collect()
}

#[test]
fn the_es_query_subcommand_builds_every_corpus_body() {
    let rows = corpus();
    let requests: Vec<String> = rows
        .iter()
        .map(|row| {
            let mut request = row.clone();
            request.as_object_mut().unwrap().remove("query");
            request.to_string()
        })
        .collect();
    let out = pipe(
        env!("CARGO_BIN_EXE_pbj-conformance"),
        &["es-query"],
        &requests,
    );
    assert_eq!(out.len(), rows.len());
    let failures: Vec<String> = rows
        .iter()
        .zip(&out)
        .filter(|(row, line)| {
            let got: Value = serde_json::from_str(line).unwrap_or(Value::Null);
            !json_equal(&got, &row["query"])
        })
        .map(|(row, line)| format!("q {}\n  want {}\n  got  {line}", row["q"], row["query"]))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} bodies differ:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

/// The corpus only holds `date-desc` requests without a date window or curies. The original
/// builds every sort from the same bool query, so the other sorts must wrap the corpus' bool
/// query: `date-asc` with the opposite sort, relevance in a decay from `occurred_before`
/// (with that instant also ending the window).
#[test]
fn other_sorts_wrap_the_corpus_bool_query() {
    let now = DateTime::parse("2024-06-15T10:11:12.123456Z").unwrap();
    for row in corpus() {
        let query = parse(row["q"].as_str().unwrap()).unwrap();
        let bool_query = &row["query"]["query"];
        let asc = SearchParams {
            sort: SearchSort::DateAsc,
            ..SearchParams::default()
        };
        let body = create(&query, &asc, now).unwrap();
        let want = json!({"query": bool_query, "sort": {"occurred_at": "asc"}});
        assert!(json_equal(&body, &want), "{}", row["q"]);

        let before = DateTime::parse("2020-02-29T23:59:59.000001Z").unwrap();
        let relevance = SearchParams {
            occurred_before: Some(before),
            ..SearchParams::default()
        };
        let body = create(&query, &relevance, now).unwrap();
        let score = &body["query"]["function_score"];
        let decay = &score["functions"][0]["exp"]["d__occurred_at_iso"];
        assert_eq!(decay["origin"], "2020-02-29T23:59:59.000001Z");
        assert_eq!(
            (&decay["scale"], &decay["offset"], &decay["decay"]),
            (&json!("7d"), &json!("60d"), &json!(0.1))
        );
        // `occurred_before` is also the window's end: a required `occurred_at` field, which
        // the original puts in the filter context after the query's own clauses.
        let mut want = bool_query.clone();
        let filters = want["bool"]
            .as_object_mut()
            .unwrap()
            .entry("filter")
            .or_insert_with(|| json!([]));
        filters
            .as_array_mut()
            .unwrap()
            .push(json!({"range": {"occurred_at": {"lt": 1_583_020_799_000_001.0}}}));
        assert!(json_equal(&score["query"], &want), "{}", row["q"]);
    }
}
