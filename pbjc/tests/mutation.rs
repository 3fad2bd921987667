//! Property test: mutated real schema XML never makes the parser or validator panic.

use std::collections::BTreeMap;
use std::path::Path;

use pbjc::Diagnostics;
use pbjc::model::Store;
use proptest::prelude::*;

mod common;

const SOURCES: &[&str] = &[
    include_str!("fixtures/valid/t/a/command/ok/1-0-0.xml"),
    include_str!("fixtures/many-errors/t/a/command/one/1-0-0.xml"),
    include_str!("fixtures/bad-default/t/a/enums.xml"),
    include_str!("fixtures/bad-default/t/a/command/d/1-0-0.xml"),
];

fn real_sources() -> Vec<String> {
    let base = common::shared_dir().join("schemas/gdbots-schemas/gdbots");
    let picks = [
        "pbjx/envelope/latest.xml",
        "ncr/mixin/node/latest.xml",
        "common/enums.xml",
        "iam/request/search-users-response/latest.xml",
        "ncr/mixin/search-nodes-request/1-0-4.xml",
    ];
    let mut out: Vec<String> = SOURCES.iter().map(|s| s.to_string()).collect();
    out.extend(
        picks
            .iter()
            .map(|p| std::fs::read_to_string(base.join(p)).expect("real schema file")),
    );
    out
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    DeleteRange(usize, usize),
    DeleteAttribute(usize),
    DeleteElement(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 0usize..64).prop_map(|(i, n)| Mutation::DeleteRange(i, n)),
        any::<usize>().prop_map(Mutation::DeleteAttribute),
        any::<usize>().prop_map(Mutation::DeleteElement),
    ]
}

fn apply(src: &str, m: &Mutation) -> Vec<u8> {
    let mut b = src.as_bytes().to_vec();
    let len = b.len().max(1);
    match *m {
        Mutation::Flip(i, x) => {
            if let Some(c) = b.get_mut(i % len) {
                *c ^= x | 1;
            }
        }
        Mutation::Truncate(i) => b.truncate(i % len),
        Mutation::DeleteRange(i, n) => {
            let s = (i % len).min(b.len());
            let e = (s + n).min(b.len());
            b.drain(s..e);
        }
        Mutation::DeleteAttribute(k) => {
            // Remove the k-th ` name="value"` attribute.
            let attrs: Vec<(usize, usize)> = find_attrs(&b);
            if !attrs.is_empty() {
                let (s, e) = attrs[k % attrs.len()];
                b.drain(s..e);
            }
        }
        Mutation::DeleteElement(k) => {
            // Remove the k-th `<...>` tag (opening, closing or empty).
            let tags: Vec<(usize, usize)> = find_tags(&b);
            if !tags.is_empty() {
                let (s, e) = tags[k % tags.len()];
                b.drain(s..e);
            }
        }
    }
    b
}

fn find_tags(b: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'<' => start = Some(i),
            b'>' => {
                if let Some(s) = start.take() {
                    out.push((s, i + 1));
                }
            }
            _ => {}
        }
    }
    out
}

fn find_attrs(b: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b' '
            && let Some(q) = b[i..]
                .iter()
                .position(|&c| c == b'=' || c == b'>' || c == b'\n')
                .map(|p| i + p)
            && b[q] == b'='
            && b.get(q + 1) == Some(&b'"')
            && let Some(end) = b[q + 2..].iter().position(|&c| c == b'"')
        {
            out.push((i, q + 2 + end + 1));
            i = q + 2 + end + 1;
            continue;
        }
        i += 1;
    }
    out
}

fn run(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let mut diags = Diagnostics::new();
    let path = Path::new("mutated/t/a/command/x/1-0-0.xml");
    let mut store = Store::default();
    let mut spans = BTreeMap::new();
    if let Some(e) = pbjc::parser::parse_enums(Path::new("t/a/enums.xml"), text, &mut diags) {
        for e in e.enums {
            store.enums.insert(e.id.clone(), e);
        }
    }
    if let Some(p) = pbjc::parser::parse_schema(path, text, &mut diags) {
        let id = p.decl.id.to_string();
        spans.insert(id.clone(), p.spans);
        store.schemas.insert(id, p.decl);
    }
    pbjc::validate::validate(&store, &spans, &mut diags);
    diags.add_source(path.to_path_buf(), text.into());
    let _ = diags.to_string();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn mutated_xml_never_panics(pick in any::<usize>(), muts in proptest::collection::vec(mutation(), 1..4)) {
        let sources = real_sources();
        let src = &sources[pick % sources.len()];
        let mut cur = src.clone();
        for m in &muts {
            let b = apply(&cur, m);
            run(&b);
            cur = String::from_utf8_lossy(&b).into_owned();
        }
    }
}
