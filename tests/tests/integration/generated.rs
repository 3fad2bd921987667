//! The generated code of the real stores: nested messages decode through the generated store
//! registry (nothing registered by hand, the pbjx core store included through `extern_path`),
//! typed getters, builders, and the serde and schemars impls.

use pbj::{Message, MessageType, NodeRef};
use pbjx::schemas::gdbots::contexts::AppV1;
use pbjx_tests::schemas::gdbots::iam::command::GrantRolesToAppV1;

const JSON: &str = r#"{"_schema":"pbj:gdbots:iam:command:grant-roles-to-app:1-0-0","command_id":"4f0b4f3a-ee1c-11f1-9d22-0242ac120002","occurred_at":"1764662400123456","ctx_retries":0,"ctx_app":{"_schema":"pbj:gdbots:contexts::app:1-0-0","vendor":"acme","name":"blog","version":"1.2.3"},"node_ref":"acme:app:blog","roles":["acme:role:editor","acme:role:admin"]}"#;

fn node_ref(text: &str) -> NodeRef {
    text.parse().expect("a valid node ref")
}

fn role(id: &str) -> NodeRef {
    node_ref(&format!("acme:role:{id}"))
}

#[test]
fn a_command_carrying_ctx_app_decodes_with_nothing_registered() -> Result<(), pbj::Error> {
    let command = GrantRolesToAppV1::from_json(JSON)?;
    let app: &AppV1 = command
        .ctx_app()
        .expect("ctx_app is decoded as the pbjx type");
    assert_eq!((app.vendor(), app.name()), (Some("acme"), Some("blog")));
    assert_eq!(
        command.roles().collect::<Vec<_>>(),
        [&role("editor"), &role("admin")]
    );
    assert_eq!(command.to_json(), JSON);
    // The store registry merges the extern pbjx store's types with the store's own.
    let registry = GrantRolesToAppV1::registry();
    assert!(registry.resolve_curie("gdbots:contexts::app").is_some());
    assert!(
        registry
            .resolve_curie("gdbots:pbjx:command:check-health")
            .is_some()
    );
    assert!(
        registry
            .resolve_curie("gdbots:iam:command:grant-roles-to-app")
            .is_some()
    );
    Ok(())
}

#[test]
fn builder_and_serde_round_trip_a_real_message() -> Result<(), Box<dyn std::error::Error>> {
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Job {
        command: GrantRolesToAppV1,
        queue: String,
    }
    let command = GrantRolesToAppV1::builder()
        .node_ref(node_ref("acme:app:blog"))
        .roles([role("editor"), role("admin"), role("editor")])
        .ctx_app(AppV1::builder().vendor("acme").name("blog").build()?)
        .build()?;
    assert_eq!(command.roles().count(), 2, "a set keeps one of each");
    let job = Job {
        command,
        queue: "iam".to_owned(),
    };
    let json = serde_json::to_string(&job)?;
    assert!(json.starts_with(&format!(r#"{{"command":{},"#, job.command.to_json())));
    let back: Job = serde_json::from_str(&json)?;
    assert_eq!(back, job);

    let missing = GrantRolesToAppV1::builder()
        .build()
        .expect_err("node_ref is required");
    assert_eq!(missing.field(), Some("node_ref"));
    Ok(())
}

#[test]
fn json_schema_of_a_real_message_names_its_fields_and_types() {
    let schema =
        pbj::schemars::SchemaGenerator::default().into_root_schema_for::<GrantRolesToAppV1>();
    let json = schema.as_value();
    let props = &json["properties"];
    assert_eq!(props["roles"]["type"], "array");
    assert_eq!(props["roles"]["items"]["type"], "string");
    assert_eq!(props["ctx_app"]["type"], "object");
    assert_eq!(props["command_id"]["format"], "uuid");
    assert_eq!(props["ctx_retries"]["type"], "integer");
    assert_eq!(props["ctx_retries"]["maximum"], 255);
    let required = json["required"].as_array().expect("required list");
    assert!(required.contains(&"node_ref".into()), "{required:?}");
}
