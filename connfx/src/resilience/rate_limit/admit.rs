//! Admission: take a permit now, wait for one within bounds, or turn the call away.

use std::time::Duration;

use tokio::time::Instant;
use tracing::debug;

use super::{RateLimitMode, RateLimited};
use crate::resilience::timeout::Deadline;

/// How a limiter admits a call beyond its rate.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Admission {
    pub mode: RateLimitMode,
    pub max_wait: Duration,
}

impl Admission {
    /// Admits a call: `check` takes a permit or says how long until one frees up. Waits (in
    /// `wait` mode) only while the permit is due within `max_wait` and the current deadline;
    /// returns how long it waited.
    pub(crate) async fn admit(
        &self,
        check: impl Fn() -> Result<(), Duration>,
    ) -> Result<Duration, RateLimited> {
        let Err(mut retry_in) = check() else {
            return Ok(Duration::ZERO);
        };
        // Only a call that must wait reads the clock.
        let start = Instant::now();
        let max_wait = self.bound();
        loop {
            if retry_in > max_wait.saturating_sub(start.elapsed()) {
                debug!(?retry_in, ?max_wait, "rate limited");
                return Err(RateLimited { retry_in, max_wait });
            }
            tokio::time::sleep(retry_in).await;
            // Another caller may have taken the permit meanwhile: check again.
            retry_in = match check() {
                Ok(()) => return Ok(start.elapsed().max(Duration::from_nanos(1))),
                Err(retry_in) => retry_in,
            };
        }
    }

    /// Admits a call only if a permit is free now.
    pub(crate) fn admit_now(check: impl Fn() -> Result<(), Duration>) -> Result<Duration, RateLimited> {
        check().map(|()| Duration::ZERO).map_err(|retry_in| RateLimited {
            retry_in,
            max_wait: Duration::ZERO,
        })
    }

    /// The longest wait allowed: none in `reject` mode, else `max_wait` within the deadline.
    fn bound(&self) -> Duration {
        match self.mode {
            RateLimitMode::Reject => Duration::ZERO,
            RateLimitMode::Wait => {
                Deadline::current().map_or(self.max_wait, |d| d.remaining().min(self.max_wait))
            }
        }
    }
}
