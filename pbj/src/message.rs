//! The [`Message`] trait and the schema-driven storage behind every message ([`MessageData`]).

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::codec::{self, Flavor};
use crate::error::{Error, Violation};
use crate::field::{DefaultValue, Field};
use crate::registry::Registry;
use crate::schema::Schema;
use crate::text::set_key;
use crate::types::{FieldRule, FieldType, TypeFamily};
use crate::validate;
use crate::value::CompactString;
use crate::value::{FieldValue, Value};
use crate::well_known::{MessageRef, Microtime, identifier};

/// Field values of one message, indexed like its schema's fields.
///
/// Every setter checks the value against the field (type, range, length, pattern, format,
/// enum, rule) and fails with an [`Error`] naming the field; a frozen message refuses every
/// change.
///
/// ```
/// # include!("../doc/article.rs");
/// # fn main() -> Result<(), pbj::Error> {
/// use pbj::{FieldValue, MessageData, Value};
///
/// let mut data = MessageData::new(&ARTICLE_PUBLISHED);
/// assert!(data.has("event_id"), "generated default");
/// data.set("title", "Hello")?;
/// assert_eq!(data.get_single("title").and_then(Value::as_str), Some("Hello"));
///
/// data.add_to_set("tags", ["a", "b", "A"])?;
/// data.remove_from_set("tags", ["B"])?;
/// assert!(matches!(data.get("tags"), Some(FieldValue::Set(tags)) if tags.len() == 1));
///
/// // Clearing restores the default; an unknown field is an error.
/// data.set("word_count", 7)?;
/// data.clear("word_count")?;
/// assert_eq!(data.get_single("word_count").and_then(Value::as_i64), Some(0));
/// assert!(data.set("nope", 1).is_err());
///
/// assert!(data.validate().is_ok());
/// data.freeze();
/// assert!(data.clear("title").is_err());
/// assert!(!data.thaw_clone().is_frozen());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct MessageData {
    schema: &'static Schema,
    values: Vec<Option<FieldValue>>,
    frozen: bool,
}

impl Drop for MessageData {
    /// Drops the set slots that own memory, and nothing else.
    ///
    /// The compiler's drop of a slot is an out-of-line call that saves six registers before it
    /// tests whether there is anything to free (~20 instructions), and most slots of a new
    /// message are empty or hold a scalar or an inline string; testing inline saves that call
    /// for each of them (pbjx-bench under callgrind, BENCHMARKS.md). Safe code cannot skip the
    /// vector's own drop of each slot without moving every slot out first, which costs more on
    /// messages with most slots set.
    fn drop(&mut self) {
        let slots: *mut [Option<FieldValue>] = self.values.as_mut_slice();
        // The vector forgets its elements first: a panicking drop below leaks the rest
        // instead of dropping a slot twice.
        //
        // SAFETY: length 0 is within the capacity and leaves no element to drop twice.
        unsafe { self.values.set_len(0) };
        // SAFETY: `slots` points at the initialized elements the vector no longer owns
        // (length 0 above; its buffer is freed only after this function returns), each
        // is dropped at most once, and none is read again.
        for slot in unsafe { &mut *slots } {
            if let Some(value) = slot
                && owns_memory(value)
            {
                // SAFETY: the value of a set slot, dropped exactly once, never used after (a
                // single value is all its variant holds: dropping it drops the variant,
                // without the enum's own drop call in between).
                match value {
                    FieldValue::Single(v) => unsafe { std::ptr::drop_in_place(v) },
                    _ => unsafe { std::ptr::drop_in_place(value) },
                }
            }
        }
    }
}

/// Whether dropping `value` frees anything: not for a single scalar or inline string.
#[inline(always)]
fn owns_memory(value: &FieldValue) -> bool {
    // The variants answered `false` below have nothing to drop.
    const _: () = assert!(
        !std::mem::needs_drop::<crate::time::Date>()
            && !std::mem::needs_drop::<crate::time::DateTime>()
            && !std::mem::needs_drop::<Microtime>()
            && !std::mem::needs_drop::<crate::well_known::GeoPoint>()
    );
    match value {
        FieldValue::Single(Value::String(s)) => s.is_heap_allocated(),
        FieldValue::Single(
            Value::Bool(_)
            | Value::Int(_)
            | Value::BigInt(_)
            | Value::Float(_)
            | Value::Date(_)
            | Value::DateTime(_)
            | Value::Microtime(_)
            | Value::GeoPoint(_)
            | Value::Null,
        ) => false,
        _ => true,
    }
}

impl MessageData {
    /// An empty message of `schema` (only `_schema` set, no defaults).
    pub fn empty(schema: &'static Schema) -> Self {
        let n = schema.fields.len();
        let mut values: Vec<Option<FieldValue>> = Vec::with_capacity(n);
        if n > 0 {
            values.push(Some(FieldValue::Single(Value::String(
                CompactString::const_new(schema.id),
            ))));
            values.extend((1..n).map(|_| None));
        }
        Self {
            schema,
            values,
            frozen: false,
        }
    }

    /// A new message of `schema` with every default populated (generated ids, now, ...).
    pub fn new(schema: &'static Schema) -> Self {
        let mut data = Self::empty(schema);
        data.populate_defaults();
        data
    }

    /// The schema.
    pub fn schema(&self) -> &'static Schema {
        self.schema
    }

    /// Whether the message is frozen (immutable).
    pub fn is_frozen(&self) -> bool {
        self.frozen
    }

    fn index(&self, name: &str) -> Result<usize, Error> {
        self.schema
            .field_index(name)
            .ok_or_else(|| self.unknown_field(name.to_owned()))
    }

    #[inline]
    fn writable(&self) -> Result<(), Error> {
        if self.frozen {
            return Err(self.frozen_error());
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn frozen_error(&self) -> Error {
        Error::Frozen {
            schema: self.schema.id.to_owned(),
        }
    }

    /// The stored value of field `name` (`None` if unset or unknown).
    pub fn get(&self, name: &str) -> Option<&FieldValue> {
        self.schema.field_index(name).and_then(|i| self.get_at(i))
    }

    /// The stored value of the field at `index`.
    pub fn get_at(&self, index: usize) -> Option<&FieldValue> {
        self.values.get(index).and_then(Option::as_ref)
    }

    /// The single value of field `name`.
    pub fn get_single(&self, name: &str) -> Option<&Value> {
        self.get(name).and_then(FieldValue::as_single)
    }

    /// Every slot, indexed like the schema's fields.
    pub(crate) fn slots(&self) -> &[Option<FieldValue>] {
        &self.values
    }

    /// Mutable access to the stored value at `index`; fails if frozen.
    pub fn get_at_mut(&mut self, index: usize) -> Result<Option<&mut FieldValue>, Error> {
        self.writable()?;
        Ok(self.values.get_mut(index).and_then(Option::as_mut))
    }

    /// Whether field `name` holds a value (empty collections count as unset).
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| !v.is_empty())
    }

    /// Sets a single-value field after checking the value against the field's rules.
    pub fn set(&mut self, name: &str, value: impl Into<Value>) -> Result<(), Error> {
        let i = self.index(name)?;
        self.set_at(i, value.into())
    }

    /// Sets the single-value field at `index` after checking the value.
    pub fn set_at(&mut self, index: usize, value: Value) -> Result<(), Error> {
        self.writable()?;
        let field = self.field_at(index)?;
        if field.rule != FieldRule::Single {
            return Err(wrong_rule(field, FieldRule::Single));
        }
        if index == 0 {
            // `_schema` always holds the schema's own id.
            return Ok(());
        }
        // The normalizing body inline: one call less per value set.
        let value = crate::codec::normalize_inline(field, value)
            .map_err(|m| Error::invalid(field.name, m))?;
        store(&mut self.values[index], value.map(FieldValue::Single));
        if self.values[index].is_none() {
            self.populate_default(index);
        }
        Ok(())
    }

    // Inline, with the error built out of line: every setter calls this, and a call that
    // must keep the registers the `format!` path uses costs more than the lookup.
    #[inline]
    fn field_at(&self, index: usize) -> Result<&'static Field, Error> {
        match self.schema.fields.get(index) {
            Some(field) => Ok(field),
            None => Err(self.unknown_field(format!("#{index}"))),
        }
    }

    #[cold]
    #[inline(never)]
    fn unknown_field(&self, field: String) -> Error {
        Error::UnknownField {
            field,
            schema: self.schema.id.to_owned(),
        }
    }

    /// Clears field `name` and re-applies its default.
    pub fn clear(&mut self, name: &str) -> Result<(), Error> {
        let i = self.index(name)?;
        self.clear_at(i)
    }

    /// Clears the field at `index` and re-applies its default.
    pub fn clear_at(&mut self, index: usize) -> Result<(), Error> {
        self.writable()?;
        if index == 0 || index >= self.values.len() {
            return Ok(());
        }
        self.values[index] = None;
        self.populate_default(index);
        Ok(())
    }

    fn collection(
        &mut self,
        name: &str,
        rule: FieldRule,
    ) -> Result<(usize, &'static Field), Error> {
        let i = self.index(name)?;
        self.collection_at(i, rule)
    }

    #[inline]
    fn collection_at(
        &mut self,
        i: usize,
        rule: FieldRule,
    ) -> Result<(usize, &'static Field), Error> {
        self.writable()?;
        let field = self.field_at(i)?;
        if field.rule != rule {
            return Err(wrong_rule(field, rule));
        }
        Ok((i, field))
    }

    /// Adds values to a set field: unique by trimmed, lowercased string form; a duplicate
    /// keeps its first position and takes the last value written.
    pub fn add_to_set<V: Into<Value>>(
        &mut self,
        name: &str,
        values: impl IntoIterator<Item = V>,
    ) -> Result<(), Error> {
        let i = self.index(name)?;
        self.add_to_set_at(i, values)
    }

    /// [`Self::add_to_set`] by field index (what generated code calls: no lookup by name).
    pub fn add_to_set_at<V: Into<Value>>(
        &mut self,
        index: usize,
        values: impl IntoIterator<Item = V>,
    ) -> Result<(), Error> {
        let (i, field) = self.collection_at(index, FieldRule::Set)?;
        for v in normalize_all(field, values)? {
            self.push_set_value(i, v);
        }
        Ok(())
    }

    pub(crate) fn push_set_value(&mut self, index: usize, value: Value) {
        let slot = self.values[index].get_or_insert_with(|| FieldValue::Set(Vec::new()));
        if let FieldValue::Set(items) = slot {
            push_unique(items, value);
        }
    }

    /// Appends values to a list field.
    pub fn add_to_list<V: Into<Value>>(
        &mut self,
        name: &str,
        values: impl IntoIterator<Item = V>,
    ) -> Result<(), Error> {
        let i = self.index(name)?;
        self.add_to_list_at(i, values)
    }

    /// [`Self::add_to_list`] by field index (what generated code calls: no lookup by name).
    pub fn add_to_list_at<V: Into<Value>>(
        &mut self,
        index: usize,
        values: impl IntoIterator<Item = V>,
    ) -> Result<(), Error> {
        let (i, field) = self.collection_at(index, FieldRule::List)?;
        let checked = normalize_all(field, values)?;
        let slot = self.values[i].get_or_insert_with(|| FieldValue::List(Vec::new()));
        if let FieldValue::List(items) = slot {
            items.extend(checked);
        }
        Ok(())
    }

    /// Puts `key -> value` in a map field (an existing key keeps its position).
    pub fn add_to_map(
        &mut self,
        name: &str,
        key: &str,
        value: impl Into<Value>,
    ) -> Result<(), Error> {
        let i = self.index(name)?;
        self.add_to_map_at(i, key, value)
    }

    /// [`Self::add_to_map`] by field index (what generated code calls: no lookup by name).
    pub fn add_to_map_at(
        &mut self,
        index: usize,
        key: &str,
        value: impl Into<Value>,
    ) -> Result<(), Error> {
        let (i, field) = self.collection_at(index, FieldRule::Map)?;
        let Some(v) = validate::normalize(field, value.into())
            .map_err(|m| Error::invalid(format!("{}.{key}", field.name), m))?
        else {
            return self.remove_from_map(field.name, key);
        };
        self.push_map_value(i, key.into(), v);
        Ok(())
    }

    pub(crate) fn push_map_value(&mut self, index: usize, key: CompactString, value: Value) {
        let slot = self.values[index].get_or_insert_with(|| FieldValue::Map(Vec::new()));
        if let FieldValue::Map(entries) = slot {
            if let Some(e) = entries.iter_mut().find(|(k, _)| *k == key) {
                e.1 = value;
            } else {
                entries.push((key, value));
            }
        }
    }

    /// Removes values from a set field (case-insensitive).
    pub fn remove_from_set<V: Into<Value>>(
        &mut self,
        name: &str,
        values: impl IntoIterator<Item = V>,
    ) -> Result<(), Error> {
        let (i, _) = self.collection(name, FieldRule::Set)?;
        let keys: Vec<String> = values.into_iter().map(|v| set_key_of(&v.into())).collect();
        if let Some(FieldValue::Set(items)) = &mut self.values[i] {
            items.retain(|e| !keys.contains(&set_key_of(e)));
        }
        Ok(())
    }

    /// Removes the element at `position` of a list field (no-op when out of range).
    pub fn remove_from_list_at(&mut self, name: &str, position: usize) -> Result<(), Error> {
        let (i, _) = self.collection(name, FieldRule::List)?;
        if let Some(FieldValue::List(items)) = &mut self.values[i]
            && position < items.len()
        {
            items.remove(position);
        }
        Ok(())
    }

    /// Removes every element equal to one of `values` (normalized like [`Self::add_to_list`])
    /// from a list field.
    pub fn remove_from_list<V: Into<Value>>(
        &mut self,
        name: &str,
        values: impl IntoIterator<Item = V>,
    ) -> Result<(), Error> {
        let (i, field) = self.collection(name, FieldRule::List)?;
        // A value that cannot be stored cannot be in the list: nothing to remove for it.
        let gone: Vec<Value> = values
            .into_iter()
            .filter_map(|v| validate::normalize(field, v.into()).ok().flatten())
            .collect();
        if let Some(FieldValue::List(items)) = &mut self.values[i] {
            items.retain(|e| !gone.contains(e));
        }
        Ok(())
    }

    /// Removes `key` from a map field.
    pub fn remove_from_map(&mut self, name: &str, key: &str) -> Result<(), Error> {
        let (i, _) = self.collection(name, FieldRule::Map)?;
        if let Some(FieldValue::Map(entries)) = &mut self.values[i] {
            entries.retain(|(k, _)| k != key);
        }
        Ok(())
    }

    /// Fills every unset field that has a default (constant or generated).
    pub fn populate_defaults(&mut self) {
        if self.frozen {
            return;
        }
        let schema = self.schema;
        // One clock reading for every time-based default of this message.
        let mut clock = Clock::default();
        // Only the fields that can change: those with a default and the collections (an empty
        // collection becomes unset), listed once per schema.
        let slots = SchemaSlots::of(schema);
        for &i in slots.defaults.iter() {
            let (Some(field), Some(slot)) = (schema.fields.get(i), self.values.get_mut(i)) else {
                continue;
            };
            match slot {
                None => {}
                Some(v) if v.is_empty() => *slot = None,
                Some(_) => continue,
            }
            if field.rule == FieldRule::Single
                && let Some(v) = default_value_at(field, &mut clock)
            {
                store(slot, Some(FieldValue::Single(v)));
            }
        }
    }

    fn populate_default(&mut self, index: usize) {
        let Some(field) = self.schema.fields.get(index) else {
            return;
        };
        if field.rule != FieldRule::Single {
            return;
        }
        if let Some(v) = default_value(field) {
            store(&mut self.values[index], Some(FieldValue::Single(v)));
        }
    }

    /// Stores a value without any check (decoders that already validated).
    #[inline]
    pub(crate) fn put(&mut self, index: usize, value: Option<FieldValue>) {
        if index == 0 {
            return;
        }
        if let Some(slot) = self.values.get_mut(index) {
            store(slot, value);
        }
    }

    /// The slot of the field at `index` (`None` for `_schema`), for decoders that already
    /// validated what they store.
    #[inline]
    pub(crate) fn slot_mut(&mut self, index: usize) -> Option<&mut Option<FieldValue>> {
        if index == 0 {
            return None;
        }
        self.values.get_mut(index)
    }

    /// Freezes the message and every nested message; afterwards every mutator fails.
    pub fn freeze(&mut self) {
        if self.frozen {
            return;
        }
        // Only message fields hold nested messages (every setter and decoder checks the type).
        let slots = SchemaSlots::of(self.schema);
        for &i in slots.messages.iter() {
            let Some(Some(v)) = self.values.get_mut(i) else {
                continue;
            };
            for value in v.values_mut() {
                if let Value::Message(m) = value {
                    m.data_mut().freeze();
                }
            }
        }
        self.frozen = true;
    }

    /// An unfrozen deep copy.
    pub fn thaw_clone(&self) -> Self {
        let mut copy = self.clone();
        copy.unfreeze_all();
        copy
    }

    pub(crate) fn unfreeze_all(&mut self) {
        self.frozen = false;
        for v in self.values.iter_mut().flatten() {
            for value in v.values_mut() {
                if let Value::Message(m) = value {
                    m.data_mut().unfreeze_all();
                }
            }
        }
    }

    /// Checks required fields and every value, recursively; returns every violation.
    pub fn validate(&self) -> Result<(), Vec<Violation>> {
        // Every stored value was checked when it was set or decoded: with every required field
        // set and no nested message, there is nothing to report.
        let slots = SchemaSlots::of(self.schema);
        let fine = slots.checked.iter().all(|&i| {
            let field = &self.schema.fields[i];
            let stored = self.get_at(i).filter(|v| !v.is_empty());
            // `_schema` (index 0) is never looked into.
            let nested = field.kind == FieldType::Message && i != 0 && stored.is_some();
            !nested && (stored.is_some() || !field.required)
        });
        if fine {
            return Ok(());
        }
        let mut out = Vec::new();
        validate::collect_violations(self, "", &mut out);
        if out.is_empty() { Ok(()) } else { Err(out) }
    }

    /// Iterates over `(field, value)` pairs of the fields that are set, in schema order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static Field, &FieldValue)> + '_ {
        self.schema
            .fields
            .iter()
            .zip(self.values.iter())
            .filter_map(|(f, v)| v.as_ref().filter(|v| !v.is_empty()).map(|v| (f, v)))
    }
}

/// Adds `value` to a set: a duplicate (same key) keeps its position and takes the new value.
/// Normalizes every value for `field` before any is stored, so one bad value changes nothing.
/// The first value is held outside the buffer: the one-value adds generated code makes do not
/// allocate one.
fn normalize_all<V: Into<Value>>(
    field: &Field,
    values: impl IntoIterator<Item = V>,
) -> Result<impl Iterator<Item = Value>, Error> {
    let normalize =
        |v: V| validate::normalize(field, v.into()).map_err(|m| Error::invalid(field.name, m));
    let mut values = values.into_iter();
    let mut first = None;
    for v in values.by_ref() {
        if let Some(v) = normalize(v)? {
            first = Some(v);
            break;
        }
    }
    let rest = values
        .map(normalize)
        .filter_map(Result::transpose)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(first.into_iter().chain(rest))
}

/// Why `field` (not a `rule` field) cannot be written as one.
#[cold]
#[inline(never)]
fn wrong_rule(field: &Field, rule: FieldRule) -> Error {
    let message = match rule {
        FieldRule::Single => format!("field is a {}, not a single value", field.rule),
        _ => format!("field is a {}, not a {rule}", field.rule),
    };
    Error::WrongRule {
        field: field.name.to_owned(),
        message,
    }
}

pub(crate) fn push_unique(items: &mut Vec<Value>, value: Value) {
    match items.iter_mut().find(|e| same_set_key(e, &value)) {
        Some(existing) => *existing = value,
        None => items.push(value),
    }
}

/// Whether two set elements have the same uniqueness key (without building it when possible).
fn same_set_key(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::String(x), Value::String(y)) => {
            let (x, y) = (crate::text::js_trim(x), crate::text::js_trim(y));
            // Non-ASCII text may lowercase to ASCII (e.g. the Kelvin sign): build the keys.
            if x.is_ascii() && y.is_ascii() {
                x.eq_ignore_ascii_case(y)
            } else {
                set_key(x) == set_key(y)
            }
        }
        // Node refs are ASCII (qname parts and ref ids allow nothing else).
        (Value::NodeRef(x), Value::NodeRef(y)) => x.as_str().eq_ignore_ascii_case(y.as_str()),
        _ => set_key_of(a) == set_key_of(b),
    }
}

/// The uniqueness key of a set element.
fn set_key_of(v: &Value) -> String {
    match v {
        Value::String(s) => set_key(s),
        Value::Int(i) => i.to_string(),
        Value::BigInt(i) => i.to_string(),
        Value::Float(f) => crate::number::js_number(*f),
        Value::Binary(b) => String::from_utf8_lossy(b).to_lowercase(),
        Value::Microtime(m) => m.to_string(),
        Value::NodeRef(n) => n.as_str().to_lowercase(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// Puts `value` in `slot`. Setters, defaults and decoders mostly fill empty slots: the drop
/// of the old value, an out-of-line call even for `None`, is skipped when there is nothing to
/// drop.
#[inline]
fn store(slot: &mut Option<FieldValue>, value: Option<FieldValue>) {
    let old = std::mem::replace(slot, value);
    if old.is_some() {
        drop(old);
    } else {
        std::mem::forget(old);
    }
}

/// What the per-message passes over a schema's fields need to visit, listed once per schema.
struct SchemaSlots {
    /// Fields [`MessageData::populate_defaults`] may change (`_schema` left out): single-value
    /// fields with a default, and every collection (an empty one becomes unset).
    defaults: Box<[usize]>,
    /// Required fields and message fields: what validation looks at.
    checked: Box<[usize]>,
    /// Message fields: what freezing looks into.
    messages: Box<[usize]>,
}

impl SchemaSlots {
    fn find(schema: &Schema) -> Self {
        let pick = |keep: &dyn Fn(&Field) -> bool| -> Box<[usize]> {
            (0..schema.fields.len())
                .filter(|&i| keep(&schema.fields[i]))
                .collect()
        };
        Self {
            defaults: (1..schema.fields.len())
                .filter(|&i| {
                    let field = &schema.fields[i];
                    field.rule != FieldRule::Single || has_default(field)
                })
                .collect(),
            checked: pick(&|f| f.required || f.kind == FieldType::Message),
            messages: pick(&|f| f.kind == FieldType::Message),
        }
    }

    /// The slots of `schema`, computed once per process and kept for its lifetime (schemas
    /// are `'static`, so there is one entry per schema); a thread remembers the last few.
    fn of(schema: &'static Schema) -> &'static Self {
        RECENT_SLOTS.with(|recent| recent.get(schema, Self::shared))
    }

    /// The process-wide entry of `schema`, created on first use.
    fn shared(schema: &'static Schema) -> &'static Self {
        static ALL: std::sync::RwLock<rustc_hash::FxHashMap<usize, &'static SchemaSlots>> =
            std::sync::RwLock::new(rustc_hash::FxHashMap::with_hasher(
                rustc_hash::FxBuildHasher,
            ));
        let key = std::ptr::from_ref(schema) as usize;
        let found = ALL
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
            .copied();
        found.unwrap_or_else(|| {
            *ALL.write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .entry(key)
                .or_insert_with(|| Box::leak(Box::new(Self::find(schema))))
        })
    }
}

thread_local! {
    /// The [`SchemaSlots`] this thread used last.
    static RECENT_SLOTS: crate::schema::SchemaMemo<&'static SchemaSlots, 4> =
        const { crate::schema::SchemaMemo::new() };
}

/// A bit per [`FieldType`] (by discriminant) with a type default; with `forced_only`, only
/// those where it applies without `use_type_default`.
const fn kind_mask(forced_only: bool) -> u64 {
    let mut mask = 0u64;
    let mut i = 0;
    while i < FieldType::ALL.len() {
        let kind = FieldType::ALL[i];
        if has_type_default(kind) && (!forced_only || forced_type_default(kind)) {
            mask |= 1 << kind as u64;
        }
        i += 1;
    }
    mask
}

/// Whether `kind` has a type default (0, false, now, a new id) when one applies.
const fn has_type_default(kind: FieldType) -> bool {
    match kind {
        FieldType::Boolean
        | FieldType::Timestamp
        | FieldType::Microtime
        | FieldType::Uuid
        | FieldType::TimeUuid => true,
        FieldType::IntEnum => false,
        t => matches!(
            t.family(),
            TypeFamily::Int | TypeFamily::BigInt | TypeFamily::Float
        ),
    }
}

/// Kinds whose type default applies even without `use_type_default` (scalars but timestamp).
const fn forced_type_default(kind: FieldType) -> bool {
    kind.is_scalar() && !matches!(kind, FieldType::Timestamp)
}

/// Kinds with a type default, and those of them where it always applies.
const TYPE_DEFAULT_KINDS: u64 = kind_mask(false);
const FORCED_DEFAULT_KINDS: u64 = kind_mask(true);

/// Whether [`default_value`] gives `field` a value (two bit tests instead of two matches).
#[inline]
fn has_default(field: &Field) -> bool {
    let bit = 1u64 << field.kind as u64;
    field.default.is_some()
        || FORCED_DEFAULT_KINDS & bit != 0
        || field.use_type_default && TYPE_DEFAULT_KINDS & bit != 0
}

/// The time since the epoch, read from the real clock once, on first use: the time-based
/// defaults of one message (`microtime`, `timestamp`, `time-uuid`) share one reading.
#[derive(Default)]
struct Clock(Option<std::time::Duration>);

impl Clock {
    fn now(&mut self) -> std::time::Duration {
        *self.0.get_or_insert_with(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
        })
    }
}

/// The default of a single-value field, if it has one.
pub(crate) fn default_value(field: &Field) -> Option<Value> {
    default_value_at(field, &mut Clock::default())
}

/// [`default_value`], reading time-based defaults from `clock`.
fn default_value_at(field: &Field, clock: &mut Clock) -> Option<Value> {
    if let Some(d) = field.default {
        return Some(match d {
            DefaultValue::Bool(b) => Value::Bool(b),
            DefaultValue::Int(i) => Value::Int(i),
            DefaultValue::Float(f) => Value::Float(f),
            DefaultValue::Str(s) => Value::String(CompactString::const_new(s)),
            DefaultValue::GenerateUuid => Value::String(identifier::generate_uuid().into()),
        });
    }
    let forced = forced_type_default(field.kind);
    if !field.use_type_default && !forced {
        return None;
    }
    Some(match field.kind {
        FieldType::Boolean => Value::Bool(false),
        FieldType::IntEnum => return None,
        FieldType::Timestamp => Value::Int(clock.now().as_secs() as i64),
        FieldType::Microtime => {
            let now = clock.now();
            Value::Microtime(Microtime::new(now.as_secs(), now.subsec_micros())?)
        }
        FieldType::Uuid => Value::String(identifier::generate_uuid().into()),
        FieldType::TimeUuid => Value::String(identifier::time_uuid_at(clock.now()).into()),
        t => match t.family() {
            TypeFamily::Int => Value::Int(0),
            TypeFamily::BigInt => Value::BigInt(0),
            TypeFamily::Float => Value::Float(0.0),
            _ => return None,
        },
    })
}

#[cfg(test)]
mod drop_tests {
    use super::*;
    use crate::schema::test_schema;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static FIELDS: [Field; 8] = [
        Field::new("_schema", FieldType::String, FieldRule::Single),
        Field::new("first", FieldType::Message, FieldRule::Single),
        Field::new("s", FieldType::String, FieldRule::Single),
        Field::new("list", FieldType::Message, FieldRule::List),
        Field::new("unset", FieldType::Message, FieldRule::Single),
        Field::new("long", FieldType::String, FieldRule::Single),
        Field::new("n", FieldType::Int, FieldRule::Single),
        Field::new("last", FieldType::Message, FieldRule::Single),
    ];
    static SCHEMA: Schema = test_schema!("acme":"t":"node":"box", &FIELDS);

    /// A message that counts its drops.
    #[derive(Debug)]
    struct Counted(MessageData, Arc<AtomicUsize>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.1.fetch_add(1, Ordering::SeqCst);
        }
    }

    impl Message for Counted {
        fn data(&self) -> &MessageData {
            &self.0
        }
        fn data_mut(&mut self) -> &mut MessageData {
            &mut self.0
        }
        fn clone_message(&self) -> Box<dyn Message> {
            Box::new(Counted(self.0.clone(), self.1.clone()))
        }
    }

    fn counted(drops: &Arc<AtomicUsize>) -> Value {
        Value::Message(Box::new(Counted(
            MessageData::empty(&SCHEMA),
            drops.clone(),
        )))
    }

    /// Every set slot is dropped exactly once, set or empty neighbours, first and last slot,
    /// nested messages included; empty slots, scalars and inline strings are skipped, and
    /// heap strings are freed (Miri, which runs these tests in CI, fails on a leak).
    #[test]
    fn drops_every_set_slot_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut outer = MessageData::empty(&SCHEMA);
        let mut inner = MessageData::empty(&SCHEMA);
        inner.put(7, Some(FieldValue::Single(counted(&drops))));
        inner.put(5, Some(FieldValue::Single(Value::string("x".repeat(40)))));
        outer.put(1, Some(FieldValue::Single(counted(&drops))));
        outer.put(2, Some(FieldValue::Single(Value::string("text"))));
        outer.put(5, Some(FieldValue::Single(Value::string("y".repeat(25)))));
        outer.put(6, Some(FieldValue::Single(Value::Int(7))));
        // Both kinds of string are covered.
        assert!(CompactString::from("y".repeat(25)).is_heap_allocated());
        assert!(!CompactString::from("text").is_heap_allocated());
        let list = vec![
            counted(&drops),
            Value::Message(Box::new(DynamicMessage(inner))),
        ];
        outer.put(3, Some(FieldValue::List(list)));
        outer.put(7, Some(FieldValue::Single(counted(&drops))));
        let copy = outer.clone();
        drop(outer);
        assert_eq!(drops.load(Ordering::SeqCst), 4);
        drop(copy);
        assert_eq!(drops.load(Ordering::SeqCst), 8);
        drop(MessageData::empty(&SCHEMA));
        assert_eq!(drops.load(Ordering::SeqCst), 8);
    }
}

#[cfg(test)]
mod default_tests {
    use super::*;

    #[test]
    fn masks_agree_with_the_rules() {
        for kind in FieldType::ALL {
            let forced = kind.is_scalar() && kind != FieldType::Timestamp;
            for use_type_default in [false, true] {
                let mut field = Field::new("f", kind, FieldRule::Single);
                field.use_type_default = use_type_default;
                let expected = (use_type_default || forced) && has_type_default(kind);
                assert_eq!(has_default(&field), expected, "{kind:?} {use_type_default}");
                assert_eq!(default_value(&field).is_some(), expected, "{kind:?}");
            }
        }
    }

    #[test]
    fn time_defaults_share_one_reading() {
        let mut clock = Clock::default();
        let mut field = Field::new("at", FieldType::Microtime, FieldRule::Single);
        field.use_type_default = true;
        let before = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        let Some(Value::Microtime(m)) = default_value_at(&field, &mut clock) else {
            panic!("no microtime");
        };
        let after = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        assert!(m.as_micros() >= before.as_micros() && m.as_micros() <= after.as_micros());
        let id = Field::new("id", FieldType::TimeUuid, FieldRule::Single);
        let Some(Value::String(id)) = default_value_at(&id, &mut clock) else {
            panic!("no time uuid");
        };
        let ts = uuid::Uuid::parse_str(&id).unwrap().get_timestamp().unwrap();
        let (secs, nanos) = ts.to_unix();
        assert_eq!((secs, nanos / 1000), (m.sec(), m.usec()));
    }
}

/// A pbj message: schema-driven data plus typed access in generated types.
///
/// Every generated message struct implements this trait; generic code (codecs, marshalers,
/// pbjx) works through it. A `&dyn Message` downcasts to its generated type with
/// [`downcast_ref`](#method.downcast_ref) (trait upcasting to [`Any`] does the work).
///
/// ```
/// # include!("../doc/article.rs");
/// # fn main() -> Result<(), pbj::Error> {
/// use pbj::{DynamicMessage, Message, MessageData};
///
/// fn describe(message: &dyn Message) -> String {
///     format!("{} ({})", message.schema().curie, message.generate_etag(&["event_id"]))
/// }
///
/// let mut data = MessageData::new(&ARTICLE_PUBLISHED);
/// data.set("title", "Hello")?;
/// let mut article: Box<dyn Message> = Box::new(DynamicMessage(data));
/// assert!(describe(article.as_ref()).starts_with("acme:blog:event:article-published ("));
///
/// article.freeze();
/// let mut copy = article.clone_unfrozen();
/// copy.data_mut().set("title", "Changed")?;
/// assert_ne!(copy.to_json(), article.to_json());
/// # Ok(())
/// # }
/// ```
pub trait Message: Any + Send + Sync + fmt::Debug + TryIntoBox {
    /// The message's field values.
    fn data(&self) -> &MessageData;
    /// The message's field values, mutably.
    fn data_mut(&mut self) -> &mut MessageData;
    /// A boxed deep copy (keeps the frozen state).
    fn clone_message(&self) -> Box<dyn Message>;

    /// The schema.
    fn schema(&self) -> &'static Schema {
        self.data().schema()
    }
    /// Checks required fields and every value, recursively.
    fn validate(&self) -> Result<(), Vec<Violation>> {
        self.data().validate()
    }
    /// A deep copy that is not frozen (nested messages included), like the original's clone.
    fn clone_unfrozen(&self) -> Box<dyn Message> {
        let mut copy = self.clone_message();
        copy.data_mut().unfreeze_all();
        copy
    }
    /// Freezes the message (and nested messages).
    fn freeze(&mut self) {
        self.data_mut().freeze();
    }
    /// Whether the message is frozen.
    fn is_frozen(&self) -> bool {
        self.data().is_frozen()
    }
    /// Encodes as JSON in the JS flavour (the wire default).
    fn to_json(&self) -> String {
        codec::encode(self.data(), Flavor::Js)
    }
    /// Encodes as JSON in the given flavour.
    fn to_json_with(&self, flavor: Flavor) -> String {
        codec::encode(self.data(), flavor)
    }
    /// md5 hex of the JS-flavour JSON without the top-level `skip_fields` (the JS etag).
    fn generate_etag(&self, skip_fields: &[&str]) -> String {
        codec::etag(self.data(), Flavor::Js, skip_fields)
    }
    /// A reference to this message: its curie and the value of its id field.
    fn generate_message_ref(&self, tag: Option<&str>) -> MessageRef {
        let schema = self.schema();
        let id = schema
            .id_field
            .and_then(|f| self.data().get_single(f))
            .map(value_to_id)
            .unwrap_or(Cow::Borrowed("null"));
        MessageRef::for_schema(schema.curie, &id, tag)
    }
}

fn value_to_id(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        Value::Int(i) => Cow::Owned(i.to_string()),
        Value::Microtime(m) => Cow::Owned(m.to_string()),
        Value::NodeRef(n) => Cow::Borrowed(n.as_str()),
        _ => Cow::Borrowed("null"),
    }
}

/// Static access to a generated message type.
pub trait MessageType: Message + Sized {
    /// The schema of this type.
    const SCHEMA: &'static Schema;
    /// Wraps data that belongs to [`Self::SCHEMA`].
    fn from_data(data: MessageData) -> Self;
    /// Unwraps the data.
    fn into_data(self) -> MessageData;
    /// The registry of the store this type was compiled from (the stores it names through
    /// `extern_path` included): what [`Self::from_json`] resolves nested messages with.
    /// Generated types return their store's lazily built registry.
    fn registry() -> Arc<Registry>;

    /// Decodes JSON (either flavour), resolving nested messages with [`Self::registry`].
    /// Values are checked as they are decoded; required fields are checked by
    /// [`Message::validate`].
    fn from_json(json: &str) -> Result<Self, Error> {
        Self::from_json_with(json, &Self::registry())
    }

    /// Decodes JSON (either flavour), resolving nested messages with `registry`.
    fn from_json_with(json: &str, registry: &Registry) -> Result<Self, Error> {
        let data = codec::decode_as(json, Self::SCHEMA, registry)?;
        Ok(Self::from_data(data))
    }
}

/// A message of any schema, without a generated type (for tools and tests).
#[derive(Debug, Clone, PartialEq)]
pub struct DynamicMessage(pub MessageData);

impl Message for DynamicMessage {
    fn data(&self) -> &MessageData {
        &self.0
    }
    fn data_mut(&mut self) -> &mut MessageData {
        &mut self.0
    }
    fn clone_message(&self) -> Box<dyn Message> {
        Box::new(self.clone())
    }
}

/// Moves a message out of an `Arc` (implemented for every sized [`Message`]; a supertrait of it
/// so that `Arc<dyn Message>` can call it).
pub trait TryIntoBox {
    /// The message moved out of an `Arc` that holds the only strong reference, boxed without a
    /// copy; the `Arc` back when it is shared. [`into_box`] copies in that case.
    ///
    /// ```
    /// # include!("../doc/article.rs");
    /// # fn main() {
    /// use std::sync::Arc;
    /// use pbj::{DynamicMessage, Message, MessageData, TryIntoBox};
    ///
    /// let article: Arc<dyn Message> =
    ///     Arc::new(DynamicMessage(MessageData::new(&ARTICLE_PUBLISHED)));
    /// let reader = article.clone();
    /// let article = article.try_into_box().expect_err("shared: the Arc comes back");
    /// // `into_box` copies a shared message.
    /// assert_eq!(pbj::into_box(reader.clone()).to_json(), article.to_json());
    /// drop(reader);
    /// let boxed: Box<dyn Message> = article.try_into_box().expect("the only reference");
    /// assert_eq!(boxed.schema().curie, "acme:blog:event:article-published");
    /// # }
    /// ```
    fn try_into_box(self: Arc<Self>) -> Result<Box<dyn Message>, Arc<dyn Message>>;
}

impl<T: Message> TryIntoBox for T {
    fn try_into_box(self: Arc<Self>) -> Result<Box<dyn Message>, Arc<dyn Message>> {
        match Arc::try_unwrap(self) {
            Ok(message) => Ok(Box::new(message)),
            Err(shared) => Err(shared),
        }
    }
}

/// `message` as a `Box`: moved out of the `Arc` when nobody else holds it
/// ([`TryIntoBox::try_into_box`]), else a deep copy ([`Message::clone_message`]).
pub fn into_box(message: Arc<dyn Message>) -> Box<dyn Message> {
    message
        .try_into_box()
        .unwrap_or_else(|shared| shared.clone_message())
}

impl dyn Message {
    /// Whether the message is of the generated type `T`.
    pub fn is<T: Message>(&self) -> bool {
        let any: &dyn Any = self;
        any.is::<T>()
    }

    /// Downcasts to a generated type.
    pub fn downcast_ref<T: Message>(&self) -> Option<&T> {
        let any: &dyn Any = self;
        any.downcast_ref::<T>()
    }

    /// Downcasts to a generated type, mutably.
    pub fn downcast_mut<T: Message>(&mut self) -> Option<&mut T> {
        let any: &mut dyn Any = self;
        any.downcast_mut::<T>()
    }

    /// Downcasts a box to a generated type; gives the box back when the type differs.
    pub fn downcast<T: Message>(self: Box<Self>) -> Result<Box<T>, Box<dyn Message>> {
        if !self.is::<T>() {
            return Err(self);
        }
        let any: Box<dyn Any> = self;
        match any.downcast::<T>() {
            Ok(message) => Ok(message),
            // `is` checked the type above; a box of another type cannot reach this arm.
            Err(_) => unreachable!("the type was checked"),
        }
    }
}

/// Messages are equal when they have the same schema id and the same field values, in the same
/// order (an unset field equals an empty collection); the frozen state does not count.
impl PartialEq for dyn Message {
    fn eq(&self, other: &Self) -> bool {
        self.data() == other.data()
    }
}

impl PartialEq for MessageData {
    fn eq(&self, other: &Self) -> bool {
        let is_unset = |v: &Option<FieldValue>| v.as_ref().is_none_or(FieldValue::is_empty);
        self.schema.id == other.schema.id
            && self.values.len() == other.values.len()
            && self
                .values
                .iter()
                .zip(&other.values)
                .all(|(a, b)| match (a, b) {
                    (Some(a), Some(b)) => a == b,
                    _ => is_unset(a) && is_unset(b),
                })
    }
}

/// A mixin, as a type: pbjc generates one zero-sized marker per mixin schema (for example
/// `acme::blog::mixin::Article`), so code can name a mixin without spelling its curie.
///
/// ```
/// struct Article;
/// impl pbj::Mixin for Article {
///     const CURIE: &'static str = "acme:blog:mixin:article";
///     const CURIE_MAJOR: &'static str = "acme:blog:mixin:article:v1";
/// }
/// assert_eq!(<Article as pbj::Mixin>::CURIE_MAJOR, "acme:blog:mixin:article:v1");
/// ```
pub trait Mixin: 'static {
    /// The mixin's curie, e.g. `acme:blog:mixin:article`.
    const CURIE: &'static str;
    /// The mixin's curie major, e.g. `acme:blog:mixin:article:v1` (what schemas list in
    /// [`crate::Schema::mixins`]).
    const CURIE_MAJOR: &'static str;
}
