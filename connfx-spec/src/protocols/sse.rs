/// The declaration of `sse` (see [`crate::declare`]).
#[macro_export]
#[doc(hidden)]
macro_rules! sse_protocol {
    ($then:path) => {
        $then! {
            /// Settings of an [`SseConnection`](super::SseConnection): an `http://` or
            /// `https://` event stream.
            ///
            /// ```
            /// let c: connfx::SseConfig = serde_json::from_str(r#"{"url": "http://127.0.0.1:8080/events"}"#).unwrap();
            /// assert!(c.read_timeout.is_none());
            /// assert!(c.retry.is_none()); // reconnects with `RetryConfig::default()`
            /// ```
            protocol SSE = "sse" for SseConfig as SseConnection;
            schemes ["http", "https"];
            required [url];
            check [check_sse];
            fields {
                /// The event stream's URL; user-info in it becomes basic auth unless `auth` sets
                /// a credential.
                url: ConnUrl => Url;
                /// Longest silence on an open stream (not even a `:` comment) before it is
                /// taken as dead and reopened; unset means no limit.
                #[serde(default, with = "humantime_serde", skip_serializing_if = "Option::is_none")]
                #[schemars(with = "Option<crate::HumanDuration>")]
                read_timeout: Option<Duration> => Duration;
                /// `connect`: opening a TCP/TLS connection. `per_attempt`: one request, until
                /// the response headers. `total`: one reconnect round, waits included (unset:
                /// `retry.max_attempts` alone ends it).
                timeout: TimeoutConfig => group TIMEOUT;
                /// Reconnects: the wait before reopening follows this backoff, started from the
                /// server's `retry:` when it sent one; `max_attempts` opens in a row may fail
                /// before the stream gives up; `retry_on` says which failures are worth another
                /// open. Unset: the defaults of `retry(...)`.
                retry: Option<RetryConfig> => group RETRY;
                /// Authentication sent with every request of the stream.
                auth: AuthConfig => group AUTH;
                /// Headers sent with every request of the stream; values of credential-like
                /// names are never shown.
                headers: Headers => map HEADERS;
                /// Health check: `timeout` bounds opening the stream.
                health: HealthCheckConfig => group HEALTH;
            }
        }
    };
}

crate::sse_protocol!(crate::spec_protocol);
