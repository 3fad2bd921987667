//! [`ElasticsearchEventSearch`] against the local Elasticsearch-compatible server started by
//! `scripts/test-all.sh` (its address in `PBJX_ELASTICSEARCH_URL`; the tests fail when it is
//! missing): the shared conformance suite, the index template and quarterly indices, and the
//! same date-sorted requests on both backends over the same events (equal hits).
#![cfg(all(feature = "search-elasticsearch", feature = "search-tantivy"))]

use std::sync::Arc;

use pbjx::search::elasticsearch::{ElasticsearchEventSearch, ElasticsearchOptions, URL_ENV};
use pbjx::search::tantivy::TantivyEventSearch;
use pbjx::search::{EventSearch, SearchContext};
use pbjx::testkit::search::{self as conformance, Ask};

fn url() -> String {
    std::env::var(URL_ENV).unwrap_or_else(|_| {
        panic!("{URL_ENV} is not set: start the server with scripts/test-all.sh (or .ci/es-emulator.sh start)")
    })
}

fn search(prefix: &str) -> ElasticsearchEventSearch {
    let options = ElasticsearchOptions::default()
        .with_index_prefix(format!("{prefix}-{:08x}", fastrand::u32(..)))
        .with_search_timeout("30s");
    ElasticsearchEventSearch::new(&url(), pbjx::registry(), options).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance() {
    conformance::run_all(Arc::new(search("conformance"))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn date_sorted_searches_give_the_same_hits_on_both_backends() {
    let es = search("compare");
    let tantivy = TantivyEventSearch::open_in_ram(pbjx::registry()).unwrap();
    let ctx = SearchContext::default().with_tenant_id("compare");
    let rows = conformance::load(&es, &ctx).await;
    conformance::load_rows(&tantivy, &ctx, &rows).await;
    let mut compared = 0;
    for ask in conformance::date_sorted_asks() {
        for sort in ["date-desc", "date-asc"] {
            let ask = Ask {
                sort: Some(sort),
                ..ask.clone()
            };
            let a = conformance::find(&es, &ctx, &ask).await.unwrap();
            let b = conformance::find(&tantivy, &ctx, &ask).await.unwrap();
            assert_eq!(a.total, b.total, "total of {ask:?}");
            assert_eq!(a.ids, b.ids, "hits of {ask:?}");
            assert_eq!(a.has_more, b.has_more, "has_more of {ask:?}");
            compared += usize::from(!a.ids.is_empty());
        }
    }
    assert!(compared > 20, "only {compared} requests had hits");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_go_to_quarterly_indices_under_the_template() {
    let es = search("quarters");
    let ctx = SearchContext::default();
    conformance::load(&es, &ctx).await;
    let text = es.describe_storage(&ctx).await.unwrap();
    let prefix = es.index_manager().prefix().to_owned();
    // The data set runs from 2024-03-10 for 1,000 hours: the first and second quarters.
    assert!(text.contains(&format!("{prefix}-2024q1 (")), "{text}");
    assert!(text.contains(&format!("{prefix}-2024q2 (")), "{text}");
    // A window inside the first quarter reads only its index and finds its events.
    let hour = 3_600_000_000i64;
    let start = conformance::START as i64 * 1_000_000;
    let ask = Ask {
        after: Some(start - hour),
        before: Some(start + 10 * hour),
        ..Ask::q("")
    };
    let found = conformance::find(&es, &ctx, &ask).await.unwrap();
    assert_eq!(found.total, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_cluster_is_an_error_naming_the_known_ones() {
    let es = search("clusters");
    let ctx = SearchContext::default().with_cluster("eu");
    let err = es.create_storage(&ctx).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown cluster [eu]; available: default"),
        "{err}"
    );
    let es = es.with_cluster("eu", &url()).unwrap();
    es.create_storage(&ctx).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_an_unavailable_error() {
    let options = ElasticsearchOptions::default().with_timeout(std::time::Duration::from_secs(2));
    let es =
        ElasticsearchEventSearch::new("http://127.0.0.1:9", pbjx::registry(), options).unwrap();
    let rows = conformance::dataset();
    let err = es
        .index_events(&[rows[1].event.clone()], &SearchContext::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), pbjx::Code::Unavailable, "{err}");
    assert!(err.to_string().contains("pbjx-events-2024q1"), "{err}");
}
