//! `rate_limit(...)`: its config struct (declared once in `connfx-spec`, see `config::group`),
//! its governor quota and the `mode` choice.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::Quota;

connfx_spec::rate_limit_group!(crate::config::group::config_group);

impl RateLimitConfig {
    /// The governor quota: one call every `per / requests`, bursts of `burst` (or `requests`).
    ///
    /// ```
    /// let quota = connfx::RateLimitConfig { requests: 10, burst: Some(3), ..Default::default() }.quota();
    /// assert_eq!(quota.replenish_interval(), std::time::Duration::from_millis(100));
    /// assert_eq!(quota.burst_size().get(), 3);
    /// ```
    pub fn quota(&self) -> Quota {
        let interval = (self.per / self.requests.max(1)).max(Duration::from_nanos(1));
        let burst = NonZeroU32::new(self.burst.unwrap_or(self.requests)).unwrap_or(NonZeroU32::MIN);
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

/// A zero period would make every rate infinite.
fn per_is_not_zero(c: &RateLimitConfig) -> Result<(), String> {
    match c.per.is_zero() {
        true => Err("`per` must be longer than 0s".to_owned()),
        false => Ok(()),
    }
}
