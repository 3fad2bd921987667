//! The parsed, resolved schema store: what the parser produces and the code generator consumes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pbj::{FieldRule, FieldType, Format, SchemaId};

/// Where something was declared: file, 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Location {
    /// The XML file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// The value type of a pbj enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnumKind {
    /// `type="int"`.
    Int,
    /// `type="string"`.
    String,
}

/// The value of one enum option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionValue {
    /// An int option.
    Int(i64),
    /// A string option.
    String(String),
}

/// One option of an enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumOption {
    /// The key, uppercased (e.g. `UNKNOWN`).
    pub key: String,
    /// The value.
    pub value: OptionValue,
}

/// An enum from an `enums.xml` file.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumDecl {
    /// `vendor:package:name`.
    pub id: String,
    /// The vendor.
    pub vendor: String,
    /// The package.
    pub package: String,
    /// The enum name (e.g. `node-status`).
    pub name: String,
    /// Int or string.
    pub kind: EnumKind,
    /// Options in declaration order.
    pub options: Vec<EnumOption>,
    /// Whether the enum is deprecated.
    pub deprecated: bool,
    /// Where the `<enum>` element is.
    pub location: Location,
}

/// A field as declared in one schema file (before mixin resolution).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecl {
    /// Field name.
    pub name: String,
    /// Type.
    pub kind: FieldType,
    /// Rule (default `single`).
    pub rule: FieldRule,
    /// `required="true"`.
    pub required: bool,
    /// Numeric lower bound (non-string types).
    pub min: Option<i64>,
    /// Numeric upper bound (non-string types).
    pub max: Option<i64>,
    /// Minimum byte length (string types: from `min`).
    pub min_length: Option<u32>,
    /// Maximum byte length (string types: from `max`).
    pub max_length: Option<u32>,
    /// Decimal precision.
    pub precision: Option<u8>,
    /// Decimal scale.
    pub scale: Option<u8>,
    /// Regex without delimiters.
    pub pattern: Option<String>,
    /// Format (`Unknown` when absent).
    pub format: Format,
    /// Raw `<default>` text, trimmed.
    pub default: Option<String>,
    /// `use-type-default` (default true).
    pub use_type_default: bool,
    /// `overridable="true"`.
    pub overridable: bool,
    /// `deprecated="true"`.
    pub deprecated: bool,
    /// `<any-of><curie>` texts.
    pub any_of: Vec<String>,
    /// `<enum id>`.
    pub enum_id: Option<String>,
    /// Identifier class from `<php-options><class-name>`, e.g. `UuidIdentifier` (without `::class`).
    pub identifier_class: Option<String>,
    /// Whether `<php-options><default>` generates the value (e.g. `UuidIdentifier::generate()`).
    pub generated_default: bool,
    /// `<description>` text, trimmed, lines whitespace-collapsed.
    pub description: Option<String>,
    /// Where the `<field>` element is.
    pub location: Location,
}

/// A schema file (one version of one message or mixin).
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaDecl {
    /// The schema id.
    pub id: SchemaId,
    /// `mixin="true"`.
    pub is_mixin: bool,
    /// `deprecated="true"`.
    pub deprecated: bool,
    /// `extends` curie major.
    pub extends: Option<String>,
    /// Direct `<mixins><curie-major>` in order (duplicates removed).
    pub mixins: Vec<String>,
    /// The schema's own `<fields>` in order (same-name duplicates: first position, last definition).
    pub fields: Vec<FieldDecl>,
    /// Whether this file is `latest.xml`.
    pub from_latest_xml: bool,
    /// Where the `<schema>` element is.
    pub location: Location,
}

impl SchemaDecl {
    /// `vendor:package:category:message:vN`.
    pub fn curie_major(&self) -> String {
        self.id.curie_major()
    }
    /// `vendor:package:category:message`.
    pub fn curie(&self) -> String {
        self.id.curie().to_string()
    }
}

/// Every enum and schema of one or more stores, parsed and checked.
#[derive(Debug, Clone, Default)]
pub struct Store {
    /// Enums by id.
    pub enums: BTreeMap<String, EnumDecl>,
    /// Every schema version by id string (`latest.xml` and its version file collapse into one).
    pub schemas: BTreeMap<String, SchemaDecl>,
}

impl Store {
    /// The newest version of each curie major (numeric version order), sorted by curie major.
    pub fn latest(&self) -> Vec<&SchemaDecl> {
        let mut by_major: BTreeMap<String, &SchemaDecl> = BTreeMap::new();
        for s in self.schemas.values() {
            let key = s.curie_major();
            match by_major.get(&key) {
                Some(prev) if prev.id.version() >= s.id.version() => {}
                _ => {
                    by_major.insert(key, s);
                }
            }
        }
        by_major.into_values().collect()
    }

    /// The newest schema of a curie major (`a:b:c:d:v1`), a curie (`a:b:c:d`, any major) or an id.
    pub fn resolve(&self, reference: &str) -> Option<&SchemaDecl> {
        let newest = |pred: &dyn Fn(&SchemaDecl) -> bool| {
            self.schemas
                .values()
                .filter(|s| pred(s))
                .max_by_key(|s| s.id.version())
        };
        newest(&|s| s.curie() == reference)
            .or_else(|| newest(&|s| s.curie_major() == reference))
            .or_else(|| self.schemas.get(reference))
    }

    /// The message's wire fields (without `_schema`): each direct mixin's own fields in
    /// `<mixins>` order, then the message's own fields. A repeated name keeps its first
    /// position and takes the last definition.
    pub fn resolve_fields<'a>(&'a self, schema: &'a SchemaDecl) -> Vec<&'a FieldDecl> {
        let mut out: Vec<&FieldDecl> = Vec::new();
        let mixin_fields = schema
            .mixins
            .iter()
            .filter_map(|m| self.resolve(m))
            .flat_map(|m| m.fields.iter());
        for f in mixin_fields.chain(schema.fields.iter()) {
            match out.iter_mut().find(|e| e.name == f.name) {
                Some(slot) => *slot = f,
                None => out.push(f),
            }
        }
        out
    }

    /// The mixins of a message in both forms (curie major, then curie), as the runtime lists them.
    pub fn mixin_names(&self, schema: &SchemaDecl) -> Vec<String> {
        let mut out = Vec::new();
        for m in &schema.mixins {
            if let Some(target) = self.resolve(m) {
                out.push(target.curie_major());
                out.push(target.curie());
            }
        }
        out
    }
}
