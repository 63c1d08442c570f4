//! [`RegistryConfig`]: the dynamic registry's settings, from files and `CONN_TARGETS_<NAME>_…`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::builtin::builtin;
use super::dynamic::protocol_table;
use super::seed_env::{self, SeedEnv};
use super::seed_names::{self, Endpoint, Property};
use super::{Registry, TargetConfig};
use crate::ConnectError;
use crate::config::{
    ConfigError, ConfigIssue, Layer, Scope, Sources, ValueSource, check_tables, insert_path,
    missing_without_env, read_file,
};
use crate::error::ConnectErrors;

/// Why a registry refuses a config-rs or figment layer.
const FOREIGN_LAYER: &str = "a registry reads its targets from files and the environment; a config-rs or figment layer is read by a derived struct";

/// The environment prefix of dynamic targets.
pub const TARGETS_PREFIX: &str = "CONN_TARGETS_";

/// The settings of a dynamic registry: targets by name.
///
/// In a file: `[targets.api]` with `protocol = "http"`, `url = …`, and `[targets.api.properties]`
/// for any other key of the protocol. In the environment: `CONN_TARGETS_API_PROTOCOL=http`,
/// `CONN_TARGETS_API_URL=…`, `CONN_TARGETS_API_DSN`, `_TIMEOUT`, `_TLS`, `_CA_FILE`, `_CERT_FILE`,
/// `_KEY_FILE`, and `CONN_TARGETS_API_PROPERTIES_RETRY_MAX_ATTEMPTS=3` (names are lower-cased).
/// The property names of ajan's connfx, whose `CONN_TARGETS_*` scheme this is
/// (`…_PROPERTIES_RETRY_STRATEGY_RANDOM_FACTOR`, `…_PROPERTIES_SERVER_ERROR_THRESHOLD`, an OTLP
/// `DSN=host:port` with `…_PROPERTIES_INSECURE` …), are mapped onto these keys for built-in
/// protocols, in files as in the environment: see `docs/migrating-from-ajan-connfx.md`.
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
    /// The OTLP target that receives every target's telemetry (connfx's own metrics); unset,
    /// the first OTLP target does. In the environment `CONN_TELEMETRY`, or seed 000's
    /// `METRICS_OTLP_CONNECTION_NAME` (ajan's connfx), the former winning. Read at connect: a
    /// reload does not move the telemetry to another target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telemetry: Option<String>,
}

/// The variable naming the OTLP target that receives the targets' telemetry.
pub const TELEMETRY_VAR: &str = "CONN_TELEMETRY";

/// Seed 000's (ajan's connfx) name for [`TELEMETRY_VAR`], read as written.
pub const SEED_TELEMETRY_VAR: &str = "METRICS_OTLP_CONNECTION_NAME";

/// One target's raw settings while loading: the merged table, the latest source that touched
/// it, and each source's own part, so that a problem found once every source is in (a bound, a
/// missing key, a rule of the config type) is blamed on the source of the value it is about.
#[derive(Default)]
struct Raw {
    table: Map<String, Value>,
    source: Option<ValueSource>,
    parts: Vec<(ValueSource, Map<String, Value>)>,
}

impl Raw {
    /// Takes `part` (a target's table from a file, or a library's defaults) into the merged
    /// table, as the checks layer it: `properties` key by key and each policy group key by key,
    /// a map (`headers`, `resource`) and any other value replaced whole.
    fn merge(&mut self, source: &ValueSource, part: Map<String, Value>) {
        for (key, value) in &part {
            match (self.table.get_mut(key), value) {
                (Some(Value::Object(properties)), Value::Object(more)) if key == "properties" => {
                    for (group, value) in more {
                        match (properties.get_mut(group), value) {
                            (Some(Value::Object(keys)), Value::Object(more))
                                if !matches!(group.as_str(), "headers" | "resource") =>
                            {
                                keys.extend(more.clone());
                            }
                            _ => {
                                properties.insert(group.clone(), value.clone());
                            }
                        }
                    }
                }
                _ => {
                    self.table.insert(key.clone(), value.clone());
                }
            }
        }
        self.keep(source, part);
    }

    /// Keeps `part` as given by `source`, to be checked with it.
    fn keep(&mut self, source: &ValueSource, part: Map<String, Value>) {
        self.source = Some(source.clone());
        self.parts.push((source.clone(), part));
    }

    /// The merged `properties` table, made if absent; `None` if a file gave it a non-table.
    fn properties(&mut self) -> Option<&mut Map<String, Value>> {
        let properties = self
            .table
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        properties.as_object_mut()
    }

    /// The merged table and each part in connfx's terms, for a built-in protocol: the seed's
    /// names mapped and an OTLP collector's `host:port` made a URL (`seed_names::resolve`), with
    /// what every source said about the address; a key with no effect is named in a warning.
    fn resolve(&mut self, name: &str, issues: &mut Vec<ConfigIssue>) {
        let protocol = self.table.get("protocol").and_then(Value::as_str);
        let Some(shape) = protocol.and_then(builtin).map(|b| (b.config.shape)()) else {
            return;
        };
        let endpoint = Endpoint::of(&self.table);
        let source = self.source.clone().unwrap_or(ValueSource::Default);
        match seed_names::resolve(shape, &endpoint, &mut self.table) {
            Ok(dropped) => {
                for (key, why) in dropped {
                    tracing::warn!(
                        target = name,
                        key,
                        "property `{key}` has no effect in connfx: {why}"
                    );
                }
            }
            Err(message) => issues.push(ConfigIssue::new(format!("targets.{name}"), source, message)),
        }
        for (_, part) in &mut self.parts {
            // Problems were reported once, for the merged table.
            let _ = seed_names::resolve(shape, &endpoint, part);
        }
    }

    /// The protocol's own table from each part, lowest priority first, with its source.
    fn protocol_tables(&self) -> impl Iterator<Item = (&ValueSource, Value)> {
        self.parts
            .iter()
            .map(|(source, part)| (source, protocol_table(part)))
    }
}

impl RegistryConfig {
    /// Loads the targets from `sources`: files first, then the environment.
    ///
    /// # Errors
    /// Every problem found, each with the target's path and source.
    pub fn load(sources: Sources) -> Result<Self, ConfigError> {
        Self::load_with(sources, &[])
    }

    /// [`load`](Self::load), also reading the environment as `seeds` write it (another
    /// library's variables, see [`SeedEnv`]): the library's defaults first, then files, then
    /// the environment; each value keeps the variable it came from as its source.
    ///
    /// # Errors
    /// Every problem found, each with the target's path and source.
    pub fn load_with(sources: Sources, seeds: &[SeedEnv]) -> Result<Self, ConfigError> {
        let mut issues = Vec::new();
        let mut raw: BTreeMap<String, Raw> = BTreeMap::new();
        let mut variables: Vec<(String, String, ValueSource)> = sources
            .env
            .iter()
            .filter(|(k, _)| k.starts_with(TARGETS_PREFIX))
            .map(|(k, v)| (k.clone(), v.clone(), ValueSource::Env(k.clone())))
            .collect();
        for seed in seeds {
            let (defaults, translated, problems) = seed_env::translate(seed, &sources.env);
            for (name, table) in defaults {
                raw.entry(name).or_default().merge(&ValueSource::Default, table);
            }
            let translated = translated
                .into_iter()
                .map(|(own, ours, value)| (ours, value, ValueSource::Env(own)));
            variables.extend(translated);
            let problems = problems
                .into_iter()
                .map(|(own, message)| ConfigIssue::new("targets", ValueSource::Env(own), message));
            issues.extend(problems);
        }
        let mut telemetry = None;
        for layer in &sources.layers {
            match layer {
                Layer::File(file) => read_targets_file(&file.path, &mut raw, &mut telemetry, &mut issues),
                // A registry reads its targets from files and the environment.
                Layer::Tables(tables) => {
                    let origin = tables.first().map_or(ValueSource::Default, |(o, _)| o.clone());
                    issues.push(ConfigIssue::new("targets", origin, FOREIGN_LAYER.to_owned()));
                }
                Layer::Unreadable(origin, message) => {
                    issues.push(ConfigIssue::new("targets", origin.clone(), message.clone()));
                }
            }
        }
        for var in [SEED_TELEMETRY_VAR, TELEMETRY_VAR] {
            if let Some((_, name)) = sources.env.iter().rev().find(|(k, _)| k == var) {
                telemetry = Some((name.clone(), ValueSource::Env(var.to_owned())));
            }
        }
        // Protocols first: a property variable is read by its target's protocol.
        let (protocols, others): (Vec<_>, Vec<_>) = variables
            .into_iter()
            .partition(|(k, _, _)| k.ends_with("_PROTOCOL"));
        for (name, value, source) in protocols.into_iter().chain(others) {
            read_env(&name, &value, source, &mut raw, &mut issues);
        }
        same_variables(&raw, &mut issues);
        let mut targets = BTreeMap::new();
        for (name, mut raw) in raw {
            raw.resolve(&name, &mut issues);
            let source = raw.source.clone().unwrap_or(ValueSource::Default);
            match TargetConfig::deserialize(&Value::Object(raw.table.clone())) {
                Ok(target) => {
                    check_target(&name, &target, &raw, source, &mut issues);
                    targets.insert(name, target);
                }
                Err(e) => issues.push(ConfigIssue::new(format!("targets.{name}"), source, e.to_string())),
            }
        }
        if let Some((name, source)) = &telemetry {
            let protocol = targets.get(name).map(|t| t.protocol.as_str());
            if protocol != Some("otlp") {
                let found = match protocol {
                    Some(other) => format!("a `{other}` target"),
                    None => "no target".to_owned(),
                };
                let message = format!("`telemetry` = {name:?} names {found}; it must name an OTLP target");
                issues.push(ConfigIssue::new("telemetry", source.clone(), message));
            }
        }
        if issues.is_empty() {
            let telemetry = telemetry.map(|(name, _)| name);
            Ok(RegistryConfig { targets, telemetry })
        } else {
            Err(ConfigError::new(issues))
        }
    }

    /// Connects every target into a new [`Registry`] and binds their telemetry to its OTLP
    /// target, if any ([`Registry::export_telemetry`]), and their fleet policies to their stores
    /// ([`Registry::bind_stores`]); all failures are reported together.
    ///
    /// # Errors
    /// A [`ConnectError`] listing every target that failed.
    pub async fn connect(self) -> Result<Registry, ConnectError> {
        let (registry, failed) = self.connect_each().await;
        match failed {
            None => Ok(registry),
            Some(error) => Err(error),
        }
    }

    /// Connects every target it can, as [`connect`](RegistryConfig::connect) does, and gives
    /// the registry of those that connected together with the failures of the others (seed 000:
    /// a service that "handles failures gracefully" starts without one dependency and reports
    /// it). A failed target is not in the registry, and not in what its next
    /// [`reload`](Registry::reload) compares with, so a reload cannot add it: restart to retry it.
    ///
    /// ```no_run
    /// # async fn run(config: connfx::registry::RegistryConfig) {
    /// let (registry, failed) = config.connect_lenient().await;
    /// if let Some(failed) = failed {
    ///     for failure in failed.failures() {
    ///         tracing::warn!(target = %failure.connection, cause = %failure.message, "not connected");
    ///     }
    /// }
    /// println!("{}", registry.health().await);
    /// # }
    /// ```
    pub async fn connect_lenient(self) -> (Registry, Option<ConnectError>) {
        self.connect_each().await
    }

    /// Connects each target; the registry of those that connected, and the failures, if any.
    async fn connect_each(mut self) -> (Registry, Option<ConnectError>) {
        let registry = Registry::new();
        let adding = self.targets.clone().into_iter().map(|(name, target)| {
            let registry = &registry;
            async move { registry.add(name.clone(), target).await.map_err(|e| (name, e)) }
        });
        let mut errors = ConnectErrors::default();
        for result in futures_util::future::join_all(adding).await {
            if let Err((name, error)) = result {
                self.targets.remove(&name);
                errors.check::<()>(Err(error));
            }
        }
        let telemetry = self.telemetry.clone();
        registry.keep_targets(self);
        match telemetry {
            // Checked at load to name an OTLP target; one that failed to connect is reported
            // with the failures above, and the others then export nowhere.
            #[cfg(feature = "otlp")]
            Some(otlp) => drop(registry.export_telemetry_to(&otlp)),
            _ => registry.export_telemetry(),
        }
        errors.check(registry.bind_stores());
        let error = errors.into_error();
        let failed = (!error.failures().is_empty()).then_some(error);
        (registry, failed)
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

/// Two targets whose names differ only in case (`api`, `API`) would be set by the same
/// `CONN_TARGETS_<NAME>_…` variables: the environment could reach only one of them, so a file
/// that names both is refused at boot, as the derive refuses two fields that share a variable.
fn same_variables(raw: &BTreeMap<String, Raw>, issues: &mut Vec<ConfigIssue>) {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for (name, target) in raw {
        let variable = format!("{TARGETS_PREFIX}{}", connfx_spec::env::env_key(name));
        if let Some(first) = seen.insert(variable.clone(), name) {
            let message = format!(
                "targets `{first}` and `{name}` would both be set by the variables `{variable}_…`; rename one of them"
            );
            let source = target.source.clone().unwrap_or(ValueSource::Default);
            issues.push(ConfigIssue::new(format!("targets.{name}"), source, message));
        }
    }
}

fn read_targets_file(
    path: &std::path::Path,
    raw: &mut BTreeMap<String, Raw>,
    telemetry: &mut Option<(String, ValueSource)>,
    issues: &mut Vec<ConfigIssue>,
) {
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
                    raw.entry(name).or_default().merge(&source, target);
                }
            }
            ("telemetry", Value::String(name)) => *telemetry = Some((name, source.clone())),
            ("telemetry", _) => issues.push(ConfigIssue::new(
                "telemetry",
                source.clone(),
                "expected the name of an OTLP target",
            )),
            (other, _) => issues.push(ConfigIssue::new(
                other,
                source.clone(),
                connfx_spec::message::unknown_key("registry", other, ["targets", "telemetry"]),
            )),
        }
    }
}

/// `CONN_TARGETS_API_RETRY…` → target `api`, field and (for properties) the rest of the name.
/// `var` is the registry's name of the variable; `source` the variable as written (another
/// library's name when `seed_env` translated it).
fn read_env(
    var: &str,
    value: &str,
    source: ValueSource,
    raw: &mut BTreeMap<String, Raw>,
    issues: &mut Vec<ConfigIssue>,
) {
    let rest = &var[TARGETS_PREFIX.len()..];
    let fields = [
        "_PROTOCOL",
        "_URL",
        "_DSN",
        "_TIMEOUT",
        "_TLS",
        "_CA_FILE",
        "_CERT_FILE",
        "_KEY_FILE",
    ];
    let (name, field, property) = if let Some(at) = rest.find("_PROPERTIES_") {
        (
            &rest[..at],
            "properties",
            Some(&rest[at + "_PROPERTIES_".len()..]),
        )
    } else if let Some(field) = fields.iter().find(|f| rest.ends_with(*f)) {
        (&rest[..rest.len() - field.len()], &field[1..], None)
    } else {
        let message = "expected `CONN_TARGETS_<NAME>_` then `PROTOCOL`, `URL`, `DSN`, `TIMEOUT`, `TLS`, \
                       `CA_FILE`, `CERT_FILE`, `KEY_FILE` or `PROPERTIES_<KEY>`";
        return issues.push(ConfigIssue::new("targets", source, message));
    };
    let name = name.to_ascii_lowercase();
    let entry = raw.entry(name.clone()).or_default();
    let field = field.to_ascii_lowercase();
    let parsed = match (field.as_str(), property) {
        ("tls", _) => connfx_spec::check::boolean(value).map(Value::Bool),
        (_, Some(property)) => return set_property(var, &name, entry, property, value, &source, issues),
        _ => Ok(Value::from(value)),
    };
    match parsed {
        Ok(v) => {
            entry.table.insert(field.clone(), v.clone());
            entry.keep(&source, Map::from_iter([(field, v)]));
        }
        Err(message) => {
            entry.source = Some(source.clone());
            issues.push(ConfigIssue::new(
                format!("targets.{name}.{field}"),
                source,
                message,
            ));
        }
    }
}

/// A property variable: mapped onto the protocol's keys where the protocol is built in (so
/// `RETRY_MAX_ATTEMPTS` is `retry.max_attempts`, and ajan's `RETRY_STRATEGY_RANDOM_FACTOR` is
/// `retry.jitter`: see `seed_names`), else kept as text under its lower-cased name. A name that is
/// no key is reported as written, with the nearest variables that are.
fn set_property(
    var: &str,
    name: &str,
    entry: &mut Raw,
    property: &str,
    value: &str,
    source: &ValueSource,
    issues: &mut Vec<ConfigIssue>,
) {
    entry.source = Some(source.clone());
    let protocol = entry.table.get("protocol").and_then(Value::as_str);
    let shape = protocol.and_then(builtin).map(|b| (b.config.shape)());
    let Some(shape) = shape else {
        if let Some(properties) = entry.properties() {
            properties.insert(property.to_ascii_lowercase(), Value::from(value));
        }
        return;
    };
    let parsed = match seed_names::property(shape, property) {
        Some(Property::Key(path)) => {
            crate::config::env_value(shape, &path, value).map(|v| v.map(|v| (path, v)))
        }
        Some(Property::Kept(key)) => Some(Ok((key.to_owned(), Value::from(value)))),
        None => None,
    };
    let (path, v) = match parsed {
        Some(Ok(parsed)) => parsed,
        Some(Err(message)) => {
            let path = format!("targets.{name}.properties");
            return issues.push(ConfigIssue::new(path, source.clone(), message));
        }
        None => {
            let written = &var[..var.len() - property.len()];
            let names: Vec<String> = seed_names::property_names(shape)
                .into_iter()
                .map(|key| format!("{written}{key}"))
                .collect();
            let near = connfx_spec::near_names(var, names.iter().map(String::as_str));
            let listed_by = "the registry's JSON Schema (`RegistryConfig::json_schema`, the protocol's keys)";
            let message = connfx_spec::message::unknown_env(var, &near, listed_by);
            let path = format!("targets.{name}.properties");
            return issues.push(ConfigIssue::new(path, source.clone(), message));
        }
    };
    if let Some(properties) = entry.properties() {
        insert_path(properties, &path, v.clone());
        let mut part = Map::new();
        insert_path(&mut part, &format!("properties.{path}"), v);
        entry.keep(source, part);
    }
}

/// A built-in protocol's target is checked now, as `Registry::add` will check it and as a
/// derived struct's connection is checked, each source's part layered in order; another
/// protocol's adapter is registered later, so its targets are checked when they are added.
fn check_target(
    name: &str,
    target: &TargetConfig,
    raw: &Raw,
    source: ValueSource,
    issues: &mut Vec<ConfigIssue>,
) {
    let Some(builtin) = builtin(&target.protocol) else {
        return;
    };
    let path = format!("targets.{name}");
    let scope = Scope {
        path: &path,
        source,
        missing: &missing_without_env,
    };
    check_tables(builtin.config, &scope, raw.protocol_tables(), issues);
}

#[cfg(all(test, feature = "http"))]
mod tests {
    use super::*;

    /// A bound broken in a file is blamed on the file, though the target's latest source is an
    /// environment variable: each value keeps its own source, as in a derived struct's load.
    #[test]
    fn a_problem_found_after_layering_names_the_source_of_its_value() {
        let file = std::env::temp_dir().join(format!("connfx-targets-{}.toml", std::process::id()));
        std::fs::write(&file, "[targets.api.properties.pool]\nmax_size = 0\n").unwrap();
        let loaded = RegistryConfig::load(Sources::new().file(&file).env_map([
            ("CONN_TARGETS_API_PROTOCOL", "http"),
            ("CONN_TARGETS_API_URL", "http://127.0.0.1:1"),
        ]));
        std::fs::remove_file(&file).unwrap();
        let err = loaded.unwrap_err();
        let [issue] = err.issues() else { panic!("{err}") };
        assert_eq!(issue.path(), "targets.api.pool.max_size");
        assert_eq!(issue.source(), &ValueSource::File(file));
    }

    /// `Registry::add` runs the same check, in the same words, on a target built in code.
    #[tokio::test]
    async fn add_checks_a_target_as_the_loader_does() {
        let target: TargetConfig = serde_json::from_value(serde_json::json!({
            "protocol": "http", "url": "http://127.0.0.1:1",
            "properties": { "pool": { "max_size": 0 }, "retry": { "max_atempts": 2 } }
        }))
        .unwrap();
        let err = Registry::new().add("api", target).await.unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("pool.max_size: `max_size` must be between 1 and 100000, found 0"),
            "{text}"
        );
        assert!(text.contains("did you mean `max_attempts`?"), "{text}");
    }
}
