/// The declaration of `circuit_breaker(...)` (see [`crate::declare`]): DESIGN §3.
#[macro_export]
#[doc(hidden)]
macro_rules! circuit_breaker_group {
    ($then:path) => {
        $then! {
            /// `circuit_breaker(...)`: Closed → Open after `failure_threshold` consecutive
            /// failures, or when the failure rate (or the slow-call rate) over a window of at
            /// least `minimum_calls` reaches `failure_rate` (`slow_call_rate`); Open for
            /// `reset_timeout` (growing by `backoff_multiplier` on each reopening, up to
            /// `max_reset_timeout`); then Half-open with at most `half_open_max_calls` probes in
            /// flight, closing after `half_open_success_needed` successes and reopening on any
            /// failure.
            ///
            /// The failure-rate window is count-based (`window_size` calls) unless
            /// `window_duration` is set. It is kept as two halves: the rate is judged over the
            /// current half and the one before it, so over the last `window_size / 2` to
            /// `window_size` calls (or `window_duration / 2` to `window_duration` of time). See
            /// [`CircuitBreaker`](crate::resilience::circuit_breaker::CircuitBreaker).
            ///
            /// ```
            /// let cb = connfx::CircuitBreakerConfig { failure_threshold: 3, ..Default::default() };
            /// assert_eq!(cb.reset_timeout, std::time::Duration::from_secs(30));
            /// assert!(cb.failure_rate.is_none());
            /// ```
            group CIRCUIT_BREAKER = "circuit_breaker" for CircuitBreakerConfig;
            rules [NotAbove(reset_timeout, max_reset_timeout)];
            shorthand [];
            switch [enabled];
            check [check_breaker];
            keys {
                /// Consecutive failures that open the circuit.
                failure_threshold: u32 = 5 => Integer[1, 1_000_000];
                /// Failure share (0–1) over the window that opens the circuit when reached;
                /// unset means off.
                #[serde(skip_serializing_if = "Option::is_none")]
                failure_rate: Option<f64> = None => Number[0, 1];
                /// Calls the window must hold before `failure_rate` or `slow_call_rate` is judged.
                minimum_calls: u32 = 10 => Integer[1, 1_000_000];
                /// Calls in the failure-rate window (a count-based window); unused when
                /// `window_duration` is set.
                window_size: u32 = 100 => Integer[2, 1_000_000];
                /// Makes the failure-rate window time-based, over this long (at most 30 days);
                /// unset means count-based.
                #[serde(with = "humantime_serde", skip_serializing_if = "Option::is_none")]
                #[schemars(with = "Option<crate::HumanDuration>")]
                window_duration: Option<Duration> = None => Duration[2_592_000];
                /// A call that takes at least this long is slow (at most 1 hour).
                #[serde(with = "humantime_serde")]
                #[schemars(with = "crate::HumanDuration")]
                slow_call_duration: Duration = Duration::from_secs(60) => Duration[3_600];
                /// Share (0–1) of slow calls over the window that opens the circuit when
                /// reached; unset means off.
                #[serde(skip_serializing_if = "Option::is_none")]
                slow_call_rate: Option<f64> = None => Number[0, 1];
                /// How long the circuit stays open before probing (at most 30 days).
                #[serde(with = "humantime_serde")]
                #[schemars(with = "crate::HumanDuration")]
                reset_timeout: Duration = Duration::from_secs(30) => Duration[2_592_000];
                /// Growth of the open period each time a probe fails and the circuit reopens
                /// (1 = none).
                backoff_multiplier: f64 = 1.0 => Number[1, 100];
                /// Longest open period once grown by `backoff_multiplier` (at most 30 days);
                /// unset means 30 days, the longest a breaker keeps.
                #[serde(with = "humantime_serde", skip_serializing_if = "Option::is_none")]
                #[schemars(with = "Option<crate::HumanDuration>")]
                max_reset_timeout: Option<Duration> = None => Duration[2_592_000];
                /// Probes let through at once while half-open.
                half_open_max_calls: u32 = 1 => Integer[1, 10_000];
                /// Successful probes needed to close again.
                half_open_success_needed: u32 = 1 => Integer[1, 10_000];
                /// HTTP statuses at or above this count as failures.
                server_error_threshold: u16 = 500 => Integer[100, 599];
                /// `local`: this instance's breaker decides alone. `fleet`: every instance keeps
                /// its own breaker and votes while it is open; once `quorum` instances vote, the
                /// breaker is open for the whole fleet, and one instance probes for all (feature
                /// `redis`).
                scope: Scope = Scope::Local => OneOf["local", "fleet"];
                /// With `scope = "fleet"`: the Redis connection (a field of the same struct, or a
                /// target of the same registry) that keeps the fleet's votes.
                #[serde(skip_serializing_if = "Option::is_none")]
                store: Option<String> = None => Str;
                /// With `scope = "fleet"`: instances whose breakers must be open before the
                /// breaker opens for the whole fleet.
                quorum: u32 = 2 => Integer[1, 10_000];
                /// With `scope = "fleet"`: a share (0–1) of the fleet's live instances whose
                /// breakers must be open as well; the breaker opens for the whole fleet when at
                /// least `quorum` instances and at least this share of them vote. Unset means
                /// `quorum` alone.
                #[serde(skip_serializing_if = "Option::is_none")]
                quorum_share: Option<f64> = None => Number[0, 1];
                /// Keep lifetime counts in `stats()`, whatever the trip rule: calls asked for,
                /// rejected, succeeded, failed, and running now. Off by default: counting
                /// writes on every call, where a closed breaker otherwise writes nothing while
                /// all goes well (its cost is in BENCHMARKS.md). A connection's `metrics()`
                /// counts its calls anyway.
                count_calls: bool = false => Bool;
            }
        }
    };
}

crate::circuit_breaker_group!(crate::spec_group);
