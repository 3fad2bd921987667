//! The conformance suite for [`EventSearch`] backends.
//!
//! ```ignore
//! // pbjx/tests/integration/search_<backend>.rs
//! use std::sync::Arc;
//! use pbjx::testkit::search as conformance;
//!
//! #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
//! async fn conformance() {
//!     let search = Arc::new(MySearch::new(/* ... */));
//!     conformance::run_all(search).await;
//! }
//! ```
//!
//! Every check works under a tenant of its own (`conformance-<n>-<random>`), so one index (or
//! cluster) can be shared by every check and by repeated runs. The data set is
//! [`dataset`]: 1,000 events (900 `event-execution-failed` with messages drawn from a small
//! vocabulary, names, codes; 100 `health-checked`), one hour apart from 2024-03-10 so they span
//! two quarters. The expected hits of every query come from a model of the data
//! ([`Expect`]), not from a backend; date-sorted searches must return exactly the expected
//! event ids in order, on every backend.
//!
//! Checks: the query language on date-sorted searches (words, all-of-two, 80 % of more,
//! required / prohibited, phrases, subqueries, keyword and number fields, ranges, boosts),
//! relevance (same set, a score), paging and `has_more`, date windows (exclusive), curie
//! filters, replacing (no duplicates), deletes, tenant isolation, a query that cannot be built
//! (typed error), a batch with a bad event (nothing of it indexed).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use pbj::{DateTime, Message, Microtime, SchemaCurie, Value};

use crate::error::Error;
use crate::schemas::gdbots::pbjx::command::CheckHealthV1;
use crate::schemas::gdbots::pbjx::event::{EventExecutionFailedV1, HealthCheckedV1};
use crate::schemas::gdbots::pbjx::request::{SearchEventsRequestV1, SearchEventsResponseV1};
use crate::search::query::parse;
use crate::search::{EventSearch, SearchContext};

/// The words of the generated error messages (no stop words; each its own stem).
pub const VOCABULARY: [&str; 16] = [
    "disk", "quota", "network", "timeout", "kinesis", "stream", "throttle", "table", "lambda",
    "crash", "retry", "queue", "cache", "stale", "shard", "token",
];
/// The error names of the generated events.
pub const NAMES: [&str; 4] = ["Timeout", "DiskFull", "Throttled", "Denied"];
/// The first event's `occurred_at` (unix seconds): 2024-03-10T00:00:00Z.
pub const START: u64 = 1_710_028_800;
/// Number of events in the data set.
pub const EVENTS: usize = 1_000;

/// One generated event and what the model knows about it.
#[derive(Debug, Clone)]
pub struct Row {
    /// The (frozen) event.
    pub event: Arc<dyn Message>,
    /// Its id.
    pub id: String,
    /// Its `occurred_at` in microseconds.
    pub at: i64,
    /// `health-checked` rather than `event-execution-failed`.
    pub health: bool,
    /// The words of its message.
    pub words: Vec<&'static str>,
    /// `error_name`.
    pub name: &'static str,
    /// `error_code`.
    pub code: i64,
}

/// The data set: [`EVENTS`] events, one hour apart from [`START`], ordered by time.
pub fn dataset() -> Vec<Row> {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize
    };
    (0..EVENTS)
        .map(|i| {
            let sec = START + i as u64 * 3_600;
            let at = Microtime::new(sec, (i as u32 * 7) % 1_000_000).expect("valid microtime");
            let micros = i64::try_from(at.as_micros()).expect("fits");
            let words: Vec<&'static str> = (0..3 + next() % 4)
                .map(|_| VOCABULARY[next() % VOCABULARY.len()])
                .collect();
            let name = NAMES[next() % NAMES.len()];
            let code = (i % 17) as i64;
            let health = i % 10 == 0;
            let mut event: Box<dyn Message> = if health {
                let mut e = HealthCheckedV1::new();
                e.data_mut().set("msg", format!("health {i}")).expect("msg");
                Box::new(e)
            } else {
                let mut e = EventExecutionFailedV1::new();
                let data = e.data_mut();
                data.set("error_message", words.join(" ")).expect("message");
                data.set("error_name", name).expect("name");
                data.set("error_code", code).expect("code");
                Box::new(e)
            };
            event
                .data_mut()
                .set("occurred_at", Value::Microtime(at))
                .expect("occurred_at");
            event.freeze();
            let event: Arc<dyn Message> = Arc::from(event);
            let id = crate::event_store::event_id(&*event)
                .expect("event_id")
                .to_owned();
            Row {
                event,
                id,
                at: micros,
                health,
                words,
                name,
                code,
            }
        })
        .collect()
}

/// What the model expects a query to match.
pub type Expect = fn(&Row) -> bool;

fn has(row: &Row, word: &str) -> bool {
    !row.health && row.words.contains(&word)
}

fn adjacent(row: &Row, a: &str, b: &str) -> bool {
    !row.health && row.words.windows(2).any(|w| w[0] == a && w[1] == b)
}

/// The queries of the suite with their model.
pub fn queries() -> Vec<(&'static str, Expect)> {
    vec![
        ("disk", |r| has(r, "disk")),
        ("Disk", |r| has(r, "disk")),
        ("disk quota", |r| has(r, "disk") && has(r, "quota")),
        ("disk quota kinesis", |r| {
            [has(r, "disk"), has(r, "quota"), has(r, "kinesis")]
                .iter()
                .filter(|b| **b)
                .count()
                >= 2
        }),
        ("+disk -quota", |r| has(r, "disk") && !has(r, "quota")),
        ("-disk", |r| !has(r, "disk")),
        ("\"quota network\"", |r| adjacent(r, "quota", "network")),
        ("(disk OR network) -quota", |r| {
            (has(r, "disk") || has(r, "network")) && !has(r, "quota")
        }),
        ("disk^3 stream", |r| has(r, "disk") && has(r, "stream")),
        ("error_name:timeout", |r| !r.health && r.name == "Timeout"),
        ("+error_name:DiskFull +cache", |r| {
            !r.health && r.name == "DiskFull" && has(r, "cache")
        }),
        ("error_code:[3..5]", |r| {
            !r.health && (3..=5).contains(&r.code)
        }),
        ("error_code:>10", |r| !r.health && r.code > 10),
        ("error_message:shard", |r| has(r, "shard")),
        ("", |_| true),
    ]
}

/// One search: `(total, has_more, ids, max_score)`.
pub struct Found {
    /// `total`.
    pub total: i64,
    /// `has_more`.
    pub has_more: bool,
    /// The event ids of the page, in order.
    pub ids: Vec<String>,
    /// `max_score`, if set.
    pub max_score: Option<f64>,
}

/// A search request.
#[derive(Debug, Clone, Default)]
pub struct Ask {
    /// `q`.
    pub q: String,
    /// `sort` (`date-desc` when `None`).
    pub sort: Option<&'static str>,
    /// `page`.
    pub page: Option<i64>,
    /// `count`.
    pub count: Option<i64>,
    /// `occurred_after` (microseconds).
    pub after: Option<i64>,
    /// `occurred_before` (microseconds).
    pub before: Option<i64>,
    /// Curies to restrict to.
    pub curies: Vec<&'static str>,
}

impl Ask {
    /// A date-desc search of `q`.
    pub fn q(q: &str) -> Self {
        Self {
            q: q.to_owned(),
            ..Self::default()
        }
    }
}

/// Runs `ask` on `search` for `ctx`.
pub async fn find(
    search: &dyn EventSearch,
    ctx: &SearchContext,
    ask: &Ask,
) -> crate::Result<Found> {
    let mut request = SearchEventsRequestV1::new();
    let data = request.data_mut();
    data.set("q", ask.q.as_str())?;
    data.set("sort", ask.sort.unwrap_or("date-desc"))?;
    if let Some(page) = ask.page {
        data.set("page", page)?;
    }
    data.set("count", ask.count.unwrap_or(100))?;
    for (name, at) in [
        ("occurred_after", ask.after),
        ("occurred_before", ask.before),
    ] {
        if let Some(at) = at.and_then(DateTime::from_unix_micros) {
            data.set(name, Value::DateTime(at))?;
        }
    }
    let query = parse(&ask.q).map_err(|e| Error::InvalidQuery {
        query: ask.q.clone(),
        kind: e.kind().into(),
        message: e.to_string(),
    })?;
    let curies: Vec<SchemaCurie> = ask
        .curies
        .iter()
        .map(|c| SchemaCurie::parse(c).expect("curie"))
        .collect();
    let mut response = SearchEventsResponseV1::new();
    search
        .search_events(&request, &query, &curies, &mut response, ctx)
        .await?;
    let data = response.data();
    let schema = response.schema();
    let ids = schema
        .field_index("events")
        .map(|i| data.get_list(i))
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_message)
        .filter_map(|m| crate::event_store::event_id(m).map(str::to_owned))
        .collect();
    Ok(Found {
        total: data
            .get_single("total")
            .and_then(Value::as_i64)
            .unwrap_or(-1),
        has_more: data
            .get_single("has_more")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        ids,
        max_score: data.get_single("max_score").and_then(Value::as_f64),
    })
}

/// A fresh tenant context for one check.
pub fn fresh_context(name: &str) -> SearchContext {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let salt = fastrand::u32(..);
    SearchContext::default().with_tenant_id(format!("conformance-{name}-{n}-{salt:08x}"))
}

/// Indexes the data set for `ctx` in batches of 250 and returns it.
pub async fn load(search: &dyn EventSearch, ctx: &SearchContext) -> Vec<Row> {
    let rows = dataset();
    load_rows(search, ctx, &rows).await;
    rows
}

/// Indexes `rows` for `ctx` in batches of 250.
pub async fn load_rows(search: &dyn EventSearch, ctx: &SearchContext, rows: &[Row]) {
    search.create_storage(ctx).await.expect("create_storage");
    for chunk in rows.chunks(250) {
        let events: Vec<Arc<dyn Message>> = chunk.iter().map(|r| r.event.clone()).collect();
        search
            .index_events(&events, ctx)
            .await
            .unwrap_or_else(|e| panic!("[{}] index_events: {e}", search.name()));
    }
}

/// The expected ids of `expect`, newest first (or oldest first).
pub fn expected(rows: &[Row], expect: Expect, newest_first: bool) -> Vec<String> {
    let mut hits: Vec<&Row> = rows.iter().filter(|r| expect(r)).collect();
    hits.sort_by_key(|r| r.at);
    if newest_first {
        hits.reverse();
    }
    hits.into_iter().map(|r| r.id.clone()).collect()
}

/// The date-sorted requests whose hits must be equal on every backend (the queries, plus
/// windows, curies and pages).
pub fn date_sorted_asks() -> Vec<Ask> {
    let mut asks: Vec<Ask> = queries()
        .into_iter()
        .map(|(q, _)| Ask {
            count: Some(255),
            ..Ask::q(q)
        })
        .collect();
    let hour = 3_600_000_000i64;
    let start = START as i64 * 1_000_000;
    asks.push(Ask {
        q: "network".into(),
        sort: Some("date-asc"),
        after: Some(start + 100 * hour),
        before: Some(start + 700 * hour),
        count: Some(255),
        ..Ask::default()
    });
    asks.push(Ask {
        q: String::new(),
        curies: vec!["gdbots:pbjx:event:health-checked"],
        count: Some(255),
        ..Ask::default()
    });
    asks.push(Ask {
        q: "disk".into(),
        page: Some(3),
        count: Some(20),
        ..Ask::default()
    });
    asks
}

/// Runs every check against `search`.
pub async fn run_all(search: Arc<dyn EventSearch>) {
    let search = &*search;
    let ctx = fresh_context("main");
    let rows = load(search, &ctx).await;
    check_queries(search, &ctx, &rows).await;
    check_relevance(search, &ctx, &rows).await;
    check_paging(search, &ctx, &rows).await;
    check_windows(search, &ctx, &rows).await;
    check_curies(search, &ctx, &rows).await;
    check_replace(search, &ctx, &rows).await;
    check_bad_query(search, &ctx).await;
    check_tenant_isolation(search).await;
    check_bad_batch(search).await;
    check_deletes(search).await;
    check_storage(search, &ctx).await;
}

/// Date-sorted searches of [`queries`] give exactly the model's ids, newest and oldest first.
pub async fn check_queries(search: &dyn EventSearch, ctx: &SearchContext, rows: &[Row]) {
    for (q, expect) in queries() {
        let want = expected(rows, expect, true);
        assert!(
            q.is_empty() || (!want.is_empty() && want.len() < rows.len()),
            "the query [{q}] should match some but not all events ({})",
            want.len()
        );
        for (sort, newest_first) in [("date-desc", true), ("date-asc", false)] {
            let ask = Ask {
                sort: Some(sort),
                count: Some(255),
                ..Ask::q(q)
            };
            let found = find(search, ctx, &ask)
                .await
                .unwrap_or_else(|e| panic!("[{}] q [{q}]: {e}", search.name()));
            let want = expected(rows, expect, newest_first);
            assert_eq!(
                found.total as usize,
                want.len(),
                "[{}] total of [{q}] ({sort})",
                search.name()
            );
            let page: Vec<String> = want.into_iter().take(255).collect();
            assert_eq!(found.ids, page, "[{}] ids of [{q}] ({sort})", search.name());
        }
    }
}

/// Relevance finds the same events as the date sorts and reports a score (the window ends
/// just after the data, so the recency decay's origin is near the events).
pub async fn check_relevance(search: &dyn EventSearch, ctx: &SearchContext, rows: &[Row]) {
    let last = rows.iter().map(|r| r.at).max().unwrap_or_default();
    let ask = Ask {
        sort: Some("relevance"),
        count: Some(255),
        before: Some(last + 3_600_000_000),
        ..Ask::q("kinesis")
    };
    let found = find(search, ctx, &ask).await.expect("relevance search");
    let mut want = expected(rows, |r| has(r, "kinesis"), true);
    want.truncate(255);
    let mut got = found.ids.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want, "[{}] relevance hits", search.name());
    assert!(
        found.max_score.is_some_and(|s| s > 0.0),
        "[{}] relevance reports max_score",
        search.name()
    );
}

/// `page` / `count` slice the date-sorted hits; `has_more` follows the original's rule.
pub async fn check_paging(search: &dyn EventSearch, ctx: &SearchContext, rows: &[Row]) {
    let all = expected(rows, |r| has(r, "disk"), true);
    let count = 20usize;
    let pages = all.len().div_ceil(count);
    for page in 1..=pages + 1 {
        let ask = Ask {
            page: Some(page as i64),
            count: Some(count as i64),
            ..Ask::q("disk")
        };
        let found = find(search, ctx, &ask).await.expect("page");
        let from = (page - 1) * count;
        let want: Vec<String> = all.iter().skip(from).take(count).cloned().collect();
        assert_eq!(found.ids, want, "[{}] page {page}", search.name());
        assert_eq!(found.total as usize, all.len());
        assert_eq!(
            found.has_more,
            from + count < all.len(),
            "[{}] has_more of page {page}",
            search.name()
        );
    }
}

/// `occurred_after` / `occurred_before` are exclusive bounds.
pub async fn check_windows(search: &dyn EventSearch, ctx: &SearchContext, rows: &[Row]) {
    let (after, before) = (rows[100].at, rows[700].at);
    let ask = Ask {
        after: Some(after),
        before: Some(before),
        count: Some(255),
        sort: Some("date-asc"),
        ..Ask::q("")
    };
    let found = find(search, ctx, &ask).await.expect("window");
    assert_eq!(
        found.total,
        599,
        "[{}] events strictly inside",
        search.name()
    );
    let want: Vec<String> = rows[101..356].iter().map(|r| r.id.clone()).collect();
    assert_eq!(found.ids, want, "[{}] window ids", search.name());
    let only_after = Ask {
        after: Some(rows[990].at),
        ..Ask::q("")
    };
    let found = find(search, ctx, &only_after).await.expect("after");
    assert_eq!(found.total, 9, "[{}] after the 991st event", search.name());
}

/// Curies restrict the types.
pub async fn check_curies(search: &dyn EventSearch, ctx: &SearchContext, rows: &[Row]) {
    let ask = Ask {
        curies: vec!["gdbots:pbjx:event:health-checked"],
        count: Some(255),
        ..Ask::q("")
    };
    let found = find(search, ctx, &ask).await.expect("curies");
    assert_eq!(found.ids, expected(rows, |r| r.health, true));
    let ask = Ask {
        curies: vec![
            "gdbots:pbjx:event:health-checked",
            "gdbots:pbjx:event:event-execution-failed",
        ],
        ..Ask::q("")
    };
    let found = find(search, ctx, &ask).await.expect("two curies");
    assert_eq!(found.total as usize, rows.len());
    let ask = Ask {
        curies: vec!["gdbots:pbjx:event:health-checked"],
        ..Ask::q("disk")
    };
    assert_eq!(find(search, ctx, &ask).await.expect("none").total, 0);
}

/// Indexing events again replaces their documents (no duplicates), also within one batch.
pub async fn check_replace(search: &dyn EventSearch, ctx: &SearchContext, rows: &[Row]) {
    let again: Vec<Arc<dyn Message>> = rows[..50].iter().map(|r| r.event.clone()).collect();
    search.index_events(&again, ctx).await.expect("index again");
    // An event given twice in one batch is still one document (as in a bulk request).
    let twice: Vec<Arc<dyn Message>> = rows[50..60]
        .iter()
        .chain(&rows[50..60])
        .map(|r| r.event.clone())
        .collect();
    search.index_events(&twice, ctx).await.expect("index twice");
    let found = find(search, ctx, &Ask::q("")).await.expect("all");
    assert_eq!(
        found.total as usize,
        rows.len(),
        "[{}] no duplicates",
        search.name()
    );
}

/// A query the builder rejects is a typed error.
pub async fn check_bad_query(search: &dyn EventSearch, ctx: &SearchContext) {
    let err = find(search, ctx, &Ask::q("_exists_:5"))
        .await
        .err()
        .expect("a query that cannot be built fails");
    assert!(
        matches!(&err, Error::InvalidQuery { query, .. } if query == "_exists_:5"),
        "[{}] got {err:?}",
        search.name()
    );
}

/// Tenants never see, replace or delete each other's events.
pub async fn check_tenant_isolation(search: &dyn EventSearch) {
    let a = fresh_context("tenant-a");
    let b = fresh_context("tenant-b");
    let rows: Vec<Row> = dataset().into_iter().take(30).collect();
    load_rows(search, &a, &rows).await;
    assert_eq!(find(search, &a, &Ask::q("")).await.expect("a").total, 30);
    assert_eq!(find(search, &b, &Ask::q("")).await.expect("b").total, 0);
    // An event is found by its id, by its own tenant only.
    let q = format!("event_id:\"{}\"", rows[7].id);
    let found = find(search, &a, &Ask::q(&q)).await.expect("a by id");
    assert_eq!(found.ids, [rows[7].id.clone()], "[{}] {q}", search.name());
    let found = find(search, &b, &Ask::q(&q)).await.expect("b by id");
    assert_eq!(found.total, 0, "[{}] {q} as tenant b", search.name());
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    search.delete_events(&ids, &b).await.expect("delete as b");
    assert_eq!(
        find(search, &a, &Ask::q("")).await.expect("a").total,
        30,
        "[{}] a delete for tenant b leaves tenant a's events",
        search.name()
    );
}

/// A batch holding a message that is not an indexable event fails whole.
pub async fn check_bad_batch(search: &dyn EventSearch) {
    let ctx = fresh_context("bad-batch");
    let rows: Vec<Row> = dataset().into_iter().take(5).collect();
    let mut batch: Vec<Arc<dyn Message>> = rows.iter().map(|r| r.event.clone()).collect();
    let mut command = CheckHealthV1::new();
    command.freeze();
    batch.insert(2, Arc::new(command));
    let err = search
        .index_events(&batch, &ctx)
        .await
        .expect_err("a command in the batch fails it");
    assert!(
        matches!(err, Error::WrongMessageKind { .. }),
        "[{}] got {err:?}",
        search.name()
    );
    search.create_storage(&ctx).await.expect("storage");
    assert_eq!(
        find(search, &ctx, &Ask::q("")).await.expect("search").total,
        0,
        "[{}] nothing of the failed batch is indexed",
        search.name()
    );
}

/// Deleted events are gone; unknown ids are no error.
pub async fn check_deletes(search: &dyn EventSearch) {
    let ctx = fresh_context("deletes");
    let rows: Vec<Row> = dataset().into_iter().take(40).collect();
    load_rows(search, &ctx, &rows).await;
    let gone: Vec<String> = rows[..10].iter().map(|r| r.id.clone()).collect();
    let mut with_unknown = gone.clone();
    with_unknown.push("00000000-0000-1000-8000-000000000000".into());
    search
        .delete_events(&with_unknown, &ctx)
        .await
        .expect("delete");
    let found = find(search, &ctx, &Ask::q("")).await.expect("after delete");
    assert_eq!(found.total, 30, "[{}] 10 of 40 deleted", search.name());
    assert!(found.ids.iter().all(|id| !gone.contains(id)));
    search.delete_events(&[], &ctx).await.expect("empty delete");
}

/// `describe_storage` says something about the storage.
pub async fn check_storage(search: &dyn EventSearch, ctx: &SearchContext) {
    let text = search.describe_storage(ctx).await.expect("describe");
    assert!(!text.is_empty());
}
