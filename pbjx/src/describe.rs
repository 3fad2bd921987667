//! [`Wiring`]: what an exchange does with each message, as [`crate::Pbjx::describe`] returns it.
//!
//! Every command and request with its handler, every subscription with its subscribers, every
//! lifecycle hook with its stage, selector and priority, and the configured services, in the
//! order they run. [`Wiring`] prints as a Markdown table ([`Wiring::to_table`], also its
//! `Display`) and as a Mermaid flowchart ([`Wiring::to_mermaid`]), so a team can review in a
//! pull request what happens when a message is sent.
//!
//! Handlers are named by their Rust type ([`std::any::type_name_of_val`]: a function's path, or
//! for a closure the path of the function that defines it, `blog::build::{{closure}}`) and the
//! place they were registered (`examples/src/bin/blog.rs:112`).

use std::fmt::{self, Write as _};

/// A command or request type and its handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerWire {
    /// The message curie, e.g. `acme:blog:command:publish-article`.
    pub curie: String,
    /// The handler's Rust type name and where it was registered.
    pub handler: String,
}

/// A subscriber of published events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberWire {
    /// What it subscribed to: a curie major, a mixin, `vendor:package:*` or `*`.
    pub selector: String,
    /// Higher priorities run first.
    pub priority: i32,
    /// The subscriber's Rust type name and where it was registered.
    pub handler: String,
}

/// A lifecycle hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookWire {
    /// The stage, e.g. `validate`.
    pub stage: String,
    /// The selector's event name: `gdbots_pbjx.message` (every message), a mixin or a curie.
    pub selector: String,
    /// Higher priorities run first within one selector.
    pub priority: i32,
    /// The hook's Rust type name and where it was registered.
    pub hook: String,
}

/// The wiring of an exchange: see the [module docs](self).
///
/// ```
/// use std::sync::Arc;
/// use pbjx::{Pbjx, Selector};
/// use pbjx::schemas::gdbots::pbjx::command::CheckHealthV1;
/// use pbjx::schemas::gdbots::pbjx::event::HealthCheckedV1;
///
/// let pbjx = Pbjx::builder()
///     .on_validate(Selector::of::<CheckHealthV1>(), |_event| Ok(()))
///     .command(|_cmd: Arc<CheckHealthV1>, _pbjx| async { Ok(()) })
///     .subscribe(|_event: Arc<HealthCheckedV1>, _pbjx| async { Ok(()) })
///     .build()?;
/// let wiring = pbjx.describe();
/// assert_eq!(wiring.commands[0].curie, "gdbots:pbjx:command:check-health");
/// assert_eq!(wiring.subscribers[0].selector, "gdbots:pbjx:event:health-checked:v1");
/// assert_eq!(wiring.hooks[0].stage, "validate");
/// assert!(wiring.to_table().contains("| command | gdbots:pbjx:command:check-health |"));
/// assert!(wiring.to_mermaid().starts_with("flowchart LR"));
/// # Ok::<(), pbjx::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Wiring {
    /// Command handlers, by curie.
    pub commands: Vec<HandlerWire>,
    /// Request handlers, by curie.
    pub requests: Vec<HandlerWire>,
    /// Subscribers, by selector, in the order they run for one selector.
    pub subscribers: Vec<SubscriberWire>,
    /// Hooks, by stage and selector, in the order they run for one selector.
    pub hooks: Vec<HookWire>,
    /// The transport's name, e.g. `in_memory`.
    pub transport: String,
    /// The configured optional services (`event_store`, `event_search`, `scheduler`).
    pub services: Vec<&'static str>,
}

impl Wiring {
    /// Puts every list in its reading order (by name, then run order).
    pub(crate) fn sorted(mut self) -> Self {
        self.commands.sort_by(|a, b| a.curie.cmp(&b.curie));
        self.requests.sort_by(|a, b| a.curie.cmp(&b.curie));
        // Stable sorts: registration order stays the tie-breaker, as when they run.
        self.subscribers
            .sort_by(|a, b| (&a.selector, -a.priority).cmp(&(&b.selector, -b.priority)));
        self.hooks.sort_by(|a, b| {
            (stage_rank(&a.stage), &a.stage, &a.selector, -a.priority).cmp(&(
                stage_rank(&b.stage),
                &b.stage,
                &b.selector,
                -b.priority,
            ))
        });
        self
    }

    /// A Markdown table: one row per handler, subscriber, hook and service.
    pub fn to_table(&self) -> String {
        let mut out = String::from("| kind | message / selector | stage | priority | runs |\n");
        out.push_str("|---|---|---|---:|---|\n");
        let mut row = |kind: &str, name: &str, stage: &str, priority: String, runs: &str| {
            let _ = writeln!(
                out,
                "| {kind} | {} | {stage} | {priority} | {} |",
                cell(name),
                cell(runs)
            );
        };
        for c in &self.commands {
            row("command", &c.curie, "", String::new(), &c.handler);
        }
        for r in &self.requests {
            row("request", &r.curie, "", String::new(), &r.handler);
        }
        for s in &self.subscribers {
            row(
                "subscriber",
                &s.selector,
                "",
                s.priority.to_string(),
                &s.handler,
            );
        }
        for h in &self.hooks {
            row(
                "hook",
                &h.selector,
                &h.stage,
                h.priority.to_string(),
                &h.hook,
            );
        }
        row("transport", "", "", String::new(), &self.transport);
        for service in &self.services {
            row("service", "", "", String::new(), service);
        }
        out
    }

    /// A Mermaid flowchart: messages and selectors on the left, what runs for them on the
    /// right (hooks labelled with their stage and priority).
    pub fn to_mermaid(&self) -> String {
        let mut graph = Graph::default();
        for c in &self.commands {
            graph.edge(&c.curie, "command", &c.handler);
        }
        for r in &self.requests {
            graph.edge(&r.curie, "request", &r.handler);
        }
        for s in &self.subscribers {
            graph.edge(&s.selector, &format!("event ({})", s.priority), &s.handler);
        }
        for h in &self.hooks {
            graph.edge(
                &h.selector,
                &format!("{} ({})", h.stage, h.priority),
                &h.hook,
            );
        }
        graph.render(&self.transport)
    }
}

impl fmt::Display for Wiring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_table())
    }
}

/// The built-in stages first, in lifecycle order; custom stages after them.
fn stage_rank(stage: &str) -> usize {
    const ORDER: [&str; 6] = [
        "bind",
        "validate",
        "enrich",
        "before_handle",
        "after_handle",
        "created",
    ];
    ORDER
        .iter()
        .position(|s| *s == stage)
        .unwrap_or(ORDER.len())
}

/// A Markdown table cell: pipes escaped, generic brackets shown as text.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Nodes (one per distinct label, per side) and labelled edges of the flowchart.
#[derive(Default)]
struct Graph {
    sources: Vec<String>,
    targets: Vec<String>,
    edges: Vec<(usize, String, usize)>,
}

impl Graph {
    fn edge(&mut self, source: &str, label: &str, target: &str) {
        let s = index_of(&mut self.sources, source);
        let t = index_of(&mut self.targets, target);
        self.edges.push((s, label.to_owned(), t));
    }

    fn render(&self, transport: &str) -> String {
        let mut out = String::from("flowchart LR\n");
        let _ = writeln!(out, "    %% transport: {}", mermaid_text(transport));
        for (i, s) in self.sources.iter().enumerate() {
            let _ = writeln!(out, "    m{i}[\"{}\"]", mermaid_text(s));
        }
        for (i, t) in self.targets.iter().enumerate() {
            let _ = writeln!(out, "    h{i}([\"{}\"])", mermaid_text(t));
        }
        for (s, label, t) in &self.edges {
            let _ = writeln!(out, "    m{s} -->|\"{}\"| h{t}", mermaid_text(label));
        }
        out
    }
}

fn index_of(list: &mut Vec<String>, item: &str) -> usize {
    match list.iter().position(|x| x == item) {
        Some(i) => i,
        None => {
            list.push(item.to_owned());
            list.len() - 1
        }
    }
}

/// Text inside a quoted Mermaid label (`"` and `#` are entity-escaped).
fn mermaid_text(text: &str) -> String {
    text.replace('#', "#35;").replace('"', "#quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wiring() -> Wiring {
        Wiring {
            commands: vec![HandlerWire {
                curie: "acme:blog:command:publish-article".into(),
                handler: "blog::build::{{closure}}".into(),
            }],
            requests: vec![],
            subscribers: vec![
                SubscriberWire {
                    selector: "*".into(),
                    priority: 0,
                    handler: "audit".into(),
                },
                SubscriberWire {
                    selector: "*".into(),
                    priority: 5,
                    handler: "first".into(),
                },
            ],
            hooks: vec![
                HookWire {
                    stage: "enrich".into(),
                    selector: "gdbots_pbjx.message".into(),
                    priority: 0,
                    hook: "enrich_all".into(),
                },
                HookWire {
                    stage: "bind".into(),
                    selector: "gdbots:pbjx:mixin:command:v1".into(),
                    priority: 0,
                    hook: "bind \"ua\"".into(),
                },
            ],
            transport: "in_memory".into(),
            services: vec!["event_store"],
        }
        .sorted()
    }

    #[test]
    fn hooks_follow_the_lifecycle_and_subscribers_their_priority() {
        let w = wiring();
        assert_eq!(w.hooks[0].stage, "bind");
        assert_eq!(w.hooks[1].stage, "enrich");
        assert_eq!(w.subscribers[0].handler, "first");
    }

    #[test]
    fn table_has_a_row_per_registration() {
        let table = wiring().to_table();
        assert_eq!(table.lines().count(), 2 + 1 + 2 + 2 + 1 + 1, "{table}");
        assert!(table.contains("| hook | gdbots:pbjx:mixin:command:v1 | bind | 0 | bind \"ua\" |"));
        assert!(table.contains("| service |  |  |  | event_store |"));
    }

    #[test]
    fn mermaid_escapes_quotes_and_shares_nodes() {
        let chart = wiring().to_mermaid();
        assert!(chart.contains("h3([\"bind #quot;ua#quot;\"])"), "{chart}");
        // `*` is one node with two edges.
        assert_eq!(chart.matches("[\"*\"]").count(), 1, "{chart}");
        assert_eq!(chart.matches("m1 -->").count(), 2, "{chart}");
    }
}
