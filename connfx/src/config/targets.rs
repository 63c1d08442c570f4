//! The loader's pieces the dynamic registry reads its targets with: files, property variables
//! checked as the environment is, nested paths. A target is then checked by [`super::check`].

use std::path::Path;

use connfx_spec::env::env_key;
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

/// `RETRY_MAX_ATTEMPTS` + `"3"` → (`retry.max_attempts`, `3`), checked as the environment is.
pub(crate) fn env_leaf(shape: &Shape, suffix: &str, raw: &str) -> Result<(String, Value), String> {
    let leaves = shape.root.leaves();
    let wanted = suffix.to_ascii_uppercase();
    let Some((path, leaf)) = leaves.iter().find(|(path, _)| env_key(path) == wanted) else {
        let names: Vec<String> = leaves.iter().map(|(p, _)| env_key(p)).collect();
        return Err(connfx_spec::message::unknown_key(
            shape.protocol,
            &wanted,
            names.iter().map(String::as_str),
        ));
    };
    let key = path.rsplit('.').next().unwrap_or(path);
    leaf::from_env(&Target { key, leaf, shape }, raw).map(|v| (path.clone(), v))
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
