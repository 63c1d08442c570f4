/// The declaration of `http` (see [`crate::declare`]); `graphql` shares it.
#[macro_export]
#[doc(hidden)]
macro_rules! http_protocol {
    ($then:path) => {
        $then! {
            /// Settings of an [`HttpConnection`](super::HttpConnection). Policies left unset
            /// are off.
            ///
            /// ```
            /// let c: connfx::HttpConfig = serde_json::from_str(r#"{"url": "http://127.0.0.1:8080/api"}"#).unwrap();
            /// assert!(c.retry.is_none());
            /// ```
            protocol HTTP = "http" for HttpConfig as HttpConnection;
            schemes ["http", "https"];
            required [url];
            check [check_http];
            fields {
                /// Base URL; request paths are joined onto it, keeping its path (`http://h/api` + `/x` → `/api/x`).
                url: ConnUrl => Url;
                /// `User-Agent` header; defaults to `connfx/<version>`.
                #[serde(default, skip_serializing_if = "Option::is_none")]
                user_agent: Option<String> => Str;
                /// Connect, per-attempt and total timeouts (the total is 30 s unless set).
                timeout: CallTimeoutConfig => group CALL_TIMEOUT;
                /// Retry policy.
                retry: Option<RetryConfig> => group RETRY;
                /// Circuit breaker.
                circuit_breaker: Option<CircuitBreakerConfig> => group CIRCUIT_BREAKER;
                /// Rate limit.
                rate_limit: Option<RateLimitConfig> => group RATE_LIMIT;
                /// Concurrency limit.
                bulkhead: Option<BulkheadConfig> => group BULKHEAD;
                /// Idle connections kept for reuse.
                pool: HttpPoolConfig => group HTTP_POOL;
                /// TLS trust roots and client certificate.
                tls: TlsConfig => group TLS;
                /// Authentication sent with every request.
                auth: AuthConfig => group AUTH;
                /// Headers sent with every request.
                headers: Headers => map HEADERS;
                /// Health check.
                health: HealthCheckConfig => group HEALTH;
                /// The connection calls several hosts (a webhook sender, a crawler): a request
                /// may name an absolute `http`/`https` URL on any host, and the circuit breaker
                /// and rate limit are kept per host (`host:port`), each with its own stats.
                /// Credentials (`auth`, URL user-info, credential-like `headers`) are still sent
                /// only to `url`'s own scheme, host and port.
                #[serde(default, skip_serializing_if = "std::ops::Not::not")]
                per_host: bool => Bool;
                /// With `per_host`: the most hosts whose breaker and rate limit are kept; past
                /// it the least recently used tenth are dropped, and start afresh when called
                /// again.
                #[serde(default = "default_max_hosts")]
                max_hosts: u32 => Integer[1, 10_000_000];
                /// With `per_host`: a host not called for this long has its breaker and rate
                /// limit dropped (at most 30 days).
                #[serde(with = "humantime_serde", default = "default_host_idle")]
                #[schemars(with = "crate::HumanDuration")]
                host_idle: Duration => Duration[2_592_000];
                /// With `per_host`: settings of single hosts, keyed by `host` (every port) or
                /// `host:port` (that port only, which wins), matched case-insensitively. Each
                /// may set `headers` (added to requests to that host, over same-named
                /// `headers`), and `rate_limit`, `circuit_breaker` and `timeout`, which replace
                /// the connection's group for that host (its unset keys at their defaults). Set
                /// in a file (`[api.hosts."api.example"]`) or the environment (one JSON object),
                /// not in the attribute.
                #[serde(default, skip_serializing_if = "crate::config::group::Unset::is_unset")]
                #[serde(deserialize_with = "crate::protocol::http::hosts::table")]
                hosts: HostTable => Map;
            }
        }
    };
}

crate::http_protocol!(crate::spec_protocol);

/// `graphql`: GraphQL over HTTP, with exactly the keys of [`HTTP`], `url` being the GraphQL
/// endpoint.
pub const GRAPHQL: crate::Protocol = crate::Protocol {
    name: "graphql",
    type_name: "GraphqlConnection",
    ..HTTP
};
