/// The declaration of `sql` (see [`crate::declare`]).
#[macro_export]
#[doc(hidden)]
macro_rules! sql_protocol {
    ($then:path) => {
        $then! {
            /// Settings of a [`SqlConnection`](super::SqlConnection): `sqlite:`,
            /// `postgres://`, `mysql://`.
            ///
            /// ```
            /// let c: connfx::SqlConfig = serde_json::from_str(r#"{"url": "sqlite::memory:"}"#).unwrap();
            /// assert_eq!(c.pool.max_size, 10);
            /// ```
            protocol SQL = "sql" for SqlConfig as SqlConnection;
            schemes ["sqlite", "postgres", "postgresql", "mysql", "mariadb"];
            required [url];
            check [check_sql];
            fields {
                /// Database URL; a password in it is never shown.
                url: ConnUrl => Url;
                /// Connect timeout (`connect`) and query bounds (`total`: 30 s unless set).
                timeout: CallTimeoutConfig => group CALL_TIMEOUT;
                /// Retry policy.
                retry: Option<RetryConfig> => group RETRY;
                /// Circuit breaker.
                circuit_breaker: Option<CircuitBreakerConfig> => group CIRCUIT_BREAKER;
                /// Rate limit on calls.
                rate_limit: Option<RateLimitConfig> => group RATE_LIMIT;
                /// Concurrency limit on calls.
                bulkhead: Option<BulkheadConfig> => group BULKHEAD;
                /// Connection pool.
                pool: PoolConfig => group POOL;
                /// Health check.
                health: HealthCheckConfig => group HEALTH;
            }
        }
    };
}

crate::sql_protocol!(crate::spec_protocol);
