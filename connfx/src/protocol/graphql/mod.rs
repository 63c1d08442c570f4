//! GraphQL connections over the HTTP connection: every operation is an HTTP `POST` to one
//! endpoint, through the same policies (rate limit → bulkhead → total timeout → retry → circuit
//! breaker → per-attempt timeout) and settings as [`HttpConnection`].
//!
//! ```no_run
//! use connfx::{Connection, GraphqlConfig, GraphqlConnection};
//!
//! #[derive(serde::Deserialize)]
//! struct Data {
//!     hero: Hero,
//! }
//! #[derive(serde::Deserialize)]
//! struct Hero {
//!     name: String,
//! }
//!
//! # async fn run() -> Result<(), connfx::Error> {
//! let config: GraphqlConfig = serde_json::from_value(serde_json::json!({
//!     "url": "https://swapi.example/graphql",
//!     "retry": { "max_attempts": 3 },
//! }))
//! .expect("a valid config");
//! let swapi = GraphqlConnection::connect("swapi", config).await?;
//! let data: Data = swapi
//!     .query("query($id: ID!) { hero(id: $id) { name } }", serde_json::json!({ "id": "1000" }))
//!     .await?;
//! println!("{}", data.hero.name);
//! # Ok(()) }
//! ```
//!
//! Query text can be written by hand or built with [`Operation`] (fields, aliases, arguments in
//! GraphQL syntax, variables, fragments), which checks names and references before anything is
//! sent.
//!
//! # Decisions
//!
//! - **Built on [`HttpConnection`]**, not on a GraphQL client crate: the policies, auth, TLS,
//!   redaction and close semantics are the HTTP connection's, so they behave the same for both
//!   protocols. [`GraphqlConnection::http`] gives the HTTP connection itself, for its breaker,
//!   retry and rate limit stats.
//! - **The config is [`HttpConfig`]** ([`GraphqlConfig`] is an alias): a key is defined once;
//!   `url` is the endpoint. `health.path` is not used.
//! - **Queries are retried, mutations are not**: see [`GraphqlConnection#retries`].
//! - **`errors` are an answer, not a failure**: a `200` with `errors` is
//!   [`CallError::Graphql`], neither counted by the circuit breaker nor retried. HTTP statuses
//!   keep their HTTP meaning (5xx counts, 503 is retried for queries).
//! - **A 4xx whose body is a GraphQL answer with `errors`** (GraphQL over HTTP's answer to a
//!   query that does not parse or validate) is [`CallError::Graphql`] with the server's
//!   messages, not [`CallError::Status`]: the messages say what is wrong with the query.
//! - **Partial data**: [`query`](GraphqlConnection::query) and
//!   [`mutate`](GraphqlConnection::mutate) fail on any error;
//!   [`GraphqlRequest::execute`] returns the data next to the errors.
//! - **`data: null` without errors** is [`CallError::Decode`]: the server broke the protocol.
//! - **Health** posts `{"query":"{__typename}"}` past the policies, like the HTTP check:
//!   `data` → Ready; `errors` in a 2xx → Connected, with the first message; statuses as for HTTP
//!   (429 Live, 503 and 4xx Connected, other 5xx Error); no answer → Error.
//! - **Subscriptions** go over a WebSocket connection speaking `graphql-transport-ws`
//!   ([`GraphqlSubscriptions`], features `graphql` and `websocket`), not over this connection:
//!   HTTP has no way to push results. Their decisions are in the [`subscription`] module.
//!
//! [`CallError::Graphql`]: crate::CallError::Graphql
//! [`CallError::Decode`]: crate::CallError::Decode
//! [`CallError::Status`]: crate::CallError::Status

mod builder;
mod config;
pub(crate) mod error;
mod health;
mod request;
mod response;
#[cfg(feature = "websocket")]
pub mod subscription;

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{CallError, ConnUrl, ConnectError, Connection, Health, HttpConfig, HttpConnection};

pub use builder::{BuildError, Field, Fragment, InlineFragment, InputValue, Operation, OperationType};
pub use config::GraphqlConfig;
pub use error::{GraphqlError, Location, PathSegment};
pub use request::GraphqlRequest;
pub use response::GraphqlResponse;
#[cfg(feature = "websocket")]
pub use subscription::{GraphqlSubscriptions, Subscription};

/// A live GraphQL connection: one endpoint, reached through an [`HttpConnection`].
///
/// Cheap to clone (an `Arc` inside); every clone shares the HTTP client, the policies and the
/// closed state. `Debug` shows the name and the URL with its password redacted.
///
/// ```
/// use connfx::{Connection, GraphqlConfig, GraphqlConnection};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), connfx::ConnectError> {
/// let config: GraphqlConfig =
///     serde_json::from_str(r#"{"url": "http://app:hunter2@127.0.0.1:4000/graphql"}"#).expect("valid");
/// let api = GraphqlConnection::connect("api", config).await?;
/// assert_eq!(api.name(), "api");
/// assert!(!format!("{api:?}").contains("hunter2"));
/// # Ok(()) }
/// ```
///
/// # Retries
///
/// With a `retry` policy configured, an operation is retried as an HTTP `POST` is, with one
/// difference: a **query** is sent as idempotent (reading twice is harmless), so every outcome
/// in `retry.retry_on` is retried (by default connect failures, timeouts, 429, 502, 503, 504).
///
/// A **mutation** is not idempotent: it is retried only when the failed try cannot have reached
/// the server, i.e. the connection could not be opened (refused, DNS, TLS handshake, connect
/// timeout) and `retry_on` includes `connect`. Once a byte of it may have been sent, a timeout,
/// a broken connection or a 503 ends the call with that error. Opt in to more with
/// [`GraphqlRequest::idempotent`] for one request, or `retry(non_idempotent = true)` for every
/// mutation of the connection. A `200` with `errors` is never retried.
#[derive(Clone)]
pub struct GraphqlConnection {
    http: HttpConnection,
}

impl GraphqlConnection {
    /// The connection's name (the field or registry name).
    ///
    /// ```
    /// # fn run(api: connfx::GraphqlConnection) {
    /// tracing::info!(connection = api.name(), "querying");
    /// # }
    /// ```
    pub fn name(&self) -> &str {
        self.http.name()
    }

    /// The endpoint; its `Display` and `Debug` redact the password.
    ///
    /// ```
    /// # fn run(api: connfx::GraphqlConnection) {
    /// println!("querying {}", api.endpoint());
    /// # }
    /// ```
    pub fn endpoint(&self) -> ConnUrl {
        self.http.base_url()
    }

    /// The settings this connection was built from.
    ///
    /// ```
    /// # fn run(api: connfx::GraphqlConnection) {
    /// let attempts = api.config().retry.as_ref().map_or(1, |r| r.max_attempts);
    /// # }
    /// ```
    pub fn config(&self) -> std::sync::Arc<GraphqlConfig> {
        self.http.config()
    }

    /// Applies `config` to this live connection: see [`HttpConnection::reload`], which it is.
    ///
    /// # Errors
    /// As [`HttpConnection::reload`]: the connection then keeps running as it was.
    ///
    /// ```
    /// # async fn run(api: connfx::GraphqlConnection, config: connfx::GraphqlConfig) -> Result<(), connfx::ConnectError> {
    /// let applied = api.reload(config).await?;
    /// tracing::info!(?applied, "graphql settings reloaded");
    /// # Ok(()) }
    /// ```
    pub async fn reload(&self, config: GraphqlConfig) -> Result<crate::Applied, ConnectError> {
        self.http.reload(config).await
    }

    /// The HTTP connection underneath: its live [`breaker`](HttpConnection::breaker),
    /// [`retry`](HttpConnection::retry), rate limit and bulkhead, or plain HTTP requests to the
    /// endpoint's host (which go through the same policies).
    ///
    /// ```
    /// # fn run(api: connfx::GraphqlConnection) {
    /// if let Some(breaker) = api.http().breaker() {
    ///     println!("{:?}", breaker.state());
    /// }
    /// # }
    /// ```
    pub fn http(&self) -> &HttpConnection {
        &self.http
    }

    /// What the operations made through this connection did: its HTTP connection's
    /// [`metrics`](HttpConnection::metrics) (each operation one request).
    ///
    /// ```
    /// # fn run(api: connfx::GraphqlConnection) {
    /// println!("{:.1} % of operations failed", api.metrics().error_rate * 100.0);
    /// # }
    /// ```
    pub fn metrics(&self) -> crate::CallStats {
        self.http.metrics()
    }

    /// Runs a query and returns its `data` decoded as `T`. `variables` is anything that
    /// serializes to a JSON object, or `()` for none. Retried as described under
    /// [Retries](GraphqlConnection#retries).
    ///
    /// # Errors
    /// [`CallError::Graphql`] when the answer has `errors`; the others of
    /// [`GraphqlRequest::send`].
    ///
    /// ```no_run
    /// # async fn run(api: connfx::GraphqlConnection) -> Result<(), connfx::CallError> {
    /// #[derive(serde::Deserialize)]
    /// struct Me {
    ///     me: User,
    /// }
    /// #[derive(serde::Deserialize)]
    /// struct User {
    ///     name: String,
    /// }
    /// let data: Me = api.query("{ me { name } }", ()).await?;
    /// let data: serde_json::Value =
    ///     api.query("query($id: ID!) { user(id: $id) { name } }", serde_json::json!({ "id": 7 })).await?;
    /// # Ok(()) }
    /// ```
    pub async fn query<T: DeserializeOwned>(
        &self,
        query: &str,
        variables: impl Serialize,
    ) -> Result<T, CallError> {
        self.request(OperationType::Query, query)
            .variables(variables)
            .send()
            .await
    }

    /// Runs a mutation and returns its `data` decoded as `T`. Sent once, unless it cannot have
    /// reached the server (see [Retries](GraphqlConnection#retries)).
    ///
    /// # Errors
    /// As [`GraphqlConnection::query`].
    ///
    /// ```no_run
    /// # async fn run(api: connfx::GraphqlConnection) -> Result<(), connfx::CallError> {
    /// #[derive(serde::Serialize)]
    /// struct Vars<'a> {
    ///     text: &'a str,
    /// }
    /// let data: serde_json::Value = api
    ///     .mutate("mutation($text: String!) { addNote(text: $text) { id } }", Vars { text: "hi" })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn mutate<T: DeserializeOwned>(
        &self,
        mutation: &str,
        variables: impl Serialize,
    ) -> Result<T, CallError> {
        self.request(OperationType::Mutation, mutation)
            .variables(variables)
            .send()
            .await
    }

    /// Starts an operation of type `kind` with the given text, for the options
    /// [`query`](GraphqlConnection::query) and [`mutate`](GraphqlConnection::mutate) do not
    /// take: operation name, headers, a timeout, the whole answer.
    ///
    /// `kind` decides the retry behaviour; it is not read from the text.
    ///
    /// ```no_run
    /// use connfx::protocol::graphql::OperationType;
    ///
    /// # async fn run(api: connfx::GraphqlConnection) -> Result<(), connfx::CallError> {
    /// let answer = api
    ///     .request(OperationType::Query, "query Stats { stats { users } }")
    ///     .operation_name("Stats")
    ///     .execute::<serde_json::Value>()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn request(&self, kind: OperationType, text: impl Into<String>) -> GraphqlRequest {
        GraphqlRequest::new(self.clone(), kind, Ok(text.into()))
    }

    /// Starts the operation `operation` built with [`Operation`]: its type, text and name. An
    /// invalid operation makes `send`/`execute` fail with [`CallError::InvalidRequest`] saying
    /// why (see [`Operation::build`]), before anything is sent.
    ///
    /// ```no_run
    /// use connfx::protocol::graphql::{Field, InputValue, Operation};
    ///
    /// # async fn run(api: connfx::GraphqlConnection) -> Result<(), connfx::CallError> {
    /// let op = Operation::query()
    ///     .name("User")
    ///     .variable("id", "ID!")
    ///     .field(Field::new("user").arg("id", InputValue::variable("id")).fields(["id", "name"]));
    /// let user: serde_json::Value = api
    ///     .operation(&op)
    ///     .variables(serde_json::json!({ "id": "7" }))
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn operation(&self, operation: &Operation) -> GraphqlRequest {
        let text = operation.build().map_err(|e| e.to_string());
        let request = GraphqlRequest::new(self.clone(), operation.operation_type(), text);
        match operation.operation_name() {
            Some(name) => request.operation_name(name),
            None => request,
        }
    }

    /// Whether [`Connection::close`] was called.
    ///
    /// ```
    /// # async fn run(api: connfx::GraphqlConnection) {
    /// use connfx::Connection;
    /// api.close().await;
    /// assert!(api.is_closed());
    /// # }
    /// ```
    pub fn is_closed(&self) -> bool {
        self.http.is_closed()
    }
}

impl Connection for GraphqlConnection {
    // Name and schemes from the protocol's one declaration in `connfx-spec`.
    const PROTOCOL: &'static str = connfx_spec::protocols::GRAPHQL.name;
    const URL_SCHEMES: &'static [&'static str] = connfx_spec::protocols::GRAPHQL.schemes;
    type Config = GraphqlConfig;

    /// Builds the HTTP connection underneath; no network I/O.
    async fn connect(name: &str, config: HttpConfig) -> Result<Self, ConnectError> {
        if config.health.path.is_some() {
            tracing::warn!(
                connection = name,
                "`health.path` is not used by a GraphQL connection: the health check posts `{{__typename}}` to the endpoint"
            );
        }
        let http = HttpConnection::connect(name, config).await?;
        Ok(GraphqlConnection { http })
    }

    async fn health(&self) -> Health {
        health::check(self).await
    }

    /// Closes the HTTP connection underneath: new operations fail with
    /// [`CallError::Closed`], operations already sent get their answer (waiting at most 30 s).
    async fn close(&self) {
        self.http.close().await;
    }

    fn health_timeout(&self) -> Duration {
        self.config().health.timeout
    }

    /// The HTTP connection's: an operation is measured as the HTTP request it is
    /// (`http.client.*`, and `connfx.*` with `connfx.protocol` `http`).
    fn telemetry(&self) -> Option<&crate::telemetry::Telemetry> {
        Connection::telemetry(&self.http)
    }

    fn critical(&self) -> bool {
        self.config().health.critical
    }

    /// As HTTP's: a GraphQL connection reloads its HTTP connection.
    fn fleet_rate_limit(&self) -> Option<crate::RateLimit> {
        self.http.fleet_rate_limit()
    }

    fn fleet_budget(&self) -> Option<std::sync::Arc<crate::RetryBudget>> {
        self.http.fleet_budget()
    }

    #[cfg(feature = "redis")]
    fn fleet_breaker(&self) -> Option<std::sync::Arc<crate::resilience::circuit_breaker::FleetBreaker>> {
        self.http.fleet_breaker()
    }

    fn reload_applies(path: &str) -> Option<crate::Applied> {
        crate::reload::live_unless_transport(path)
    }

    async fn prepare_reload(&self, config: GraphqlConfig) -> Result<crate::reload::Prepared, ConnectError> {
        self.http.prepare_reload(config).await
    }

    /// The HTTP connection's: a GraphQL handle is its HTTP handle.
    fn registry_slot(&self) -> Option<&crate::registry::RegistrySlot> {
        Connection::registry_slot(&self.http)
    }
}

impl fmt::Debug for GraphqlConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::handle::debug_handle(f, "GraphqlConnection", self.name(), &self.endpoint())
            .finish_non_exhaustive()
    }
}
