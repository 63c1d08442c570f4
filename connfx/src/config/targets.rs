//! The loader's checks, offered to the dynamic registry so a target is checked by the same rules
//! and in the same words as a derived struct's connection.

use std::path::Path;

use connfx_spec::env::env_key;
use serde_json::{Map, Value};

use super::layers::FieldLayers;
use super::leaf::{self, Target};
use super::shape::Shape;
use super::{ConfigIssue, ValueSource, file};

/// The shape of a built-in protocol's config.
pub(crate) fn builtin_shape(protocol: &str) -> Option<&'static Shape> {
    #[allow(unused_imports)] // with no protocol feature on, no arm uses it
    use super::shape::shape_of;
    match protocol {
        #[cfg(feature = "http")]
        "http" => Some(shape_of::<crate::HttpConnection>()),
        #[cfg(feature = "graphql")]
        "graphql" => Some(shape_of::<crate::GraphqlConnection>()),
        #[cfg(feature = "redis")]
        "redis" => Some(shape_of::<crate::RedisConnection>()),
        #[cfg(feature = "sql")]
        "sql" => Some(shape_of::<crate::SqlConnection>()),
        #[cfg(feature = "otlp")]
        "otlp" => Some(shape_of::<crate::OtlpConnection>()),
        #[cfg(feature = "sse")]
        "sse" => Some(shape_of::<crate::SseConnection>()),
        #[cfg(feature = "websocket")]
        "websocket" => Some(shape_of::<crate::WebSocketConnection>()),
        _ => None,
    }
}

/// Checks one protocol table (unknown keys, kinds, bounds, required keys), naming `path`.
pub(crate) fn check_table(
    shape: &Shape,
    path: &str,
    table: &Value,
    source: &ValueSource,
    issues: &mut Vec<ConfigIssue>,
) {
    let mut layers = FieldLayers::default();
    layers.absorb(shape, path, table, source, issues);
    for name in &shape.root.required {
        if !layers.leaves.contains_key(name) {
            let message = format!("`{name}` has no value");
            issues.push(ConfigIssue::new(
                format!("{path}.{name}"),
                source.clone(),
                message,
            ));
        }
    }
}

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
