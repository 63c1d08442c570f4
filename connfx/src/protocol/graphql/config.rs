//! [`GraphqlConfig`]: the HTTP settings, `url` being the GraphQL endpoint.

use crate::HttpConfig;

/// Settings of a [`GraphqlConnection`](super::GraphqlConnection): exactly those of an HTTP
/// connection (timeouts, retry, circuit breaker, rate limit, bulkhead, pool, TLS, auth, headers,
/// health), with `url` the GraphQL endpoint every operation is posted to.
///
/// A type alias rather than a type of its own: one definition per key, so the derive, the
/// loader, the environment names and the JSON Schema of `graphql` and `http` cannot drift apart,
/// and a config can be handed from one to the other. `health.path` is not used (the health check
/// posts `{__typename}` to the endpoint; a warning is logged at connect when it is set).
///
/// ```
/// let config: connfx::GraphqlConfig = serde_json::from_value(serde_json::json!({
///     "url": "https://api.example/graphql",
///     "retry": { "max_attempts": 3 },
/// }))
/// .unwrap();
/// assert_eq!(config.url.expose().path(), "/graphql");
/// ```
pub type GraphqlConfig = HttpConfig;
