/// The declaration of `pool(...)` on HTTP connections (see [`crate::declare`]): the keys of
/// `pool(...)`, with HTTP's own meaning and defaults.
#[macro_export]
#[doc(hidden)]
macro_rules! http_pool_group {
    ($then:path) => {
        $then! {
            /// `pool(...)` of an [`HttpConnection`](crate::HttpConnection): the keys of
            /// [`PoolConfig`](crate::PoolConfig), with HTTP's own meaning and defaults.
            ///
            /// reqwest opens as many connections as there are requests in flight; the pool only
            /// decides how many of them stay open once idle. Unset `max_size` keeps them all
            /// until `idle_timeout`, as a default `reqwest::Client` does: a cap below the number
            /// of requests in flight closes and reopens connections on every burst (32 in
            /// flight with a cap of 10 ran at 40 % of a default client's throughput; see
            /// `BENCHMARKS.md`, session 6).
            ///
            /// ```
            /// let p = connfx::HttpPoolConfig::default();
            /// assert_eq!(p.max_size, None);
            /// assert_eq!(p.idle_timeout, std::time::Duration::from_secs(90));
            /// ```
            group HTTP_POOL = "pool" for HttpPoolConfig, derive(Eq, Hash);
            rules [];
            shorthand [];
            check [];
            keys {
                /// Idle connections kept per host; unset keeps every one until `idle_timeout`
                /// (reqwest's default), so no burst closes and reopens connections.
                #[serde(skip_serializing_if = "Option::is_none")]
                max_size: Option<u32> = None => Integer[1, 100_000];
                /// No effect on HTTP: reqwest opens connections on demand (a warning is logged
                /// when set).
                min_idle: u32 = 0 => Integer[0, 100_000];
                /// No effect on HTTP (a warning is logged when set).
                #[serde(with = "humantime_serde", skip_serializing_if = "Option::is_none")]
                #[schemars(with = "Option<crate::HumanDuration>")]
                max_lifetime: Option<Duration> = None => Duration;
                /// An idle connection is closed after this long.
                #[serde(with = "humantime_serde")]
                #[schemars(with = "crate::HumanDuration")]
                idle_timeout: Duration = Duration::from_secs(90) => Duration;
                /// No effect on HTTP: a request never waits for a pooled connection, it opens
                /// one (a warning is logged when set).
                #[serde(with = "humantime_serde", skip_serializing_if = "Option::is_none")]
                #[schemars(with = "Option<crate::HumanDuration>")]
                acquire_timeout: Option<Duration> = None => Duration;
            }
        }
    };
}

crate::http_pool_group!(crate::spec_group);
