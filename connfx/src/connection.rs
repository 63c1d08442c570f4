//! The [`Connection`] trait: what makes a type usable as a field of `#[derive(Connections)]`
//! and as an entry of the [`Registry`](crate::Registry).

use std::fmt::Debug;
use std::future::Future;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::reload::Prepared;
use crate::telemetry::Telemetry;
use crate::{Applied, ConnectError, Health};

/// A live connection to one outside service, built from its config.
///
/// Connection types are cheap handles (an `Arc` inside): the typed struct, the registry and any
/// clone a caller keeps all share the same live connection, and `close` on one closes it for all.
///
/// Implement it for your own adapters; the derive and the registry then treat them like the
/// built-in protocols:
///
/// ```
/// use connfx::{Connection, ConnectError, Health};
/// use serde::{Deserialize, Serialize};
///
/// /// Settings of the echo adapter.
/// #[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema, validator::Validate)]
/// #[serde(deny_unknown_fields)]
/// pub struct EchoConfig {
///     /// What `health` reports.
///     #[serde(default)]
///     pub greeting: String,
/// }
///
/// #[derive(Clone)]
/// pub struct EchoConnection(std::sync::Arc<EchoConfig>);
///
/// impl Connection for EchoConnection {
///     const PROTOCOL: &'static str = "echo";
///     type Config = EchoConfig;
///     async fn connect(_name: &str, config: EchoConfig) -> Result<Self, ConnectError> {
///         Ok(EchoConnection(std::sync::Arc::new(config)))
///     }
///     async fn health(&self) -> Health {
///         Health::ready(std::time::Duration::ZERO, self.0.greeting.clone())
///     }
///     async fn close(&self) {}
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a connfx connection type",
    label = "this field's type does not implement `connfx::Connection`",
    note = "use a connection type such as `HttpConnection` or `SqlConnection`, `Option<...>` of one, or implement `connfx::Connection` for your adapter"
)]
pub trait Connection: Clone + Send + Sync + 'static {
    /// The protocol name used in `#[connection(protocol = "...")]` and `CONN_TARGETS_<NAME>_PROTOCOL`.
    const PROTOCOL: &'static str;

    /// The URL schemes this connection accepts; empty means any (or no URL at all).
    const URL_SCHEMES: &'static [&'static str] = &[];

    /// The connection's settings: one definition shared by the derive, the loader, the env names
    /// and the JSON Schema.
    type Config: ConnectionConfig;

    /// Builds the connection. `name` is the field or registry name, for messages and telemetry.
    ///
    /// # Errors
    /// A [`ConnectError`] naming the connection and the cause (never a secret).
    fn connect(name: &str, config: Self::Config) -> impl Future<Output = Result<Self, ConnectError>> + Send;

    /// Checks the connection once. The registry bounds it by [`Connection::health_timeout`].
    fn health(&self) -> impl Future<Output = Health> + Send;

    /// Closes the connection gracefully: later calls fail, pools are drained.
    fn close(&self) -> impl Future<Output = ()> + Send;

    /// How long one health check may take before it is reported as an error.
    fn health_timeout(&self) -> Duration {
        Duration::from_secs(5)
    }

    /// The connection's telemetry handle, if it records its calls. A registry binds it to its
    /// OTLP connection (see [`telemetry`](crate::telemetry)); an adapter that returns one gets
    /// the same metrics as the built-in protocols by calling [`Telemetry::record`].
    fn telemetry(&self) -> Option<&Telemetry> {
        None
    }

    /// The connection's rate limit when it is kept across a fleet (`rate_limit(scope = "fleet",
    /// store = …)`): a registry (and a derived struct's `connect`) binds it to the Redis connection
    /// its `store` names, at connect and after each reload. The built-in calling protocols
    /// answer it; an adapter has none.
    #[doc(hidden)]
    fn fleet_rate_limit(&self) -> Option<crate::RateLimit> {
        None
    }

    /// The connection's retry budget when it is kept across a fleet (`retry(budget_scope =
    /// "fleet", budget_store = …)`), bound like [`fleet_rate_limit`](Connection::fleet_rate_limit).
    #[doc(hidden)]
    fn fleet_budget(&self) -> Option<std::sync::Arc<crate::RetryBudget>> {
        None
    }

    /// The quorum half of the connection's breaker when it is kept across a fleet
    /// (`circuit_breaker(scope = "fleet", store = …, quorum = …)`), bound like
    /// [`fleet_rate_limit`](Connection::fleet_rate_limit): whether the breaker is open for the
    /// whole fleet, and how many instances vote.
    #[cfg(feature = "redis")]
    fn fleet_breaker(&self) -> Option<std::sync::Arc<crate::resilience::circuit_breaker::FleetBreaker>> {
        None
    }

    /// Whether the service needs this connection to serve (`health(critical = …)`, default
    /// `true`). Only critical connections decide [`HealthReport::ready`](crate::HealthReport::ready)
    /// and the readiness probe; the others are reported but never block.
    fn critical(&self) -> bool {
        true
    }

    /// Where this handle keeps the registry of the derived struct it is a field of; see
    /// [`RegistrySlot`](crate::registry::RegistrySlot). The built-in types have one. An adapter
    /// without one still works in a struct; only a struct none of whose connections has a slot
    /// builds a new registry on each `registry()` call, so it cannot close the monitors started
    /// from an earlier one.
    fn registry_slot(&self) -> Option<&crate::registry::RegistrySlot> {
        None
    }

    /// How a reload applies a change of the key at `path` (relative to the connection, e.g.
    /// `circuit_breaker.failure_threshold`): in place ([`Applied::Live`]), with a new client
    /// beside the old one ([`Applied::Reconnected`]), or not at all (`None`: the change needs a
    /// restart, and a reload that contains it is refused whole). The default refuses every
    /// change, which is right for a connection without [`prepare_reload`](Connection::prepare_reload).
    ///
    /// ```
    /// use connfx::{Applied, Connection, HttpConnection};
    /// assert_eq!(HttpConnection::reload_applies("retry.max_attempts"), Some(Applied::Live));
    /// assert_eq!(HttpConnection::reload_applies("url"), Some(Applied::Reconnected));
    /// ```
    fn reload_applies(path: &str) -> Option<Applied> {
        let _ = path;
        None
    }

    /// Checks `config` and builds what it needs (a new client, say) beside what runs now,
    /// changing nothing yet: a reload applies the [`Prepared`] result only once every changed
    /// connection of the struct has prepared its own. Called only when every changed key has a
    /// [`reload_applies`](Connection::reload_applies) answer.
    ///
    /// # Errors
    /// A [`ConnectError`] when `config` cannot be applied (a client that cannot be built); the
    /// connection keeps running as it was. The default refuses.
    fn prepare_reload(
        &self,
        config: Self::Config,
    ) -> impl Future<Output = Result<Prepared, ConnectError>> + Send {
        let _ = config;
        async {
            Err(ConnectError::new(
                Self::PROTOCOL,
                "this connection type cannot change its settings while it runs",
            ))
        }
    }
}

/// What a connection's config type must be: plain data that the loader can fill, check and
/// describe. Implemented for every type with the listed traits.
pub trait ConnectionConfig:
    Serialize + DeserializeOwned + JsonSchema + validator::Validate + Clone + Debug + Send + Sync + 'static
{
}

impl<T> ConnectionConfig for T where
    T: Serialize
        + DeserializeOwned
        + JsonSchema
        + validator::Validate
        + Clone
        + Debug
        + Send
        + Sync
        + 'static
{
}
