//! The blog's exchange, shared by the `blog` and `serve` examples: a `publish-article`
//! handler publishing `article-published`, a typed subscriber storing articles in a read
//! model, a `*` audit subscriber, a `get-article` request answered from the read model, bind
//! and validate hooks, the embedded scheduler and event search (the indexer subscriber and
//! the `search-events-request` handler).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use pbj::{Message, MessageType};
use pbjx::scheduler::SqliteScheduler;
use pbjx::schemas::gdbots::pbjx::mixin::Command;
use pbjx::search::tantivy::TantivyEventSearch;
use pbjx::{Code, Error, Pbjx, Selector};

use crate::schemas::acme::blog::ArticleStatus;
use crate::schemas::acme::blog::command::PublishArticleV1;
use crate::schemas::acme::blog::event::ArticlePublishedV1;
use crate::schemas::acme::blog::request::{GetArticleRequestV1, GetArticleResponseV1};

/// The read model (the exchange's state): article id -> its article-published event.
#[derive(Default)]
pub struct Articles(Mutex<HashMap<String, Arc<ArticlePublishedV1>>>);

impl Articles {
    fn lock(&self) -> pbjx::Result<MutexGuard<'_, HashMap<String, Arc<ArticlePublishedV1>>>> {
        self.0
            .lock()
            .map_err(|_| Error::handler(Code::Internal, "Poisoned", "the read model lock"))
    }
}

/// The blog's exchange on `scheduler` and `search`, decoding with the example store's
/// registry (so the HTTP endpoint resolves `acme:blog` curies).
pub fn exchange(scheduler: SqliteScheduler, search: TantivyEventSearch) -> Result<Pbjx, Error> {
    Pbjx::builder()
        .registry(PublishArticleV1::registry())
        .scheduler(scheduler)
        // Event search with its indexer subscriber and search request handler.
        .event_search_with_handlers(search)
        // The state every handler, subscriber and hook below receives.
        .with_state(Articles::default())
        // bind: cheap context from the environment, on every command.
        .on_bind(Selector::mixin::<Command>(), |event| {
            if let Some(message) = event.message_mut()
                && !message.data().has("ctx_ua")
            {
                message.data_mut().set("ctx_ua", "blog-example/1.0")?;
            }
            Ok(())
        })
        // validate: business rules; an error stops the exchange.
        .on_validate(Selector::of::<PublishArticleV1>(), |event| {
            let command = event.message().downcast_ref::<PublishArticleV1>();
            let title = command
                .and_then(|c| c.title())
                .unwrap_or_default()
                .to_lowercase();
            if title.contains("spam") {
                return Err(Error::handler(
                    Code::InvalidArgument,
                    "SpamRejected",
                    "titles cannot contain spam",
                ));
            }
            Ok(())
        })
        .command(|command: Arc<PublishArticleV1>, pbjx: Pbjx| async move {
            let mut event = ArticlePublishedV1::builder()
                .article_id(command.article_id().unwrap_or_default())
                .title(command.title().unwrap_or_default())
                .word_count(2)
                .tags(command.tags())
                .build()?;
            pbjx.copy_context(&*command, &mut event)?;
            pbjx.publish(event).await
        })
        .subscribe(
            |event: Arc<ArticlePublishedV1>, _pbjx, articles: Arc<Articles>| async move {
                let id = event.article_id().unwrap_or_default().to_owned();
                println!(
                    "subscriber      : stored [{id}] status {:?}",
                    event.status()
                );
                assert_eq!(event.status(), Some(ArticleStatus::Published));
                articles.lock()?.insert(id, event);
                Ok(())
            },
        )
        .subscribe_to("*", |event: Arc<dyn Message>, _pbjx| async move {
            let causator = event.data().get_single("ctx_causator_ref");
            let causator = match causator {
                Some(pbj::Value::MessageRef(r)) => r.to_string(),
                _ => "-".to_owned(),
            };
            println!(
                "audit (*)       : {} caused by {causator}",
                event.schema().curie
            );
            Ok(())
        })
        .request(
            |request: Arc<GetArticleRequestV1>, _pbjx, articles: Arc<Articles>| async move {
                let id = request.article_id().unwrap_or_default();
                let Some(article) = articles.lock()?.get(id).cloned() else {
                    return Err(Error::handler(
                        Code::NotFound,
                        "ArticleNotFound",
                        format!("article [{id}] does not exist"),
                    ));
                };
                Ok(
                    GetArticleResponseV1::new()
                        .with_article(ArticlePublishedV1::clone(&article))?,
                )
            },
        )
        .build()
}
