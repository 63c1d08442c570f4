//! The dynamic side of the registry: connections named at run time, by [`TargetConfig`], with
//! adapters looked up by protocol name.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::builtin::BUILTINS;
use super::{Registry, entry::Entry};
use crate::config::shape::Shape;
use crate::config::{ConfigIssue, ConfigType, Scope, ValueSource, check_tables, missing_without_env};
use crate::reload::Prepared;
use crate::{Applied, ConnUrl, ConnectError, Connection};

/// One connection of the dynamic registry, as `CONN_TARGETS_<NAME>_…` variables or a file give it.
///
/// ```
/// let target: connfx::registry::TargetConfig = serde_json::from_value(serde_json::json!({
///     "protocol": "http", "url": "http://127.0.0.1:8080", "timeout": "5s",
///     "properties": { "retry": { "max_attempts": 2 } }
/// })).unwrap();
/// assert_eq!(target.protocol, "http");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    /// The protocol: any built-in one, such as `http` or `sql`, or the name of an adapter
    /// registered with `Registry::register_adapter`.
    pub protocol: String,
    /// The URL (HTTP, WebSocket, Redis …), the protocol's `url` key; its password is never
    /// shown. Given with `dsn`, this one is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<ConnUrl>,
    /// The data source name, as SQL people call the URL: the protocol's `url` key when `url`
    /// is not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dsn: Option<ConnUrl>,
    /// Total time of one call.
    #[serde(default, with = "humantime_serde", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::HumanDuration>")]
    pub timeout: Option<Duration>,
    /// PEM file of extra CA certificates to trust: the protocol's `tls.ca_file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// PEM file of the client certificate: the protocol's `tls.cert_file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_file: Option<String>,
    /// PEM file of the client certificate's key: the protocol's `tls.key_file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<String>,
    /// Whether the connection must be encrypted; `true` with a plain `http://` or `ws://` URL is
    /// an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<bool>,
    /// Any other key of the protocol's config, nested as in a file (`retry.max_attempts`).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub properties: Map<String, Value>,
}

impl TargetConfig {
    /// Checks the target as a `ty` config, as a derived struct's connection is checked, naming
    /// `path` (`targets.api`, or empty) and `source` in each problem; gives back the checked tree.
    pub(crate) fn check(
        &self,
        ty: ConfigType,
        path: &str,
        source: &ValueSource,
        issues: &mut Vec<ConfigIssue>,
    ) -> Value {
        let scope = Scope {
            path,
            source: source.clone(),
            missing: &missing_without_env,
        };
        let table = match self.resolved((ty.shape)()) {
            Ok(table) => table,
            Err(message) => {
                issues.push(ConfigIssue::new(path, source.clone(), message));
                return Value::Null;
            }
        };
        check_tables(ty, &scope, [(source, table)], issues)
    }

    /// The protocol config as JSON, as [`to_protocol_json`](Self::to_protocol_json) makes it,
    /// with the names of ajan's connfx mapped onto `shape`'s keys (`seed_names`), as the loader
    /// maps them: a target built in code reads like one loaded from a file.
    fn resolved(&self, shape: &crate::config::shape::Shape) -> Result<Value, String> {
        let Ok(Value::Object(mut table)) = serde_json::to_value(self) else {
            return Ok(self.to_protocol_json());
        };
        let endpoint = super::seed_names::Endpoint::of(&table);
        super::seed_names::resolve(shape, &endpoint, &mut table)?;
        Ok(protocol_table(&table))
    }

    /// `tls = true` with a URL whose scheme is not encrypted is refused when connecting.
    fn refuse_plain_tls(&self, name: &str) -> Result<(), ConnectError> {
        let plain = self
            .url
            .as_ref()
            .or(self.dsn.as_ref())
            .map(ConnUrl::scheme)
            .filter(|scheme| matches!(*scheme, "http" | "redis" | "ws"));
        match (self.tls, plain) {
            (Some(true), Some(scheme)) => Err(ConnectError::new(
                name,
                format!("`tls` is true but the URL scheme `{scheme}` is not encrypted"),
            )),
            _ => Ok(()),
        }
    }

    /// The protocol config as JSON: the properties, with `url`/`dsn`, `timeout` and the TLS
    /// files folded in.
    pub fn to_protocol_json(&self) -> Value {
        match serde_json::to_value(self) {
            Ok(Value::Object(table)) => protocol_table(&table),
            _ => Value::Object(self.properties.clone()),
        }
    }
}

/// A protocol's own table from a target's table (or one source's part of it): the properties,
/// with the URL (`url`, else `dsn`) as `url`, the timeout as `timeout.total` and the TLS files as
/// `tls.ca_file`, `tls.cert_file`, `tls.key_file`.
pub(super) fn protocol_table(target: &Map<String, Value>) -> Value {
    let mut table = match target.get("properties") {
        Some(Value::Object(properties)) => properties.clone(),
        _ => Map::new(),
    };
    if let Some(url) = target.get("url").or_else(|| target.get("dsn")) {
        table.insert("url".into(), url.clone());
    }
    let nested = [
        ("timeout", "timeout", "total"),
        ("ca_file", "tls", "ca_file"),
        ("cert_file", "tls", "cert_file"),
        ("key_file", "tls", "key_file"),
    ];
    for (field, group, key) in nested {
        let Some(value) = target.get(field) else {
            continue;
        };
        let group = table.entry(group).or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(group) = group {
            group.insert(key.into(), value.clone());
        }
    }
    Value::Object(table)
}

/// The type-erased factory behind an [`AdapterFactory`].
type BuildFn = dyn Fn(String, TargetConfig) -> BoxFuture<'static, Result<Entry, ConnectError>> + Send + Sync;

/// Builds a connection of one protocol from a [`TargetConfig`]; see [`Registry::register_adapter`].
#[derive(Clone)]
pub struct AdapterFactory {
    build: Arc<BuildFn>,
    /// How a target of a [`Connection`] type reloads; none for a hand-written factory.
    reloader: Option<Reloader>,
}

/// How [`Registry::reload`] compares and reloads a target of one [`Connection`] type.
#[derive(Clone, Copy)]
pub(super) struct Reloader {
    pub shape: fn() -> &'static Shape,
    pub applies: fn(&str) -> Option<Applied>,
    /// The target's settings as the type's config serializes them, checked as at `add`.
    pub settings: fn(&str, &TargetConfig) -> Result<Value, ConnectError>,
    pub prepare: fn(Entry, String, TargetConfig) -> BoxFuture<'static, Result<Prepared, ConnectError>>,
}

impl Reloader {
    fn of<T: Connection>() -> Self {
        Reloader {
            shape: crate::config::shape::shape_of::<T>,
            applies: T::reload_applies,
            settings: |name, target| {
                let config = typed_config::<T>(name, target)?;
                serde_json::to_value(&config).map_err(|e| ConnectError::new(name, e.to_string()))
            },
            prepare: |entry, name, target| {
                Box::pin(async move {
                    let Some(connection) = entry.downcast::<T>() else {
                        return Err(ConnectError::new(name, "the live connection is of another type"));
                    };
                    connection
                        .prepare_reload(typed_config::<T>(&name, &target)?)
                        .await
                })
            },
        }
    }
}

impl std::fmt::Debug for AdapterFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdapterFactory")
    }
}

/// The factory of a [`Connection`] type: the target is checked as the type's config, the one
/// way every connection's values are checked ([`TargetConfig::check`]).
pub(super) fn typed_factory<T: Connection>() -> AdapterFactory {
    AdapterFactory {
        build: Arc::new(|name: String, target: TargetConfig| {
            Box::pin(async move {
                let config = typed_config::<T>(&name, &target)?;
                T::connect(&name, config).await.map(Entry::new)
            })
        }),
        reloader: Some(Reloader::of::<T>()),
    }
}

fn typed_config<T: Connection>(name: &str, target: &TargetConfig) -> Result<T::Config, ConnectError> {
    target.refuse_plain_tls(name)?;
    let invalid =
        |problems: String| ConnectError::new(name, format!("invalid `{}` settings: {problems}", T::PROTOCOL));
    let mut issues = Vec::new();
    let value = target.check(ConfigType::of::<T>(), "", &ValueSource::Default, &mut issues);
    if !issues.is_empty() {
        let problems: Vec<String> = issues.iter().map(ConfigIssue::without_source).collect();
        return Err(invalid(problems.join("; ")));
    }
    serde_json::from_value(value).map_err(|e| invalid(e.to_string()))
}

pub(super) fn register_builtin(registry: &Registry) {
    for builtin in BUILTINS {
        registry
            .adapters()
            .insert(builtin.protocol.to_owned(), (builtin.factory)());
    }
}

impl Registry {
    /// Makes `T` available to [`Registry::add`] under its protocol name `T::PROTOCOL`.
    pub fn register_connection_type<T: Connection>(&self) {
        self.adapters()
            .insert(T::PROTOCOL.to_owned(), typed_factory::<T>());
    }

    /// Makes `protocol` available to [`Registry::add`], built by `factory`.
    ///
    /// ```
    /// # use connfx::{Registry, registry::TargetConfig, HttpConnection, HttpConfig};
    /// let registry = Registry::new();
    /// registry.register_adapter("legacy-http", |name: String, target: TargetConfig| async move {
    ///     let config: HttpConfig = serde_json::from_value(target.to_protocol_json())
    ///         .map_err(|e| connfx::ConnectError::new(&name, e.to_string()))?;
    ///     <HttpConnection as connfx::Connection>::connect(&name, config).await
    /// });
    /// ```
    pub fn register_adapter<T, F, Fut>(&self, protocol: impl Into<String>, factory: F)
    where
        T: Connection,
        F: Fn(String, TargetConfig) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, ConnectError>> + Send + 'static,
    {
        let erased =
            move |name: String, target: TargetConfig| -> BoxFuture<'static, Result<Entry, ConnectError>> {
                let built = factory(name, target);
                Box::pin(async move { built.await.map(Entry::new) })
            };
        self.adapters().insert(
            protocol.into(),
            AdapterFactory {
                build: Arc::new(erased),
                reloader: None,
            },
        );
    }

    /// Connects `target` with its protocol's adapter and adds it under `name`.
    ///
    /// # Errors
    /// An unknown protocol, invalid settings, or the adapter's own connect error.
    pub async fn add(&self, name: impl Into<String>, target: TargetConfig) -> Result<(), ConnectError> {
        let name = name.into();
        let factory = self.adapters().get(&target.protocol).cloned();
        let Some(AdapterFactory { build: factory, .. }) = factory else {
            let known: Vec<String> = self.adapters().keys().cloned().collect();
            let message = format!(
                "unknown protocol `{}`; registered: {}",
                target.protocol,
                known.join(", ")
            );
            return Err(ConnectError::new(name, message));
        };
        let entry = factory(name.clone(), target).await?;
        self.push(name, entry);
        Ok(())
    }

    /// How targets of `protocol` reload, if its factory is a connection type's.
    pub(super) fn reloader(&self, protocol: &str) -> Option<Reloader> {
        self.adapters().get(protocol)?.reloader
    }

    fn adapters(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, AdapterFactory>> {
        self.inner.adapters.write().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn push(&self, name: String, entry: Entry) {
        let mut entries = self.inner.entries.write().unwrap_or_else(|e| e.into_inner());
        entries.insert(name, entry);
    }
}
