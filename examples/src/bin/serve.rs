//! Serves the blog's exchange (embedded defaults: in-memory transport, in-memory SQLite
//! scheduler, in-RAM tantivy event search) over HTTP with `pbjx::http::serve`, until Ctrl-C.
//!
//! ```sh
//! cargo run -p pbjx-examples --bin serve                 # http://127.0.0.1:8080/pbjx
//! cargo run -p pbjx-examples --bin serve -- 0.0.0.0:9000 # another address
//! ```
//!
//! Without `PBJX_TOKEN_SECRET` every curie is open (no PbjxToken needed: a local demo);
//! with it, requests need an `x-pbjx-token` signed with that secret and kid `PBJX_TOKEN_KID`
//! (default `default`). Then send a command:
//!
//! ```sh
//! curl -s http://127.0.0.1:8080/pbjx/acme/blog/command/publish-article \
//!   -H 'content-type: application/json' \
//!   -d '{"article_id":"0e8f2d10-8a3b-41ee-8c99-0242ac120002","title":"Hello over HTTP"}'
//! ```

use pbjx::http::HttpConfig;
use pbjx::scheduler::{SqliteScheduler, WorkerOptions};
use pbjx::search::tantivy::TantivyEventSearch;
use pbjx_examples::schemas::acme::blog::command::PublishArticleV1;

use pbj::MessageType;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let scheduler = SqliteScheduler::open_in_memory(PublishArticleV1::registry())?;
    let search = TantivyEventSearch::open_in_ram(PublishArticleV1::registry())?;
    let pbjx = pbjx_examples::blog::exchange(scheduler.clone(), search)?;
    let worker = scheduler.spawn_worker(pbjx.clone(), WorkerOptions::default());

    let config = match std::env::var("PBJX_TOKEN_SECRET") {
        Ok(secret) if !secret.is_empty() => {
            let kid = std::env::var("PBJX_TOKEN_KID").unwrap_or_else(|_| "default".into());
            println!("PbjxTokens required (kid [{kid}])");
            HttpConfig::default().with_key(kid, secret)
        }
        _ => {
            println!("no PBJX_TOKEN_SECRET: every curie is open (demo only)");
            HttpConfig::default().with_token_bypass("all")
        }
    };

    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "serving the blog on http://{}{} (Ctrl-C to stop)",
        listener.local_addr()?,
        config.mount_path()
    );
    pbjx::http::serve(listener, pbjx, config, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    worker.shutdown().await;
    println!("stopped");
    Ok(())
}
