//! One load: defaults < files < `<PREFIX>_CONFIG_FILE` < environment, checked, all problems
//! reported together.

use std::collections::HashMap;

use connfx_spec::env::env_name;
use connfx_spec::message;
use serde_json::{Map, Value};
use tracing::debug;

use super::check::{Scope, check_layers};
use super::descriptor::{ConnectionSet, SetDescriptor};
use super::env::EnvVar;
use super::layers::FieldLayers;
use super::leaf::{self, Target};
use super::shape::{Group, Node, join};
use super::source::{Layer, SourceFile};
use super::{ConfigError, ConfigIssue, Sources, ValueSource, file};

/// `Conns::load_config()`: the attribute's files (missing ones skipped), the file named by
/// `<PREFIX>_CONFIG_FILE` (which must exist), and the process environment.
///
/// # Errors
/// Every problem found, each with its path and source.
pub fn load_config<S: ConnectionSet>() -> Result<S::Config, ConfigError> {
    let set = S::descriptor();
    load::<S>(set, Sources::process(set.files))
}

/// `Conns::load_config_from(sources)`: only the given sources, plus the attribute defaults.
///
/// # Errors
/// Every problem found, each with its path and source.
pub fn load_config_from<S: ConnectionSet>(sources: Sources) -> Result<S::Config, ConfigError> {
    load::<S>(S::descriptor(), sources)
}

/// `Conns::env_vars()`.
pub fn env_vars<S: ConnectionSet>() -> Vec<EnvVar> {
    S::descriptor().plan().env_vars.clone()
}

/// `Conns::json_schema()`.
pub fn json_schema<S: ConnectionSet>() -> Value {
    super::schema::of_set(S::descriptor())
}

/// One setting of a loaded config, for people: the value as it may be shown, and its source.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Setting {
    /// The config path, e.g. `payments.retry.max_attempts`.
    pub path: String,
    /// The value as text (`[redacted]` for a secret, a URL's password hidden).
    pub value: String,
    /// Where it came from.
    pub source: ValueSource,
}

/// Loads like `Conns::load_config_from(sources)` and tells, for every key that has a value in a
/// configured connection (policies that are off are left out), the value and where it came from.
///
/// ```no_run
/// # use connfx::prelude::*;
/// # #[derive(Connections)] struct Conns { #[connection(url = "http://127.0.0.1:1")] api: HttpConnection }
/// for s in connfx::config::explain::<Conns>(connfx::Sources::new()).unwrap() {
///     println!("{:<30} {:<25} {}", s.path, s.value, s.source);
/// }
/// ```
///
/// # Errors
/// As `load_config_from`.
pub fn explain<S: ConnectionSet>(sources: Sources) -> Result<Vec<Setting>, ConfigError> {
    let set = S::descriptor();
    let (_, layers) = load_layers(set, sources)?;
    let mut settings = Vec::new();
    for (field, layer) in set.fields.iter().zip(&layers) {
        if field.optional && !layer.configured {
            continue;
        }
        let root = &(field.shape)().root;
        let absent: Vec<String> = root
            .optional_groups()
            .into_iter()
            .filter(|g| !layer.groups.contains_key(g))
            .map(|g| g + ".")
            .collect();
        for (path, leaf) in root.leaves() {
            let parent_set = !absent.iter().any(|g| path.starts_with(g.as_str()));
            let (value, source) = match layer.leaves.get(&path) {
                Some(entry) => (Some(&entry.value), entry.source.clone()),
                None if parent_set => (leaf.default.as_ref(), ValueSource::Default),
                None => continue,
            };
            let Some(value) = value.and_then(|v| leaf.shown(v)) else {
                continue;
            };
            settings.push(Setting {
                path: field.path_of(&path),
                value,
                source,
            });
        }
    }
    Ok(settings)
}

fn load<S: ConnectionSet>(set: &SetDescriptor, sources: Sources) -> Result<S::Config, ConfigError> {
    let (tree, _) = load_layers(set, sources)?;
    debug!(set = set.name, "configuration loaded");
    typed::<S>(tree)
}

/// A load for a reload or a plan: the typed config, the same as its type serializes it (so two
/// loads compare key by key whatever their sources wrote: `timeout = "1s"` or `timeout.total`),
/// and every value's source.
///
/// # Errors
/// As `load_config_from`.
pub(crate) fn load_normalized<S: ConnectionSet>(
    sources: Sources,
) -> Result<(S::Config, Value, Vec<FieldLayers>), ConfigError> {
    let (tree, layers) = load_layers(S::descriptor(), sources)?;
    let config = typed::<S>(tree)?;
    let normalized = serde_json::to_value(&config).map_err(whole)?;
    Ok((config, normalized, layers))
}

fn typed<S: ConnectionSet>(tree: Value) -> Result<S::Config, ConfigError> {
    serde_json::from_value(tree).map_err(whole)
}

/// A problem of the configuration as a whole (serde's, which the checks before it should leave
/// nothing to find).
fn whole(error: serde_json::Error) -> ConfigError {
    ConfigError::new(vec![ConfigIssue::new(
        "",
        ValueSource::Default,
        error.to_string(),
    )])
}

fn load_layers(set: &SetDescriptor, mut sources: Sources) -> Result<(Value, Vec<FieldLayers>), ConfigError> {
    let plan = set.plan();
    let mut issues = plan.issues.clone();
    let mut layers = plan.defaults.clone();
    let config_file_var = set.config_file_var();
    if let Some((_, path)) = sources.env.iter().rev().find(|(k, _)| *k == config_file_var) {
        let path = path.into();
        sources.push_required_file(path);
    }
    for layer in &sources.layers {
        match layer {
            Layer::File(source) => read_file(set, source, &mut layers, &mut issues),
            Layer::Tables(tables) => {
                for (origin, table) in tables {
                    if let Value::Object(table) = table {
                        read_table(set, origin, table, &mut layers, &mut issues);
                    }
                }
            }
            Layer::Unreadable(origin, message) => {
                issues.push(ConfigIssue::new("", origin.clone(), message.clone()));
            }
        }
    }
    read_env(set, &sources.env, &config_file_var, &mut layers, &mut issues);
    let tree = assemble(set, &layers, &mut issues);
    if !issues.is_empty() {
        return Err(ConfigError::new(issues));
    }
    Ok((tree, layers))
}

fn read_file(
    set: &SetDescriptor,
    source: &SourceFile,
    layers: &mut [FieldLayers],
    issues: &mut Vec<ConfigIssue>,
) {
    let origin = ValueSource::File(source.path.clone());
    match file::read(&source.path, source.required) {
        Ok(Some(Value::Object(table))) => read_table(set, &origin, &table, layers, issues),
        Ok(_) => {}
        Err(message) => issues.push(ConfigIssue::new("", origin, message)),
    }
}

/// A whole set's table (a file's, or one origin's of another library), key by key into the
/// connections' and the settings' layers.
fn read_table(
    set: &SetDescriptor,
    origin: &ValueSource,
    table: &Map<String, Value>,
    layers: &mut [FieldLayers],
    issues: &mut Vec<ConfigIssue>,
) {
    for (name, value) in table {
        match set.fields.iter().position(|f| f.holds(name)) {
            Some(i) if set.fields[i].is_settings() => {
                // A plain setting is a top-level key: its layers hold it at its own name.
                let one = Value::Object(Map::from_iter([(name.clone(), value.clone())]));
                layers[i].absorb((set.fields[i].shape)(), "", &one, origin, issues);
            }
            Some(i) => layers[i].absorb((set.fields[i].shape)(), name, value, origin, issues),
            None => {
                let names = set.top_level_keys();
                issues.push(ConfigIssue::new(
                    name.clone(),
                    origin.clone(),
                    message::unknown_key(set.name, name, names),
                ));
            }
        }
    }
}

fn read_env(
    set: &SetDescriptor,
    env: &[(String, String)],
    config_file_var: &str,
    layers: &mut [FieldLayers],
    issues: &mut Vec<ConfigIssue>,
) {
    let plan = set.plan();
    let prefix = format!("{}_", set.env_prefix);
    // Which variable set each key, so a shorthand and its key both set is reported.
    let mut set_by: HashMap<(usize, &str), &str> = HashMap::new();
    for (name, raw) in env
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix) && k != config_file_var)
    {
        let origin = ValueSource::Env(name.clone());
        let Some((i, path)) = plan.env.get(name) else {
            if set.deny_unknown_env {
                let near = connfx_spec::near_names(name, plan.env_vars.iter().map(|v| v.name.as_str()));
                let near_path = near
                    .first()
                    .and_then(|n| plan.env_vars.iter().find(|v| v.name == *n))
                    .map(|v| v.path.clone());
                issues.push(ConfigIssue::new(
                    near_path.unwrap_or_default(),
                    origin,
                    message::unknown_env(name, &near, "`env`"),
                ));
            }
            continue;
        };
        let field = &set.fields[*i];
        if let Some(first) = set_by.insert((*i, path), name)
            && first != name
        {
            let (first, second) = if first.len() <= name.len() {
                (first, name.as_str())
            } else {
                (name.as_str(), first)
            };
            let path = join(field.name, path);
            issues.push(ConfigIssue::new(
                path.clone(),
                origin,
                message::set_twice(&path, first, second),
            ));
            continue;
        }
        let shape = (field.shape)();
        let Some(leaf) = find_leaf(&shape.root, path) else {
            continue;
        };
        let key = path.rsplit('.').next().unwrap_or(path);
        match leaf::from_env(&Target { key, leaf, shape }, raw) {
            Ok(value) => layers[*i].set(path.clone(), value, origin),
            Err(message) => issues.push(ConfigIssue::new(join(field.name, path), origin, message)),
        }
    }
}

fn find_leaf<'a>(group: &'a Group, path: &str) -> Option<&'a super::shape::Leaf> {
    match find_node(group, path)? {
        Node::Leaf(leaf) => Some(leaf),
        Node::Group(_) => None,
    }
}

fn find_node<'a>(group: &'a Group, path: &str) -> Option<&'a Node> {
    let (head, rest) = path.split_once('.').map_or((path, None), |(h, r)| (h, Some(r)));
    match (group.child(head)?, rest) {
        (node, None) => Some(node),
        (Node::Group(inner), Some(rest)) => find_node(inner, rest),
        (Node::Leaf(_), Some(_)) => None,
    }
}

/// The merged tree of the whole set, each configured connection checked the one way
/// ([`check_layers`]).
fn assemble(set: &SetDescriptor, layers: &[FieldLayers], issues: &mut Vec<ConfigIssue>) -> Value {
    let mut tree = Map::new();
    for (field, layer) in set.fields.iter().zip(layers) {
        if field.optional && !layer.configured {
            continue;
        }
        let root = &(field.shape)().root;
        let missing = |key: &str, path: &str| {
            let var = env_name(set.env_prefix, field.name, path);
            // A table is given key by key: `APP_LISTEN_HOST`, `APP_LISTEN_PORT`.
            match find_node(root, path) {
                Some(Node::Group(_)) => message::missing(key, &format!("{var}_*")),
                _ => message::missing(key, &var),
            }
        };
        let scope = Scope {
            path: field.name,
            source: ValueSource::Default,
            missing: &missing,
        };
        let value = check_layers(field.config_type(), &scope, layer, issues);
        match (field.is_settings(), value) {
            // The plain settings are top-level keys of the set's tree.
            (true, Value::Object(settings)) => tree.extend(settings),
            (_, value) => {
                tree.insert(field.name.to_owned(), value);
            }
        }
    }
    Value::Object(tree)
}
