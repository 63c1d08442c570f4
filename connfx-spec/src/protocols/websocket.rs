/// The declaration of `websocket` (see [`crate::declare`]).
#[macro_export]
#[doc(hidden)]
macro_rules! websocket_protocol {
    ($then:path) => {
        $then! {
            /// Settings of a [`WebSocketConnection`](super::WebSocketConnection): `ws://` or
            /// `wss://`.
            ///
            /// ```
            /// let c: connfx::WebSocketConfig = serde_json::from_str(r#"{"url": "ws://127.0.0.1:9001/feed"}"#).unwrap();
            /// assert_eq!(c.ping_interval, std::time::Duration::from_secs(30));
            /// assert!(c.retry.is_none()); // reconnects with `RetryConfig::default()`
            /// ```
            protocol WEBSOCKET = "websocket" for WebSocketConfig as WebSocketConnection;
            schemes ["ws", "wss"];
            required [url];
            check [check_websocket];
            fields {
                /// Server URL, `ws://` or `wss://`. Credentials go in `auth` (or `headers`), not in
                /// the URL.
                url: ConnUrl => Url;
                /// A ping is sent this often; when nothing at all comes back before the next
                /// one, the connection is taken as dead and reopened. `0s` sends no pings.
                #[serde(default = "default_ping_interval", with = "humantime_serde")]
                #[schemars(with = "crate::HumanDuration")]
                ping_interval: Duration => Duration;
                /// Largest message accepted from the server, in bytes (tungstenite's default,
                /// 64 MiB, when unset); a larger one drops the connection.
                #[serde(default, skip_serializing_if = "Option::is_none")]
                max_message_size: Option<u64> => Integer[1, 4_294_967_296_u64];
                /// `connect`: one opening handshake (TCP, TLS and upgrade, and the OAuth2 token
                /// request when one is needed; 10s when unset).
                /// `per_attempt`: writing one frame (30s when unset; a slower write drops and
                /// reopens the connection). `total`: one `send_*` call, waiting for a reconnect
                /// included (unset: until the reconnect gives up).
                timeout: TimeoutConfig => group TIMEOUT;
                /// Reconnects: the wait before each handshake attempt follows this backoff, and
                /// `max_attempts` handshakes in a row may fail before the connection gives up
                /// until its next call. Unset: the defaults of `retry(...)`.
                retry: Option<RetryConfig> => group RETRY;
                /// Authentication sent with every opening handshake: `Authorization: Bearer …`,
                /// basic, an API key header, or an OAuth2 client-credentials token
                /// (`auth.oauth2`), asked for before a handshake when none is kept and kept
                /// across reconnects and every socket of the connection.
                auth: AuthConfig => group AUTH;
                /// Headers sent with the opening handshake (`Authorization`,
                /// `Sec-WebSocket-Protocol` …); values of credential-like names are never shown.
                headers: Headers => map HEADERS;
                /// Several sockets (unset: one). `min_idle` sockets (at least one) are kept open
                /// from the start; a send finding every open socket busy opens another, up to
                /// `max_size`; one beyond `min_idle` that sent nothing for `idle_timeout` is
                /// closed, and one older than `max_lifetime` is reopened. Sends go to the next
                /// free socket in turn, `recv` takes messages from all of them, and each socket
                /// reconnects on its own. `acquire_timeout` does not apply (a busy socket still
                /// takes frames, in order).
                pool: Option<PoolConfig> => group POOL;
                /// Health check: `timeout` bounds the trial handshake made while the connection
                /// is not open.
                health: HealthCheckConfig => group HEALTH;
            }
        }
    };
}

crate::websocket_protocol!(crate::spec_protocol);
