//! `rate_limit(...)`: its config struct (declared once in `connfx-spec`, see `config::group`),
//! its rate and the `mode` choice.

use std::time::Duration;

use crate::config::group::Problem;
use crate::resilience::Scope;

connfx_spec::rate_limit_group!(crate::config::group::config_group);

impl RateLimitConfig {
    /// The spacing of calls (`per / requests`) and the burst (`burst`, else `requests`).
    ///
    /// A config the checks refuse (built in code and never validated) is read as the nearest
    /// one they allow: at least a nanosecond apart, a burst of at least one that refills within
    /// [`connfx_spec::MAX_DURATION`].
    pub(crate) fn interval_and_burst(&self) -> (Duration, u32) {
        let longest = connfx_spec::MAX_DURATION;
        let interval = (self.per / self.requests.max(1)).clamp(Duration::from_nanos(1), longest);
        let most = u32::try_from(longest.as_nanos() / interval.as_nanos()).unwrap_or(u32::MAX);
        let burst = self.burst.unwrap_or(self.requests).clamp(1, most.max(1));
        (interval, burst)
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

crate::config::group::choice! {
    /// `on_store_error = "local" | "reject" | "allow"`: what a fleet limit does while its store
    /// cannot be reached.
    pub enum StoreErrorRule {
        /// Keep this instance's share of the limit here: the limit over the instances the store
        /// last counted.
        #[default]
        Local = "local",
        /// Fail every call.
        Reject = "reject",
        /// Let every call through.
        Allow = "allow",
    }
}

/// The group's checks beyond each key's bounds: a rate the limiter can keep, and a fleet limit
/// with its store.
fn check_rate_limit(c: &RateLimitConfig) -> Result<(), Problem> {
    rate_is_representable(c)?;
    fleet_is_complete(c)
}

/// `scope = "fleet"` needs a `store` (and the `redis` feature); a `store` means nothing without it.
fn fleet_is_complete(c: &RateLimitConfig) -> Result<(), Problem> {
    Scope::check(c.scope, c.store.as_deref(), ("scope", "store"))
}

/// The rate must be one the limiter can keep exactly: a zero period would make every rate
/// infinite; the limit spaces calls in whole nanoseconds, so more than one call a nanosecond
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
