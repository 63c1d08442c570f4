/// The declaration of `redis` (see [`crate::declare`]).
#[macro_export]
#[doc(hidden)]
macro_rules! redis_protocol {
    ($then:path) => {
        $then! {
            /// Settings of a [`RedisConnection`](super::RedisConnection): `redis://` or
            /// `rediss://` (TLS). Policies left unset are off.
            ///
            /// ```
            /// let c: connfx::RedisConfig = serde_json::from_str(r#"{"url": "redis://127.0.0.1:6379/2"}"#).unwrap();
            /// assert!(c.pool.is_none() && c.retry.is_none());
            /// ```
            protocol REDIS = "redis" for RedisConfig as RedisConnection;
            schemes ["redis", "rediss"];
            required [url];
            check [check_redis];
            fields {
                /// Server URL: `redis://[user[:password]@]host[:port][/database]`, `rediss://`
                /// for TLS. A password in it is never shown.
                url: ConnUrl => Url;
                /// Password (Redis `AUTH`), when it is not in the URL; it wins over the URL's.
                #[serde(default, skip_serializing_if = "Option::is_none")]
                password: Option<Secret> => Secret;
                /// Database number selected on every connection; wins over the URL's
                /// `/database`.
                #[serde(default, skip_serializing_if = "Option::is_none")]
                database: Option<u32> => Integer[0, 65_535];
                /// Connect timeout (default 1 s), per-attempt timeout (each try of a command,
                /// connecting included) and total time of a command, retries included.
                timeout: CallTimeoutConfig => group CALL_TIMEOUT;
                /// Retry policy; `retry_on` reads `connect`, `timeout`, `transport` (connection
                /// lost) and `503` (server busy: `BUSY`, `LOADING`, `TRYAGAIN`, `MASTERDOWN`,
                /// `CLUSTERDOWN`).
                retry: Option<RetryConfig> => group RETRY;
                /// Circuit breaker.
                circuit_breaker: Option<CircuitBreakerConfig> => group CIRCUIT_BREAKER;
                /// Rate limit on calls.
                rate_limit: Option<RateLimitConfig> => group RATE_LIMIT;
                /// Concurrency limit on calls.
                bulkhead: Option<BulkheadConfig> => group BULKHEAD;
                /// Unset: one multiplexed connection, shared by every call. Set: `max_size`
                /// multiplexed connections, used in turn; the other pool keys do not apply.
                pool: Option<PoolConfig> => group POOL;
                /// TLS trust roots and client certificate (`rediss://` only).
                tls: TlsConfig => group TLS;
                /// Health check (`PING`) and how long it may take.
                health: HealthCheckConfig => group HEALTH;
            }
        }
    };
}

crate::redis_protocol!(crate::spec_protocol);
