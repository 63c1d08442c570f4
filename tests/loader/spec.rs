//! `connfx-spec` (read by the derive at compile time) and the runtime's config types (read by the
//! loader at boot) must describe the same keys with the same kinds. This test fails when one of
//! them gains, loses or retypes a key without the other. (Bounds live only in the spec; the
//! loader writes them into each type's schema, and the test checks that they arrive.)

use std::collections::BTreeMap;

use connfx::config::Kind;
use connfx::prelude::*;

/// One field per built-in protocol.
#[derive(Connections)]
#[connections(env_prefix = "SPEC")]
pub struct Every {
    /// HTTP.
    #[connection(url = "http://127.0.0.1:1")]
    http: HttpConnection,
    /// SQL.
    #[connection(url = "sqlite::memory:")]
    sql: SqlConnection,
    /// Server-Sent Events.
    #[connection(url = "http://127.0.0.1:1/events")]
    sse: SseConnection,
    /// WebSocket.
    #[connection(url = "ws://127.0.0.1:1/feed")]
    websocket: WebSocketConnection,
}

/// Each field of [`Every`] and its protocol.
const PROTOCOLS: [(&str, &str); 4] = [
    ("http", "http"),
    ("sql", "sql"),
    ("sse", "sse"),
    ("websocket", "websocket"),
];

/// Every leaf key of a spec protocol as `path → (kind, min, max)`.
fn spec_keys(protocol: &connfx_spec::Protocol) -> BTreeMap<String, (Kind, Option<f64>, Option<f64>)> {
    let mut keys = BTreeMap::new();
    for key in protocol.keys {
        keys.insert(key.name.to_owned(), (key.kind, key.min, key.max));
    }
    for group in protocol.groups {
        if group.is_map {
            keys.insert(group.name.to_owned(), (Kind::Map, None, None));
        }
        for key in group.keys {
            keys.insert(
                format!("{}.{}", group.name, key.name),
                (key.kind, key.min, key.max),
            );
        }
    }
    keys
}

/// The same, read from the runtime: env vars give paths and kinds, the schema gives bounds.
fn runtime_keys(field: &str) -> BTreeMap<String, (Kind, Option<f64>, Option<f64>)> {
    let schema = Every::json_schema();
    let mut keys = BTreeMap::new();
    for var in Every::env_vars()
        .into_iter()
        .filter(|v| v.path.starts_with(&format!("{field}.")))
    {
        let path = var.path[field.len() + 1..].to_owned();
        let mut node = &schema["properties"][field];
        for part in path.split('.') {
            node = &node["properties"][part];
        }
        let bound = |name: &str| node.get(name).and_then(serde_json::Value::as_f64);
        let (min, max) = match var.kind {
            Kind::Integer | Kind::Number => (bound("minimum"), bound("maximum")),
            _ => (None, None),
        };
        keys.insert(path, (var.kind, min, max));
    }
    keys
}

#[test]
fn spec_matches_config_types() {
    for (field, protocol) in PROTOCOLS {
        let spec = spec_keys(connfx_spec::protocol(protocol).unwrap());
        let runtime = runtime_keys(field);
        let names = |m: &BTreeMap<String, _>| m.keys().cloned().collect::<Vec<_>>();
        assert_eq!(
            names(&spec),
            names(&runtime),
            "`{protocol}`: keys differ between connfx-spec and the config type"
        );
        for (path, (kind, min, max)) in &spec {
            let (rt_kind, rt_min, rt_max) = runtime[path];
            assert_eq!(*kind, rt_kind, "`{protocol}.{path}`: kind differs");
            if min.is_some() || max.is_some() {
                assert_eq!(
                    (*min, *max),
                    (rt_min, rt_max),
                    "`{protocol}.{path}`: bounds differ"
                );
            }
        }
    }
}

/// A key the spec lists as one of some words is an enumeration of the same words in the schema
/// (the loader checks env and file values against the schema's, the derive against the spec's).
#[test]
fn enumerated_keys_match_the_schema() {
    let schema = Every::json_schema();
    let mut checked = 0;
    for (field, protocol) in PROTOCOLS {
        let protocol = connfx_spec::protocol(protocol).unwrap();
        for group in protocol.groups {
            for key in group.keys {
                let connfx_spec::Text::OneOf(words) = key.text else {
                    continue;
                };
                let node = &schema["properties"][field]["properties"][group.name]["properties"][key.name];
                assert_eq!(
                    node["enum"],
                    serde_json::json!(words),
                    "`{field}.{}.{}`: words differ",
                    group.name,
                    key.name
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 3, "backoff and mode were checked");
}
