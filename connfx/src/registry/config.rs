//! [`RegistryConfig`]: the dynamic registry's settings, from files and `CONN_TARGETS_<NAME>_…`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::builtin::builtin;
use super::{Registry, TargetConfig};
use crate::ConnectError;
use crate::config::{ConfigError, ConfigIssue, Sources, ValueSource, read_file};
use crate::error::ConnectErrors;

/// The environment prefix of dynamic targets.
pub const TARGETS_PREFIX: &str = "CONN_TARGETS_";

/// The settings of a dynamic registry: targets by name.
///
/// In a file: `[targets.api]` with `protocol = "http"`, `url = …`, and `[targets.api.properties]`
/// for any other key of the protocol. In the environment: `CONN_TARGETS_API_PROTOCOL=http`,
/// `CONN_TARGETS_API_URL=…`, `CONN_TARGETS_API_DSN`, `_TIMEOUT`, `_TLS`, and
/// `CONN_TARGETS_API_PROPERTIES_RETRY_MAX_ATTEMPTS=3` (names are lower-cased). The seed services'
/// property names (`…_PROPERTIES_RETRY_STRATEGY_MAX_RETRIES`, `…_PROPERTIES_CIRCUIT_BREAKER_TIMEOUT`,
/// …) are mapped onto these keys for built-in protocols; the table is in `registry/seed_names.rs`.
///
/// ```
/// let config = connfx::registry::RegistryConfig::load(connfx::Sources::new().env_map([
///     ("CONN_TARGETS_API_PROTOCOL", "http"),
///     ("CONN_TARGETS_API_URL", "http://127.0.0.1:8080"),
///     ("CONN_TARGETS_API_PROPERTIES_RETRY_MAX_ATTEMPTS", "2"),
/// ])).unwrap();
/// assert_eq!(config.targets["api"].properties["retry"]["max_attempts"], 2);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    /// Connections by name.
    #[serde(default)]
    pub targets: BTreeMap<String, TargetConfig>,
}

/// One target's raw settings while loading, with the latest source that touched it.
#[derive(Default)]
struct Raw {
    table: Map<String, Value>,
    source: Option<ValueSource>,
}

impl RegistryConfig {
    /// Loads the targets from `sources`: files first, then the environment.
    ///
    /// # Errors
    /// Every problem found, each with the target's path and source.
    pub fn load(sources: Sources) -> Result<Self, ConfigError> {
        let mut issues = Vec::new();
        let mut raw: BTreeMap<String, Raw> = BTreeMap::new();
        for file in &sources.files {
            read_targets_file(&file.path, &mut raw, &mut issues);
        }
        // Protocols first: a property variable is read by its target's protocol.
        let (protocols, others): (Vec<_>, Vec<_>) = sources
            .env
            .iter()
            .filter(|(k, _)| k.starts_with(TARGETS_PREFIX))
            .partition(|(k, _)| k.ends_with("_PROTOCOL"));
        for (name, value) in protocols.into_iter().chain(others) {
            read_env(name, value, &mut raw, &mut issues);
        }
        let mut targets = BTreeMap::new();
        for (name, raw) in raw {
            let source = raw.source.unwrap_or(ValueSource::Default);
            match TargetConfig::deserialize(&Value::Object(raw.table)) {
                Ok(target) => {
                    check_target(&name, &target, &source, &mut issues);
                    targets.insert(name, target);
                }
                Err(e) => issues.push(ConfigIssue::new(format!("targets.{name}"), source, e.to_string())),
            }
        }
        if issues.is_empty() {
            Ok(RegistryConfig { targets })
        } else {
            Err(ConfigError::new(issues))
        }
    }

    /// Connects every target into a new [`Registry`] and binds their telemetry to its OTLP
    /// target, if any ([`Registry::export_telemetry`]); all failures are reported together.
    ///
    /// # Errors
    /// A [`ConnectError`] listing every target that failed.
    pub async fn connect(self) -> Result<Registry, ConnectError> {
        let registry = Registry::new();
        let adding = self
            .targets
            .into_iter()
            .map(|(name, target)| registry.add(name, target));
        let mut errors = ConnectErrors::default();
        for result in futures_util::future::join_all(adding).await {
            errors.check(result);
        }
        let error = errors.into_error();
        if error.failures().is_empty() {
            registry.export_telemetry();
            Ok(registry)
        } else {
            Err(error)
        }
    }

    /// The JSON Schema (draft 2020-12) of a registry file.
    pub fn json_schema() -> Value {
        let mut schema = schemars::generate::SchemaSettings::draft2020_12()
            .into_generator()
            .root_schema_for::<Self>();
        schema.insert("title".into(), "RegistryConfig".into());
        schema.to_value()
    }
}

impl Registry {
    /// A registry of the targets named by `CONN_TARGETS_<NAME>_…` in the process environment.
    ///
    /// # Errors
    /// The configuration's problems, or the targets that could not connect.
    pub async fn from_env() -> Result<Registry, crate::Error> {
        Ok(RegistryConfig::load(Sources::process(&[]))?.connect().await?)
    }
}

fn read_targets_file(path: &std::path::Path, raw: &mut BTreeMap<String, Raw>, issues: &mut Vec<ConfigIssue>) {
    let source = ValueSource::File(path.to_path_buf());
    let Some(table) = read_file(path, true, &source, issues) else {
        return;
    };
    for (key, value) in table {
        match (key.as_str(), value) {
            ("targets", Value::Object(targets)) => {
                for (name, target) in targets {
                    let Value::Object(target) = target else {
                        issues.push(ConfigIssue::new(
                            format!("targets.{name}"),
                            source.clone(),
                            "expected a table",
                        ));
                        continue;
                    };
                    let entry = raw.entry(name).or_default();
                    entry.table.extend(target);
                    entry.source = Some(source.clone());
                }
            }
            (other, _) => issues.push(ConfigIssue::new(
                other,
                source.clone(),
                connfx_spec::message::unknown_key("registry", other, ["targets"]),
            )),
        }
    }
}

/// `CONN_TARGETS_API_RETRY…` → target `api`, field and (for properties) the rest of the name.
fn read_env(var: &str, value: &str, raw: &mut BTreeMap<String, Raw>, issues: &mut Vec<ConfigIssue>) {
    let source = ValueSource::Env(var.to_owned());
    let rest = &var[TARGETS_PREFIX.len()..];
    let fields = ["_PROTOCOL", "_URL", "_DSN", "_TIMEOUT", "_TLS"];
    let (name, field, property) = if let Some(at) = rest.find("_PROPERTIES_") {
        (
            &rest[..at],
            "properties",
            Some(&rest[at + "_PROPERTIES_".len()..]),
        )
    } else if let Some(field) = fields.iter().find(|f| rest.ends_with(*f)) {
        (&rest[..rest.len() - field.len()], &field[1..], None)
    } else {
        let message = "expected `CONN_TARGETS_<NAME>_` then `PROTOCOL`, `URL`, `DSN`, `TIMEOUT`, `TLS` or `PROPERTIES_<KEY>`";
        return issues.push(ConfigIssue::new("targets", source, message));
    };
    let name = name.to_ascii_lowercase();
    let entry = raw.entry(name.clone()).or_default();
    entry.source = Some(source.clone());
    let field = field.to_ascii_lowercase();
    let parsed = match (field.as_str(), property) {
        ("tls", _) => connfx_spec::check::boolean(value).map(Value::Bool),
        (_, Some(property)) => return set_property(&name, entry, property, value, &source, issues),
        _ => Ok(Value::from(value)),
    };
    match parsed {
        Ok(v) => {
            entry.table.insert(field, v);
        }
        Err(message) => issues.push(ConfigIssue::new(
            format!("targets.{name}.{field}"),
            source,
            message,
        )),
    }
}

/// A property variable: mapped onto the protocol's keys where the protocol is built in (so
/// `RETRY_MAX_ATTEMPTS` is `retry.max_attempts`), else kept as text under its lower-cased name.
fn set_property(
    name: &str,
    entry: &mut Raw,
    property: &str,
    value: &str,
    source: &ValueSource,
    issues: &mut Vec<ConfigIssue>,
) {
    let protocol = entry
        .table
        .get("protocol")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let properties = entry
        .table
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(properties) = properties else {
        return;
    };
    let shape = protocol.as_deref().and_then(builtin).map(|b| (b.config.shape)());
    let Some(shape) = shape else {
        properties.insert(property.to_ascii_lowercase(), Value::from(value));
        return;
    };
    let (property, value) = super::seed_names::canonical(property, value);
    match crate::config::env_leaf(shape, &property, &value) {
        Ok((path, v)) => crate::config::insert_path(properties, &path, v),
        Err(message) => issues.push(ConfigIssue::new(
            format!("targets.{name}.properties"),
            source.clone(),
            message,
        )),
    }
}

/// A built-in protocol's target is checked now, as `Registry::add` will check it; another
/// protocol's adapter is registered later, so its targets are checked when they are added.
fn check_target(name: &str, target: &TargetConfig, source: &ValueSource, issues: &mut Vec<ConfigIssue>) {
    if let Some(builtin) = builtin(&target.protocol) {
        target.check(builtin.config, &format!("targets.{name}"), source, issues);
    }
}
