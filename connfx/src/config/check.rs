//! The one way a connection's values are checked, whoever holds them: a derived struct's field,
//! a registry file's or `CONN_TARGETS_*` target, or a [`TargetConfig`](crate::registry::TargetConfig)
//! given to `Registry::add`. Each value is checked as it arrives ([`FieldLayers::absorb`]); once
//! all are in, [`check_layers`] reports the required keys without a value and then runs the
//! config type's own rules (serde, then `validator`), naming the connection's path.

use serde_json::Value;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use super::layers::FieldLayers;
use super::shape::{Group, Node, Shape, join, settings_shape, shape_of};
use super::{ConfigIssue, ValueSource};
use crate::Connection;

/// A connection type's config as the checks see it: its key tree and its own rules.
#[derive(Clone, Copy)]
pub(crate) struct ConfigType {
    /// The key tree (kinds, bounds, required keys).
    pub shape: fn() -> &'static Shape,
    /// Deserializes and validates a merged tree: `(relative path, message)` per problem.
    pub rules: fn(&Value) -> Vec<(String, String)>,
}

impl ConfigType {
    /// The config of connection type `T`.
    pub const fn of<T: Connection>() -> Self {
        ConfigType {
            shape: shape_of::<T>,
            rules: check_config::<T::Config>,
        }
    }

    /// The plain `#[setting]` fields of a derived struct, gathered by the derive in `S`.
    pub fn settings<S: SettingsType>() -> Self {
        ConfigType {
            shape: settings_shape::<S>,
            rules: check_config::<S>,
        }
    }
}

/// What the derive's struct of plain settings is: a config type like a connection's, read the
/// same way, with the user's `validator` rules.
pub trait SettingsType: schemars::JsonSchema + serde::de::DeserializeOwned + Validate + 'static {}

impl<S: schemars::JsonSchema + serde::de::DeserializeOwned + Validate + 'static> SettingsType for S {}

/// How one connection is named in its problems.
pub(crate) struct Scope<'a> {
    /// Its config path: the field (`payments`) or the target (`targets.api`); may be empty.
    pub path: &'a str,
    /// The source a missing key is blamed on.
    pub source: ValueSource,
    /// The message for a required key without a value: `(key, path below the connection)`.
    pub missing: &'a dyn Fn(&str, &str) -> String,
}

/// `tables` (a connection's tables as its sources give them, lowest priority first) layered as
/// the derived struct's loader layers its sources, each value checked and blamed on its own
/// source; then [`check_layers`].
pub(crate) fn check_tables<'a>(
    ty: ConfigType,
    scope: &Scope<'_>,
    tables: impl IntoIterator<Item = (&'a ValueSource, Value)>,
    issues: &mut Vec<ConfigIssue>,
) -> Value {
    let mut layers = FieldLayers::default();
    for (source, table) in tables {
        layers.absorb((ty.shape)(), scope.path, &table, source, issues);
    }
    check_layers(ty, scope, &layers, issues)
}

/// The merged tree of one connection; the required keys without a value are reported, and when
/// there are none the type's own rules run on the tree, each problem blamed on the source of
/// the value it is about.
pub(crate) fn check_layers(
    ty: ConfigType,
    scope: &Scope<'_>,
    layers: &FieldLayers,
    issues: &mut Vec<ConfigIssue>,
) -> Value {
    let before = issues.len();
    missing_keys(scope, &(ty.shape)().root, "", layers, issues);
    let value = layers.assemble();
    if issues.len() == before {
        for (path, message) in (ty.rules)(&value) {
            let source = layers.source_of(&path);
            issues.push(ConfigIssue::new(join(scope.path, &path), source, message));
        }
    }
    value
}

/// Required keys of `group` (and of the groups below it that some source named) with no value.
fn missing_keys(
    scope: &Scope<'_>,
    group: &Group,
    prefix: &str,
    layers: &FieldLayers,
    issues: &mut Vec<ConfigIssue>,
) {
    for name in &group.required {
        let path = join(prefix, name);
        let present = layers.leaves.contains_key(&path) || layers.groups.contains_key(&path);
        if !present && group.child(name).is_some() {
            let message = (scope.missing)(name, &path);
            issues.push(ConfigIssue::new(
                join(scope.path, &path),
                scope.source.clone(),
                message,
            ));
        }
    }
    for (name, node) in &group.children {
        let path = join(prefix, name);
        if let Node::Group(inner) = node
            && layers.groups.contains_key(&path)
        {
            missing_keys(scope, inner, &path, layers, issues);
        }
    }
}

/// The wording of a missing key where no environment variable of a derived struct can give it
/// (a registry target).
pub(crate) fn missing_without_env(key: &str, _path: &str) -> String {
    format!("`{key}` has no value")
}

/// Deserializes and validates one connection's (or the plain settings') merged tree:
/// `(relative path, message)` per problem.
fn check_config<C: serde::de::DeserializeOwned + Validate>(value: &Value) -> Vec<(String, String)> {
    match C::deserialize(value) {
        Err(e) => vec![(key_named(&e.to_string()), e.to_string())],
        Ok(config) => match config.validate() {
            Ok(()) => Vec::new(),
            Err(errors) => {
                let mut out = Vec::new();
                flatten_validation("", &errors, &mut out);
                out
            }
        },
    }
}

/// The key a deserialization error names first, as `` `path`: … `` (a map's value read on its
/// own, such as a host of `hosts`), so it is blamed on that key's source; else the whole
/// connection.
fn key_named(message: &str) -> String {
    let named = message.strip_prefix('`').and_then(|rest| rest.split_once("`: "));
    match named {
        Some((path, _)) if !path.is_empty() && !path.contains(char::is_whitespace) => path.to_owned(),
        _ => String::new(),
    }
}

fn flatten_validation(prefix: &str, errors: &ValidationErrors, out: &mut Vec<(String, String)>) {
    let mut fields: Vec<_> = errors.errors().iter().collect();
    fields.sort_by(|a, b| a.0.cmp(b.0));
    for (field, kind) in fields {
        let path = if field == "__all__" {
            prefix.to_owned()
        } else {
            join(prefix, field)
        };
        match kind {
            ValidationErrorsKind::Field(list) => out.extend(list.iter().map(|e| {
                let message = e
                    .message
                    .as_deref()
                    .map_or_else(|| format!("fails the `{}` rule", e.code), str::to_owned);
                (path.clone(), message)
            })),
            ValidationErrorsKind::Struct(inner) => flatten_validation(&path, inner, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    flatten_validation(&join(&path, &i.to_string()), inner, out);
                }
            }
        }
    }
}
