//! [`TantivyEventSearch`]: the shared conformance suite (in memory and on disk), durability
//! across reopening and across a killed writer (the translog), and the exchange wiring
//! (indexer subscriber, search request handler).
#![cfg(feature = "search-tantivy")]

use std::sync::Arc;

use crate::temp::TempDir;
use pbjx::Pbjx;
use pbjx::pbj::{Message, Value};
use pbjx::schemas::gdbots::pbjx::event::{EventExecutionFailedV1, HealthCheckedV1};
use pbjx::schemas::gdbots::pbjx::request::{SearchEventsRequestV1, SearchEventsResponseV1};
use pbjx::search::tantivy::{TantivyEventSearch, TantivyOptions};
use pbjx::search::{EventSearch, SearchContext, indexer};
use pbjx::testkit::search::{self as conformance, Ask};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_in_ram() {
    let search = TantivyEventSearch::open_in_ram(pbjx::registry()).unwrap();
    conformance::run_all(Arc::new(search)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_on_disk() {
    let dir = TempDir::new("search-tantivy-conformance");
    let search = TantivyEventSearch::open(&dir.0, pbjx::registry()).unwrap();
    conformance::run_all(Arc::new(search)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexed_events_survive_reopening() {
    let dir = TempDir::new("search-tantivy-reopen");
    let ctx = SearchContext::default().with_tenant_id("reopen");
    let rows = {
        let search = TantivyEventSearch::open(&dir.0, pbjx::registry()).unwrap();
        conformance::load(&search, &ctx).await
    };
    let search = TantivyEventSearch::open(&dir.0, pbjx::registry()).unwrap();
    let found = conformance::find(&search, &ctx, &Ask::q("disk"))
        .await
        .unwrap();
    let want = conformance::expected(&rows, |r| !r.health && r.words.contains(&"disk"), true);
    assert_eq!(found.total as usize, want.len());
    assert_eq!(found.ids, want.into_iter().take(100).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_writer_on_one_folder_is_a_typed_error() {
    let dir = TempDir::new("search-tantivy-lock");
    let _first = TantivyEventSearch::open(&dir.0, pbjx::registry()).unwrap();
    let err = TantivyEventSearch::open(&dir.0, pbjx::registry()).unwrap_err();
    assert_eq!(err.name(), "EventSearchOperationFailed");
    assert!(
        err.to_string().contains(&dir.0.display().to_string()),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exchange_indexes_published_indexed_events_and_answers_search_requests() {
    let search = TantivyEventSearch::open_in_ram(pbjx::registry()).unwrap();
    let pbjx = Pbjx::builder()
        .event_search_with_handlers(search.clone())
        .build()
        .unwrap();

    let mut failed = EventExecutionFailedV1::new();
    failed
        .data_mut()
        .set("error_message", "kinesis shard throttled")
        .unwrap();
    failed.data_mut().set("ctx_tenant_id", "acme").unwrap();
    pbjx.publish(failed).await.unwrap();
    // Not indexed: health-checked lacks the `indexed` mixin.
    let mut health = HealthCheckedV1::new();
    health.data_mut().set("msg", "kinesis fine").unwrap();
    pbjx.publish(health).await.unwrap();
    // Not indexed: replayed.
    let mut replayed = EventExecutionFailedV1::new();
    replayed
        .data_mut()
        .set("error_message", "kinesis replayed")
        .unwrap();
    replayed.data_mut().set("ctx_tenant_id", "acme").unwrap();
    indexer::replaying(pbjx.publish(replayed)).await.unwrap();

    let mut request = SearchEventsRequestV1::new();
    request.data_mut().set("q", "kinesis").unwrap();
    request.data_mut().set("ctx_tenant_id", "acme").unwrap();
    let response = pbjx
        .request_as::<SearchEventsResponseV1>(request)
        .await
        .unwrap();
    let data = response.data();
    assert_eq!(data.get_single("total").and_then(Value::as_i64), Some(1));
    let events = data.get_list(response.schema().field_index("events").unwrap());
    let text = events[0]
        .as_message()
        .unwrap()
        .data()
        .get_single("error_message")
        .and_then(Value::as_str)
        .map(str::to_owned);
    assert_eq!(text.as_deref(), Some("kinesis shard throttled"));

    // Another tenant sees nothing; a bad query is a failed request naming the query.
    let mut other = SearchEventsRequestV1::new();
    other.data_mut().set("q", "kinesis").unwrap();
    let response = pbjx
        .request_as::<SearchEventsResponseV1>(other)
        .await
        .unwrap();
    assert_eq!(
        response.data().get_single("total").and_then(Value::as_i64),
        Some(0)
    );
    let mut bad = SearchEventsRequestV1::new();
    bad.data_mut().set("q", "_exists_:5").unwrap();
    let err = pbjx.request(bad).await.unwrap_err();
    assert!(err.to_string().contains("InvalidQuery"), "{err}");
    assert_eq!(search.name(), "tantivy");
}

/// The event's time is only the `occurred_at` fast field: terms and ranges on `occurred_at`
/// (microseconds) and on `d__occurred_at_iso` (dates) are answered from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_on_the_event_time_paths() {
    let search = TantivyEventSearch::open_in_ram(pbjx::registry()).unwrap();
    let ctx = SearchContext::default();
    let rows = conformance::load(&search, &ctx).await;
    let at = rows[500].at;
    let day =
        |text: &str| pbjx::pbj::Date::parse(text).unwrap().days_since_epoch() * 86_400_000_000;
    // A date range takes the whole last day (as the original's query factory builds it).
    let (from, to) = (day("2024-03-12"), day("2024-03-14"));
    // Each query with the times it matches (inclusive bounds, microseconds).
    let day_len = 86_400_000_000;
    let cases = [
        (format!("occurred_at:{at}"), at, at),
        (format!("occurred_at:>={at}"), at, i64::MAX),
        (format!("occurred_at:<{at}"), i64::MIN, at - 1),
        (
            "d__occurred_at_iso:[2024-03-12..2024-03-13]".to_owned(),
            from,
            to,
        ),
        (
            "d__occurred_at_iso:>2024-03-12".to_owned(),
            from + 1,
            i64::MAX,
        ),
        (
            "d__occurred_at_iso:2024-03-12".to_owned(),
            from,
            from + day_len - 1,
        ),
    ];
    for (q, lo, hi) in cases {
        let mut want: Vec<&conformance::Row> =
            rows.iter().filter(|r| (lo..=hi).contains(&r.at)).collect();
        want.sort_by_key(|r| std::cmp::Reverse(r.at));
        let found = conformance::find(&search, &ctx, &Ask::q(&q)).await.unwrap();
        assert!(!want.is_empty(), "{q}: the model matches nothing");
        assert_eq!(found.total as usize, want.len(), "{q}");
        let ids: Vec<String> = want.iter().take(100).map(|r| r.id.clone()).collect();
        assert_eq!(found.ids, ids, "{q}");
    }
}

const KILL_DIR: &str = "PBJX_TANTIVY_CHILD_DIR";
const KILL_REPORT: &str = "child acked: ";

/// A process indexing batches (never committing: everything waits in the translog) is
/// killed (SIGKILL); reopening the folder replays the log, and every event of every
/// acknowledged batch is found by its id.
#[test]
fn a_killed_writer_loses_no_acknowledged_batch() {
    if let Some(dir) = std::env::var_os(KILL_DIR) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let options = TantivyOptions::default().with_commit_every_docs(usize::MAX);
            let search = TantivyEventSearch::open_with(&dir, pbjx::registry(), options).unwrap();
            let ctx = SearchContext::default().with_tenant_id("kill");
            for batch in 0.. {
                let events: Vec<Arc<dyn Message>> = (0..25)
                    .map(|i| {
                        let mut e = EventExecutionFailedV1::new();
                        let text = format!("batch {batch} item {i}");
                        e.data_mut().set("error_message", text).unwrap();
                        e.freeze();
                        Arc::new(e) as Arc<dyn Message>
                    })
                    .collect();
                search.index_events(&events, &ctx).await.unwrap();
                let ids: Vec<String> = events
                    .iter()
                    .map(|e| pbjx::event_store::event_id(&**e).unwrap().to_owned())
                    .collect();
                println!("\n{KILL_REPORT}{}", ids.join(","));
            }
        });
        return;
    }
    use std::io::{BufRead, BufReader};
    let dir = TempDir::new("search-tantivy-kill");
    let mut process = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            &crate::test_name(
                module_path!(),
                "a_killed_writer_loses_no_acknowledged_batch",
            ),
            "--nocapture",
        ])
        .env(KILL_DIR, &dir.0)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(process.stdout.take().unwrap()).lines();
    let mut acked: Vec<String> = Vec::new();
    let mut record = |line: &str| match line.strip_prefix(KILL_REPORT) {
        Some(ids) => {
            acked.extend(ids.split(',').map(str::to_owned));
            true
        }
        None => false,
    };
    let mut batches = 0;
    for line in lines.by_ref() {
        if record(&line.unwrap()) {
            batches += 1;
            if batches == 8 {
                break;
            }
        }
    }
    process.kill().unwrap(); // SIGKILL
    assert!(!process.wait().unwrap().success(), "the child was killed");
    for line in lines {
        record(&line.unwrap());
    }
    assert!(acked.len() >= 8 * 25, "{} events acknowledged", acked.len());

    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let search = TantivyEventSearch::open(&dir.0, pbjx::registry()).unwrap();
        // Replayed and committed while opening.
        assert!(
            search.num_docs() >= acked.len() as u64,
            "{} documents",
            search.num_docs()
        );
        let ctx = SearchContext::default().with_tenant_id("kill");
        for id in &acked {
            let found = conformance::find(&search, &ctx, &Ask::q(&format!("event_id:\"{id}\"")))
                .await
                .unwrap();
            assert_eq!(
                found.ids,
                std::slice::from_ref(id),
                "acknowledged event {id}"
            );
        }
    });
}

/// Event ids are searched in `_key` (as bytes): a term and a range find exactly the ids
/// asked for; a range bound that is not a UUID is a clear error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_on_event_ids() {
    let search = TantivyEventSearch::open_in_ram(pbjx::registry()).unwrap();
    let ctx = SearchContext::default().with_tenant_id("ids");
    let events: Vec<Arc<dyn Message>> = (0..4)
        .map(|_| Arc::new(EventExecutionFailedV1::new()) as Arc<dyn Message>)
        .collect();
    search.index_events(&events, &ctx).await.unwrap();
    let mut ids: Vec<String> = events
        .iter()
        .map(|e| pbjx::event_store::event_id(&**e).unwrap().to_owned())
        .collect();
    ids.sort();
    let find = |q: String| {
        let search = &search;
        let ctx = &ctx;
        async move {
            let mut found = conformance::find(search, ctx, &Ask::q(&q)).await?.ids;
            found.sort();
            Ok::<_, pbjx::Error>(found)
        }
    };
    assert_eq!(
        find(format!("event_id:\"{}\"", ids[2])).await.unwrap(),
        ids[2..3]
    );
    assert_eq!(
        find(format!("event_id:[{}..{}]", ids[1], ids[2]))
            .await
            .unwrap(),
        ids[1..3]
    );
    // The query language has no comparisons on words: this is the term.
    assert_eq!(
        find(format!("event_id:>{}", ids[1])).await.unwrap(),
        ids[1..2]
    );
    let err = find("event_id:[a..b]".to_owned()).await.unwrap_err();
    assert!(err.to_string().contains("UUIDs only"), "{err}");
}
