//! Retry budget: retries limited to a share of requests, so an outage is not multiplied, and
//! spread over time, so the retries it allows never arrive at once.
//!
//! A token bucket fed by requests: every request deposits `budget` of a retry, every second adds
//! `min_retries_per_sec` retries (so a quiet connection can still retry), and every retry takes a
//! whole one. The bucket holds at most `max(min_retries_per_sec, 1)` retries: what is earned
//! beyond that is forfeited, not saved up. Over any stretch of time `T`, retries are therefore at
//! most
//!
//! ```text
//! budget · requests in T + min_retries_per_sec · T + max(min_retries_per_sec, 1)
//! ```
//!
//! and the bound holds for every `T`, one second as much as ten. A budget kept over a sliding
//! window of requests (Finagle's `RetryBudget`, tower's `TpsBudget`, and this one until it was
//! replaced) keeps its bound only per window: the credit the healthy traffic of the last window
//! earned is all spent in the first instants of an outage, and every retry made comes back as
//! credit when it leaves the window, so a struggling upstream gets bursts of `max_attempts` times
//! the load at the outage's start and at every rollover. Here the credit of the past is capped at
//! a few retries and a spent retry is gone: during an outage, retries follow requests, one for
//! every `1 / budget` of them. The bucket starts with one second of `min_retries_per_sec`, as if
//! the connection had been quiet for a second.
//!
//! A deposit is one add to a per-thread counter (the striped counters of the retry stats); a
//! withdrawal sums those counters, reads the clock and takes its retry with one
//! compare-and-swap. Nothing locks, and concurrent withdrawals never overdraw.
//!
//! ```
//! use connfx::resilience::budget::RetryBudget;
//! let budget = RetryBudget::new(0.2, 2);
//! assert!(budget.withdraw() && budget.withdraw(), "a fresh budget holds 2 retries");
//! assert!(!budget.withdraw());
//! (0..10).for_each(|_| budget.deposit());
//! assert!(budget.withdraw() && budget.withdraw(), "10 requests earn 2 retries");
//! assert!(!budget.withdraw());
//! assert_eq!(budget.stats().refused, 2);
//! ```

use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;
use tracing::debug;

use crate::RetryConfig;
use crate::resilience::striped::Striped;

#[cfg(feature = "redis")]
mod fleet;
#[cfg(feature = "redis")]
pub use fleet::FLUSH;

/// One retry, in the budget's fixed-point units (a deposit of 0.2 is 200 units; a millisecond of
/// `min_retries_per_sec = n` is `n` units).
const RETRY: i64 = 1000;

/// The time the bucket holds `min_retries_per_sec` for, and the quiet time it starts with.
const RESERVE: Duration = Duration::from_secs(1);

/// A retry budget: see the [module docs](self). Share one per connection (`Arc`) between every
/// retry policy that should draw from it.
///
/// Its ratio and `min_retries_per_sec` change in place ([`reconfigure`](RetryBudget::reconfigure)),
/// so every value is an atomic.
pub struct RetryBudget {
    origin: Instant,
    /// Units each request earns.
    deposit: AtomicU64,
    /// Most units the bucket holds.
    capacity: AtomicI64,
    /// The ratio's `f64` bits.
    ratio: AtomicU64,
    min_per_sec: AtomicU32,
    /// Serializes reloads (never taken on a call).
    reconfiguring: Mutex<()>,
    deposits: Striped,
    /// Units spent on retries or forfeited to the capacity, out of all ever earned: the bucket
    /// holds `credit - spent`, at most `capacity`.
    spent: AtomicI64,
    withdrawals: AtomicU64,
    refused: AtomicU64,
    /// `budget_scope = "fleet"`: the bucket is the fleet's, in Redis (see `fleet`).
    #[cfg(feature = "redis")]
    fleet: Option<fleet::FleetBudget>,
}

/// What a [`RetryBudget`] has seen since it was built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BudgetStats {
    /// Requests deposited.
    pub deposits: u64,
    /// Retries granted.
    pub withdrawals: u64,
    /// Retries refused.
    pub refused: u64,
    /// Whole retries available now (in this instance's own bucket).
    pub available: u64,
    /// For a `budget_scope = "fleet"` budget, how it stands with its store.
    pub fleet: Option<BudgetFleetStats>,
}

/// How a `budget_scope = "fleet"` budget stands with its store ([`BudgetStats::fleet`]).
///
/// ```
/// let stats = connfx::resilience::budget::BudgetFleetStats::default();
/// assert!(!stats.store_up);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BudgetFleetStats {
    /// The store answered the last settling: retries come from the fleet's bucket.
    pub store_up: bool,
    /// Settlings with the store so far (one each `FLUSH`).
    pub round_trips: u64,
}

impl RetryBudget {
    /// Retries at most `ratio` (0–1) of the requests, plus `min_retries_per_sec` per second, at
    /// most `max(min_retries_per_sec, 1)` of them at once.
    pub fn new(ratio: f64, min_retries_per_sec: u32) -> Self {
        let budget = RetryBudget {
            origin: Instant::now(),
            deposit: AtomicU64::new(0),
            capacity: AtomicI64::new(0),
            ratio: AtomicU64::new(0),
            min_per_sec: AtomicU32::new(0),
            reconfiguring: Mutex::new(()),
            deposits: Striped::default(),
            spent: AtomicI64::new(0),
            withdrawals: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            #[cfg(feature = "redis")]
            fleet: None,
        };
        budget.set(ratio, min_retries_per_sec);
        budget
    }

    fn set(&self, ratio: f64, min_retries_per_sec: u32) {
        let ratio = if ratio.is_nan() {
            0.0
        } else {
            ratio.clamp(0.0, 1.0)
        };
        self.ratio.store(ratio.to_bits(), Ordering::Relaxed);
        self.deposit
            .store((ratio * RETRY as f64).round() as u64, Ordering::Relaxed);
        let capacity = i64::from(min_retries_per_sec.max(1)) * RETRY;
        self.capacity.store(capacity, Ordering::Relaxed);
        self.min_per_sec.store(min_retries_per_sec, Ordering::Relaxed);
    }

    /// Changes the ratio and `min_retries_per_sec` in place, keeping the retries the bucket
    /// holds now (at most what the new bucket holds): a reload neither refills a spent budget
    /// nor empties a full one. From then on requests earn at the new ratio. Handles and stats
    /// are kept.
    ///
    /// ```
    /// use connfx::resilience::budget::RetryBudget;
    /// let budget = RetryBudget::new(0.5, 2);
    /// assert!(budget.withdraw() && budget.withdraw() && !budget.withdraw(), "spent");
    /// budget.reconfigure(0.1, 0);
    /// assert!(!budget.withdraw(), "still spent: the balance is kept");
    /// (0..10).for_each(|_| budget.deposit());
    /// assert!(budget.withdraw() && !budget.withdraw(), "10 requests earn 1 retry at 0.1");
    /// assert_eq!(budget.ratio(), 0.1);
    /// ```
    pub fn reconfigure(&self, ratio: f64, min_retries_per_sec: u32) {
        let _one_at_a_time = self.reconfiguring.lock().unwrap_or_else(PoisonError::into_inner);
        let elapsed = self.origin.elapsed();
        let held = self.held(elapsed);
        self.set(ratio, min_retries_per_sec);
        // The bucket is `credit - spent`: with the new rates the past earns another credit, so
        // `spent` is set to leave exactly what was held.
        let keep = held.min(self.capacity.load(Ordering::Relaxed));
        self.spent.store(self.credit(elapsed) - keep, Ordering::Release);
    }

    /// Units in the bucket `elapsed` after it was built.
    fn held(&self, elapsed: Duration) -> i64 {
        let held = self.credit(elapsed) - self.spent.load(Ordering::Acquire);
        held.min(self.capacity.load(Ordering::Relaxed))
    }

    /// The budget of a `retry(...)` config, if it sets `budget`. With `budget_scope = "fleet"`
    /// (feature `redis`) it is the fleet's once bound to its store
    /// ([`bind_store`](RetryBudget::bind_store)), and this instance's until then.
    pub fn from_config(config: &RetryConfig) -> Option<Self> {
        let ratio = config.budget?;
        #[allow(unused_mut)]
        let mut budget = RetryBudget::new(ratio, config.min_retries_per_sec);
        #[cfg(feature = "redis")]
        if config.budget_scope == crate::resilience::Scope::Fleet {
            budget.fleet = Some(fleet::FleetBudget::new(
                config.budget_store.as_deref().unwrap_or_default(),
            ));
        }
        Some(budget)
    }

    /// Whether this is a `budget_scope = "fleet"` budget (always `false` without the `redis`
    /// feature).
    ///
    /// ```
    /// assert!(!connfx::resilience::budget::RetryBudget::new(0.2, 10).is_fleet());
    /// ```
    pub fn is_fleet(&self) -> bool {
        #[cfg(feature = "redis")]
        return self.fleet.is_some();
        #[cfg(not(feature = "redis"))]
        false
    }

    /// Binds a `budget_scope = "fleet"` budget of the connection `name` to the Redis connection
    /// that keeps it (a registry or derived struct does this at connect); its settlings with the
    /// store start then, on the current tokio runtime. A local budget ignores it.
    ///
    /// ```no_run
    /// # async fn run(cache: connfx::RedisConnection) {
    /// use std::sync::Arc;
    /// use connfx::RetryConfig;
    /// use connfx::resilience::{Scope, budget::RetryBudget};
    /// let config = RetryConfig {
    ///     budget_scope: Scope::Fleet,
    ///     budget_store: Some("cache".into()),
    ///     ..Default::default()
    /// };
    /// let budget = Arc::new(RetryBudget::from_config(&config).unwrap());
    /// budget.bind_store("partner", cache);
    /// # }
    /// ```
    #[cfg(feature = "redis")]
    pub fn bind_store(self: &std::sync::Arc<Self>, name: &str, store: crate::RedisConnection) {
        if let Some(fleet) = &self.fleet {
            fleet::bind(self, fleet, name, store);
        }
    }

    /// Whether `other` keeps its balance where this one does (both local, or both in the same
    /// fleet store), so a reload may carry this one on with `other`'s rates.
    pub(crate) fn is_kept_like(&self, other: &RetryBudget) -> bool {
        #[cfg(feature = "redis")]
        return self.store_name() == other.store_name();
        #[cfg(not(feature = "redis"))]
        {
            let _ = other;
            true
        }
    }

    /// The name of the Redis connection a fleet budget's config names, if it is one.
    #[cfg(feature = "redis")]
    pub(crate) fn store_name(&self) -> Option<&str> {
        self.fleet.as_ref().map(fleet::FleetBudget::store_name)
    }

    /// A fleet budget's store, and how it has been answering.
    #[cfg(feature = "redis")]
    pub(crate) fn fleet_store(&self) -> Option<std::sync::Arc<crate::resilience::store::Store>> {
        self.fleet
            .as_ref()
            .map(|fleet| std::sync::Arc::clone(fleet.store()))
    }

    /// The share of requests that may be retried.
    pub fn ratio(&self) -> f64 {
        f64::from_bits(self.ratio.load(Ordering::Relaxed))
    }

    /// Retries per second allowed whatever the ratio.
    pub fn min_retries_per_sec(&self) -> u32 {
        self.min_per_sec.load(Ordering::Relaxed)
    }

    /// Counts one request (call it once per call, not per try).
    pub fn deposit(&self) {
        self.deposits.add(1);
    }

    /// Takes one retry from the budget; `false` if none is left.
    pub fn withdraw(&self) -> bool {
        #[cfg(feature = "redis")]
        if let Some(granted) = self.fleet.as_ref().and_then(fleet::FleetBudget::withdraw) {
            let counter = if granted { &self.withdrawals } else { &self.refused };
            counter.fetch_add(1, Ordering::Relaxed);
            return granted;
        }
        self.withdraw_at(self.origin.elapsed())
    }

    /// Counters, and the retries available now.
    pub fn stats(&self) -> BudgetStats {
        let held = self.held(self.origin.elapsed());
        BudgetStats {
            deposits: self.deposits.sum(),
            withdrawals: self.withdrawals.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            available: u64::try_from(held / RETRY).unwrap_or(0),
            #[cfg(feature = "redis")]
            fleet: self.fleet.as_ref().map(|f| BudgetFleetStats {
                store_up: f.is_up(),
                round_trips: f.round_trips(),
            }),
            #[cfg(not(feature = "redis"))]
            fleet: None,
        }
    }

    /// Units earned since the budget was built, `elapsed` after it: the deposits, and
    /// `min_retries_per_sec` for that time and the quiet second the bucket starts with.
    fn credit(&self, elapsed: Duration) -> i64 {
        let deposit = self.deposit.load(Ordering::Relaxed);
        let earned = u128::from(self.deposits.sum()) * u128::from(deposit);
        let reserve = (elapsed + RESERVE).as_millis() * u128::from(self.min_retries_per_sec());
        i64::try_from(earned.saturating_add(reserve)).unwrap_or(i64::MAX)
    }

    fn withdraw_at(&self, elapsed: Duration) -> bool {
        let credit = self.credit(elapsed);
        let capacity = self.capacity.load(Ordering::Relaxed);
        let mut spent = self.spent.load(Ordering::Acquire);
        loop {
            // What the bucket could not hold is forfeited now: it would have overflowed as it
            // was earned, had anyone been looking.
            let floor = spent.max(credit - capacity);
            if credit - floor < RETRY {
                self.refused.fetch_add(1, Ordering::Relaxed);
                debug!(ratio = self.ratio(), "retry budget spent");
                return false;
            }
            match self
                .spent
                .compare_exchange_weak(spent, floor + RETRY, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break,
                Err(seen) => spent = seen,
            }
        }
        self.withdrawals.fetch_add(1, Ordering::Relaxed);
        true
    }
}

impl std::fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetryBudget")
            .field("ratio", &self.ratio())
            .field("min_retries_per_sec", &self.min_retries_per_sec())
            .field("stats", &self.stats())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    /// Retries granted out of `asked`, all at `elapsed`.
    fn grant(budget: &RetryBudget, asked: usize, elapsed: Duration) -> usize {
        (0..asked).filter(|_| budget.withdraw_at(elapsed)).count()
    }

    /// `seconds` seconds of `rate` requests a second from `at` on, each failing and asking for
    /// `ask` retries: the retries granted in each second.
    fn failing_seconds(
        budget: &RetryBudget,
        at: &mut Duration,
        seconds: usize,
        rate: u32,
        ask: usize,
    ) -> Vec<usize> {
        let mut per_second = Vec::new();
        for _ in 0..seconds {
            let mut granted = 0;
            for _ in 0..rate {
                budget.deposit();
                granted += grant(budget, ask, *at);
                *at += SECOND / rate;
            }
            per_second.push(granted);
        }
        per_second
    }

    #[test]
    fn retries_are_a_share_of_requests() {
        // No reserve: the bucket holds one retry, and starts empty.
        let budget = RetryBudget::new(0.25, 0);
        (0..8).for_each(|_| budget.deposit());
        assert_eq!(grant(&budget, 5, Duration::ZERO), 1, "8 requests earn 2, 1 fits");
        (0..8).for_each(|_| budget.deposit());
        assert_eq!(grant(&budget, 5, Duration::ZERO), 1);
        (0..3).for_each(|_| budget.deposit());
        assert_eq!(
            grant(&budget, 5, Duration::ZERO),
            0,
            "3 requests earn 0.75 of a retry"
        );
        budget.deposit();
        assert_eq!(grant(&budget, 5, Duration::ZERO), 1);
    }

    #[test]
    fn the_reserve_allows_min_retries_per_second() {
        let budget = RetryBudget::new(0.0, 3);
        assert_eq!(
            grant(&budget, 100, Duration::ZERO),
            3,
            "one quiet second to start with"
        );
        assert_eq!(grant(&budget, 100, Duration::from_millis(333)), 0);
        assert_eq!(
            grant(&budget, 100, Duration::from_millis(334)),
            1,
            "one every 1/3 s"
        );
        let granted: usize = (1..=100)
            .map(|tenth| grant(&budget, 100, Duration::from_millis(334) + SECOND * tenth / 10))
            .sum();
        assert_eq!(granted, 30, "3 a second over 10 s");
        assert_eq!(
            grant(&budget, 100, SECOND * 1000),
            3,
            "a long quiet time still saves only one second"
        );
    }

    /// The healthy traffic before an outage earns no burst: at 100 requests a second with
    /// `budget = 0.1, min_retries_per_sec = 3` (the outage example's), the first second of the
    /// outage gets the 3 retries of the bucket besides the 10 its requests earn and the 3 of the
    /// reserve, as every later second gets 13: not the 130 the old sliding window had saved up.
    #[test]
    fn no_burst_when_an_outage_starts() {
        let budget = RetryBudget::new(0.1, 3);
        let mut at = Duration::ZERO;
        // Ten healthy seconds: every request deposits, nothing is retried.
        for _ in 0..1000 {
            budget.deposit();
            at += SECOND / 100;
        }
        // Then every request fails and asks for a retry at once.
        let per_second = failing_seconds(&budget, &mut at, 5, 100, 1);
        assert!(per_second[0] <= 3 + 10 + 3, "{per_second:?}");
        assert!(
            per_second[1..].iter().all(|&n| (12..=14).contains(&n)),
            "{per_second:?}"
        );
    }

    /// Spent retries do not come back: a window-based budget returns its withdrawals as credit
    /// when they leave the window, a burst at every rollover (here, every 10 s).
    #[test]
    fn no_burst_at_any_rollover() {
        let budget = RetryBudget::new(0.2, 3);
        let mut at = Duration::ZERO;
        let per_second = failing_seconds(&budget, &mut at, 25, 50, 3);
        // 50 requests earn 10 retries a second, the reserve 3, the bucket held 3 at the start.
        assert!(per_second[0] <= 16, "{per_second:?}");
        assert!(
            per_second[1..].iter().all(|&n| (12..=14).contains(&n)),
            "{per_second:?}"
        );
    }

    /// The documented bound over a stretch `T`: `budget · requests + min · T + max(min, 1)`.
    #[test]
    fn the_bound_holds_over_every_stretch() {
        let (ratio, min) = (0.2, 2);
        let budget = RetryBudget::new(ratio, min);
        // Irregular traffic: quiet spells, bursts of requests, every one failing.
        let mut at = Duration::ZERO;
        let mut steps = Vec::new(); // (when, requests so far, retries granted so far)
        let (mut requests, mut granted) = (0u64, 0u64);
        for step in 0u64..2000 {
            let burst = [0, 1, 7, 0, 30, 2][(step % 6) as usize];
            for _ in 0..burst {
                budget.deposit();
                requests += 1;
                granted += grant(&budget, 4, at) as u64;
            }
            steps.push((at, requests, granted));
            at += Duration::from_millis(step % 13 * 10);
        }
        let capacity = f64::from(min.max(1));
        for (i, (t0, r0, g0)) in steps.iter().enumerate().step_by(7) {
            for (t1, r1, g1) in &steps[i..] {
                let allowed = ratio * (r1 - r0) as f64
                    + f64::from(min) * (*t1 - *t0).as_secs_f64()
                    + capacity
                    // The reserve counts whole milliseconds.
                    + 0.01;
                assert!((g1 - g0) as f64 <= allowed, "{} > {allowed}", g1 - g0);
            }
        }
        let (elapsed, all) = (at.as_secs_f64(), requests as f64);
        assert!(
            granted as f64 >= ratio * all + f64::from(min) * elapsed - 10.0,
            "{granted}: the budget was spent, not refused for nothing"
        );
    }

    /// Four threads each make 1,000 requests, every one asking for two retries: with
    /// `budget = 1` and no reserve they may retry 4,000 times, never more.
    #[test]
    fn concurrent_withdrawals_never_overdraw() {
        let budget = RetryBudget::new(1.0, 0);
        let granted = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..1000 {
                        budget.deposit();
                        let n = grant(&budget, 2, Duration::ZERO);
                        granted.fetch_add(n, Ordering::Relaxed);
                    }
                });
            }
        });
        let granted = granted.into_inner();
        assert!(granted <= 4000, "{granted} retries for 4000 requests");
        assert_eq!(budget.stats().withdrawals, granted as u64);
    }

    #[test]
    fn ratio_is_clamped() {
        assert_eq!(RetryBudget::new(7.0, 0).ratio(), 1.0);
        assert_eq!(RetryBudget::new(f64::NAN, 0).ratio(), 0.0);
    }
}
