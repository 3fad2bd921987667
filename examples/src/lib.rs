//! Example types generated at build time from the top-level `schemas/` store (`acme:blog`: a
//! publish-article command, an article-published event, a get-article request and response),
//! built on the pbjx core mixins.
//!
//! The store is compiled with `serde(true)`, so the messages work with serde: inside derived
//! structs, with `serde_json`, reqwest's `.json()` or axum's `Json<T>`. The JSON is exactly
//! [`pbj::Message::to_json`]'s, and decoding is the strict decoder plus validation, resolving
//! nested messages (here the pbjx `ctx_app` context) with the store's registry.
//!
//! ```
//! use pbj::Message;
//! use pbjx::schemas::gdbots::contexts::AppV1;
//! use pbjx_examples::schemas::acme::blog::command::PublishArticleV1;
//!
//! #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
//! struct Job {
//!     command: PublishArticleV1,
//!     attempts: u32,
//! }
//!
//! let command = PublishArticleV1::builder()
//!     .article_id("0e8f2d10-8a3b-41ee-8c99-0242ac120002")
//!     .title("Hello")
//!     .tags(["rust", "pbj"])
//!     .ctx_app(AppV1::builder().vendor("acme").name("blog").build()?)
//!     .build()?;
//! let job = Job { command, attempts: 1 };
//! let json = serde_json::to_string(&job)?;
//! assert_eq!(json, format!(r#"{{"command":{},"attempts":1}}"#, job.command.to_json()));
//!
//! let back: Job = serde_json::from_str(&json)?;
//! assert_eq!(back, job);
//! assert_eq!(back.command.ctx_app().and_then(AppV1::name), Some("blog"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! An axum handler takes and returns the generated type through axum's own `Json<T>`; a body
//! that fails validation is refused before the handler runs:
//!
//! ```
//! use axum::{Json, Router, body::Body, http::Request, routing::post};
//! use http_body_util::BodyExt;
//! use pbjx_examples::schemas::acme::blog::command::PublishArticleV1;
//! use tower::ServiceExt;
//!
//! async fn publish(Json(command): Json<PublishArticleV1>) -> Json<PublishArticleV1> {
//!     assert_eq!(command.title(), Some("Hello"));
//!     Json(command)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let app = Router::new().route("/articles", post(publish));
//! let post_json = |body: &str| {
//!     Request::post("/articles")
//!         .header("content-type", "application/json")
//!         .body(Body::from(body.to_owned()))
//! };
//!
//! let body = r#"{"_schema":"pbj:acme:blog:command:publish-article:1-0-0","article_id":"0e8f2d10-8a3b-41ee-8c99-0242ac120002","title":"Hello"}"#;
//! let response = app.clone().oneshot(post_json(body)?).await?;
//! assert_eq!(response.status(), 200);
//! let echoed = response.into_body().collect().await?.to_bytes();
//! let echoed: PublishArticleV1 = serde_json::from_slice(&echoed)?;
//! assert_eq!(echoed.title(), Some("Hello"));
//!
//! // `article_id` is not a uuid: the strict decoder's validation refuses it (422).
//! let response = app.oneshot(post_json(r#"{"article_id":"nope","title":"Hello"}"#)?).await?;
//! assert_eq!(response.status(), 422);
//! # Ok(())
//! # }
//! ```

pub mod blog;

/// Generated message types of the `acme:blog` example store.
pub mod schemas {
    include!(concat!(env!("OUT_DIR"), "/blog_schemas.rs"));
}
