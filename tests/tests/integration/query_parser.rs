//! The query parser against the original's outputs (`../shared/interop/query-parser/`), and
//! robustness on arbitrary input.

use pbjx::search::query::{MAX_DEPTH, QueryError, parse};
use pbjx_tests::{interop_lines, json_equal, pipe};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Lines in `query-parser/corpus.jsonl`: a changed corpus must be looked at, not skipped.
const CORPUS_LINES: usize = 332;

#[test]
fn every_corpus_line_parses_as_the_original() {
    let lines = interop_lines("query-parser/corpus.jsonl");
    assert_eq!(lines.len(), CORPUS_LINES, "corpus size changed");
    let mut failures = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let row: Value = serde_json::from_str(line).expect("corpus lines are JSON");
        let input = row["input"].as_str().expect("input is a string");
        match parse(input) {
            Ok(q) if json_equal(&q.to_array(), &row["parsed"]) => {}
            Ok(q) => failures.push(format!(
                "line {}: {input:?}\n  want {}\n  got  {}",
                n + 1,
                row["parsed"],
                q.to_array()
            )),
            Err(e) => failures.push(format!("line {}: {input:?}: {e}", n + 1)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} lines differ:\n{}",
        failures.len(),
        lines.len(),
        failures.join("\n")
    );
}

/// Pieces of the query syntax, multi-byte characters (2, 3 and 4 bytes, combining marks, the
/// whitespace PCRE and Rust disagree on) and plain text, to be glued together at random.
const PIECES: &[&str] = &[
    "a",
    "cats",
    "NOT",
    "AND",
    "OR",
    "TO",
    "&&",
    "||",
    "+",
    "-",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "..",
    ":",
    "\"",
    "\"\"",
    "^",
    "^2",
    "~",
    "~1",
    "*",
    "#",
    "@",
    "<",
    ">",
    "=",
    "\\",
    "/",
    " ",
    "  ",
    "\t",
    "\n",
    "1",
    "2.5e3",
    "-7",
    ".5",
    "1e999",
    "2024-01-31",
    "f:",
    "_exists_:",
    "http://x.y/z",
    ":)",
    ";-P",
    "<3",
    "é",
    "ſ",
    "K",
    "\u{a0}",
    "\u{180e}",
    "\u{2028}",
    "\u{301}",
    "ा",
    "日本",
    "😀",
    "💩",
    "#\u{20e3}",
    "\u{1f1fa}\u{1f1f8}",
    "\u{0}",
    "0",
    "'",
];

fn glued(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..max).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn glued_syntax_never_panics(input in glued(40)) {
        check(&input)?;
    }

    #[test]
    fn arbitrary_strings_never_panic(input in any::<String>()) {
        check(&input)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// Long inputs (a random 1-40 piece pattern repeated to ~32 KB) parse without exhausting
    /// the stack; the work grows linearly with the input, so they finish quickly.
    #[test]
    fn long_inputs_never_panic(unit in glued(40)) {
        check(&unit.repeat(32_768 / unit.len().max(1)))?;
    }
}

/// A parse either fails with a typed error or gives nodes whose array form is JSON.
fn check(input: &str) -> Result<(), TestCaseError> {
    match parse(input) {
        Ok(query) => prop_assert!(query.to_array().is_array()),
        Err(e) => prop_assert!(!e.to_string().is_empty()),
    }
    Ok(())
}

/// Inputs whose handling in the original is quadratic (each `..` makes the rest of a chunk a
/// new value that is checked whole again), or recursive.
#[test]
fn adversarial_long_inputs_parse() {
    let units = [
        "a..",
        "..+",
        "a..--..",
        "\"a..",
        "@a..",
        "!..",
        "🇦🇨..",
        "a:b:",
        "\"(",
        "((",
        "[1..",
        "f:[",
        "f:(",
        "()",
        "f:()",
        "http://a",
        "ſ:",
    ];
    for unit in units {
        let input = unit.repeat(10_000) + "a#:";
        if let Err(e) = parse(&input) {
            assert!(matches!(e, QueryError::TooDeep { .. }), "{unit}: {e}");
        }
    }
}

#[test]
fn empty_subqueries_nest_up_to_the_limit() {
    // An empty `()` takes the rest of the query into its subquery, so each following `()`
    // nests one level deeper; single nodes collapse back out.
    let nested = |levels: usize| format!("{}cats", "()".repeat(levels));
    let query = parse(&nested(MAX_DEPTH)).unwrap();
    assert_eq!(query.to_array(), json!([{"type": "word", "value": "cats"}]));
    assert_eq!(
        parse(&nested(MAX_DEPTH + 1)),
        Err(QueryError::TooDeep { limit: MAX_DEPTH })
    );
    // So does each `field:()`; a field then holds a field, which the original rejects.
    assert!(matches!(
        parse(&"f:()".repeat(MAX_DEPTH)),
        Err(QueryError::NestedField { .. })
    ));
}

#[test]
fn the_original_rejects_compound_nodes_in_subqueries() {
    assert!(matches!(
        parse("() a:b c"),
        Err(QueryError::CompoundNodeInSubquery { node_type: "field" })
    ));
    assert!(matches!(
        parse("f:() a:b"),
        Err(QueryError::NestedField { .. })
    ));
    assert!(matches!(
        parse("() a:[1..2]"),
        Err(QueryError::RangeInCollapsedSubquery { .. })
    ));
    // A single field in an empty subquery's tail is kept, as the original rebuilds it.
    let query = parse("() a:b").unwrap();
    assert_eq!(query.nodes()[0].type_name(), "field");
}

#[test]
fn the_parse_query_subcommand_prints_the_corpus() {
    let lines = interop_lines("query-parser/corpus.jsonl");
    let rows: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let inputs: Vec<String> = rows.iter().map(|r| r["input"].to_string()).collect();
    let out = pipe(
        env!("CARGO_BIN_EXE_pbj-conformance"),
        &["parse-query"],
        &inputs,
    );
    assert_eq!(out.len(), rows.len());
    for (row, line) in rows.iter().zip(&out) {
        let got: Value = serde_json::from_str(line).unwrap();
        assert!(json_equal(&got, row), "want {row}\n got {got}");
    }
}
