//! A small blog on pbjx with the embedded defaults (no cloud account needed):
//! `publish-article` command -> handler -> `article-published` event -> subscribers, a
//! `get-article` request answered from what the subscriber stored, and a command scheduled
//! for later with the embedded (SQLite) scheduler, and event search on the embedded (tantivy)
//! index: `article-published` uses the `indexed` mixin, so every published article is indexed
//! and a `search-events-request` finds it.
//!
//! Run with `cargo run -p pbjx-examples --bin blog`.

use pbj::{Flavor, Message, MessageType};
use pbjx::Error;
use pbjx::scheduler::{SqliteScheduler, WorkerOptions};
use pbjx::schemas::gdbots::pbjx::request::{SearchEventsRequestV1, SearchEventsResponseV1};
use pbjx::search::tantivy::TantivyEventSearch;
use pbjx_examples::schemas::acme::blog::command::PublishArticleV1;
use pbjx_examples::schemas::acme::blog::event::ArticlePublishedV1;
use pbjx_examples::schemas::acme::blog::mixin::ArticleMixin;
use pbjx_examples::schemas::acme::blog::request::{GetArticleRequestV1, GetArticleResponseV1};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The embedded scheduler; `SqliteScheduler::open("jobs.db", ..)` keeps jobs across
    // restarts. Its registry decodes the stored commands.
    let scheduler = SqliteScheduler::open_in_memory(PublishArticleV1::registry())?;
    // The embedded event search; `TantivyEventSearch::open("search-index", ..)` keeps the
    // index on disk. Its registry gives the mapping (every `indexed` event type).
    let search = TantivyEventSearch::open_in_ram(PublishArticleV1::registry())?;
    let pbjx = pbjx_examples::blog::exchange(scheduler.clone(), search)?;

    // 1. A command built with the validating builder (every rejected value is reported at
    //    once by `build`); ids and timestamps are generated.
    let mut command = PublishArticleV1::builder()
        .article_id("0e8f2d10-8a3b-41ee-8c99-0242ac120002")
        .title("  Hello, pbjx!  ")
        .ctx_tenant_id("tenant-1")
        .tags(["Rust", "rust", "Pbj"])
        .build()?;
    println!("command         : {}", command.to_json());
    println!("PHP JSON        : {}", command.to_json_with(Flavor::Php));
    println!("etag            : {}", command.generate_etag(&[]));
    if let Err(e) = command.set_title("x".repeat(121)) {
        println!("rejected        : {e}");
    }

    // 2. send: bind / validate / enrich hooks, then the handler publishes an event that the
    //    subscribers store and print.
    pbjx.send(command).await?;

    // 3. request: answered from the read model.
    let request =
        GetArticleRequestV1::new().with_article_id("0e8f2d10-8a3b-41ee-8c99-0242ac120002")?;
    let response = pbjx.request_as::<GetArticleResponseV1>(request).await?;
    // `article` allows one message type, so it comes back typed.
    let article: Option<&ArticlePublishedV1> = response.article();
    println!(
        "get-article     : {:?} ({:?})",
        article.and_then(ArticleMixin::title),
        article.and_then(ArticlePublishedV1::status)
    );

    // 4. A validate hook rejects a command: nothing is handled.
    let spam = PublishArticleV1::new()
        .with_article_id("1e8f2d10-8a3b-41ee-8c99-0242ac120002")?
        .with_title("Buy SPAM now")?;
    match pbjx.send(spam).await {
        Err(e) => println!("validate hook   : {e} (code {})", e.code()),
        Ok(()) => unreachable!("the validate hook rejects spam"),
    }

    // 5. A failing request handler comes back as RequestHandlingFailed with its code.
    let missing =
        GetArticleRequestV1::new().with_article_id("2e8f2d10-8a3b-41ee-8c99-0242ac120002")?;
    match pbjx.request(missing).await {
        Err(e @ Error::RequestHandlingFailed { .. }) => {
            println!("request failed  : {e} -> HTTP {}", e.code().to_http())
        }
        other => unreachable!("unexpected {other:?}"),
    }

    // 6. send_at: a command stored now and sent later by the scheduler's worker (through the
    //    same hooks and handler; a failing send is retried, then reported).
    let worker = scheduler.spawn_worker(pbjx.clone(), WorkerOptions::default());
    let later = PublishArticleV1::new()
        .with_article_id("3e8f2d10-8a3b-41ee-8c99-0242ac120002")?
        .with_title("Published by the scheduler")?
        .with_ctx_tenant_id("tenant-1")?;
    let at = std::time::SystemTime::now() + std::time::Duration::from_millis(300);
    let job = pbjx
        .send_at(later, at, Some("publish-3e8f2d10".into()))
        .await?;
    println!("scheduled       : job [{job}] in 300 ms");
    let scheduled =
        GetArticleRequestV1::new().with_article_id("3e8f2d10-8a3b-41ee-8c99-0242ac120002")?;
    let mut fired = None;
    for _ in 0..100 {
        match pbjx
            .request_as::<GetArticleResponseV1>(scheduled.clone())
            .await
        {
            Ok(response) => {
                fired = Some(response);
                break;
            }
            Err(Error::RequestHandlingFailed { .. }) => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    let fired = fired.ok_or("the scheduled job did not fire within 5 s")?;
    println!(
        "job fired       : {:?}",
        fired.article().and_then(ArticleMixin::title)
    );
    worker.shutdown().await;

    // 7. Decoding is strict and names the field.
    let bad = r#"{"_schema":"pbj:acme:blog:event:article-published:1-0-0","event_id":"x"}"#;
    if let Err(e) = ArticlePublishedV1::from_json(bad) {
        println!("decode error    : {e}");
    }

    // 8. Event search: the published articles were indexed by the indexer subscriber; a
    //    search request (the gdbots query language) finds them, newest first.
    let search = SearchEventsRequestV1::new()
        .with_q("(pbjx scheduler)")?
        .with_sort(pbjx::schemas::gdbots::pbjx::SearchEventsSort::DateDesc)?
        .with_ctx_tenant_id("tenant-1")?;
    let found = pbjx.request_as::<SearchEventsResponseV1>(search).await?;
    println!("search total    : {:?}", found.total());
    for hit in found.events() {
        let title = hit.data().get_single("title").and_then(pbj::Value::as_str);
        println!("search hit      : {} {title:?}", hit.schema().curie);
    }

    // 9. The wiring of the exchange, for review: a table (and `to_mermaid()` for a diagram).
    println!("\nwiring:\n{}", pbjx.describe());
    Ok(())
}
