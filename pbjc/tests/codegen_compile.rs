//! Proves the checked-in golden output compiles against `pbj` and works.

include!("golden/codegen_store.rs");

use acme::tests_pbj::mixin::{Entity, EntityMixin, Taggable, TaggableMixin};
use acme::tests_pbj::node::{ArticleV1, EveryTypeV1};
use acme::tests_pbj::{NodeStatus, PingV1, Priority};
use pbj::{Message, MessageType, Mixin};

#[test]
fn enums() {
    assert_eq!(NodeStatus::default(), NodeStatus::Unknown);
    assert_eq!(NodeStatus::from_value("draft"), Some(NodeStatus::Draft));
    assert_eq!(NodeStatus::Pending.value(), "draft");
    assert_eq!(NodeStatus::from_value("nope"), None);
    assert_eq!(Priority::from_value(2), Some(Priority::CtrlStop));
    assert_eq!(Priority::CtrlStop.key(), "CTRL_STOP");
    assert_eq!(Priority::ALL.len(), 3);
    assert!(acme::tests_pbj::PRIORITY.has_int(2));
}

#[test]
fn schema_statics() {
    let s = ArticleV1::SCHEMA;
    assert_eq!(s.id, "pbj:acme:tests.pbj:node:article:1-1-0");
    assert_eq!(s.curie_major, "acme:tests.pbj:node:article:v1");
    assert_eq!(s.qname, "acme:article");
    let names: Vec<_> = s.fields.iter().map(|f| f.name).collect();
    assert_eq!(
        names,
        [
            "_schema", "_id", "status", "tags", "title", "labels", "priority", "related"
        ]
    );
    assert_eq!(
        s.field("title").map(|f| (f.required, f.max_length)),
        Some((true, 100))
    );
    assert!(s.has_mixin("acme:tests.pbj:mixin:entity:v1"));
    assert!(s.has_mixin("acme:tests.pbj:mixin:taggable"));
    assert_eq!(s.id_field, Some("_id"));
    assert_eq!(PingV1::SCHEMA.category, "");
    assert_eq!(PingV1::SCHEMA.id_field, Some("command_id"));
    let e = EveryTypeV1::SCHEMA;
    assert_eq!(e.field("a_int").map(|f| (f.min, f.max)), Some((5, 5)));
    assert_eq!(
        e.field("a_signed_tiny_int").map(|f| (f.min, f.max)),
        Some((-128, 127))
    );
    assert_eq!(
        e.field("a_decimal").map(|f| (f.precision, f.scale)),
        Some((5, 5))
    );
    assert!(
        e.fields[0]
            .pattern
            .as_ref()
            .is_some_and(|p| p.is_match(e.id))
    );
}

#[test]
fn defaults_getters_setters() -> Result<(), pbj::Error> {
    let mut a = ArticleV1::new();
    assert!(a.id().is_some_and(|id| id.len() == 36));
    assert_eq!(a.status(), Some(NodeStatus::Published));
    assert_eq!(a.priority(), Some(Priority::Low));
    a.set_title("Hello")?.set_status(NodeStatus::Draft)?;
    assert_eq!(a.title(), Some("Hello"));
    assert_eq!(a.status(), Some(NodeStatus::Draft));
    a.add_to_tags("a")?
        .add_to_tags("A")?
        .add_to_labels("x")?
        .add_to_labels("x")?;
    assert_eq!(a.tags().collect::<Vec<_>>(), ["A"]);
    assert_eq!(a.labels().collect::<Vec<_>>(), ["x", "x"]);
    a.add_to_related(ArticleV1::empty())?;
    assert_eq!(a.related().count(), 1);
    a.clear_status()?;
    assert_eq!(a.status(), Some(NodeStatus::Published));

    // Mixin traits read the same data by field name.
    let as_entity: &dyn Message = &a;
    assert!(as_entity.downcast_ref::<ArticleV1>().is_some());
    assert!(as_entity.downcast_ref::<PingV1>().is_none());
    assert_eq!(EntityMixin::title(&a), Some("Hello"));
    assert_eq!(TaggableMixin::labels(&a).count(), 2);
    assert_eq!(EntityMixin::status(&a), Some(NodeStatus::Published));

    let e = EveryTypeV1::new()
        .with_a_string("ab-c")?
        .with_a_int(5)?
        .with_a_big_int(12)?
        .with_type("t")?
        .with_big_string("b")?;
    assert_eq!(e.a_string(), Some("ab-c"));
    assert_eq!(e.a_int(), Some(5));
    assert_eq!(e.a_big_int(), Some(12));
    assert_eq!(e.r#type(), Some("t"));
    assert_eq!(e.big_string(), Some("b"));
    assert_eq!(e.a_boolean(), Some(true));
    assert_eq!(e.a_float(), Some(1.5));
    assert_eq!(e.a_signed_int(), Some(-7));
    assert_eq!(e.a_timestamp(), None);
    assert!(e.a_microtime().is_some());
    assert!(e.a_uuid().is_some() && e.a_time_uuid().is_some());
    let mut e = e;
    e.put_in_status_map("k", NodeStatus::Draft)?
        .add_to_priorities(Priority::Low)?;
    assert_eq!(
        e.status_map().collect::<Vec<_>>(),
        [("k", NodeStatus::Draft)]
    );
    assert_eq!(e.priorities().collect::<Vec<_>>(), [Priority::Low]);
    // Field `set_x` claims `set_x()`, so field `x` gets the `x_1` suffix.
    e.set_set_x("s")?.set_x_1("x")?;
    assert_eq!(e.set_x(), Some("s"));
    assert_eq!(e.x_1(), Some("x"));
    Ok(())
}

#[test]
fn registries() {
    let mut r = pbj::Registry::new();
    register(&mut r);
    assert_eq!(r.len(), 3);
    let m = r.create("acme:tests.pbj:node:article").expect("registered");
    assert!(m.downcast_ref::<ArticleV1>().is_some());
    assert_eq!(
        r.find_all_using_mixin("acme:tests.pbj:mixin:entity:v1"),
        ["acme:tests.pbj:node:article:v1"]
    );
    let boxed: Box<dyn Message> = PingV1::new().into();
    assert_eq!(boxed.schema().curie, "acme:tests.pbj::ping");
    let ping = boxed.downcast::<PingV1>().expect("a ping");
    let boxed: Box<dyn Message> = ping;
    assert!(boxed.downcast::<ArticleV1>().is_err());

    // The store's registry is built once and is what every generated type decodes with.
    assert_eq!(registry().len(), 3);
    assert!(std::sync::Arc::ptr_eq(&registry(), &ArticleV1::registry()));
}

#[test]
fn typed_collections_and_removal() -> Result<(), pbj::Error> {
    let mut e = EveryTypeV1::new();
    e.add_to_int_set(3)?.add_to_int_set(5)?.add_to_int_set(3)?;
    assert_eq!(e.int_set().collect::<Vec<i64>>(), [3, 5]);
    e.remove_from_int_set(3)?;
    assert_eq!(e.int_set().collect::<Vec<_>>(), [5]);

    let (u1, u2) = (
        "0e8f2d10-8a3b-41ee-8c99-0242ac120002",
        "1e8f2d10-8a3b-41ee-8c99-0242ac120002",
    );
    e.add_to_uuid_list(u1)?
        .add_to_uuid_list(u2)?
        .add_to_uuid_list(u1)?;
    assert_eq!(e.uuid_list().rev().collect::<Vec<&str>>(), [u1, u2, u1]);
    e.remove_from_uuid_list(u1)?;
    assert_eq!(e.uuid_list().collect::<Vec<_>>(), [u2]);

    e.put_in_string_map("a", "x")?.put_in_string_map("b", "y")?;
    e.remove_from_string_map("a")?;
    assert_eq!(e.string_map().collect::<Vec<_>>(), [("b", "y")]);

    let mut a = ArticleV1::new();
    a.add_to_tags("Rust")?.add_to_tags("pbj")?;
    a.remove_from_tags("RUST")?;
    assert_eq!(a.tags().collect::<Vec<_>>(), ["pbj"]);
    Ok(())
}

#[test]
fn nested_messages_are_typed() -> Result<(), pbj::Error> {
    // `related` allows one type: its values come back as `&ArticleV1`.
    let mut a = ArticleV1::new().with_title("outer")?;
    a.add_to_related(ArticleV1::new().with_title("inner")?)?;
    let inner: Vec<&ArticleV1> = a.related().collect();
    assert_eq!(inner[0].title(), Some("inner"));

    // `a_message` allows two: `&dyn Message`, plus a typed downcast helper.
    let e = EveryTypeV1::new().with_a_message(PingV1::new().with_note("hi")?)?;
    assert_eq!(
        e.a_message().map(|m| m.schema().curie),
        Some("acme:tests.pbj::ping")
    );
    assert_eq!(
        e.a_message_as::<PingV1>().and_then(PingV1::note),
        Some("hi")
    );
    assert!(e.a_message_as::<ArticleV1>().is_none());
    Ok(())
}

#[test]
fn from_json_resolves_nested_messages_with_the_store_registry() -> Result<(), pbj::Error> {
    // Nothing is registered by hand: `from_json` uses the generated per-store registry.
    let e = EveryTypeV1::new()
        .with_a_int(5)?
        .with_a_string("ab-c")?
        .with_a_message(PingV1::new().with_note("nested")?)?;
    let decoded = EveryTypeV1::from_json(&e.to_json())?;
    assert_eq!(
        decoded.a_message_as::<PingV1>().and_then(PingV1::note),
        Some("nested")
    );
    assert_eq!(decoded, e);
    Ok(())
}

#[test]
fn messages_compare_by_content() -> Result<(), pbj::Error> {
    let a = ArticleV1::new().with_title("one")?;
    let mut b = a.clone();
    assert_eq!(a, b);
    b.freeze();
    assert_eq!(a, b, "the frozen state does not count");
    let c = a.clone().with_title("two")?;
    assert_ne!(a, c);
    let mut d = a.clone();
    d.add_to_tags("x")?;
    d.remove_from_tags("x")?;
    assert_eq!(a, d, "an emptied set equals an unset one");
    Ok(())
}

#[test]
fn builder_collects_every_problem() {
    let built = ArticleV1::builder()
        .title("Hello")
        .tags(["rust", "Rust", "pbj"])
        .priority(Priority::CtrlStop)
        .build()
        .expect("valid");
    assert_eq!(built.title(), Some("Hello"));
    assert_eq!(built.tags().collect::<Vec<_>>(), ["Rust", "pbj"]);
    assert_eq!(built.priority(), Some(Priority::CtrlStop));

    // A rejected value and a bad set element are both reported, each naming its field; an
    // unset required field too.
    let err = EveryTypeV1::builder()
        .a_string("NOT A SLUG")
        .a_tiny_int(7)
        .int_set([1, -1])
        .build()
        .expect_err("two bad values");
    let pbj::Error::Violations { violations, .. } = &err else {
        panic!("{err:?}")
    };
    let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(fields, ["a_string", "int_set"], "{err}");

    let err = ArticleV1::builder()
        .tags(["t"])
        .build()
        .expect_err("title unset");
    assert_eq!(err.field(), Some("title"));
}

#[test]
fn mixin_markers_name_mixins() {
    assert_eq!(Entity::CURIE, "acme:tests.pbj:mixin:entity");
    assert_eq!(
        <Taggable as Mixin>::CURIE_MAJOR,
        "acme:tests.pbj:mixin:taggable:v1"
    );
    assert!(ArticleV1::SCHEMA.has_mixin(Entity::CURIE_MAJOR));
    assert!(!PingV1::SCHEMA.has_mixin(Entity::CURIE));
}
