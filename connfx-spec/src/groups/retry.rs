/// The declaration of `retry(...)` (see [`crate::declare`]): DESIGN §3.
#[macro_export]
#[doc(hidden)]
macro_rules! retry_group {
    ($then:path) => {
        $then! {
            /// `retry(...)`: how failed calls are tried again. `max_attempts` counts the first
            /// try; the delay before try `n + 1` follows `backoff` from `initial_interval`
            /// (`initial_interval · multiplier^(n-1)` by default), capped at `max_interval`,
            /// varied by ± `jitter`. What is retried is `retry_on`; `budget` bounds retries to a
            /// share of requests.
            ///
            /// ```
            /// let retry = connfx::RetryConfig { max_attempts: 5, ..Default::default() };
            /// assert_eq!(retry.initial_interval, std::time::Duration::from_millis(100));
            /// assert_eq!(retry.retry_on, "connect,timeout,429,502,503,504");
            /// ```
            group RETRY = "retry" for RetryConfig;
            rules [NotAbove(initial_interval, max_interval)];
            shorthand [];
            switch [enabled];
            check [check_retry];
            keys {
                /// Tries in all, the first one included (1 = no retry).
                max_attempts: u32 = 3 => Integer[1, 100];
                /// How the delay grows: `exponential` (`initial_interval · multiplier^(n-1)`),
                /// `linear` (`initial_interval · n`) or `constant` (`initial_interval`).
                backoff: BackoffKind = BackoffKind::Exponential
                    => OneOf["exponential", "linear", "constant"];
                /// Delay before the second try.
                #[serde(with = "humantime_serde")]
                #[schemars(with = "crate::HumanDuration")]
                initial_interval: Duration = Duration::from_millis(100) => Duration;
                /// Longest delay between two tries; also caps a server's `Retry-After`.
                #[serde(with = "humantime_serde")]
                #[schemars(with = "crate::HumanDuration")]
                max_interval: Duration = Duration::from_secs(10) => Duration;
                /// Growth of the delay from one try to the next (exponential backoff only).
                multiplier: f64 = 2.0 => Number[1, 100];
                /// Random variation of each delay, as a ± fraction (0.2 = ±20 %).
                jitter: f64 = 0.2 => Number[0, 1];
                /// What is retried, comma-separated: `connect` (nothing was sent), `timeout`,
                /// `transport` (the connection broke after the request was sent), status codes
                /// (`503`) and classes (`5xx`).
                retry_on: String = RetryOn::DEFAULT_TEXT.to_owned() => RetryOn;
                /// Retry POST and PATCH even when the request may have reached the server.
                non_idempotent: bool = false => Bool;
                /// Share of requests that may be retries (0.2 = 20 %, the default), spread over
                /// time: each request earns 0.2 of a retry and at most
                /// `max(min_retries_per_sec, 1)` are saved up, so an outage gets no burst of
                /// retries. `None`, in code only, means no budget.
                #[serde(skip_serializing_if = "Option::is_none")]
                budget: Option<f64> = Some(0.2) => Number[0, 1];
                /// Retries allowed per second whatever the budget, so a quiet connection can
                /// still retry; also the most the budget saves up (at least 1).
                min_retries_per_sec: u32 = 10 => Integer[0, 1_000_000];
                /// `local`: the budget counts this instance's requests and retries. `fleet`:
                /// every instance's that names the same `budget_store` and connection (feature
                /// `redis`); `min_retries_per_sec` is then the fleet's.
                budget_scope: Scope = Scope::Local => OneOf["local", "fleet"];
                /// With `budget_scope = "fleet"`: the Redis connection (a field of the same
                /// struct, or a target of the same registry) that keeps the fleet's budget.
                #[serde(skip_serializing_if = "Option::is_none")]
                budget_store: Option<String> = None => Str;
            }
        }
    };
}

crate::retry_group!(crate::spec_group);
