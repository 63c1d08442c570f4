//! The variables of a derived struct, named by the one rule of [`connfx_spec::env`]
//! (`<PREFIX>_<CONNECTION>_<KEY>`); a name two settings would share is reported.

use std::collections::HashMap;

use connfx_spec::env::{CONFIG_FILE_OWNER, env_name};
use connfx_spec::{Kind, message};
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::descriptor::SetDescriptor;
use super::layers::FieldLayers;
use super::{ConfigIssue, ValueSource};
use crate::{ConnUrl, Headers};

/// One environment variable the loader reads, as listed by `Conns::env_vars()`.
///
/// ```
/// # use connfx::EnvVar;
/// fn template(vars: &[EnvVar]) -> String {
///     vars.iter().map(|v| format!("# {}\n{}={}\n", v.description, v.name, v.default.as_deref().unwrap_or(""))).collect()
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnvVar {
    /// The variable's name, e.g. `CHECKOUT_PAYMENTS_RETRY_MAX_ATTEMPTS`.
    pub name: String,
    /// The config path it sets, e.g. `payments.retry.max_attempts`.
    pub path: String,
    /// What it holds.
    #[serde(serialize_with = "kind_name")]
    pub kind: Kind,
    /// The default, as text (`[redacted]` for a secret, a URL's password hidden).
    pub default: Option<String>,
    /// The key's documentation.
    pub description: String,
    /// Whether the value is a secret.
    pub secret: bool,
}

fn kind_name<S: Serializer>(kind: &Kind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.name())
}

/// Every variable of `set`, with the attribute defaults (else the type's) shown safely. The
/// `enabled` switch of a policy that no attribute names defaults to `false`: the policy is off,
/// so a template that sets every variable to its default leaves it off.
pub(crate) fn variables(set: &SetDescriptor, defaults: &[FieldLayers]) -> Vec<EnvVar> {
    let off = Value::Bool(false);
    let mut vars = Vec::new();
    for (field, field_defaults) in set.fields.iter().zip(defaults) {
        let root = &(field.shape)().root;
        let optional = root.optional_groups();
        for (path, leaf) in root.leaves() {
            let group = path.rsplit_once('.').map_or("", |(group, _)| group);
            let policy_off = leaf.switch
                && optional.iter().any(|g| g == group)
                && !field_defaults.groups.contains_key(group);
            let default = field_defaults
                .leaves
                .get(&path)
                .map(|e| &e.value)
                .or(if policy_off { Some(&off) } else { None })
                .or(leaf.default.as_ref());
            vars.push(EnvVar {
                name: env_name(set.env_prefix, field.name, &path),
                path: field.path_of(&path),
                kind: leaf.kind,
                default: default.and_then(|v| leaf.shown(v)),
                description: leaf.description.clone(),
                secret: leaf.secret,
            });
        }
    }
    vars
}

/// A map with the values of credential-like names hidden, at any depth (a host's `headers`
/// inside `hosts`).
pub(crate) fn redacted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let hidden = map
                .iter()
                .map(|(k, v)| match Headers::is_sensitive(k) && !v.is_object() {
                    true => (k.clone(), Value::from("[redacted]")),
                    false => (k.clone(), redacted(v)),
                });
            Value::Object(hidden.collect())
        }
        other => other.clone(),
    }
}

/// A default as people may see it: secrets hidden, URL passwords hidden, and in a map (headers)
/// the values of entries whose names suggest a credential ([`Headers::is_sensitive`]).
pub(crate) fn shown(kind: Kind, value: &Value) -> Option<String> {
    match (kind, value) {
        (_, Value::Null) => None,
        (Kind::Secret, _) => Some("[redacted]".to_owned()),
        (Kind::Map, Value::Object(_)) => Some(redacted(value).to_string()),
        (Kind::Url, Value::String(s)) => Some(
            s.parse::<ConnUrl>()
                .map_or_else(|_| "[invalid URL]".to_owned(), |u| u.redacted()),
        ),
        (_, Value::String(s)) => Some(s.clone()),
        (_, other) => Some(other.to_string()),
    }
}

/// Name → (field index, path), reporting names that two settings would share.
pub(crate) fn index(
    set: &SetDescriptor,
    vars: &[EnvVar],
    issues: &mut Vec<ConfigIssue>,
) -> HashMap<String, (usize, String)> {
    let mut index: HashMap<String, (usize, String)> = HashMap::with_capacity(vars.len());
    let mut owner: HashMap<String, String> = HashMap::new();
    owner.insert(set.config_file_var(), CONFIG_FILE_OWNER.to_owned());
    let mut vars = vars.iter();
    for (i, field) in set.fields.iter().enumerate() {
        for (path, _) in (field.shape)().root.leaves() {
            let Some(var) = vars.next() else { break };
            if let Some(first) = owner.get(&var.name) {
                let msg = message::env_collision(&var.name, first, &var.path);
                issues.push(ConfigIssue::new(
                    var.path.clone(),
                    ValueSource::Attribute(set.name.to_owned()),
                    msg,
                ));
                continue;
            }
            owner.insert(var.name.clone(), var.path.clone());
            index.insert(var.name.clone(), (i, path));
        }
        // A group's shorthand is a variable too (`CHECKOUT_PAYMENTS_TIMEOUT` sets
        // `payments.timeout.total`); it is left out of `env_vars()`, which lists each key once.
        for (group, key) in (field.shape)().root.shorthands() {
            let name = env_name(set.env_prefix, field.name, &group);
            let path = field.path_of(&group);
            if let Some(first) = owner.get(&name) {
                let msg = message::env_collision(&name, first, &path);
                issues.push(ConfigIssue::new(
                    path,
                    ValueSource::Attribute(set.name.to_owned()),
                    msg,
                ));
                continue;
            }
            owner.insert(name.clone(), path);
            index.insert(name, (i, key));
        }
    }
    index
}
