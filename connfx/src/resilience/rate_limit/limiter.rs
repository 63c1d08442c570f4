//! `RateLimit`: one limit for every call through it, on GCRA (see `gcra`).

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::admit::{Admission, First};
use super::events::{Counters, event_of};
use super::gcra::{Cell, Origin, Rate};
use super::{RateLimitConfig, RateLimitEvent, RateLimitLayer, RateLimitStats, RateLimited};
use crate::resilience::Emitter;
use crate::resilience::InvalidConfig;
use crate::resilience::admission::{self, Admit};

/// A rate limit: `requests` per `per` with a `burst`, on GCRA (one atomic compare-and-swap per
/// call), the algorithm governor implements. A call beyond it waits for its turn up to `max_wait` (and never past the caller's
/// [`Deadline`](crate::resilience::timeout::Deadline)) or is rejected at once, per `mode`. Cheap
/// to clone; clones share the limit.
///
/// ```
/// use std::time::Duration;
/// use connfx::RateLimitConfig;
/// use connfx::resilience::rate_limit::{RateLimit, RateLimitMode};
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let limit = RateLimit::new(RateLimitConfig {
///     requests: 10,
///     per: Duration::from_secs(60),
///     burst: Some(2),
///     mode: RateLimitMode::Reject,
///     ..Default::default()
/// });
/// assert_eq!(limit.call(async { "first" }).await, Ok("first"));
/// assert!(limit.try_acquire().is_ok());
/// let err = limit.acquire().await.unwrap_err();
/// assert!(err.retry_in > Duration::from_secs(5));
/// assert_eq!((limit.stats().permitted, limit.stats().rejected), (2, 1));
/// # });
/// ```
#[derive(Clone)]
pub struct RateLimit {
    inner: Arc<Inner>,
}

struct Inner {
    origin: Origin,
    rate: Rate,
    cell: Cell,
    admission: Admission,
    counters: Counters,
    events: Emitter<RateLimitEvent>,
}

impl RateLimit {
    /// The limit of `config` (a zero `per` or `requests` is read as the smallest allowed).
    pub fn new(config: RateLimitConfig) -> Self {
        let inner = Inner {
            origin: Origin::now(),
            rate: Rate::of(&config),
            cell: Cell::default(),
            admission: Admission::of(&config),
            counters: Counters::default(),
            events: Emitter::new(),
        };
        RateLimit {
            inner: Arc::new(inner),
        }
    }

    /// Takes a permit, waiting for one as the mode allows.
    ///
    /// # Errors
    /// [`RateLimited`] when no permit is free in time.
    pub async fn acquire(&self) -> Result<(), RateLimited> {
        let result = match self.inner.admission.first(|| self.check()) {
            First::Decided(result) => result,
            First::Wait { retry_in, bound } => Admission::wait(retry_in, bound, || self.check()).await,
        };
        self.record(result)
    }

    /// Takes a permit only if one is free now, whatever the mode.
    ///
    /// # Errors
    /// [`RateLimited`] when none is.
    pub fn try_acquire(&self) -> Result<(), RateLimited> {
        self.record(Admission::admit_now(|| self.check()))
    }

    /// Runs `fut` once a permit is taken; `fut` is not polled if none is.
    ///
    /// # Errors
    /// [`RateLimited`] when no permit is free in time.
    pub async fn call<F: Future>(&self, fut: F) -> Result<F::Output, RateLimited> {
        self.acquire().await?;
        Ok(fut.await)
    }

    /// Applies `config` to this limit in place, after checking it as
    /// [`try_new`](RateLimit::try_new) does: the tokens are kept, rescaled to the new rate (a
    /// limit with half its burst in use has half the new burst in use), and so are the stats,
    /// the listeners and every handle already given out. A call already waiting for a permit
    /// finishes the wait it started and then checks under the new rate; `mode` and `max_wait`
    /// apply to calls from now on.
    ///
    /// ```
    /// use std::time::Duration;
    /// use connfx::RateLimitConfig;
    /// use connfx::resilience::rate_limit::{RateLimit, RateLimitMode};
    /// let config = |requests| RateLimitConfig {
    ///     requests,
    ///     per: Duration::from_secs(60),
    ///     mode: RateLimitMode::Reject,
    ///     ..Default::default()
    /// };
    /// let limit = RateLimit::new(config(4));
    /// assert!(limit.try_acquire().is_ok() && limit.try_acquire().is_ok(), "half of 4 used");
    /// limit.reconfigure(&config(40)).unwrap();
    /// let left = (0..40).take_while(|_| limit.try_acquire().is_ok()).count();
    /// assert_eq!(left, 20, "half of 40 left");
    /// ```
    ///
    /// # Errors
    /// [`InvalidConfig`] listing each value out of bounds; the limit is then left as it was.
    pub fn reconfigure(&self, config: &RateLimitConfig) -> Result<(), InvalidConfig> {
        InvalidConfig::check(config)?;
        let inner = &*self.inner;
        inner.rate.set(config, inner.origin.elapsed(), [&inner.cell]);
        inner.admission.set(config);
        Ok(())
    }

    /// A tower layer taking a permit before each call.
    pub fn layer(&self) -> RateLimitLayer {
        RateLimitLayer::new(self.clone())
    }

    /// Counters since the limit was built.
    pub fn stats(&self) -> RateLimitStats {
        self.inner.counters.snapshot()
    }

    fn check(&self) -> Result<(), Duration> {
        let inner = &*self.inner;
        inner.cell.check(&inner.rate, inner.origin.elapsed())
    }

    fn record(&self, result: Result<Duration, RateLimited>) -> Result<(), RateLimited> {
        self.inner.counters.record(&result);
        if let Some(event) = event_of(&result) {
            self.inner.events.emit(event);
        }
        result.map(drop)
    }
}

/// The layer's admission: the same decision as [`RateLimit::acquire`]; only a call that must wait
/// for its turn allocates (its wait).
impl<Req> admission::Admission<Req> for RateLimit {
    type Permit = ();
    type Rejected = RateLimited;

    fn admit(&self, _request: &Req) -> Admit<(), RateLimited> {
        match self.inner.admission.first(|| self.check()) {
            First::Decided(result) => Admit::now(self.record(result)),
            First::Wait { retry_in, bound } => {
                let limit = self.clone();
                Admit::after(async move {
                    let result = Admission::wait(retry_in, bound, || limit.check()).await;
                    limit.record(result)
                })
            }
        }
    }
}

impl fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimit")
            .field("admission", &self.inner.admission)
            .field("stats", &self.stats())
            .finish()
    }
}

crate::resilience::face::policy_face!(RateLimit, RateLimitConfig, RateLimitEvent, inner);
