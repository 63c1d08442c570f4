//! What a new configuration changes: key by key, with how each change applies. The one
//! comparison behind `conns.reload` and the CLI's `plan`.

use serde_json::Value;

use super::{Applied, Change};
use crate::config::ConfigIssue;
use crate::config::ValueSource;
use crate::config::descriptor::SetDescriptor;
use crate::config::layers::FieldLayers;
use crate::config::shape::{SETTINGS, Shape, join};

/// The changes between two loads of a set, and the ones no reload can apply.
#[derive(Debug, Default)]
pub(crate) struct Planned {
    /// Each change with the index of its field.
    pub changes: Vec<(usize, Change)>,
    /// Changes that need a restart, as problems of the new configuration.
    pub refused: Vec<ConfigIssue>,
}

/// Compares `old` and `new`, the set's configurations as its config type serializes them;
/// `layers` are the new load's sources, to say where a refused value came from.
pub(crate) fn changes(set: &SetDescriptor, old: &Value, new: &Value, layers: &[FieldLayers]) -> Planned {
    let mut planned = Planned::default();
    for (index, field) in set.fields.iter().enumerate() {
        let connection = Compared {
            name: field.name,
            shape: (field.shape)(),
            applies: field.applies,
        };
        let source = |path: &str| source_of(layers.get(index), path);
        let (changes, refused) = connection.changes(&field.value_in(old), &field.value_in(new), &source);
        planned
            .changes
            .extend(changes.into_iter().map(|change| (index, change)));
        planned.refused.extend(refused);
    }
    planned
}

/// One connection's configuration compared: its name, its key tree and how its protocol
/// applies a change of each key.
pub(crate) struct Compared<'a> {
    pub name: &'a str,
    pub shape: &'a Shape,
    pub applies: fn(&str) -> Option<Applied>,
}

impl Compared<'_> {
    /// The changes from `old` to `new` (`Null`: no such connection), and the refused ones,
    /// each refusal blamed on the `source` of its key.
    pub(crate) fn changes(
        &self,
        old: &Value,
        new: &Value,
        source: &dyn Fn(&str) -> ValueSource,
    ) -> (Vec<Change>, Vec<ConfigIssue>) {
        let (mut changes, mut refused) = (Vec::new(), Vec::new());
        if old == new {
            return (changes, refused);
        }
        if old.is_null() || new.is_null() {
            let (verb, path) = if old.is_null() {
                ("added", "url")
            } else {
                ("removed", "")
            };
            refused.push(ConfigIssue::new(
                self.name,
                source(path),
                format!("a connection cannot be {verb} on a running service: restart it to apply this"),
            ));
            return (changes, refused);
        }
        for (path, leaf) in self.shape.root.leaves() {
            let (before, after) = (at(old, &path), at(new, &path));
            if before == after {
                continue;
            }
            let full = join(self.name, &path);
            match (self.applies)(&path) {
                Some(applied) => changes.push(Change {
                    path: full,
                    old: leaf.shown(before),
                    new: leaf.shown(after),
                    applied,
                }),
                None => refused.push(ConfigIssue::new(full, source(&path), self.refusal(&path))),
            }
        }
        (changes, refused)
    }

    fn refusal(&self, path: &str) -> String {
        match self.shape.protocol {
            SETTINGS => format!("setting `{path}` is read once, at start: restart the service to apply this"),
            protocol => format!(
                "a running {protocol} connection cannot change `{path}`: restart the service to apply this"
            ),
        }
    }
}

/// How a reload from `old` to `new` applies to a connection of type `T`: reconnected when one
/// changed key needs it, else live. For a connection that reconnects only when it must.
#[cfg(any(feature = "websocket", feature = "sql", feature = "redis"))]
pub(crate) fn applied<T: crate::Connection>(old: &T::Config, new: &T::Config) -> Applied {
    let (Ok(old), Ok(new)) = (serde_json::to_value(old), serde_json::to_value(new)) else {
        // Settings that do not serialize cannot be compared: rebuild, the safe way.
        return Applied::Reconnected;
    };
    let compared = Compared {
        name: "",
        shape: crate::config::shape::shape_of::<T>(),
        applies: T::reload_applies,
    };
    let (changes, _) = compared.changes(&old, &new, &|_| ValueSource::Default);
    match changes.iter().any(|c| c.applied == Applied::Reconnected) {
        true => Applied::Reconnected,
        false => Applied::Live,
    }
}

/// The value at a dotted `path` below `value` (`Null` where a group is absent).
fn at<'a>(value: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .try_fold(value, |v, key| v.get(key))
        .unwrap_or(&Value::Null)
}

/// Where the new load took the value at `path` (or its group) from.
pub(super) fn source_of(layers: Option<&FieldLayers>, path: &str) -> ValueSource {
    let Some(layers) = layers else {
        return ValueSource::Default;
    };
    if let Some(entry) = layers.leaves.get(path) {
        return entry.source.clone();
    }
    let mut group = path;
    while let Some((parent, _)) = group.rsplit_once('.') {
        if let Some(source) = layers.groups.get(parent) {
            return source.clone();
        }
        group = parent;
    }
    // A removed key, or a whole connection: the first source a deployment gave it.
    layers
        .leaves
        .values()
        .map(|e| &e.source)
        .find(|s| s.is_deployment())
        .cloned()
        .unwrap_or(ValueSource::Default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_reads_nested_values_and_missing_groups_are_null() {
        let value = serde_json::json!({"retry": {"max_attempts": 3}, "breaker": null});
        assert_eq!(at(&value, "retry.max_attempts"), &Value::from(3));
        assert_eq!(at(&value, "breaker.failure_threshold"), &Value::Null);
        assert_eq!(at(&value, "nothing"), &Value::Null);
    }

    #[test]
    fn a_value_from_the_environment_is_named_as_its_source() {
        let mut layers = FieldLayers::default();
        let env = ValueSource::Env("APP_API_URL".into());
        layers.set("url".into(), Value::from("http://x"), env.clone());
        assert_eq!(source_of(Some(&layers), "url"), env);
        assert_eq!(source_of(Some(&layers), "retry.max_attempts"), env);
        assert_eq!(source_of(None, "url"), ValueSource::Default);
    }

    #[test]
    fn applied_reads_as_the_cli_prints_it() {
        assert_eq!(Applied::Live.to_string(), "live");
        assert_eq!(Applied::Reconnected.to_string(), "reconnect");
    }
}
