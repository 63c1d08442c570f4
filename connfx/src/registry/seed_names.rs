//! The property names of ajan's connfx (the seed `docs/migrating-from-ajan-connfx.md` is about),
//! mapped onto connfx's keys, so a registry target written for it — `CONN_TARGETS_<NAME>_…`
//! variables or a file's `properties` — loads with the meaning its documents give it.
//!
//! | ajan property | connfx key |
//! |---|---|
//! | `retry_strategy.<key>` (`RETRY_STRATEGY_<KEY>`) | `retry.<key>` |
//! | `retry_strategy.random_factor` | `retry.jitter` (both a ± fraction of the delay) |
//! | `server_error_threshold` | `circuit_breaker.server_error_threshold` |
//! | `timeout` (a duration) | `timeout.total` (connfx's own shorthand, as everywhere) |
//! | `max_connections` (HTTP) | `bulkhead.max_concurrent` |
//! | `max_active`, `idle_timeout` (Redis) | `pool.max_size`, `pool.idle_timeout` |
//! | `max_open_connections`, `connection_max_lifetime` (SQL) | `pool.max_size`, `pool.max_lifetime` |
//! | `max_idle` (Redis), `max_idle_connections` (SQL) | no counterpart: accepted, a warning is logged |
//! | `"service.namespace"` and any other dotted name (OTLP) | `resource."service.namespace"` |
//! | `insecure`, `protocol` (OTLP) | the collector URL's scheme and `transport` (below) |
//!
//! `circuit_breaker.<key>` and the OTLP keys (`service_name`, `export_interval`, `batch_size`,
//! `sample_ratio` …) are connfx's names already. An OTLP target's `dsn` (or `url`) written
//! `host:port` gets the scheme `https` when `tls` is true or `insecure` false, `http` otherwise
//! (ajan's default was insecure); and, unless `transport` is set, its transport is `grpc` when
//! the `protocol` property says `grpc` or the port (of an address or a URL) is 4317, `http`
//! otherwise.

use serde_json::{Map, Value};

use crate::config::insert_path;
use crate::config::shape::{Group, Node, Shape, join};

/// Seed groups whose keys are connfx's keys of another group.
const GROUPS: &[(&str, &str)] = &[("retry_strategy", "retry")];

/// Seed keys (dotted paths) that are another connfx key.
const KEYS: &[(&str, &str)] = &[
    ("retry_strategy.random_factor", "retry.jitter"),
    ("server_error_threshold", "circuit_breaker.server_error_threshold"),
    ("max_connections", "bulkhead.max_concurrent"),
    ("max_active", "pool.max_size"),
    ("idle_timeout", "pool.idle_timeout"),
    ("max_open_connections", "pool.max_size"),
    ("connection_max_lifetime", "pool.max_lifetime"),
];

/// Seed keys with no connfx counterpart, and why.
const NO_EFFECT: &[(&str, &str)] = &[
    (
        "max_idle",
        "Redis connections are multiplexed: `pool.max_size` of them stay open, none idles",
    ),
    (
        "max_idle_connections",
        "the SQL pool keeps idle connections until `pool.idle_timeout`; `pool.min_idle` keeps a floor",
    ),
];

/// OTLP keys read with the collector's address, then dropped.
const ENDPOINT: &[&str] = &["insecure", "protocol"];

/// The gRPC port of OTLP (4318 is http/protobuf's).
const OTLP_GRPC_PORT: u16 = 4317;

/// What a property variable's name (after `_PROPERTIES_`) stands for.
#[derive(Debug, PartialEq)]
pub(super) enum Property {
    /// A connfx key, by dotted path.
    Key(String),
    /// A seed key kept under its own (lower-case) name until the target is resolved.
    Kept(&'static str),
}

/// The key `property` (upper case, as in `RETRY_STRATEGY_RANDOM_FACTOR`) names for `shape`'s
/// protocol: a connfx key under its own name or a seed name, or a seed key the target reads.
pub(super) fn property(shape: &Shape, property: &str) -> Option<Property> {
    let wanted = property.to_ascii_uppercase();
    let leaves = shape.root.leaves();
    let leaf = |env: &str| {
        leaves
            .iter()
            .find(|(path, _)| connfx_spec::env::env_key(path) == env)
            .map(|(path, _)| Property::Key(path.clone()))
    };
    if let Some(found) = leaf(&wanted) {
        return Some(found);
    }
    let shorthands = shape.root.shorthands();
    if let Some((_, key)) = shorthands
        .iter()
        .find(|(group, _)| connfx_spec::env::env_key(group) == wanted)
    {
        return Some(Property::Key(key.clone()));
    }
    for (seed, ours) in KEYS {
        if connfx_spec::env::env_key(seed) == wanted && has_leaf(shape, ours) {
            return Some(Property::Key((*ours).to_owned()));
        }
    }
    for (seed, ours) in GROUPS {
        let seed = format!("{}_", connfx_spec::env::env_key(seed));
        if let Some(rest) = wanted.strip_prefix(&seed)
            && let Some(found) = leaf(&format!("{}_{rest}", connfx_spec::env::env_key(ours)))
        {
            return Some(found);
        }
    }
    kept(shape, &wanted.to_ascii_lowercase()).map(Property::Kept)
}

/// Every name [`property`] takes for `shape`, upper case: for "did you mean".
pub(super) fn property_names(shape: &Shape) -> Vec<String> {
    let env = connfx_spec::env::env_key;
    let mut names: Vec<String> = shape.root.leaves().iter().map(|(p, _)| env(p)).collect();
    names.extend(shape.root.shorthands().iter().map(|(group, _)| env(group)));
    names.extend(
        KEYS.iter()
            .filter(|(_, ours)| has_leaf(shape, ours))
            .map(|(s, _)| env(s)),
    );
    for (seed, ours) in GROUPS {
        let prefix = format!("{ours}.");
        let inner = shape
            .root
            .leaves()
            .into_iter()
            .filter(|(p, _)| p.starts_with(&prefix));
        names.extend(inner.map(|(p, _)| env(&format!("{seed}.{}", &p[prefix.len()..]))));
    }
    let kept = NO_EFFECT.iter().map(|(k, _)| *k).chain(ENDPOINT.iter().copied());
    names.extend(kept.filter_map(|k| self::kept(shape, k)).map(env));
    names
}

/// A seed key the target keeps under its own name: one with no effect, or (OTLP) one read with
/// the collector's address.
fn kept(shape: &Shape, key: &str) -> Option<&'static str> {
    let no_effect = NO_EFFECT.iter().map(|(k, _)| *k).find(|k| *k == key);
    let endpoint = ENDPOINT.iter().copied().find(|k| *k == key);
    no_effect.or(endpoint.filter(|_| shape.protocol == "otlp"))
}

fn has_leaf(shape: &Shape, path: &str) -> bool {
    find(&shape.root, path).is_some_and(|node| matches!(node, Node::Leaf(_)))
}

fn find<'a>(group: &'a Group, path: &str) -> Option<&'a Node> {
    match path.split_once('.') {
        None => group.child(path),
        Some((head, rest)) => match group.child(head)? {
            Node::Group(inner) => find(inner, rest),
            Node::Leaf(_) => None,
        },
    }
}

/// A target's properties in connfx's shape: seed keys renamed (see the module docs), connfx
/// keys and unknown keys left as they are (the checks report the unknown ones as written), keys
/// with no effect dropped and returned, with why.
pub(super) fn properties(
    shape: &Shape,
    table: Map<String, Value>,
) -> (Map<String, Value>, Vec<(String, &'static str)>) {
    let mut out = Map::new();
    let mut dropped = Vec::new();
    for (key, value) in table {
        let lower = key.to_ascii_lowercase();
        if let Some((_, why)) = NO_EFFECT.iter().find(|(k, _)| *k == lower) {
            dropped.push((key, *why));
            continue;
        }
        if shape.protocol == "otlp" && ENDPOINT.contains(&lower.as_str()) {
            continue;
        }
        // A connfx key stays as it is, but a group's shorthand (`timeout = "30s"`) is written
        // out as the key it stands for, so the target's table deserializes as it is.
        match shape.root.child(&key) {
            Some(Node::Group(Group {
                shorthand: Some(short),
                ..
            })) if !value.is_object() => {
                insert_path(&mut out, &join(&key, short), value);
            }
            Some(_) => merge(&mut out, &key, value),
            None => rename(shape, &mut out, key, value),
        }
    }
    (out, dropped)
}

/// A seed key (or an unknown one) placed where connfx reads it.
fn rename(shape: &Shape, out: &mut Map<String, Value>, key: String, value: Value) {
    let lower = key.to_ascii_lowercase();
    if let Some((_, ours)) = KEYS
        .iter()
        .find(|(seed, ours)| *seed == lower && has_leaf(shape, ours))
    {
        return insert_path(out, ours, value);
    }
    if let (Some((seed, ours)), Value::Object(inner)) = (GROUPS.iter().find(|(s, _)| *s == lower), &value) {
        for (inner_key, inner_value) in inner {
            let seed_path = join(seed, &inner_key.to_ascii_lowercase());
            let path = KEYS
                .iter()
                .find(|(s, _)| *s == seed_path)
                .map_or_else(|| join(ours, inner_key), |(_, o)| (*o).to_owned());
            insert_path(out, &path, inner_value.clone());
        }
        return;
    }
    // A dotted name is a resource attribute (`"service.namespace" = "ecommerce"`).
    if key.contains('.') && matches!(shape.root.child("resource"), Some(Node::Leaf(_))) {
        let resource = out.entry("resource").or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(resource) = resource {
            resource.insert(key, value);
        }
        return;
    }
    merge(out, &key, value);
}

/// Sets `key` to `value`, merging tables key by key (a group given both ways: `retry` and
/// `retry_strategy`).
fn merge(out: &mut Map<String, Value>, key: &str, value: Value) {
    match (out.get_mut(key), value) {
        (Some(Value::Object(existing)), Value::Object(more)) => existing.extend(more),
        (_, value) => {
            out.insert(key.to_owned(), value);
        }
    }
}

/// A target's table (every source merged, or one source's part of it) in connfx's terms: an OTLP
/// collector's address made a URL (`endpoint` holds what every source said about it) and the
/// properties renamed ([`properties`]). Gives back the keys dropped for having no effect, with why.
///
/// # Errors
/// What is wrong with the OTLP address settings.
pub(super) fn resolve(
    shape: &Shape,
    endpoint: &Endpoint,
    table: &mut Map<String, Value>,
) -> Result<Vec<(String, &'static str)>, String> {
    if shape.protocol == "otlp" {
        endpoint.apply(table)?;
    }
    let Some(Value::Object(properties)) = table.remove("properties") else {
        return Ok(Vec::new());
    };
    let (properties, dropped) = self::properties(shape, properties);
    table.insert("properties".into(), Value::Object(properties));
    Ok(dropped)
}

/// What an OTLP target says about its collector's address, from every source merged.
#[derive(Clone, Debug, Default)]
pub(super) struct Endpoint {
    /// The target's `tls`.
    pub tls: Option<bool>,
    /// The `insecure` property.
    pub insecure: Option<Value>,
    /// The `protocol` property (`grpc`, `http/protobuf`).
    pub protocol: Option<Value>,
    /// Whether the properties set `transport` themselves.
    pub has_transport: bool,
}

impl Endpoint {
    /// The endpoint facts of a target's merged table.
    pub fn of(table: &Map<String, Value>) -> Self {
        let properties = table.get("properties").and_then(Value::as_object);
        let property = |key: &str| properties.and_then(|p| p.get(key)).cloned();
        Endpoint {
            tls: table.get("tls").and_then(Value::as_bool),
            insecure: property("insecure"),
            protocol: property("protocol"),
            has_transport: property("transport").is_some(),
        }
    }

    /// `insecure` as a boolean (`true`, `false`, or the environment's `"true"`/`"1"`…).
    fn insecure(&self) -> Result<Option<bool>, String> {
        match &self.insecure {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => connfx_spec::check::boolean(s)
                .map(Some)
                .map_err(|e| format!("`insecure`: {e}")),
            Some(_) => Err("`insecure` must be `true` or `false`".to_owned()),
        }
    }

    /// The transport the `protocol` property names, if it names one.
    fn transport(&self) -> Result<Option<&'static str>, String> {
        match self
            .protocol
            .as_ref()
            .map(|v| v.as_str().map(str::to_ascii_lowercase))
        {
            None => Ok(None),
            Some(Some(p)) if p == "grpc" => Ok(Some("grpc")),
            Some(Some(p)) if matches!(p.as_str(), "http" | "http/protobuf") => Ok(Some("http")),
            Some(_) => Err("`protocol` must be `grpc` or `http/protobuf`".to_owned()),
        }
    }

    /// Rewrites `url`/`dsn` of `table` (a target's merged table or one source's part of it)
    /// written `host:port` into a URL, and sets `properties.transport` where it follows from the
    /// `protocol` property or the port. A full URL is kept; `insecure` must not contradict it.
    ///
    /// # Errors
    /// A contradiction or a bad value, in words naming the keys.
    pub fn apply(&self, table: &mut Map<String, Value>) -> Result<(), String> {
        let insecure = self.insecure()?;
        let named = self.transport()?;
        for key in ["url", "dsn"] {
            let Some(Value::String(text)) = table.get(key) else {
                continue;
            };
            let port = match host_port(text) {
                Some(port) => {
                    let secure = self.tls == Some(true) || insecure == Some(false);
                    let scheme = if secure { "https" } else { "http" };
                    let url = format!("{scheme}://{text}");
                    table.insert(key.to_owned(), Value::from(url));
                    Some(port)
                }
                None => {
                    check_scheme(text, insecure)?;
                    url::Url::parse(text).ok().and_then(|u| u.port())
                }
            };
            let by_port = (port == Some(OTLP_GRPC_PORT)).then_some("grpc");
            if let (false, Some(transport)) = (self.has_transport, named.or(by_port)) {
                let properties = table
                    .entry("properties")
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(properties) = properties {
                    properties.insert("transport".into(), Value::from(transport));
                }
            }
        }
        Ok(())
    }
}

/// The port of a `host:port` address with no scheme (`otel-collector:4318`), if it is one.
fn host_port(text: &str) -> Option<u16> {
    if text.contains("://") || text.contains('/') {
        return None;
    }
    let (host, port) = text.rsplit_once(':')?;
    (!host.is_empty()).then_some(())?;
    port.parse().ok()
}

/// `insecure = true` with an `https` URL (or `false` with `http`) says two things at once.
fn check_scheme(url: &str, insecure: Option<bool>) -> Result<(), String> {
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    match (insecure, scheme.as_deref()) {
        (Some(true), Some("https")) => Err("`insecure` is true but the URL is `https`".to_owned()),
        (Some(false), Some("http")) => Err("`insecure` is false but the URL is plain `http`".to_owned()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_is_an_address_with_no_scheme() {
        assert_eq!(host_port("otel-collector:4318"), Some(4318));
        assert_eq!(host_port("127.0.0.1:4317"), Some(4317));
        assert_eq!(host_port("http://h:4318"), None);
        assert_eq!(host_port("invalid-url"), None);
        assert_eq!(host_port(":4318"), None);
        assert_eq!(host_port("h:99999"), None);
    }

    #[test]
    fn an_address_gets_its_scheme_and_transport() {
        let apply = |tls: Option<bool>, insecure: Option<Value>, dsn: &str| {
            let mut table = Map::new();
            table.insert("dsn".into(), Value::from(dsn));
            let endpoint = Endpoint {
                tls,
                insecure,
                ..Endpoint::default()
            };
            endpoint.apply(&mut table).map(|()| Value::Object(table))
        };
        let table = apply(None, None, "c:4318").unwrap();
        assert_eq!(table["dsn"], "http://c:4318");
        assert!(table.get("properties").is_none(), "http is the default transport");
        let table = apply(Some(true), None, "c:4317").unwrap();
        assert_eq!(table["dsn"], "https://c:4317");
        assert_eq!(table["properties"]["transport"], "grpc");
        let table = apply(None, Some(Value::from("false")), "c:4318").unwrap();
        assert_eq!(table["dsn"], "https://c:4318");
        let err = apply(None, Some(Value::Bool(true)), "https://c:4318").unwrap_err();
        assert_eq!(err, "`insecure` is true but the URL is `https`");
    }
}
