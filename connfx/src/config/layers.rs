//! The values of one connection, leaf by leaf, each with its source. Later sources replace
//! earlier ones key by key; a map-valued key is replaced whole.

use std::collections::BTreeMap;

use connfx_spec::message;
use serde_json::{Map, Value};

use super::leaf::{self, Target};
use super::shape::{Group, Node, Shape, join};
use super::{ConfigIssue, ValueSource};

/// One value and where it came from.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub value: Value,
    pub source: ValueSource,
}

/// The layered values of one connection.
#[derive(Clone, Debug, Default)]
pub(crate) struct FieldLayers {
    /// Leaf path (relative to the connection) → value.
    pub leaves: BTreeMap<String, Entry>,
    /// Groups named by some source (`[payments.retry]`), even with no keys: they switch a policy on.
    pub groups: BTreeMap<String, ValueSource>,
    /// Whether a file or the environment said anything about this connection.
    pub configured: bool,
}

impl FieldLayers {
    /// Sets one checked value, marking its groups as present.
    pub fn set(&mut self, path: String, value: Value, source: ValueSource) {
        if source.is_deployment() {
            self.configured = true;
        }
        let mut prefix = path.as_str();
        while let Some((parent, _)) = prefix.rsplit_once('.') {
            self.groups
                .entry(parent.to_owned())
                .or_insert_with(|| source.clone());
            prefix = parent;
        }
        self.leaves.insert(path, Entry { value, source });
    }

    /// Takes every value of `table` (a connection's table from a file or the defaults), checking
    /// each against `shape`; problems are added to `issues` and the walk carries on.
    pub fn absorb(
        &mut self,
        shape: &Shape,
        field: &str,
        table: &Value,
        source: &ValueSource,
        issues: &mut Vec<ConfigIssue>,
    ) {
        let mut walk = Walk {
            shape,
            field,
            source,
            issues,
            layers: self,
        };
        walk.group(&shape.root, "", table);
    }

    /// The merged values as one JSON tree.
    pub fn assemble(&self) -> Value {
        let mut root = Value::Object(Map::new());
        for path in self.groups.keys() {
            insert(&mut root, path, Value::Object(Map::new()), false);
        }
        for (path, entry) in &self.leaves {
            insert(&mut root, path, entry.value.clone(), true);
        }
        root
    }

    /// The source of `path`, of the value that holds it (a problem inside a map's value, such
    /// as `hosts."a.example".rate_limit.requests`), or of the latest-priority value below it
    /// (for group-level problems).
    pub fn source_of(&self, path: &str) -> ValueSource {
        let holders = path.match_indices('.').map(|(end, _)| &path[..end]);
        if let Some(entry) = holders.chain([path]).find_map(|p| self.leaves.get(p)) {
            return entry.source.clone();
        }
        let below = format!("{path}.");
        self.leaves
            .iter()
            .filter(|(p, _)| path.is_empty() || p.starts_with(&below))
            .map(|(_, e)| &e.source)
            .max_by_key(|s| s.rank())
            .cloned()
            .unwrap_or(ValueSource::Default)
    }
}

fn insert(root: &mut Value, path: &str, value: Value, replace: bool) {
    let mut node = root;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let Value::Object(map) = node else { return };
        if parts.peek().is_none() {
            if replace || !map.contains_key(part) {
                map.insert(part.to_owned(), value);
            }
            return;
        }
        node = map
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

struct Walk<'a> {
    shape: &'a Shape,
    field: &'a str,
    source: &'a ValueSource,
    issues: &'a mut Vec<ConfigIssue>,
    layers: &'a mut FieldLayers,
}

impl Walk<'_> {
    fn group(&mut self, group: &Group, prefix: &str, table: &Value) {
        let Value::Object(map) = table else {
            return self.single_value(group, prefix, table);
        };
        if !prefix.is_empty() {
            self.mark_group(prefix);
        }
        for (key, value) in map {
            let path = join(prefix, key);
            match group.child(key) {
                None => self.issue(&path, message::unknown_key(&group.scope, key, group.names())),
                Some(Node::Group(_)) if value.is_null() => {}
                Some(Node::Group(inner)) => self.group(inner, &path, value),
                Some(Node::Leaf(_)) if value.is_null() => {}
                Some(Node::Leaf(leaf)) => {
                    let target = Target {
                        key,
                        leaf,
                        shape: self.shape,
                    };
                    match self.check(&target, value) {
                        Ok(value) => self.layers.set(path, value, self.source.clone()),
                        Err(message) => self.issue(&path, message),
                    }
                }
            }
        }
    }

    /// A group given one value: its shorthand key's value (`timeout = "1s"`, checked and named
    /// as `timeout`), else a problem worded in the syntax of the source.
    fn single_value(&mut self, group: &Group, prefix: &str, value: &Value) {
        let name = match prefix.rsplit('.').next() {
            Some(key) if !prefix.is_empty() => key,
            _ => self.field,
        };
        let shorthand = group.shorthand.as_deref().and_then(|key| match group.child(key) {
            Some(Node::Leaf(leaf)) => Some((key, leaf)),
            _ => None,
        });
        let Some((key, leaf)) = shorthand else {
            let first = example_key(self.shape.protocol, name, group);
            let message = message::group_needs_keys(name, first, self.source.syntax());
            return self.issue(prefix, message);
        };
        let target = Target {
            key: name,
            leaf,
            shape: self.shape,
        };
        match self.check(&target, value) {
            Ok(value) => self.layers.set(join(prefix, key), value, self.source.clone()),
            Err(message) => self.issue(prefix, message),
        }
    }

    /// One value, checked as its source's values are.
    fn check(&self, target: &Target<'_>, value: &Value) -> Result<Value, String> {
        match self.source {
            ValueSource::Layer { .. } => leaf::from_foreign(target, value),
            _ => leaf::from_value(target, value),
        }
    }

    fn mark_group(&mut self, path: &str) {
        if self.source.is_deployment() {
            self.layers.configured = true;
        }
        self.layers.groups.insert(path.to_owned(), self.source.clone());
    }

    fn issue(&mut self, path: &str, message: String) {
        self.issues.push(ConfigIssue::new(
            join(self.field, path),
            self.source.clone(),
            message,
        ));
    }
}

/// The key a message shows as an example of `group`'s: its first in the declaration (as the
/// derive shows it), not counting the `enabled` switch; else its first by name.
fn example_key<'a>(protocol: &str, name: &str, group: &'a Group) -> &'a str {
    let declared = connfx_spec::protocol(protocol)
        .and_then(|p| p.group(name))
        .and_then(|g| g.keys.iter().find(|key| Some(key.name) != g.switch));
    let by_name = || {
        group.children.iter().find_map(|(key, node)| match node {
            Node::Leaf(leaf) if !leaf.switch => Some(key.as_str()),
            _ => None,
        })
    };
    let key = declared.and_then(|key| group.names().find(|n| *n == key.name));
    key.or_else(by_name).unwrap_or_default()
}
