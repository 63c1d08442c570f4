//! The loader's pieces the dynamic registry reads its targets with: files, property variables
//! checked as the environment is, nested paths. A target is then checked by [`super::check`].

use std::path::Path;

use serde_json::{Map, Value};

use super::leaf::{self, Target};
use super::shape::Shape;
use super::{ConfigIssue, ValueSource, file};

/// Reads a file as a table, recording a problem instead of failing.
pub(crate) fn read_file(
    path: &Path,
    required: bool,
    source: &ValueSource,
    issues: &mut Vec<ConfigIssue>,
) -> Option<Map<String, Value>> {
    match file::read(path, required) {
        Ok(Some(Value::Object(table))) => Some(table),
        Ok(_) => None,
        Err(message) => {
            issues.push(ConfigIssue::new("", source.clone(), message));
            None
        }
    }
}

/// The value of key `path` (`retry.max_attempts`) of `shape` read from a variable's text
/// (`"3"`), checked as the environment is.
///
/// # Errors
/// What is wrong with the text; `None` as the error when `shape` has no such key.
pub(crate) fn env_value(shape: &Shape, path: &str, raw: &str) -> Option<Result<Value, String>> {
    let leaves = shape.root.leaves();
    let (_, leaf) = leaves.iter().find(|(p, _)| p == path)?;
    let key = path.rsplit('.').next().unwrap_or(path);
    Some(leaf::from_env(&Target { key, leaf, shape }, raw))
}

/// Sets `a.b.c` in a nested map, creating tables on the way.
pub(crate) fn insert_path(map: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            map.insert(path.to_owned(), value);
        }
        Some((head, rest)) => {
            let inner = map
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !inner.is_object() {
                *inner = Value::Object(Map::new());
            }
            if let Value::Object(inner) = inner {
                insert_path(inner, rest, value);
            }
        }
    }
}
