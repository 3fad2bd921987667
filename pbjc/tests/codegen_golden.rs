//! Golden tests of the code generator on a hand-built store: one file with the default
//! options (`golden/codegen_store.rs`), and the per-package files with serde and schemars
//! impls (`golden/split/`).
//!
//! `PBJC_BLESS=1 cargo test -p pbjc --test codegen_golden` rewrites them.

use pbj::{FieldRule, FieldType, Format, SchemaId};
use pbjc::code_generator::{GenerateOptions, generate, generate_files};
use pbjc::model::{
    EnumDecl, EnumKind, EnumOption, FieldDecl, Location, OptionValue, SchemaDecl, Store,
};

fn field(name: &str, kind: FieldType) -> FieldDecl {
    FieldDecl {
        name: name.to_owned(),
        kind,
        rule: FieldRule::Single,
        required: false,
        min: None,
        max: None,
        min_length: None,
        max_length: None,
        precision: None,
        scale: None,
        pattern: None,
        format: Format::Unknown,
        default: None,
        use_type_default: true,
        overridable: false,
        deprecated: false,
        any_of: Vec::new(),
        enum_id: None,
        identifier_class: None,
        generated_default: false,
        description: None,
        location: Location::default(),
    }
}

fn with(mut f: FieldDecl, edit: impl FnOnce(&mut FieldDecl)) -> FieldDecl {
    edit(&mut f);
    f
}

fn rule(f: FieldDecl, rule: FieldRule) -> FieldDecl {
    with(f, |f| f.rule = rule)
}

fn schema(id: &str, mixins: &[&str], fields: Vec<FieldDecl>) -> SchemaDecl {
    let id = SchemaId::parse(id).expect("valid test id");
    SchemaDecl {
        is_mixin: id.curie().is_mixin(),
        id,
        deprecated: false,
        extends: None,
        mixins: mixins.iter().map(|m| (*m).to_owned()).collect(),
        fields,
        from_latest_xml: false,
        location: Location::default(),
    }
}

fn enum_decl(name: &str, kind: EnumKind, options: &[(&str, OptionValue)]) -> EnumDecl {
    EnumDecl {
        id: format!("acme:tests.pbj:{name}"),
        vendor: "acme".to_owned(),
        package: "tests.pbj".to_owned(),
        name: name.to_owned(),
        kind,
        options: options
            .iter()
            .map(|(k, v)| EnumOption {
                key: (*k).to_owned(),
                value: v.clone(),
            })
            .collect(),
        deprecated: false,
        location: Location::default(),
    }
}

/// A small store covering mixins, overrides, enums, every type and rule.
pub fn store() -> Store {
    let s = |v: &str| OptionValue::String(v.to_owned());
    let mut store = Store::default();
    for e in [
        enum_decl(
            "node-status",
            EnumKind::String,
            &[
                ("UNKNOWN", s("unknown")),
                ("PUBLISHED", s("published")),
                ("DRAFT", s("draft")),
                ("PENDING", s("draft")),
            ],
        ),
        enum_decl(
            "priority",
            EnumKind::Int,
            &[
                ("UNKNOWN", OptionValue::Int(0)),
                ("LOW", OptionValue::Int(1)),
                ("CTRL_STOP", OptionValue::Int(2)),
            ],
        ),
    ] {
        store.enums.insert(e.id.clone(), e);
    }

    let entity = schema(
        "pbj:acme:tests.pbj:mixin:entity:1-0-0",
        &[],
        vec![
            with(field("_id", FieldType::Identifier), |f| {
                f.required = true;
                f.overridable = true;
                f.identifier_class = Some("UuidIdentifier".to_owned());
                f.generated_default = true;
            }),
            with(field("status", FieldType::StringEnum), |f| {
                f.enum_id = Some("acme:tests.pbj:node-status".to_owned());
                f.default = Some("published".to_owned());
            }),
            rule(field("tags", FieldType::String), FieldRule::Set),
            with(field("title", FieldType::String), |f| f.overridable = true),
        ],
    );
    let taggable = schema(
        "pbj:acme:tests.pbj:mixin:taggable:1-0-0",
        &[],
        vec![
            rule(field("labels", FieldType::String), FieldRule::List),
            with(field("title", FieldType::String), |f| f.overridable = true),
        ],
    );
    let article_old = schema(
        "pbj:acme:tests.pbj:node:article:1-0-0",
        &["acme:tests.pbj:mixin:entity:v1"],
        vec![field("old", FieldType::String)],
    );
    let article = schema(
        "pbj:acme:tests.pbj:node:article:1-1-0",
        &[
            "acme:tests.pbj:mixin:entity:v1",
            "acme:tests.pbj:mixin:taggable:v1",
        ],
        vec![
            with(field("title", FieldType::String), |f| {
                f.required = true;
                f.max_length = Some(100);
                f.description = Some("The headline.".to_owned());
            }),
            with(field("priority", FieldType::IntEnum), |f| {
                f.enum_id = Some("acme:tests.pbj:priority".to_owned());
                f.default = Some("1".to_owned());
            }),
            with(
                rule(field("related", FieldType::Message), FieldRule::List),
                |f| {
                    f.any_of = vec!["acme:tests.pbj:node:article".to_owned()];
                },
            ),
        ],
    );
    let every = schema(
        "pbj:acme:tests.pbj:node:every-type:1-0-0",
        &[],
        vec![
            field("a_big_int", FieldType::BigInt),
            field("a_binary", FieldType::Binary),
            field("a_blob", FieldType::Blob),
            with(field("a_boolean", FieldType::Boolean), |f| {
                f.default = Some("true".to_owned())
            }),
            field("a_date", FieldType::Date),
            field("a_date_time", FieldType::DateTime),
            with(field("a_decimal", FieldType::Decimal), |f| {
                f.precision = Some(5);
                f.scale = Some(9);
            }),
            field("a_dynamic_field", FieldType::DynamicField),
            with(field("a_float", FieldType::Float), |f| {
                f.default = Some("1.5".to_owned())
            }),
            field("a_geo_point", FieldType::GeoPoint),
            field("a_identifier", FieldType::Identifier),
            with(field("a_int", FieldType::Int), |f| {
                f.min = Some(10);
                f.max = Some(5);
            }),
            field("a_medium_blob", FieldType::MediumBlob),
            field("a_medium_int", FieldType::MediumInt),
            field("a_medium_text", FieldType::MediumText),
            with(field("a_message", FieldType::Message), |f| {
                f.any_of = vec![
                    "acme:tests.pbj:node:article".to_owned(),
                    "acme:tests.pbj::ping".to_owned(),
                ];
            }),
            field("a_message_ref", FieldType::MessageRef),
            field("a_microtime", FieldType::Microtime),
            field("a_node_ref", FieldType::NodeRef),
            field("a_signed_big_int", FieldType::SignedBigInt),
            with(field("a_signed_int", FieldType::SignedInt), |f| {
                f.default = Some("-7".to_owned())
            }),
            field("a_signed_medium_int", FieldType::SignedMediumInt),
            field("a_signed_small_int", FieldType::SignedSmallInt),
            with(field("a_signed_tiny_int", FieldType::SignedTinyInt), |f| {
                f.min = Some(-1000);
                f.max = Some(1000);
            }),
            field("a_small_int", FieldType::SmallInt),
            with(field("a_string", FieldType::String), |f| {
                f.min_length = Some(2);
                f.max_length = Some(20);
                f.pattern = Some("^[a-z\\-]+$".to_owned());
                f.format = Format::Slug;
                f.default = Some("hello \"world\"".to_owned());
            }),
            with(field("a_text", FieldType::Text), |f| {
                f.use_type_default = false
            }),
            field("a_time_uuid", FieldType::TimeUuid),
            with(field("a_timestamp", FieldType::Timestamp), |f| {
                f.use_type_default = false
            }),
            field("a_tiny_int", FieldType::TinyInt),
            field("a_trinary", FieldType::Trinary),
            field("a_uuid", FieldType::Uuid),
            rule(field("int_set", FieldType::Int), FieldRule::Set),
            rule(field("uuid_list", FieldType::Uuid), FieldRule::List),
            rule(field("string_map", FieldType::String), FieldRule::Map),
            with(
                rule(field("status_map", FieldType::StringEnum), FieldRule::Map),
                |f| {
                    f.enum_id = Some("acme:tests.pbj:node-status".to_owned());
                },
            ),
            with(
                rule(field("priorities", FieldType::IntEnum), FieldRule::Set),
                |f| {
                    f.enum_id = Some("acme:tests.pbj:priority".to_owned());
                },
            ),
            field("type", FieldType::String),
            field("BigString", FieldType::String),
            field("from_date", FieldType::Date),
            field("set_x", FieldType::String),
            field("x", FieldType::String),
        ],
    );
    let ping = schema(
        "pbj:acme:tests.pbj::ping:1-0-0",
        &[],
        vec![
            with(field("command_id", FieldType::TimeUuid), |f| {
                f.required = true
            }),
            field("note", FieldType::Text),
        ],
    );
    for s in [entity, taggable, article_old, article, every, ping] {
        store.schemas.insert(s.id.to_string(), s);
    }
    store
}

fn rustfmt_ok() -> bool {
    std::process::Command::new(std::env::var("RUSTFMT").unwrap_or("rustfmt".into()))
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Compares `code` with the golden file `name` (or rewrites it with `PBJC_BLESS=1`).
fn assert_golden(name: &str, code: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("PBJC_BLESS").is_some() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("golden dir");
        }
        std::fs::write(&path, code).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path).expect("golden file (bless with PBJC_BLESS=1)");
    assert!(
        code == expected,
        "generated code differs from {}; rerun with PBJC_BLESS=1",
        path.display()
    );
}

#[test]
fn golden_output() {
    if !rustfmt_ok() {
        eprintln!("rustfmt unavailable: golden comparison skipped");
        return;
    }
    assert_golden(
        "codegen_store.rs",
        &generate(&store(), &GenerateOptions::default()),
    );
}

#[test]
fn golden_split_output_with_integrations() {
    if !rustfmt_ok() {
        eprintln!("rustfmt unavailable: golden comparison skipped");
        return;
    }
    let opts = GenerateOptions {
        serde: true,
        schemars: true,
        ..GenerateOptions::default()
    };
    let files = generate_files(&store(), &opts, "pbj_schemas.rs");
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["pbj_schemas.rs", "acme.tests_pbj.rs"]);
    for f in &files {
        assert_golden(&format!("split/{}", f.name), &f.code);
    }
}

#[test]
fn split_files_hold_the_same_items() {
    let opts = GenerateOptions {
        rustfmt: false,
        ..GenerateOptions::default()
    };
    let single = generate(&store(), &opts);
    let files = generate_files(&store(), &opts, "entry.rs");
    assert!(files[0].code.contains("include!(\"acme.tests_pbj.rs\");"));
    // Every item of the single file is in exactly one of the split files.
    for item in [
        "pub struct ArticleV1(",
        "pub enum Priority",
        "pub trait EntityMixin",
        "pub fn registry()",
    ] {
        assert!(single.contains(item), "{item}");
        let holders = files.iter().filter(|f| f.code.contains(item)).count();
        assert_eq!(holders, 1, "{item}");
    }
}

#[test]
fn deterministic_and_structured() {
    let opts = GenerateOptions {
        rustfmt: false,
        ..GenerateOptions::default()
    };
    let a = generate(&store(), &opts);
    assert_eq!(a, generate(&store(), &opts));
    assert!(a.contains("pub mod acme {"));
    assert!(a.contains("pub mod tests_pbj {"));
    assert!(a.contains("pub struct ArticleV1(::pbj::MessageData);"));
    assert!(!a.contains("old"), "only the latest version is generated");
    assert!(a.contains("pub struct Entity;"));
    assert!(a.contains("impl ::pbj::Mixin for Entity {"));
    assert!(a.contains("pub trait EntityMixin: ::pbj::Message {"));
    assert!(a.contains("impl super::mixin::EntityMixin for ArticleV1 {}"));
    assert!(a.contains("pub struct PingV1(::pbj::MessageData);"));
    // Integrations are opt-in.
    assert!(!a.contains("serde") && !a.contains("schemars"));
}

#[test]
fn pbj_path_is_used_everywhere() {
    let opts = GenerateOptions {
        rustfmt: false,
        pbj_path: "::pbjx::pbj".to_owned(),
        serde: true,
        schemars: true,
        ..GenerateOptions::default()
    };
    let code = generate(&store(), &opts);
    assert!(code.contains("pub struct ArticleV1(::pbjx::pbj::MessageData);"));
    assert!(code.contains("impl ::pbjx::pbj::serde::Serialize for ArticleV1"));
    // No path names pbj other than through the configured one (`tests.pbj::ping` is a curie).
    let stray = code.replace("::pbjx::pbj::", "");
    let bare = stray.match_indices("pbj::").find(|(at, _)| {
        !stray[..*at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '.' || c == '_')
    });
    assert_eq!(
        bare.map(|(at, _)| &stray[at.saturating_sub(40)..at + 5]),
        None
    );
}

#[test]
fn extern_paths_are_referenced_not_generated() {
    let opts = GenerateOptions {
        extern_paths: vec![(
            "acme:tests.pbj".to_owned(),
            "::other::acme::tests_pbj".to_owned(),
        )],
        rustfmt: false,
        ..GenerateOptions::default()
    };
    let mut store = store();
    // A message of another package that uses the extern mixin and enum.
    let mut user = schema(
        "pbj:acme:app:node:page:1-0-0",
        &["acme:tests.pbj:mixin:entity:v1"],
        vec![with(field("prio", FieldType::IntEnum), |f| {
            f.enum_id = Some("acme:tests.pbj:priority".to_owned());
        })],
    );
    user.deprecated = true;
    store.schemas.insert(user.id.to_string(), user);
    let code = generate(&store, &opts);
    assert!(!code.contains("pub mod tests_pbj"));
    assert!(!code.contains("pub enum Priority"));
    assert!(code.contains("impl ::other::acme::tests_pbj::mixin::EntityMixin for PageV1 {}"));
    assert!(code.contains("with_enum(&::other::acme::tests_pbj::PRIORITY)"));
    assert!(code.contains("Option<::other::acme::tests_pbj::Priority>"));
    assert!(code.contains("registry.register_type::<node::PageV1>();"));
    // The store's registry includes the extern package's types.
    assert!(code.contains("::other::acme::tests_pbj::register(&mut registry);"));

    let vendor_opts = GenerateOptions {
        extern_paths: vec![("acme".to_owned(), "::other::acme".to_owned())],
        rustfmt: false,
        ..GenerateOptions::default()
    };
    let code = generate(&store, &vendor_opts);
    assert!(!code.contains("pub mod acme"));
    assert!(code.contains("pub fn register(_registry: &mut ::pbj::Registry)"));
    assert!(code.contains("::other::acme::app::register(&mut registry);"));
    assert!(code.contains("::other::acme::tests_pbj::register(&mut registry);"));
}

#[test]
fn colliding_generated_names_are_errors_with_locations() {
    let mut store = store();
    // Mixin `entity-mixin` gets the marker `EntityMixin`: the trait name of mixin `entity`.
    let mut clash = schema("pbj:acme:tests.pbj:mixin:entity-mixin:1-0-0", &[], vec![]);
    clash.location = Location {
        file: "acme/tests.pbj/mixin/entity-mixin/1-0-0.xml".into(),
        line: 2,
        column: 1,
    };
    store.schemas.insert(clash.id.to_string(), clash);
    let diagnostics = pbjc::code_generator::check_names(&store, &GenerateOptions::default());
    assert_eq!(diagnostics.error_count(), 1, "{diagnostics}");
    let text = diagnostics.to_string();
    assert!(
        text.contains("`EntityMixin`") && text.contains("entity-mixin/1-0-0.xml:2:1"),
        "{text}"
    );
    let err = pbjc::Config::new()
        .generate_files(&store)
        .expect_err("the collision stops generation");
    assert!(err.to_string().contains("EntityMixin"), "{err}");
    assert!(
        pbjc::code_generator::check_names(&self::store(), &GenerateOptions::default()).is_empty()
    );
}
