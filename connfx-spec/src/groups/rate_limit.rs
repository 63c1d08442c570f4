/// The declaration of `rate_limit(...)` (see [`crate::declare`]).
#[macro_export]
#[doc(hidden)]
macro_rules! rate_limit_group {
    ($then:path) => {
        $then! {
            /// `rate_limit(...)`: at most `requests` per `per`, with bursts of up to `burst`
            /// after a quiet spell. Calls beyond it wait up to `max_wait` (`mode = "wait"`) or
            /// fail at once (`mode = "reject"`).
            ///
            /// ```
            /// let r = connfx::RateLimitConfig { requests: 100, ..Default::default() };
            /// assert_eq!(r.per, std::time::Duration::from_secs(1));
            /// assert_eq!(r.mode, connfx::resilience::rate_limit::RateLimitMode::Wait);
            /// ```
            group RATE_LIMIT = "rate_limit" for RateLimitConfig;
            rules [];
            shorthand [];
            switch [enabled];
            check [check_rate_limit];
            keys {
                /// Calls allowed per `per`.
                requests: u32 = 100 => Integer[1, 1_000_000_000];
                /// The period `requests` is counted over.
                #[serde(with = "humantime_serde")]
                #[schemars(with = "crate::HumanDuration")]
                per: Duration = Duration::from_secs(1) => Duration;
                /// Calls allowed at once after a quiet spell; unset means `requests`.
                #[serde(skip_serializing_if = "Option::is_none")]
                burst: Option<u32> = None => Integer[1, 1_000_000_000];
                /// What a call beyond the limit does: `wait` (up to `max_wait`) or `reject` at
                /// once.
                mode: RateLimitMode = RateLimitMode::Wait => OneOf["wait", "reject"];
                /// How long a call may wait for its turn in `wait` mode; one that would wait
                /// longer fails at once.
                #[serde(with = "humantime_serde")]
                #[schemars(with = "crate::HumanDuration")]
                max_wait: Duration = Duration::from_secs(1) => Duration;
                /// `local`: the limit holds for this instance's calls. `fleet`: for the calls of
                /// every instance that names the same `store` and connection (needs the `redis`
                /// feature).
                scope: Scope = Scope::Local => OneOf["local", "fleet"];
                /// With `scope = "fleet"`: the Redis connection (a field of the same struct, or a
                /// target of the same registry) that keeps the fleet's limit.
                #[serde(skip_serializing_if = "Option::is_none")]
                store: Option<String> = None => Str;
                /// With `scope = "fleet"`: permits taken from the store at once and spent here,
                /// one store round trip per `lease` calls; 1 keeps the limit exact.
                lease: u32 = 1 => Integer[1, 10_000];
                /// With `scope = "fleet"`, while the store cannot be reached: `local` keeps this
                /// instance's share of the limit (the limit over the instances last seen),
                /// `reject` fails every call, `allow` lets every call through.
                on_store_error: StoreErrorRule = StoreErrorRule::Local => OneOf["local", "reject", "allow"];
            }
        }
    };
}

crate::rate_limit_group!(crate::spec_group);
