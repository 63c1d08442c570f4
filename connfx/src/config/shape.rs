//! The shape of a connection's config type: its JSON Schema and the key tree read from it.
//!
//! One definition per key: the config type's serde/schemars attributes define names, types,
//! defaults and docs; `connfx-spec` adds the bounds of built-in protocols. Everything else (the
//! file walker, the environment names, the schema, the checks) reads the tree built here, once
//! per type.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use connfx_spec::Kind;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::Connection;

/// A config type's schema and key tree.
#[derive(Debug)]
pub(crate) struct Shape {
    /// The protocol name, which scopes messages about top-level keys.
    pub protocol: &'static str,
    /// URL schemes the protocol accepts (empty: any).
    pub schemes: &'static [&'static str],
    /// The JSON Schema (inlined, bounds added), used as the connection's part of a set's schema.
    pub schema: Value,
    /// The key tree.
    pub root: Group,
}

/// A group of keys: the config itself, or a nested table such as `retry`.
#[derive(Debug, Default)]
pub(crate) struct Group {
    /// The name that scopes messages: the protocol at the top, else the group's key.
    pub scope: String,
    /// Keys in schema order.
    pub children: Vec<(String, Node)>,
    /// Keys that must have a value once the group is present.
    pub required: Vec<String>,
    /// Whether the group is an `Option` (a policy that is off until some source names it).
    pub optional: bool,
    /// The key a single value stands for (`timeout = "1s"` is `timeout.total`), from the
    /// declaration's `shorthand [...]`.
    pub shorthand: Option<String>,
}

/// A key: a nested group or a value.
#[derive(Debug)]
pub(crate) enum Node {
    Group(Group),
    Leaf(Leaf),
}

/// A key that holds one value.
#[derive(Debug)]
pub(crate) struct Leaf {
    pub kind: Kind,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// The longest value of a duration (the schema's `x-connfx-longest`, else
    /// [`connfx_spec::MAX_DURATION`]).
    pub longest: std::time::Duration,
    /// Allowed strings, for enumerations.
    pub choices: Vec<String>,
    pub description: String,
    /// The type's own default, if it has one.
    pub default: Option<Value>,
    /// Whether the value (or every value of a map) must never be shown.
    pub secret: bool,
    /// Whether this is a policy's `enabled` switch (see `connfx_spec::declare`).
    pub switch: bool,
    /// Whether the protocol's URL schemes apply: the connection's own URL keys, those the
    /// schema gives a scheme `pattern` ([`add_url_pattern`]). A group's URL (the `http(s)`
    /// `auth.oauth2.token_url` of a `ws://` connection) is checked by its group.
    pub protocol_url: bool,
}

impl Leaf {
    /// A value as people may see it: secrets (and the values of a secret map) hidden, URL
    /// passwords hidden.
    pub fn shown(&self, value: &Value) -> Option<String> {
        match value {
            Value::Object(map) if self.secret => {
                let hidden = map.keys().map(|k| (k.clone(), Value::from("[redacted]")));
                Some(Value::Object(hidden.collect()).to_string())
            }
            Value::Null => None,
            // A `#[setting(secret)]` of a kind other than text.
            _ if self.secret => Some("[redacted]".to_owned()),
            _ => super::env::shown(self.kind, value),
        }
    }
}

impl Group {
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|(k, _)| k == name).map(|(_, n)| n)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.children.iter().map(|(k, _)| k.as_str())
    }

    /// Every leaf below this group with its dotted path.
    pub fn leaves(&self) -> Vec<(String, &Leaf)> {
        let mut out = Vec::new();
        self.collect_leaves("", &mut out);
        out
    }

    /// Every group below this one that takes a single value for one of its keys: `(group path,
    /// key path)`, e.g. `("timeout", "timeout.total")`. The one rule for files (`timeout = "1s"`),
    /// the environment (`APP_API_TIMEOUT`) and registry properties alike.
    pub fn shorthands(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (name, node) in &self.children {
            if let Node::Group(group) = node {
                if let Some(key) = &group.shorthand {
                    out.push((name.clone(), join(name, key)));
                }
                let inner = group.shorthands().into_iter();
                out.extend(inner.map(|(g, k)| (join(name, &g), join(name, &k))));
            }
        }
        out
    }

    /// Paths of the optional groups below this one (`retry`, `circuit_breaker` …).
    pub fn optional_groups(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, node) in &self.children {
            if let Node::Group(group) = node {
                if group.optional {
                    out.push(name.clone());
                }
                out.extend(group.optional_groups().into_iter().map(|p| join(name, &p)));
            }
        }
        out
    }

    fn collect_leaves<'a>(&'a self, prefix: &str, out: &mut Vec<(String, &'a Leaf)>) {
        for (name, node) in &self.children {
            let path = join(prefix, name);
            match node {
                Node::Leaf(leaf) => out.push((path, leaf)),
                Node::Group(group) => group.collect_leaves(&path, out),
            }
        }
    }
}

/// `a.b` from `a` and `b`; `b` from an empty prefix.
pub(crate) fn join(prefix: &str, name: &str) -> String {
    match (prefix.is_empty(), name.is_empty()) {
        (true, _) => name.to_owned(),
        // A problem of the connection as a whole is at the connection's own path, not `db.`.
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}.{name}"),
    }
}

/// The shape of `T`'s config, built on first use and kept for the life of the process.
pub(crate) fn shape_of<T: Connection>() -> &'static Shape {
    cached(TypeId::of::<T>(), || {
        let spec = builtin_spec::<T>();
        build(schema_of::<T::Config>(), T::PROTOCOL, T::URL_SCHEMES, spec)
    })
}

/// The protocol name of a derived struct's plain `#[setting]` fields, which scopes the messages
/// about their keys.
pub(crate) const SETTINGS: &str = "settings";

/// The shape of a derived struct's plain settings (`S` is the struct the derive writes with
/// one field per `#[setting]`), built on first use and kept for the life of the process.
pub(crate) fn settings_shape<S: schemars::JsonSchema + 'static>() -> &'static Shape {
    cached(TypeId::of::<S>(), || build(schema_of::<S>(), SETTINGS, &[], None))
}

fn cached(id: TypeId, build: impl FnOnce() -> Shape) -> &'static Shape {
    static SHAPES: OnceLock<RwLock<HashMap<TypeId, &'static Shape>>> = OnceLock::new();
    let shapes = SHAPES.get_or_init(Default::default);
    if let Some(shape) = shapes.read().unwrap_or_else(|e| e.into_inner()).get(&id) {
        return shape;
    }
    let built: &'static Shape = Box::leak(Box::new(build()));
    let mut shapes = shapes.write().unwrap_or_else(|e| e.into_inner());
    // Another thread may have built it meanwhile: keep the first, so every caller shares one.
    let shape: &'static Shape = shapes.entry(id).or_insert(built);
    shape
}

/// `C`'s JSON Schema with every subschema inlined, without `$schema` and `title`.
fn schema_of<C: schemars::JsonSchema>() -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.inline_subschemas = true;
    let mut schema = settings.into_generator().root_schema_for::<C>().to_value();
    if let Some(map) = schema.as_object_mut() {
        map.remove("$schema");
        map.remove("title");
    }
    schema
}

fn build(
    mut schema: Value,
    protocol: &'static str,
    schemes: &'static [&'static str],
    spec: Option<&'static connfx_spec::Protocol>,
) -> Shape {
    if let Some(spec) = spec {
        add_spec_bounds(&mut schema, spec);
    }
    add_url_pattern(&mut schema, schemes);
    close_objects(&mut schema);
    let root = group_of(protocol, &schema);
    add_shorthands(&mut schema, &root);
    Shape {
        protocol,
        schemes,
        schema,
        root,
    }
}

/// The spec entry of a built-in connection type (matched by protocol and type name, so a user
/// adapter that reuses a protocol name gets no built-in bounds).
fn builtin_spec<T: Connection>() -> Option<&'static connfx_spec::Protocol> {
    let protocol = connfx_spec::protocol(T::PROTOCOL)?;
    std::any::type_name::<T>()
        .ends_with(protocol.type_name)
        .then_some(protocol)
}

/// Writes the spec's bounds into the schema, so the schema, the boot checks and the derive agree.
fn add_spec_bounds(schema: &mut Value, spec: &connfx_spec::Protocol) {
    add_key_bounds(schema, spec);
    // A map of tables (`hosts`) whose tables hold the protocol's own groups gets their bounds too.
    for key in spec.keys.iter().filter(|k| k.kind == Kind::Map) {
        let tables = property_mut(schema, key.name).and_then(|node| node.get_mut("additionalProperties"));
        if let Some(table) = tables.filter(|t| t.get("properties").is_some()) {
            add_key_bounds(table, &connfx_spec::Protocol { keys: &[], ..*spec });
        }
    }
}

/// The bounds of `spec`'s keys and of its groups' keys, written into `schema`'s properties.
fn add_key_bounds(schema: &mut Value, spec: &connfx_spec::Protocol) {
    let keys = spec.keys.iter().map(|k| (None, k));
    let group_keys = spec
        .groups
        .iter()
        .flat_map(|g| g.keys.iter().map(move |k| (Some(g.name), k)));
    for (group, key) in keys.chain(group_keys) {
        let node = match group {
            Some(g) => property_mut(schema, g).and_then(|g| property_mut(g, key.name)),
            None => property_mut(schema, key.name),
        };
        let Some(Value::Object(node)) = node.map(non_null_mut) else {
            continue;
        };
        for (bound, value) in [("minimum", key.min), ("maximum", key.max)] {
            if let Some(v) = value.and_then(serde_json::Number::from_f64) {
                node.insert(bound.into(), bound_value(v));
            }
        }
        if let Some(longest) = key.longest {
            node.insert(
                LONGEST.into(),
                Value::from(humantime::format_duration(longest).to_string()),
            );
        }
        if matches!(key.text, connfx_spec::Text::RetryOn) {
            node.insert("pattern".into(), Value::from(connfx_spec::retry_on::PATTERN));
        }
    }
    for group in spec.groups {
        let Some(Value::Object(node)) = property_mut(schema, group.name).map(non_null_mut) else {
            continue;
        };
        let exclusive: Vec<Value> = group
            .rules
            .iter()
            .filter_map(|rule| match rule {
                connfx_spec::Rule::AtMostOne(keys) => Some(*keys),
                _ => None,
            })
            .flat_map(set_together)
            .collect();
        if !exclusive.is_empty() {
            node.insert("not".into(), json!({ "anyOf": exclusive }));
        }
    }
}

/// For a rule "at most one of `keys`": each pair of them set together (a null is unset, as the
/// loader reads it), which the group's schema then refuses with `not: {anyOf: [...]}`. Written
/// without `required`, which a set's schema drops (a file may leave keys to the environment),
/// and with `additionalProperties` stated, so [`close_objects`] leaves the subschemas open.
fn set_together(keys: &'static [&'static str]) -> Vec<Value> {
    let set = |key: &str| json!({ "not": { "properties": { key: { "type": "null" } }, "additionalProperties": true } });
    let mut pairs = Vec::new();
    for (i, a) in keys.iter().enumerate() {
        for b in &keys[i + 1..] {
            pairs.push(json!({ "allOf": [set(a), set(b)] }));
        }
    }
    pairs
}

/// The URL keys of a protocol that names its schemes get a `pattern` of those schemes
/// ([`connfx_spec::check::url_pattern`]), so the schema refuses what the loader refuses: an
/// `ftp://` URL, a `redis://` URL for SQL, text that is no URL.
fn add_url_pattern(schema: &mut Value, schemes: &[&str]) {
    if schemes.is_empty() {
        return;
    }
    let Some(Value::Object(properties)) = non_null_mut(schema).get_mut("properties") else {
        return;
    };
    for property in properties.values_mut() {
        let node = non_null_mut(property);
        if kind_of(node) == Kind::Url
            && let Value::Object(node) = node
        {
            node.insert(
                "pattern".into(),
                Value::from(connfx_spec::check::url_pattern(schemes)),
            );
        }
    }
}

/// The schema keyword of a group's shorthand key (see [`Group::shorthand`]).
const SHORTHAND: &str = "x-connfx-shorthand";

/// A group with a shorthand key also takes that key's value alone (`timeout = "1s"`), as the
/// loader does: its schema becomes "the group, or the key's value". Groups below the top level
/// have no shorthand today; [`Group::shorthands`] would find them, this would not.
fn add_shorthands(schema: &mut Value, root: &Group) {
    for (name, node) in &root.children {
        let Node::Group(group) = node else { continue };
        let Some(key) = &group.shorthand else { continue };
        let Some(property) = property_mut(schema, name) else {
            continue;
        };
        let Some(value) = non_null(property)
            .get("properties")
            .and_then(|p| p.get(key))
            .map(|leaf| non_null(leaf).clone())
        else {
            continue;
        };
        match property.get_mut("anyOf").and_then(Value::as_array_mut) {
            // `anyOf: [group, null]` (an `Option`): the value goes before the null, so the group
            // stays the first variant that is not null.
            Some(variants) => variants.insert(1, value),
            None => {
                let description = property.get("description").cloned();
                *property = json!({ "anyOf": [property.take(), value] });
                if let Some(description) = description {
                    property["description"] = description;
                }
            }
        }
    }
}

/// The schema keyword of a duration key's longest value (`"1year"`; see
/// [`connfx_spec::MAX_DURATION`]): JSON Schema has no bound on a duration written as text.
const LONGEST: &str = "x-connfx-longest";

/// Whole bounds as integers (`1`, not `1.0`), so integer keys read naturally in the schema.
fn bound_value(v: serde_json::Number) -> Value {
    match v.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9e15 => Value::from(f as i64),
        _ => Value::Number(v),
    }
}

fn property_mut<'a>(schema: &'a mut Value, name: &str) -> Option<&'a mut Value> {
    non_null_mut(schema).get_mut("properties")?.get_mut(name)
}

/// For `anyOf: [X, {type: null}]` (an `Option`), the `X`; otherwise the node itself.
pub(crate) fn non_null_mut(schema: &mut Value) -> &mut Value {
    let variant = schema.get("anyOf").and_then(Value::as_array).and_then(|vs| {
        vs.iter()
            .position(|v| v.get("type") != Some(&Value::from("null")))
    });
    match variant {
        Some(i) => &mut schema["anyOf"][i],
        None => schema,
    }
}

fn non_null(schema: &Value) -> &Value {
    match schema.get("anyOf").and_then(Value::as_array) {
        Some(vs) => vs
            .iter()
            .find(|v| v.get("type") != Some(&Value::from("null")))
            .unwrap_or(schema),
        None => schema,
    }
}

/// `additionalProperties: false` on every object with fixed keys, so a typo in a file is caught.
fn close_objects(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            map.values_mut().for_each(close_objects);
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

fn group_of(scope: &str, schema: &Value) -> Group {
    let schema = non_null(schema);
    let empty = Map::new();
    let properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let children = properties
        .iter()
        .map(|(name, prop)| (name.clone(), node_of(name, prop)))
        .collect();
    let required = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    Group {
        scope: scope.to_owned(),
        children,
        required,
        optional: false,
        shorthand: schema.get(SHORTHAND).and_then(Value::as_str).map(str::to_owned),
    }
}

fn node_of(name: &str, schema: &Value) -> Node {
    let inner = non_null(schema);
    if inner.get("properties").is_some() {
        let optional = !std::ptr::eq(inner, schema) || allows_null(inner);
        return Node::Group(Group {
            optional,
            ..group_of(name, inner)
        });
    }
    Node::Leaf(leaf_of(schema, inner))
}

/// `type: ["object", "null"]`: how schemars writes an `Option` of an inlined struct.
fn allows_null(schema: &Value) -> bool {
    schema
        .get("type")
        .and_then(Value::as_array)
        .is_some_and(|ts| ts.iter().any(|t| t == "null"))
}

fn leaf_of(outer: &Value, inner: &Value) -> Leaf {
    let number = |key: &str| inner.get(key).and_then(Value::as_f64);
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let choices: Vec<String> = inner
        .get("enum")
        .and_then(Value::as_array)
        .map(|e| e.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    let kind = kind_of(inner);
    Leaf {
        kind,
        protocol_url: kind == Kind::Url && inner.get("pattern").is_some(),
        secret: kind == Kind::Secret || inner.get("writeOnly") == Some(&Value::Bool(true)),
        min: number("minimum"),
        max: number("maximum"),
        longest: text(inner, LONGEST)
            .and_then(|t| humantime::parse_duration(&t).ok())
            .unwrap_or(connfx_spec::MAX_DURATION),
        choices,
        description: text(outer, "description")
            .or_else(|| text(inner, "description"))
            .unwrap_or_default(),
        default: outer.get("default").or_else(|| inner.get("default")).cloned(),
        switch: [outer, inner]
            .iter()
            .any(|v| v.get("x-connfx-switch") == Some(&Value::Bool(true))),
    }
}

fn kind_of(schema: &Value) -> Kind {
    match schema.get("x-connfx-kind").and_then(Value::as_str) {
        Some("duration") => return Kind::Duration,
        Some("url") => return Kind::Url,
        Some("secret") => return Kind::Secret,
        Some("map") => return Kind::Map,
        _ => {}
    }
    if schema.get("format").and_then(Value::as_str) == Some("uri") {
        return Kind::Url;
    }
    // A `writeOnly` string is a secret; a `#[setting(secret)]` of another type keeps its kind
    // and is hidden all the same (see `leaf_of`).
    let other = schema.get("type").and_then(Value::as_str);
    let text = !matches!(other, Some("integer" | "number" | "boolean" | "array" | "object"));
    if schema.get("writeOnly") == Some(&Value::Bool(true)) && text {
        return Kind::Secret;
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect(),
        _ => vec![],
    };
    match types.first().copied() {
        Some("boolean") => Kind::Bool,
        Some("integer") => Kind::Integer,
        Some("number") => Kind::Number,
        Some("object") => Kind::Map,
        Some("array") => Kind::List,
        _ => Kind::Str,
    }
}
