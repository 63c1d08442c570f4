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
    /// GraphQL.
    #[connection(url = "http://127.0.0.1:1/graphql")]
    graphql: GraphqlConnection,
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

/// The protocols behind optional features, one struct each.
#[cfg(feature = "redis")]
#[derive(Connections)]
#[connections(env_prefix = "SPEC_REDIS")]
pub struct EveryRedis {
    /// Redis.
    #[connection(url = "redis://127.0.0.1:1")]
    redis: RedisConnection,
}

/// OTLP, behind its feature.
#[cfg(feature = "otlp")]
#[derive(Connections)]
#[connections(env_prefix = "SPEC_OTLP")]
pub struct EveryOtlp {
    /// OTLP.
    #[connection(url = "http://127.0.0.1:4318")]
    otlp: OtlpConnection,
}

/// `(protocol, (schema, env vars))` of every protocol, each read from a struct with a field
/// named after it.
fn cases() -> Vec<(&'static str, (serde_json::Value, Vec<connfx::EnvVar>))> {
    let every = (Every::json_schema(), Every::env_vars());
    #[allow(unused_mut)] // without optional protocols
    let mut cases = vec![
        ("http", every.clone()),
        ("graphql", every.clone()),
        ("sse", every.clone()),
        ("websocket", every.clone()),
        ("sql", every),
    ];
    #[cfg(feature = "redis")]
    cases.push(("redis", (EveryRedis::json_schema(), EveryRedis::env_vars())));
    #[cfg(feature = "otlp")]
    cases.push(("otlp", (EveryOtlp::json_schema(), EveryOtlp::env_vars())));
    cases
}

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
        for nested in group.nested {
            for key in nested.keys {
                keys.insert(
                    format!("{}.{}.{}", group.name, nested.name, key.name),
                    (key.kind, key.min, key.max),
                );
            }
        }
    }
    keys
}

/// The same, read from the runtime: env vars give paths and kinds, the schema gives bounds.
fn runtime_keys(
    field: &str,
    schema: &serde_json::Value,
    vars: Vec<connfx::EnvVar>,
) -> BTreeMap<String, (Kind, Option<f64>, Option<f64>)> {
    let mut keys = BTreeMap::new();
    for var in vars
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
    for (protocol, (schema, vars)) in cases() {
        let field = protocol;
        let spec = spec_keys(connfx_spec::protocol(protocol).unwrap());
        let runtime = runtime_keys(field, &schema, vars);
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
    let mut checked = 0;
    for (field, (schema, _)) in cases() {
        let protocol = connfx_spec::protocol(field).unwrap();
        let top = protocol.keys.iter().map(|key| (None, key));
        let grouped = protocol
            .groups
            .iter()
            .flat_map(|group| group.keys.iter().map(move |key| (Some(group.name), key)));
        for (group, key) in top.chain(grouped) {
            let connfx_spec::Text::OneOf(words) = key.text else {
                continue;
            };
            let mut node = &schema["properties"][field];
            if let Some(group) = group {
                node = &node["properties"][group];
            }
            let node = &node["properties"][key.name];
            assert_eq!(
                node["enum"],
                serde_json::json!(words),
                "`{field}.{}`: words differ",
                key.name
            );
            checked += 1;
        }
    }
    assert!(checked >= 3, "backoff and mode were checked");
}
