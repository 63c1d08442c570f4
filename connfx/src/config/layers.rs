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
        if source != ValueSource::Default {
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

    /// The source of `path`, or of the latest-priority value below it (for group-level problems).
    pub fn source_of(&self, path: &str) -> ValueSource {
        if let Some(entry) = self.leaves.get(path) {
            return entry.source.clone();
        }
        let below = format!("{path}.");
        let rank = |s: &ValueSource| match s {
            ValueSource::Default => 0,
            ValueSource::File(_) => 1,
            ValueSource::Env(_) => 2,
        };
        self.leaves
            .iter()
            .filter(|(p, _)| path.is_empty() || p.starts_with(&below))
            .map(|(_, e)| &e.source)
            .max_by_key(|s| rank(s))
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
            let key = prefix.rsplit('.').next().unwrap_or(self.field);
            return self.issue(
                prefix,
                message::group_needs_keys(if prefix.is_empty() { self.field } else { key }),
            );
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
                    match leaf::from_value(&target, value) {
                        Ok(value) => self.layers.set(path, value, self.source.clone()),
                        Err(message) => self.issue(&path, message),
                    }
                }
            }
        }
    }

    fn mark_group(&mut self, path: &str) {
        if *self.source != ValueSource::Default {
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
