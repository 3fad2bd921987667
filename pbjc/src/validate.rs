//! Semantic validation of a merged [`Store`]: references, enums, defaults, patterns,
//! inheritance and overrides, and compatibility between consecutive versions.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use pbj::{FieldRule, FieldType, Format, TypeFamily};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::model::{EnumDecl, EnumKind, FieldDecl, Location, OptionValue, SchemaDecl, Store};
use crate::parser::{FieldSpans, SchemaSpans};

/// Reference lookups with the original semantics (curie, then curie major, then id), indexed.
pub struct Index<'a> {
    store: &'a Store,
    by_curie: HashMap<String, &'a SchemaDecl>,
    by_major: HashMap<String, &'a SchemaDecl>,
}

impl<'a> Index<'a> {
    /// Builds the index (newest version per curie and per curie major).
    pub fn new(store: &'a Store) -> Self {
        let mut by_curie: HashMap<String, &SchemaDecl> = HashMap::new();
        let mut by_major: HashMap<String, &SchemaDecl> = HashMap::new();
        for s in store.schemas.values() {
            for (map, key) in [(&mut by_curie, s.curie()), (&mut by_major, s.curie_major())] {
                let e = map.entry(key).or_insert(s);
                if s.id.version() > e.id.version() {
                    *e = s;
                }
            }
        }
        Self {
            store,
            by_curie,
            by_major,
        }
    }

    /// Resolves a curie, curie major or id to the newest matching schema.
    pub fn resolve(&self, reference: &str) -> Option<&'a SchemaDecl> {
        self.by_curie
            .get(reference)
            .or_else(|| self.by_major.get(reference))
            .copied()
            .or_else(|| self.store.schemas.get(reference))
    }
}

struct Validator<'a> {
    store: &'a Store,
    index: Index<'a>,
    diags: &'a mut Diagnostics,
    inherited: HashMap<String, Vec<&'a FieldDecl>>,
}

/// Runs every semantic check on `store`, reporting to `diags`.
pub fn validate(store: &Store, spans: &BTreeMap<String, SchemaSpans>, diags: &mut Diagnostics) {
    let mut v = Validator {
        store,
        index: Index::new(store),
        diags,
        inherited: HashMap::new(),
    };
    for e in store.enums.values() {
        v.check_enum(e);
    }
    for (id, s) in &store.schemas {
        let empty = SchemaSpans::default();
        let sp = spans.get(id).unwrap_or(&empty);
        v.check_references(s, sp);
        v.check_fields(s, sp);
        v.check_dependency_versions(s);
        v.check_overrides(s, sp);
        v.check_inheritance(s);
    }
    v.check_versions();
}

/// Merges `fields` into `out`: a repeated name keeps its first position, the last definition wins.
pub(crate) fn merge<'a>(
    out: &mut Vec<&'a FieldDecl>,
    fields: impl IntoIterator<Item = &'a FieldDecl>,
) {
    for f in fields {
        match out.iter_mut().find(|e| e.name == f.name) {
            Some(slot) => *slot = f,
            None => out.push(f),
        }
    }
}

impl<'a> Validator<'a> {
    fn err(&mut self, message: String, loc: Location, label: &str) {
        self.diags
            .push(Diagnostic::error(message, Some(loc)).with_label(label));
    }

    fn warn(&mut self, message: String, loc: Location, label: &str) {
        self.diags
            .push(Diagnostic::warning(message, Some(loc)).with_label(label));
    }

    fn check_enum(&mut self, e: &EnumDecl) {
        if !e
            .options
            .iter()
            .any(|o| o.key.eq_ignore_ascii_case("UNKNOWN"))
        {
            // A warning: the shared synthetic corpus has an enum without UNKNOWN.
            self.warn(
                format!("enum `{}` has no UNKNOWN option", e.id),
                e.location.clone(),
                "the PHP pbjc requires an UNKNOWN key, used as the default value",
            );
        }
    }

    fn check_references(&mut self, s: &'a SchemaDecl, sp: &SchemaSpans) {
        let me = s.curie_major();
        let here = |l: Option<&Location>| l.cloned().unwrap_or_else(|| s.location.clone());
        if let Some(ext) = &s.extends {
            let loc = here(sp.extends.as_ref());
            if *ext == me {
                self.err(
                    format!("schema `{}` cannot extend itself", s.id),
                    loc,
                    "self reference",
                );
            } else if let Some(target) = self.index.resolve(ext) {
                if !target.is_mixin {
                    self.err(
                        format!("`{ext}` is not a mixin and cannot be extended"),
                        loc,
                        "extends a message",
                    );
                } else {
                    self.check_extends_cycle(s, loc);
                }
            } else {
                self.err(
                    format!("extends `{ext}` not found"),
                    loc,
                    "no schema with this curie major",
                );
            }
        }
        for (i, m) in s.mixins.iter().enumerate() {
            let loc = here(sp.mixins.get(i));
            if *m == me {
                self.err(
                    format!("schema `{}` cannot use itself as a mixin", s.id),
                    loc,
                    "self reference",
                );
                continue;
            }
            let Some(target) = self.index.resolve(m) else {
                self.err(
                    format!("mixin `{m}` not found"),
                    loc,
                    "no schema with this curie major",
                );
                continue;
            };
            if !target.is_mixin {
                self.err(
                    format!("mixins can only include other mixins: `{m}` is not a mixin"),
                    loc,
                    "not a mixin",
                );
                continue;
            }
            if target.deprecated && !s.deprecated {
                self.warn(
                    format!("mixin `{m}` is deprecated"),
                    loc.clone(),
                    "deprecated mixin",
                );
            }
            // Every extends ancestor of the mixin must be listed too, before it.
            let mut seen = BTreeSet::new();
            let mut cur = target;
            while let Some(anc) = cur.extends.as_ref() {
                if !seen.insert(anc.clone()) {
                    break;
                }
                match s.mixins.iter().position(|x| x == anc) {
                    None => self.warn(
                        format!("mixin `{m}` extends `{anc}`, which is not listed in <mixins>"),
                        loc.clone(),
                        "list the ancestor mixin before this one",
                    ),
                    Some(j) if j > i => self.warn(
                        format!("mixin `{m}` extends `{anc}`, which is listed after it"),
                        loc.clone(),
                        "list the ancestor mixin before this one",
                    ),
                    Some(_) => {}
                }
                match self.index.resolve(anc) {
                    Some(next) => cur = next,
                    None => break,
                }
            }
        }
        if s.is_mixin != (s.id.category() == Some("mixin")) {
            let msg = if s.is_mixin {
                format!("mixin `{}` is not in category `mixin`", s.id)
            } else {
                format!(
                    "schema `{}` is in category `mixin` but is not a mixin",
                    s.id
                )
            };
            self.warn(
                msg,
                s.location.clone(),
                "the runtime decides mixin-ness by category",
            );
        }
    }

    fn check_extends_cycle(&mut self, s: &SchemaDecl, loc: Location) {
        let me = s.curie_major();
        let mut seen = BTreeSet::new();
        let mut cur = s.extends.clone();
        while let Some(c) = cur {
            if c == me {
                self.err(
                    format!("extends cycle: `{me}` extends itself through its ancestors"),
                    loc,
                    "cycle",
                );
                return;
            }
            if !seen.insert(c.clone()) {
                return; // a cycle not involving `s`; reported on its members
            }
            cur = self.index.resolve(&c).and_then(|t| t.extends.clone());
        }
    }

    fn check_fields(&mut self, s: &'a SchemaDecl, sp: &SchemaSpans) {
        let me = s.curie();
        for (i, f) in s.fields.iter().enumerate() {
            let empty = FieldSpans::default();
            let fs = sp.fields.get(i).unwrap_or(&empty);
            let at = |l: Option<&Location>| l.cloned().unwrap_or_else(|| f.location.clone());
            if f.rule == FieldRule::Set && !f.kind.allowed_in_set() {
                self.err(
                    format!(
                        "field `{}` with type `{}` cannot be used in a set",
                        f.name, f.kind
                    ),
                    at(Some(&fs.rule)),
                    "rule `set` not allowed for this type",
                );
            }
            for (j, c) in f.any_of.iter().enumerate() {
                let loc = at(fs.any_of.get(j));
                if *c == me {
                    self.err(
                        format!(
                            "field `{}` cannot reference its own schema in any-of",
                            f.name
                        ),
                        loc,
                        "self reference",
                    );
                } else if self.index.resolve(c).is_none() {
                    self.err(
                        format!("any-of curie `{c}` not found"),
                        loc,
                        "no schema with this curie",
                    );
                }
            }
            let enum_decl = self.check_field_enum(f, fs);
            if let Some(d) = &f.default
                && let Err(why) = check_default(f, d, enum_decl)
            {
                self.err(
                    format!("invalid default `{d}` for field `{}`: {why}", f.name),
                    at(fs.default.as_ref()),
                    "bad default",
                );
            }
            if let Some(p) = &f.pattern
                && let Err(e) = pbj::pattern::compile(p)
            {
                let e = e.to_string();
                let last = e.lines().last().unwrap_or("").trim();
                let first = last.strip_prefix("error: ").unwrap_or(last).to_owned();
                self.err(
                    format!("invalid pattern for field `{}`: {first}", f.name),
                    at(fs.pattern.as_ref()),
                    "this regex does not compile",
                );
            }
            if f.format != Format::Unknown && f.kind.family() != TypeFamily::String {
                self.warn(
                    format!(
                        "format `{}` on field `{}` of type `{}` is ignored",
                        f.format, f.name, f.kind
                    ),
                    f.location.clone(),
                    "formats apply to string types",
                );
            }
        }
    }

    fn check_field_enum(&mut self, f: &FieldDecl, fs: &FieldSpans) -> Option<&'a EnumDecl> {
        let wanted = match f.kind {
            FieldType::StringEnum => Some(EnumKind::String),
            FieldType::IntEnum => Some(EnumKind::Int),
            _ => None,
        };
        let loc = fs.enum_id.clone().unwrap_or_else(|| f.location.clone());
        match (&f.enum_id, wanted) {
            (None, Some(_)) => {
                self.err(
                    format!(
                        "field `{}` of type `{}` needs an <enum id=\"…\"/>",
                        f.name, f.kind
                    ),
                    loc,
                    "missing <enum>",
                );
                None
            }
            (Some(id), None) => {
                self.err(
                    format!(
                        "field `{}` of type `{}` cannot have an enum",
                        f.name, f.kind
                    ),
                    loc,
                    "use type string-enum or int-enum",
                );
                let _ = id;
                None
            }
            (Some(id), Some(kind)) => {
                let Some(e) = self.store.enums.get(id) else {
                    self.err(
                        format!("cannot find an enum with id `{id}`"),
                        loc,
                        "unknown enum",
                    );
                    return None;
                };
                if e.kind != kind {
                    let need = if kind == EnumKind::String {
                        "string"
                    } else {
                        "int"
                    };
                    self.err(
                        format!(
                            "enum `{id}` has the wrong type for field `{}` of type `{}`",
                            f.name, f.kind
                        ),
                        loc,
                        &format!("a type=\"{need}\" enum is required"),
                    );
                    return None;
                }
                Some(e)
            }
            (None, None) => None,
        }
    }

    /// Extends + mixins closure (recursively) must not mention one curie with two majors.
    fn check_dependency_versions(&mut self, s: &'a SchemaDecl) {
        let mut majors: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut stack: Vec<&str> = s
            .extends
            .iter()
            .chain(s.mixins.iter())
            .map(String::as_str)
            .collect();
        let mut seen = BTreeSet::new();
        while let Some(r) = stack.pop() {
            if !seen.insert(r) {
                continue;
            }
            let Some(t) = self.index.resolve(r) else {
                continue;
            };
            majors.entry(t.curie()).or_default().insert(t.curie_major());
            stack.extend(t.extends.iter().chain(t.mixins.iter()).map(String::as_str));
        }
        for (curie, set) in majors {
            if set.len() > 1 {
                let list: Vec<&str> = set.iter().map(String::as_str).collect();
                self.err(
                    format!("invalid dependency version: `{}` depends on `{curie}` in several majors ({})", s.id, list.join(", ")),
                    s.location.clone(),
                    "use one major of each dependency",
                );
            }
        }
    }

    /// The runtime override rule on the codegen field order (direct mixins' own fields, then
    /// own fields): a redefinition needs an overridable earlier field with the same type,
    /// rule and required.
    fn check_overrides(&mut self, s: &'a SchemaDecl, sp: &SchemaSpans) {
        let mut out: Vec<(&FieldDecl, &str)> = Vec::new();
        let mut sources: Vec<(Vec<&FieldDecl>, Option<Location>, String)> = Vec::new();
        for (i, m) in s.mixins.iter().enumerate() {
            if let Some(t) = self.index.resolve(m) {
                let loc = sp.mixins.get(i).cloned();
                sources.push((t.fields.iter().collect(), loc, t.curie_major()));
            }
        }
        sources.push((s.fields.iter().collect(), None, s.curie_major()));
        let mut found = Vec::new();
        for (fields, loc, origin) in &sources {
            for f in fields {
                match out.iter_mut().find(|(e, _)| e.name == f.name) {
                    Some(slot) => {
                        let (prev, prev_origin) = *slot;
                        let problem = if !prev.overridable {
                            Some("the earlier definition is not overridable=\"true\"".to_owned())
                        } else {
                            incompatible_override(prev, f)
                        };
                        if let Some(why) = problem {
                            let at = loc.clone().unwrap_or_else(|| f.location.clone());
                            found.push(
                                Diagnostic::error(
                                    format!(
                                        "illegal override of field `{}` in `{}`: `{origin}` redefines it from `{prev_origin}`; {why}",
                                        f.name, s.id
                                    ),
                                    Some(at),
                                )
                                .with_label("field redefined here")
                                .with_note(prev.location.clone(), "earlier definition"),
                            );
                        }
                        *slot = (f, origin.as_str());
                    }
                    None => out.push((f, origin.as_str())),
                }
            }
        }
        self.diags.extend(found);
    }

    /// Recursive inherited fields: extends (inherited ⊕ own), then each mixin (inherited ⊕ own).
    fn inherited(&mut self, s: &'a SchemaDecl, depth: usize) -> Vec<&'a FieldDecl> {
        let key = s.id.to_string();
        if let Some(v) = self.inherited.get(&key) {
            return v.clone();
        }
        let mut out = Vec::new();
        if depth < 32 {
            for r in s.extends.iter().chain(s.mixins.iter()) {
                if let Some(t) = self.index.resolve(r)
                    && t.id != s.id
                {
                    let parent = self.inherited(t, depth + 1);
                    merge(&mut out, parent);
                    merge(&mut out, &t.fields);
                }
            }
        }
        self.inherited.insert(key, out.clone());
        out
    }

    /// SchemaInheritanceFields: own fields that redefine an inherited one must keep every
    /// property except default, overridable, description, language options, deprecated, any-of.
    fn check_inheritance(&mut self, s: &'a SchemaDecl) {
        let inherited = self.inherited(s, 0);
        for f in &s.fields {
            let Some(prev) = inherited.iter().find(|p| p.name == f.name) else {
                continue;
            };
            if let Some(prop) = differing_property(prev, f) {
                self.diags.push(
                    Diagnostic::error(
                        format!(
                            "field `{}` of `{}` changes `{prop}` of the inherited field",
                            f.name, s.id
                        ),
                        Some(f.location.clone()),
                    )
                    .with_label("must match the inherited definition")
                    .with_note(prev.location.clone(), "inherited definition"),
                );
            }
        }
    }

    /// Previous-version constraints: each version against the preceding one of its curie major.
    fn check_versions(&mut self) {
        let mut by_major: BTreeMap<String, Vec<&'a SchemaDecl>> = BTreeMap::new();
        for s in self.store.schemas.values() {
            by_major.entry(s.curie_major()).or_default().push(s);
        }
        for list in by_major.values_mut() {
            list.sort_by_key(|s| s.id.version());
            for pair in list.windows(2) {
                if let [a, b] = pair {
                    self.check_pair(a, b);
                }
            }
        }
    }

    fn check_pair(&mut self, a: &'a SchemaDecl, b: &'a SchemaDecl) {
        let minor_bump = b.id.version().minor > a.id.version().minor;
        let mut problems: Vec<(String, Location)> = Vec::new();
        let at_b = b.location.clone();
        if a.extends != b.extends {
            let want = a.extends.as_deref().unwrap_or("nothing");
            problems.push((format!("must extend `{want}` like {}", a.id), at_b.clone()));
        }
        if a.is_mixin != b.is_mixin {
            let what = if a.is_mixin {
                "must be a mixin"
            } else {
                "must not be a mixin"
            };
            problems.push((format!("{what} like {}", a.id), at_b.clone()));
        }
        let missing: Vec<&str> = a
            .mixins
            .iter()
            .filter(|m| !b.mixins.contains(m))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            problems.push((
                format!("must include the mixin(s) {}", missing.join(", ")),
                at_b.clone(),
            ));
        }
        let mut fa = self.inherited(a, 0);
        merge(&mut fa, &a.fields);
        let mut fb = self.inherited(b, 0);
        merge(&mut fb, &b.fields);
        for x in &fa {
            let Some(y) = fb.iter().find(|y| y.name == x.name) else {
                problems.push((format!("must include the field `{}`", x.name), at_b.clone()));
                continue;
            };
            let at = if b.fields.iter().any(|f| std::ptr::eq(f, *y)) {
                y.location.clone()
            } else {
                at_b.clone()
            };
            for why in field_compat(x, y, minor_bump) {
                problems.push((format!("field `{}` {why}", x.name), at.clone()));
            }
        }
        for (why, loc) in problems {
            self.diags.push(
                Diagnostic::error(
                    format!("incompatible change from {} to {}: {why}", a.id, b.id),
                    Some(loc),
                )
                .with_label("breaks the previous version; bump the major instead")
                .with_note(a.location.clone(), "previous version"),
            );
        }
    }
}

/// Why redefining `prev` with `next` breaks the runtime override rule, if it does.
fn incompatible_override(prev: &FieldDecl, next: &FieldDecl) -> Option<String> {
    if prev.kind != next.kind {
        return Some(format!(
            "type changes from `{}` to `{}`",
            prev.kind, next.kind
        ));
    }
    if prev.rule != next.rule {
        return Some(format!(
            "rule changes from `{}` to `{}`",
            prev.rule, next.rule
        ));
    }
    if prev.required != next.required {
        return Some(format!(
            "required changes from {} to {}",
            prev.required, next.required
        ));
    }
    None
}

/// The first property (SchemaInheritanceFields) in which two definitions differ.
fn differing_property(a: &FieldDecl, b: &FieldDecl) -> Option<&'static str> {
    let checks: [(&'static str, bool); 13] = [
        ("type", a.kind == b.kind),
        ("rule", a.rule == b.rule),
        ("required", a.required == b.required),
        ("min", a.min == b.min),
        ("max", a.max == b.max),
        ("min_length", a.min_length == b.min_length),
        ("max_length", a.max_length == b.max_length),
        ("precision", a.precision == b.precision),
        ("scale", a.scale == b.scale),
        ("pattern", a.pattern == b.pattern),
        ("format", a.format == b.format),
        ("use_type_default", a.use_type_default == b.use_type_default),
        ("enum", a.enum_id == b.enum_id),
    ];
    checks.into_iter().find(|(_, same)| !same).map(|(n, _)| n)
}

/// Version-compat findings for one field (`a` = previous version, `b` = new).
fn field_compat(a: &FieldDecl, b: &FieldDecl, minor_bump: bool) -> Vec<String> {
    let mut out = Vec::new();
    if a.kind != b.kind {
        out.push(format!("must keep type `{}` (found `{}`)", a.kind, b.kind));
    }
    if a.rule != b.rule {
        out.push(format!("must keep rule `{}` (found `{}`)", a.rule, b.rule));
    }
    // Dropping a format relaxes the field; allowed in a minor bump (envelope 1-0-2 -> 1-1-0).
    if a.format != b.format && !(minor_bump && b.format == Format::Unknown) {
        out.push(format!(
            "must keep format `{}` (found `{}`)",
            a.format, b.format
        ));
    }
    if a.precision != b.precision || a.scale != b.scale {
        out.push("must keep precision and scale".to_owned());
    }
    if a.use_type_default != b.use_type_default {
        out.push(format!("must keep use-type-default={}", a.use_type_default));
    }
    if a.overridable != b.overridable {
        out.push(format!("must keep overridable={}", a.overridable));
    }
    if a.required != b.required {
        out.push(format!("must keep required={}", a.required));
    }
    let (tmin, tmax) = b.kind.int_bounds();
    if b.max.unwrap_or(tmax) < a.max.unwrap_or(tmax) {
        out.push(format!(
            "max {} must be >= {}",
            b.max.unwrap_or(tmax),
            a.max.unwrap_or(tmax)
        ));
    }
    if b.min.unwrap_or(tmin) > a.min.unwrap_or(tmin) {
        out.push(format!(
            "min {} must be <= {}",
            b.min.unwrap_or(tmin),
            a.min.unwrap_or(tmin)
        ));
    }
    let tlen = b.kind.max_bytes();
    if b.max_length.unwrap_or(tlen) < a.max_length.unwrap_or(tlen) {
        out.push(format!(
            "max length {} must be >= {}",
            b.max_length.unwrap_or(tlen),
            a.max_length.unwrap_or(tlen)
        ));
    }
    if b.min_length.unwrap_or(0) > a.min_length.unwrap_or(0) {
        out.push(format!(
            "min length {} must be <= {}",
            b.min_length.unwrap_or(0),
            a.min_length.unwrap_or(0)
        ));
    }
    if a.enum_id != b.enum_id {
        out.push(format!(
            "must keep enum `{}`",
            a.enum_id.as_deref().unwrap_or("none")
        ));
    }
    let dropped: Vec<&str> = a
        .any_of
        .iter()
        .filter(|c| !b.any_of.contains(c))
        .map(String::as_str)
        .collect();
    if !dropped.is_empty() {
        out.push(format!("must keep any-of {}", dropped.join(", ")));
    }
    out
}

/// Checks a `<default>` text against the field type (and enum).
fn check_default(f: &FieldDecl, d: &str, e: Option<&EnumDecl>) -> Result<(), String> {
    let int = || crate::parser::xml::parse_int(d).ok_or_else(|| "expected an integer".to_owned());
    match f.kind {
        FieldType::IntEnum | FieldType::StringEnum => {
            let Some(e) = e else { return Ok(()) };
            let hit = e.options.iter().any(|o| match &o.value {
                OptionValue::Int(v) => crate::parser::xml::parse_int(d) == Some(*v),
                OptionValue::String(v) => v == d,
            });
            if hit {
                Ok(())
            } else {
                Err(format!("not a value of enum `{}`", e.id))
            }
        }
        _ => match f.kind.family() {
            TypeFamily::Bool => match d {
                "true" | "false" | "1" | "0" => Ok(()),
                _ => Err("expected true, false, 1 or 0".to_owned()),
            },
            TypeFamily::Int => {
                let v = int()?;
                let (lo, hi) = f.kind.int_bounds();
                if v < lo || v > hi {
                    Err(format!("out of range {lo}..={hi}"))
                } else {
                    Ok(())
                }
            }
            TypeFamily::BigInt => int().map(|_| ()),
            TypeFamily::Float => d
                .parse::<f64>()
                .map(|_| ())
                .map_err(|_| "expected a number".to_owned()),
            TypeFamily::String => {
                let max = f.max_length.unwrap_or(f.kind.max_bytes());
                if d.len() > max as usize {
                    Err(format!("longer than {max} bytes"))
                } else {
                    Ok(())
                }
            }
            TypeFamily::Date => pbj::Date::parse(d).map(|_| ()).map_err(|e| e.to_string()),
            TypeFamily::Message
            | TypeFamily::MessageRef
            | TypeFamily::GeoPoint
            | TypeFamily::DynamicField
            | TypeFamily::NodeRef => Err(format!("type `{}` cannot have a <default>", f.kind)),
            _ => Ok(()),
        },
    }
}
