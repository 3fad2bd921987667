//! Proves the per-package golden output (the entry file `include!`ing the package file, with
//! serde and schemars impls) compiles against `pbj` and works.

include!("golden/split/pbj_schemas.rs");

use acme::tests_pbj::node::ArticleV1;
use acme::tests_pbj::{PingV1, Priority};
use pbj::Message;

#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Envelope {
    article: ArticleV1,
    attempt: u32,
}

#[test]
fn serde_is_byte_identical_to_to_json_and_validates() -> Result<(), Box<dyn std::error::Error>> {
    let mut article = ArticleV1::builder()
        .title("Hello / wörld")
        .tags(["a", "b"])
        .priority(Priority::CtrlStop)
        .build()?;
    article.add_to_related(ArticleV1::builder().title("inner").build()?)?;
    let envelope = Envelope {
        article,
        attempt: 1,
    };
    let json = serde_json::to_string(&envelope)?;
    assert_eq!(
        json,
        format!(
            r#"{{"article":{},"attempt":1}}"#,
            envelope.article.to_json()
        )
    );
    let back: Envelope = serde_json::from_str(&json)?;
    assert_eq!(back, envelope);
    assert_eq!(
        back.article.related().next().and_then(ArticleV1::title),
        Some("inner")
    );

    // Strict decoding: a wrong type and a missing required field are rejected by name.
    let wrong = json.replacen(r#""priority":2"#, r#""priority":"2""#, 1);
    let err = serde_json::from_str::<Envelope>(&wrong).expect_err("a string for an int enum");
    assert!(err.to_string().contains("priority"), "{err}");
    let untitled = format!(
        r#"{{"article":{},"attempt":1}}"#,
        ArticleV1::new().to_json()
    );
    let err = serde_json::from_str::<Envelope>(&untitled).expect_err("title is required");
    assert!(err.to_string().contains("title: required"), "{err}");

    // Ping (no mixins) works the same way.
    let ping = PingV1::builder().note("n").build()?;
    let back: PingV1 = serde_json::from_str(&serde_json::to_string(&ping)?)?;
    assert_eq!(back, ping);
    Ok(())
}

#[test]
fn json_schema_names_fields_and_types() {
    let schema = pbj::schemars::SchemaGenerator::default().into_root_schema_for::<ArticleV1>();
    let json = schema.as_value();
    assert_eq!(json["title"], "acme:tests.pbj:node:article:v1");
    let props = &json["properties"];
    assert_eq!(props["title"]["type"], "string");
    assert_eq!(props["title"]["maxLength"], 100);
    assert_eq!(props["title"]["description"], "The headline.");
    assert_eq!(props["tags"]["type"], "array");
    assert_eq!(props["tags"]["uniqueItems"], true);
    assert_eq!(props["tags"]["items"]["type"], "string");
    assert_eq!(props["priority"]["type"], "integer");
    assert_eq!(props["priority"]["enum"], serde_json::json!([0, 1, 2]));
    assert_eq!(
        props["status"]["enum"],
        serde_json::json!(["unknown", "published", "draft", "draft"])
    );
    assert_eq!(props["related"]["items"]["type"], "object");
    assert_eq!(
        props["_schema"]["const"],
        "pbj:acme:tests.pbj:node:article:1-1-0"
    );
    let required = json["required"].as_array().expect("required list");
    assert!(required.contains(&"title".into()) && required.contains(&"_id".into()));
    assert!(!required.contains(&"tags".into()));
}
