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
use crate::config::{ConfigIssue, ConfigType, Scope, ValueSource, check_tables, missing_without_env};
use crate::{ConnUrl, ConnectError, Connection};

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
        check_tables(ty, &scope, [(source, self.to_protocol_json())], issues)
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

    /// The protocol config as JSON: the properties, with `url`/`dsn` and `timeout` folded in.
    pub fn to_protocol_json(&self) -> Value {
        let url = self.url.as_ref().or(self.dsn.as_ref());
        let url = url.map(|url| Value::from(url.expose().as_str()));
        let timeout = self
            .timeout
            .map(|timeout| Value::from(humantime::format_duration(timeout).to_string()));
        protocol_table(self.properties.clone(), url, timeout)
    }
}

/// A protocol's own table from a target's parts: the properties, with the URL as `url` and the
/// timeout as `timeout.total`.
pub(super) fn protocol_table(
    mut table: Map<String, Value>,
    url: Option<Value>,
    timeout: Option<Value>,
) -> Value {
    if let Some(url) = url {
        table.insert("url".into(), url);
    }
    if let Some(total) = timeout {
        let group = table
            .entry("timeout")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(group) = group {
            group.insert("total".into(), total);
        }
    }
    Value::Object(table)
}

/// The type-erased factory behind an [`AdapterFactory`].
type BuildFn = dyn Fn(String, TargetConfig) -> BoxFuture<'static, Result<Entry, ConnectError>> + Send + Sync;

/// Builds a connection of one protocol from a [`TargetConfig`]; see [`Registry::register_adapter`].
#[derive(Clone)]
pub struct AdapterFactory(Arc<BuildFn>);

impl std::fmt::Debug for AdapterFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdapterFactory")
    }
}

/// The factory of a [`Connection`] type: the target is checked as the type's config, the one
/// way every connection's values are checked ([`TargetConfig::check`]).
pub(super) fn typed_factory<T: Connection>() -> AdapterFactory {
    AdapterFactory(Arc::new(|name: String, target: TargetConfig| {
        Box::pin(async move {
            let config = typed_config::<T>(&name, &target)?;
            T::connect(&name, config).await.map(Entry::new)
        })
    }))
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
        self.adapters()
            .insert(protocol.into(), AdapterFactory(Arc::new(erased)));
    }

    /// Connects `target` with its protocol's adapter and adds it under `name`.
    ///
    /// # Errors
    /// An unknown protocol, invalid settings, or the adapter's own connect error.
    pub async fn add(&self, name: impl Into<String>, target: TargetConfig) -> Result<(), ConnectError> {
        let name = name.into();
        let factory = self.adapters().get(&target.protocol).cloned();
        let Some(AdapterFactory(factory)) = factory else {
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

    fn adapters(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, AdapterFactory>> {
        self.inner.adapters.write().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn push(&self, name: String, entry: Entry) {
        let mut entries = self.inner.entries.write().unwrap_or_else(|e| e.into_inner());
        entries.insert(name, entry);
    }
}
