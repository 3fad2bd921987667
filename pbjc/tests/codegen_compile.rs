//! Proves the checked-in golden output compiles against `pbj` and works.

include!("golden/codegen_store.rs");

use acme::tests_pbj::mixin::{Entity, Taggable};
use acme::tests_pbj::node::{ArticleV1, EveryTypeV1};
use acme::tests_pbj::{NodeStatus, PingV1, Priority};
use pbj::{Message, MessageType};

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
    assert_eq!(a.tags().len(), 1);
    assert_eq!(a.labels().len(), 2);
    a.add_to_related(ArticleV1::empty())?;
    assert_eq!(a.related().len(), 1);
    a.clear_status()?;
    assert_eq!(a.status(), Some(NodeStatus::Published));

    // Mixin traits read the same data by field name.
    let as_entity: &dyn Message = &a;
    assert!(as_entity.downcast_ref::<ArticleV1>().is_some());
    assert_eq!(Entity::title(&a), Some("Hello"));
    assert_eq!(Taggable::labels(&a).len(), 2);
    assert_eq!(Entity::status(&a), Some(NodeStatus::Published));

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
    assert_eq!(e.status_map().len(), 1);
    assert_eq!(e.priorities().len(), 1);
    // Field `set_x` claims `set_x()`, so field `x` gets the `x_1` suffix.
    e.set_set_x("s")?.set_x_1("x")?;
    assert_eq!(e.set_x(), Some("s"));
    assert_eq!(e.x_1(), Some("x"));
    Ok(())
}

#[test]
fn registry() {
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
}
