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
    /// The limit counted here: the whole limit, or for a fleet limit this instance's share
    /// (its fallback while the store is down).
    rate: Rate,
    cell: Cell,
    admission: Admission,
    counters: Counters,
    events: Emitter<RateLimitEvent>,
    #[cfg(feature = "redis")]
    fleet: Option<super::fleet::Fleet>,
}

impl RateLimit {
    /// The limit of `config` (a zero `per` or `requests` is read as the smallest allowed).
    ///
    /// A `scope = "fleet"` config is kept under the empty name here; see
    /// [`named`](RateLimit::named).
    pub fn new(config: RateLimitConfig) -> Self {
        RateLimit::named("", config)
    }

    /// The limit of `config` for the connection `name`. For a `scope = "fleet"` config (feature
    /// `redis`), every instance's limit of that name on the same store is one limit; it is
    /// counted across the fleet once a store is bound ([`bind_store`](RateLimit::bind_store)),
    /// and until then follows `on_store_error` as when the store is down.
    pub fn named(name: &str, config: RateLimitConfig) -> Self {
        #[cfg(not(feature = "redis"))]
        let _ = name;
        let inner = Inner {
            origin: Origin::now(),
            rate: Rate::of(&config),
            cell: Cell::default(),
            admission: Admission::of(&config),
            counters: Counters::default(),
            events: Emitter::new(),
            #[cfg(feature = "redis")]
            fleet: (config.scope == crate::resilience::Scope::Fleet)
                .then(|| super::fleet::Fleet::new(name, &config)),
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
        #[cfg(feature = "redis")]
        if let Some(fleet) = &self.inner.fleet {
            return self.record(self.fleet_acquire(fleet).await);
        }
        let result = self.local().await;
        self.record(result)
    }

    /// Takes a permit only if one is free now, whatever the mode. A fleet limit makes no round
    /// trip for it: it spends a leased permit, if one is left (or follows `on_store_error`
    /// while the store is down).
    ///
    /// # Errors
    /// [`RateLimited`] when none is.
    pub fn try_acquire(&self) -> Result<(), RateLimited> {
        #[cfg(feature = "redis")]
        if let Some(fleet) = &self.inner.fleet {
            use super::StoreErrorRule;
            let result = match (fleet.try_leased(), fleet.is_down(), fleet.rule()) {
                (true, _, _) | (false, true, StoreErrorRule::Allow) => Ok(Duration::ZERO),
                (false, true, StoreErrorRule::Local) => Admission::admit_now(|| self.check()),
                (false, true, StoreErrorRule::Reject) => Err(super::fleet::store_down()),
                (false, false, _) => Admission::admit_now(|| Err(Duration::ZERO)),
            };
            return self.record(result);
        }
        self.record(Admission::admit_now(|| self.check()))
    }

    /// Binds a `scope = "fleet"` limit to the Redis connection that keeps it (a registry or
    /// derived struct does this at connect, with the connection its `store` names); a local limit
    /// ignores it.
    ///
    /// ```no_run
    /// # async fn run(cache: connfx::RedisConnection) {
    /// use connfx::RateLimitConfig;
    /// use connfx::resilience::{Scope, rate_limit::RateLimit};
    /// let limit = RateLimit::named("partner", RateLimitConfig {
    ///     requests: 100,
    ///     scope: Scope::Fleet,
    ///     store: Some("cache".into()),
    ///     ..Default::default()
    /// });
    /// limit.bind_store(cache);
    /// limit.acquire().await.unwrap();
    /// # }
    /// ```
    #[cfg(feature = "redis")]
    pub fn bind_store(&self, store: crate::RedisConnection) {
        if let Some(fleet) = &self.inner.fleet {
            fleet.bind(store);
        }
    }

    /// Whether this is a `scope = "fleet"` limit (always `false` without the `redis` feature).
    ///
    /// ```
    /// let limit = connfx::RateLimit::new(connfx::RateLimitConfig::default());
    /// assert!(!limit.is_fleet());
    /// ```
    pub fn is_fleet(&self) -> bool {
        #[cfg(feature = "redis")]
        return self.inner.fleet.is_some();
        #[cfg(not(feature = "redis"))]
        false
    }

    /// Whether `config` keeps its limit where this one does (both local, or both in the same
    /// fleet store), so a reload may change this one in place to it.
    pub(crate) fn is_kept_like(&self, config: &RateLimitConfig) -> bool {
        #[cfg(feature = "redis")]
        return self.store_name()
            == config
                .store
                .clone()
                .filter(|_| config.scope == crate::resilience::Scope::Fleet);
        #[cfg(not(feature = "redis"))]
        {
            let _ = config;
            true
        }
    }

    /// The name of the Redis connection a fleet limit's config names, if it is one.
    #[cfg(feature = "redis")]
    pub(crate) fn store_name(&self) -> Option<String> {
        self.inner
            .fleet
            .as_ref()
            .and_then(super::fleet::Fleet::store_name)
    }

    /// A fleet limit's store, and how it has been answering.
    #[cfg(feature = "redis")]
    pub(crate) fn fleet_store(&self) -> Option<std::sync::Arc<crate::resilience::store::Store>> {
        self.inner
            .fleet
            .as_ref()
            .map(|fleet| std::sync::Arc::clone(fleet.store()))
    }

    /// The local admission: a permit from this instance's own limit.
    async fn local(&self) -> Result<Duration, RateLimited> {
        match self.inner.admission.first(|| self.check()) {
            First::Decided(result) => result,
            First::Wait { retry_in, bound } => Admission::wait(retry_in, bound, || self.check()).await,
        }
    }

    /// The fleet admission: a permit from the store (or a lease), waiting for one as the mode
    /// allows; while the store is down, `on_store_error`.
    #[cfg(feature = "redis")]
    async fn fleet_acquire(&self, fleet: &super::fleet::Fleet) -> Result<Duration, RateLimited> {
        use super::StoreErrorRule;
        use super::fleet::Take;
        let local = LocalShare { limit: self, fleet };
        let bound = self.inner.admission.bound();
        match fleet.take(&local, bound).await {
            Take::Granted { after } => {
                if !after.is_zero() {
                    tokio::time::sleep(after).await;
                }
                Ok(after)
            }
            Take::Later(retry_in) => Err(Admission::limited(retry_in, bound)),
            Take::StoreDown => match fleet.rule() {
                StoreErrorRule::Local => self.local().await,
                StoreErrorRule::Reject => Err(super::fleet::store_down()),
                StoreErrorRule::Allow => Ok(Duration::ZERO),
            },
        }
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
        #[cfg(feature = "redis")]
        if let Some(fleet) = &inner.fleet {
            fleet.set(config);
            let share = super::fleet::share(config, fleet.instances());
            inner.rate.set(&share, inner.origin.elapsed(), [&inner.cell]);
            inner.admission.set(config);
            return Ok(());
        }
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
        #[allow(unused_mut)]
        let mut stats = self.inner.counters.snapshot();
        #[cfg(feature = "redis")]
        {
            stats.fleet = self.inner.fleet.as_ref().map(super::fleet::Fleet::stats);
        }
        stats
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

/// What a fleet limit keeps here: this instance's share of the limit, its fallback while the
/// store is down.
#[cfg(feature = "redis")]
struct LocalShare<'a> {
    limit: &'a RateLimit,
    fleet: &'a super::fleet::Fleet,
}

#[cfg(feature = "redis")]
impl super::fleet::Local for LocalShare<'_> {
    fn in_use(&self) -> f64 {
        let inner = &*self.limit.inner;
        inner.cell.in_use(&inner.rate, inner.origin.elapsed())
    }

    /// The share follows the number of instances; when the store goes down the share starts as
    /// used as the fleet's limit was, and each turn of the store is an event.
    fn changed(&self, instances: u32, down: Option<bool>, in_use: f64) {
        let inner = &*self.limit.inner;
        let now = inner.origin.elapsed();
        let share = super::fleet::share(&self.fleet.config(), instances);
        inner.rate.set(&share, now, [&inner.cell]);
        match down {
            Some(true) => {
                inner.cell.set_in_use(&inner.rate, now, in_use);
                inner.events.emit(RateLimitEvent::StoreDown);
            }
            Some(false) => inner.events.emit(RateLimitEvent::StoreBack),
            None => {}
        }
    }
}

/// The layer's admission: the same decision as [`RateLimit::acquire`]; only a call that must wait
/// for its turn allocates (its wait).
impl<Req> admission::Admission<Req> for RateLimit {
    type Permit = ();
    type Rejected = RateLimited;

    fn admit(&self, _request: &Req) -> Admit<(), RateLimited> {
        #[cfg(feature = "redis")]
        if self.inner.fleet.is_some() {
            let limit = self.clone();
            return Admit::after(async move { limit.acquire().await });
        }
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
