/// The declaration of `pool(...)` (see [`crate::declare`]).
#[macro_export]
#[doc(hidden)]
macro_rules! pool_group {
    ($then:path) => {
        $then! {
            /// `pool(...)`: how many connections are kept, and for how long.
            ///
            /// ```
            /// let p = connfx::PoolConfig { max_size: 20, ..Default::default() };
            /// assert_eq!(p.min_idle, 0);
            /// ```
            group POOL = "pool" for PoolConfig;
            rules [];
            shorthand [];
            check [min_idle_fits];
            keys {
                /// Connections open at most (HTTP: idle connections kept per host).
                max_size: u32 = 10 => Integer[1, 100_000];
                /// Idle connections kept open at least.
                min_idle: u32 = 0 => Integer[0, 100_000];
                /// A connection is closed after this long, in use or not; unset means never.
                #[serde(with = "humantime_serde", skip_serializing_if = "Option::is_none")]
                #[schemars(with = "Option<crate::HumanDuration>")]
                max_lifetime: Option<Duration> = None => Duration;
                /// An idle connection is closed after this long.
                #[serde(with = "humantime_serde")]
                #[schemars(with = "crate::HumanDuration")]
                idle_timeout: Duration = Duration::from_secs(90) => Duration;
                /// How long a caller waits for a free connection.
                #[serde(with = "humantime_serde")]
                #[schemars(with = "crate::HumanDuration")]
                acquire_timeout: Duration = Duration::from_secs(5) => Duration;
            }
        }
    };
}

crate::pool_group!(crate::spec_group);
