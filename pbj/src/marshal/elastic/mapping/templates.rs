//! Dynamic templates in the original's order, composed by reference.
//!
//! The original adds a template whenever it reaches a map field and keeps them by name: a name
//! added again keeps its first position and takes the new value. Here a subtree's templates
//! ([`Templates`]) are a list of parts, its own map fields and the (shared) templates of the
//! subtrees below it under a path prefix, so composing them costs the number of parts. The
//! order and values of the original come out of [`Flat`], which replays the parts; replaying
//! a shared set again under the same prefix is skipped while none of the names it holds was
//! given another value since (replaying it would change nothing), so the work is
//! proportional to the templates written.

use std::collections::HashMap;
use std::rc::Rc;

use super::tree::Node;
use crate::marshal::write_json_str;

/// The templates of one subtree, paths relative to its root.
#[derive(Debug, Default)]
pub(super) struct Templates {
    parts: Vec<Part>,
}

#[derive(Debug)]
enum Part {
    /// A map field's template.
    One { path: String, mapping: Node },
    /// Another subtree's templates under `prefix` (`""`: as they are).
    Sub { prefix: String, set: Rc<Templates> },
}

impl Templates {
    /// Adds the template of the map field at `path`.
    pub(super) fn add(&mut self, path: &str, mapping: Node) {
        self.parts.push(Part::One {
            path: path.to_owned(),
            mapping,
        });
    }

    /// Adds `set`'s templates under `prefix` (`""`: as they are).
    pub(super) fn extend(&mut self, set: &Rc<Templates>, prefix: &str) {
        if !set.is_empty() {
            self.parts.push(Part::Sub {
                prefix: prefix.to_owned(),
                set: set.clone(),
            });
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The templates as the original lists them.
    pub(super) fn flatten(&self) -> Flat {
        let mut flat = Flat::default();
        flat.apply_parts(&self.parts, "");
        flat
    }
}

/// Templates by name in the original's order: `(name, path, mapping)`.
#[derive(Default)]
pub(super) struct Flat {
    pub(super) entries: Vec<(String, String, Node)>,
    index: HashMap<String, usize>,
    /// Sets replayed under a prefix whose names all still hold the values they gave, with the
    /// start of the names they hold (`<prefix words>_`).
    applied: HashMap<(*const Templates, String), String>,
}

fn join(prefix: &str, path: &str) -> String {
    match (prefix, path) {
        ("", path) => path.to_owned(),
        (prefix, "") => prefix.to_owned(),
        (prefix, path) => format!("{prefix}.{path}"),
    }
}

impl Flat {
    fn apply_parts(&mut self, parts: &[Part], prefix: &str) {
        for part in parts {
            match part {
                Part::One { path, mapping } => self.add(join(prefix, path), mapping),
                Part::Sub { prefix: p, set } => self.apply(set, &join(prefix, p)),
            }
        }
    }

    fn apply(&mut self, set: &Rc<Templates>, prefix: &str) {
        let id = (Rc::as_ptr(set), prefix.to_owned());
        if self.applied.contains_key(&id) {
            return;
        }
        self.apply_parts(&set.parts, prefix);
        // The name of `<prefix>.<path>` starts with the name words of the prefix.
        let name = super::template_name(prefix);
        let words = name.strip_suffix("template").unwrap_or_default().to_owned();
        self.applied.insert(id, words);
    }

    fn add(&mut self, path: String, mapping: &Node) {
        let name = super::template_name(&path);
        match self.index.get(&name) {
            Some(&i) => {
                let (_, old_path, old) = &self.entries[i];
                if *old_path != path || old != mapping {
                    self.forget_sets_holding(&name);
                    self.entries[i] = (name, path, mapping.clone());
                }
            }
            None => {
                self.index.insert(name.clone(), self.entries.len());
                self.entries.push((name, path, mapping.clone()));
            }
        }
    }

    /// A name changed value: sets that could hold it must be replayed again.
    fn forget_sets_holding(&mut self, name: &str) {
        self.applied
            .retain(|_, start| start.len() > 1 && !name.starts_with(start.as_str()));
    }

    /// `[{"<name>": {"path_match": "<path>.*", "mapping": ...}}, ...]`.
    pub(super) fn write(&self, out: &mut String) {
        out.push('[');
        for (i, (name, path, mapping)) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('{');
            write_json_str(out, name);
            out.push_str(":{\"path_match\":");
            write_json_str(out, path);
            // `"<path>.*"`: the closing quote moves after the suffix.
            out.pop();
            out.push_str(".*\",\"mapping\":");
            mapping.write(out);
            out.push_str("}}");
        }
        out.push(']');
    }
}
