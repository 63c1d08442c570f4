//! Admission: take a permit now, wait for one within bounds, or turn the call away.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::Duration;

use tokio::time::Instant;
use tracing::debug;

use super::{RateLimitConfig, RateLimitMode, RateLimited};
use crate::resilience::timeout::Deadline;

/// The first step of an admission ([`Admission::first`]).
pub(crate) enum First {
    /// A permit was taken (`Ok(ZERO)`), or the wait would be too long.
    Decided(Result<Duration, RateLimited>),
    /// The permit is due in `retry_in`, within the `bound` the call may wait.
    Wait { retry_in: Duration, bound: Duration },
}

/// How a limiter admits a call beyond its rate; changed in place by a reload.
#[derive(Debug, Default)]
pub(crate) struct Admission {
    /// `mode = "reject"`.
    reject: AtomicBool,
    /// `max_wait`, in nanoseconds.
    max_wait: AtomicU64,
}

impl Admission {
    /// How `config` admits a call beyond its rate.
    pub(crate) fn of(config: &RateLimitConfig) -> Admission {
        let admission = Admission::default();
        admission.set(config);
        admission
    }

    /// Admits calls as `config` says from now on.
    pub(crate) fn set(&self, config: &RateLimitConfig) {
        self.reject.store(config.mode == RateLimitMode::Reject, Relaxed);
        let max_wait = u64::try_from(config.max_wait.as_nanos()).unwrap_or(u64::MAX);
        self.max_wait.store(max_wait, Relaxed);
    }

    /// The first step of an admission: `check` takes a permit or says how long until one frees
    /// up. Decided at once when a permit is free or the wait would be too long (none in `reject`
    /// mode, else `max_wait` within the current deadline); otherwise [`First::Wait`].
    pub(crate) fn first(&self, check: impl Fn() -> Result<(), Duration>) -> First {
        let Err(retry_in) = check() else {
            return First::Decided(Ok(Duration::ZERO));
        };
        let bound = self.bound();
        if retry_in > bound {
            return First::Decided(Err(Self::limited(retry_in, bound)));
        }
        First::Wait { retry_in, bound }
    }

    /// Waits for a permit after [`First::Wait`]: sleeps until one is due and checks again, while
    /// within `bound`; returns how long it waited.
    pub(crate) async fn wait(
        mut retry_in: Duration,
        bound: Duration,
        check: impl Fn() -> Result<(), Duration>,
    ) -> Result<Duration, RateLimited> {
        let start = Instant::now();
        loop {
            tokio::time::sleep(retry_in).await;
            // Another caller may have taken the permit meanwhile: check again.
            retry_in = match check() {
                Ok(()) => return Ok(start.elapsed().max(Duration::from_nanos(1))),
                Err(retry_in) => retry_in,
            };
            if retry_in > bound.saturating_sub(start.elapsed()) {
                return Err(Self::limited(retry_in, bound));
            }
        }
    }

    pub(crate) fn limited(retry_in: Duration, max_wait: Duration) -> RateLimited {
        debug!(?retry_in, ?max_wait, "rate limited");
        RateLimited { retry_in, max_wait }
    }

    /// Admits a call only if a permit is free now.
    pub(crate) fn admit_now(check: impl Fn() -> Result<(), Duration>) -> Result<Duration, RateLimited> {
        check().map(|()| Duration::ZERO).map_err(|retry_in| RateLimited {
            retry_in,
            max_wait: Duration::ZERO,
        })
    }

    /// The longest wait allowed: none in `reject` mode, else `max_wait` within the deadline.
    pub(crate) fn bound(&self) -> Duration {
        if self.reject.load(Relaxed) {
            return Duration::ZERO;
        }
        let max_wait = Duration::from_nanos(self.max_wait.load(Relaxed));
        Deadline::current().map_or(max_wait, |d| d.remaining().min(max_wait))
    }
}
