//! A tour of the pbj message model with the example blog store (no cloud account needed).
//!
//! Run with `cargo run -p pbjx-examples --bin blog`.

use pbj::{Flavor, Message, MessageType, Registry};
use pbjx_examples::schemas::acme::blog::ArticleStatus;
use pbjx_examples::schemas::acme::blog::command::PublishArticleV1;
use pbjx_examples::schemas::acme::blog::event::ArticlePublishedV1;
use pbjx_examples::schemas::acme::blog::mixin::Article;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Build a command with typed, validated setters. Ids and timestamps are generated.
    let command = PublishArticleV1::new()
        .with_article_id("0e8f2d10-8a3b-41ee-8c99-0242ac120002")?
        .with_title("  Hello, pbj!  ")?
        .with_publish_at(pbj::DateTime::parse("2026-11-23T10:00:00.123456Z")?)?;
    let mut command = command;
    command.add_to_tags("Rust")?.add_to_tags("rust")?.add_to_tags("Pbj")?;
    println!("command id      : {}", command.command_id().unwrap_or_default());
    println!("title (trimmed) : {:?}", command.title());
    println!("tags (deduped)  : {}", command.tags().len());

    // 2. Bad input is rejected with the field's name, and nothing changes.
    if let Err(e) = command.set_title("x".repeat(121)) {
        println!("rejected        : {e}");
    }
    if let Err(e) = command.add_to_tags("not a hashtag!") {
        println!("rejected        : {e}");
    }

    // 3. The same bytes as the JS and PHP implementations, and their etags.
    println!("JS JSON         : {}", command.to_json());
    println!("PHP JSON        : {}", command.to_json_with(Flavor::Php));
    println!("etag            : {}", command.generate_etag(&[]));

    // 4. An event built from the command, through the mixin trait both types implement.
    let mut event = ArticlePublishedV1::new()
        .with_article_id(command.article_id().unwrap_or_default())?
        .with_title(Article::title(&command).unwrap_or_default())?
        .with_word_count(1234)?;
    println!("event status    : {:?} (schema default)", event.status());
    assert_eq!(event.status(), Some(ArticleStatus::Published));
    event.freeze();
    if let Err(e) = event.set_word_count(1) {
        println!("frozen          : {e}");
    }

    // 5. Decode JSON back: strictly, with typed errors naming the field.
    let json = event.to_json();
    let back = ArticlePublishedV1::from_json(&json)?;
    assert_eq!(back.to_json(), json);
    let bad = json.replace("\"word_count\":1234", "\"word_count\":\"1234\"");
    match ArticlePublishedV1::from_json(&bad) {
        Err(e) => println!("decode error    : {e}"),
        Ok(_) => unreachable!("a string is not an int"),
    }

    // 6. Any message, resolved by its `_schema` through a registry.
    let mut registry = Registry::new();
    pbjx_examples::schemas::register(&mut registry);
    let any = pbj::codec::decode(&json, &registry)?;
    println!("resolved        : {} ({})", any.schema().curie_major, any.schema().class_name());
    println!("message ref     : {}", any.generate_message_ref(Some("Demo")));
    Ok(())
}
