//! The JSON Schema (draft 2020-12) of a derived struct's config: each connection's type schema,
//! with the field's doc as its description and the attribute defaults as `default`.
//!
//! Nothing is `required` at the top: a deployment file may leave any connection to the
//! environment. Secrets are `writeOnly` and never get a `default`, nor does a map (headers) that
//! holds a credential.

use connfx_spec::Kind;
use serde_json::{Map, Value, json};

use super::descriptor::SetDescriptor;
use super::env;
use super::shape::{Group, Node, non_null_mut};

/// The schema of `set`.
pub(crate) fn of_set(set: &SetDescriptor) -> Value {
    let plan = set.plan();
    let mut properties = Map::new();
    for (field, defaults) in set.fields.iter().zip(&plan.defaults) {
        let shape = (field.shape)();
        let mut schema = shape.schema.clone();
        drop_required(&mut schema);
        if field.optional {
            require_when_present(&mut schema, &shape.root, defaults);
        }
        for (path, entry) in &defaults.leaves {
            set_default(&mut schema, &shape.root, path, &entry.value);
        }
        if field.is_settings() {
            // The plain settings are top-level keys, each with its own schema.
            if let Some(Value::Object(settings)) = schema.get_mut("properties").map(Value::take) {
                properties.extend(settings);
            }
            continue;
        }
        if !field.doc.is_empty() {
            schema["description"] = Value::from(field.doc);
        }
        properties.insert(field.name.to_owned(), schema);
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": set.name,
        "description": set.doc,
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
    })
}

/// An optional connection that a file names is configured, so it must be complete: the keys its
/// type requires (`url`) and the attribute gives no default for are required of it, as the
/// loader requires them. (A file naming it may not leave them to the environment: a half-written
/// optional connection is taken for a mistake.)
fn require_when_present(
    schema: &mut Value,
    root: &super::shape::Group,
    defaults: &super::layers::FieldLayers,
) {
    let required: Vec<Value> = root
        .required
        .iter()
        .filter(|key| !defaults.leaves.contains_key(key.as_str()))
        .map(|key| Value::from(key.as_str()))
        .collect();
    if let (false, Value::Object(map)) = (required.is_empty(), non_null_mut(schema)) {
        map.insert("required".into(), Value::Array(required));
    }
}

/// A file may leave any key to the defaults or the environment, so the schema of a file requires
/// nothing (but of an optional connection it names, [`require_when_present`]); the loader reports
/// a key that no source gives.
fn drop_required(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            map.remove("required");
            map.values_mut().for_each(drop_required);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_required),
        _ => {}
    }
}

fn set_default(schema: &mut Value, group: &Group, path: &str, value: &Value) {
    let (head, rest) = path.split_once('.').map_or((path, None), |(h, r)| (h, Some(r)));
    let Some(node) = non_null_mut(schema)
        .get_mut("properties")
        .and_then(|p| p.get_mut(head))
    else {
        return;
    };
    match (group.child(head), rest) {
        (Some(Node::Group(inner)), Some(rest)) => set_default(node, inner, rest, value),
        (Some(Node::Leaf(leaf)), None) if !leaf.secret => {
            let shown = match leaf.kind {
                Kind::Url => env::shown(leaf.kind, value).map(Value::from),
                // Like a secret, a map holding a credential (an `Authorization` header) gets no
                // default: a masked one would be wrong, the real one must not be shown.
                Kind::Map if holds_credential(value) => None,
                _ => Some(value.clone()),
            };
            if let (Some(shown), Value::Object(map)) = (shown, node) {
                map.insert("default".into(), shown);
            }
        }
        _ => {}
    }
}

/// Whether a map's entries include one whose name suggests a credential, at any depth.
fn holds_credential(value: &Value) -> bool {
    env::redacted(value) != *value
}

/// Implements `JsonSchema` for a type whose schema is one inline JSON object (a secret, a URL, a
/// duration, a map of headers, a choice of words): its name and that object, nothing generated.
macro_rules! inline_schema {
    ($ty:ty, $name:expr, $schema:tt) => {
        impl ::schemars::JsonSchema for $ty {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                $name.into()
            }

            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                ::schemars::json_schema!($schema)
            }

            fn inline_schema() -> bool {
                true
            }
        }
    };
}

pub(crate) use inline_schema;
