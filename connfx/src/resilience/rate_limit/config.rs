//! `rate_limit(...)`: its config struct (declared once in `connfx-spec`, see `config::group`),
//! its governor quota and the `mode` choice.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::Quota;

use crate::config::group::Problem;

connfx_spec::rate_limit_group!(crate::config::group::config_group);

impl RateLimitConfig {
    /// The governor quota: one call every `per / requests`, bursts of `burst` (or `requests`).
    ///
    /// ```
    /// let quota = connfx::RateLimitConfig { requests: 10, burst: Some(3), ..Default::default() }.quota();
    /// assert_eq!(quota.replenish_interval(), std::time::Duration::from_millis(100));
    /// assert_eq!(quota.burst_size().get(), 3);
    /// ```
    ///
    /// A config the checks refuse (built in code and never validated) is read as the nearest
    /// one they allow, so no value panics in governor, which keeps `u64` nanoseconds.
    pub fn quota(&self) -> Quota {
        let longest = connfx_spec::MAX_DURATION;
        let interval = (self.per / self.requests.max(1)).clamp(Duration::from_nanos(1), longest);
        let most = u32::try_from(longest.as_nanos() / interval.as_nanos()).unwrap_or(u32::MAX);
        let burst = self.burst.unwrap_or(self.requests).min(most);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        Quota::with_period(interval)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst)
    }
}

crate::config::group::choice! {
    /// `mode = "wait" | "reject"`: what a call beyond the rate limit does.
    pub enum RateLimitMode {
        /// Wait for its turn, up to `max_wait`.
        #[default]
        Wait = "wait",
        /// Fail at once.
        Reject = "reject",
    }
}

/// The rate must be one the limiter can keep exactly: a zero period would make every rate
/// infinite; governor spaces calls in whole nanoseconds, so more than one call a nanosecond
/// cannot be kept; and it counts a full burst's refill time in `u64` nanoseconds (584 years),
/// so that time is held to [`connfx_spec::MAX_DURATION`] like every duration.
fn rate_is_representable(c: &RateLimitConfig) -> Result<(), Problem> {
    let format = |d: Duration| humantime::format_duration(d).to_string();
    if c.per.is_zero() {
        return Err(Problem::at("per", "`per` must be longer than 0s"));
    }
    let requests = c.requests.max(1);
    let interval = c.per / requests;
    if interval.is_zero() {
        return Err(Problem::at(
            "requests",
            format!(
                "`requests` ({requests}) per `per` ({}) is more than one call a nanosecond, the finest rate a limit keeps",
                format(c.per)
            ),
        ));
    }
    let burst = c.burst.unwrap_or(requests).max(1);
    match interval.checked_mul(burst) {
        Some(refill) if refill <= connfx_spec::MAX_DURATION => Ok(()),
        refill => Err(Problem::at(
            // The burst is the key to lower when `requests` and `per` are as meant.
            if c.burst.is_some() { "burst" } else { "per" },
            format!(
                "`burst` ({burst}) at `requests` ({requests}) per `per` ({}) takes {} to refill; it must refill within {}",
                format(c.per),
                refill.map_or_else(|| "longer than any clock keeps".to_owned(), format),
                format(connfx_spec::MAX_DURATION)
            ),
        )),
    }
}
