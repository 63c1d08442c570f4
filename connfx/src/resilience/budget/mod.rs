//! Retry budget: retries limited to a share of recent requests, so an outage is not multiplied.
//!
//! As in Finagle and Envoy (and tower's `TpsBudget`): every request deposits `budget` of a
//! retry, every retry withdraws a whole one, and a reserve of `min_retries_per_sec` retries per
//! second of the window lets a quiet connection still retry. Over any window of 10 seconds,
//! retries are at most `budget · requests + min_retries_per_sec · 10`. Deposits and withdrawals
//! are a few atomic operations on a ring of slots; nothing locks.
//!
//! ```
//! use connfx::resilience::budget::RetryBudget;
//! let budget = RetryBudget::new(0.2, 0);
//! (0..10).for_each(|_| budget.deposit());
//! assert!(budget.withdraw() && budget.withdraw(), "10 requests earn 2 retries");
//! assert!(!budget.withdraw());
//! assert_eq!(budget.stats().refused, 1);
//! ```

mod window;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;
use tracing::debug;

use crate::RetryConfig;
use crate::resilience::striped::Striped;
use window::{SLOTS, Window};

/// One retry, in the budget's fixed-point units (a deposit of 0.2 is 200 units).
const RETRY: i64 = 1000;

/// The window retries and requests are counted over.
pub const WINDOW: Duration = Duration::from_secs(10);

/// A retry budget: see the [module docs](self). Share one per connection (`Arc`) between every
/// retry policy that should draw from it.
pub struct RetryBudget {
    window: Window,
    origin: Instant,
    slot_nanos: u64,
    deposit: i64,
    reserve: i64,
    ratio: f64,
    min_per_sec: u32,
    deposits: Striped,
    withdrawals: AtomicU64,
    refused: AtomicU64,
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
    /// Whole retries available now.
    pub available: u64,
}

impl RetryBudget {
    /// Retries at most `ratio` (0–1) of the requests of the last 10 seconds, plus
    /// `min_retries_per_sec` per second.
    pub fn new(ratio: f64, min_retries_per_sec: u32) -> Self {
        RetryBudget::with_window(ratio, min_retries_per_sec, WINDOW)
    }

    /// The same over another window (at least 10 ms).
    pub fn with_window(ratio: f64, min_retries_per_sec: u32, window: Duration) -> Self {
        let ratio = if ratio.is_nan() {
            0.0
        } else {
            ratio.clamp(0.0, 1.0)
        };
        let window = window.max(Duration::from_millis(10));
        let reserve = f64::from(min_retries_per_sec) * window.as_secs_f64() * RETRY as f64;
        RetryBudget {
            window: Window::default(),
            origin: Instant::now(),
            slot_nanos: u64::try_from(window.as_nanos() / u128::from(SLOTS)).unwrap_or(u64::MAX),
            deposit: (ratio * RETRY as f64).round() as i64,
            reserve: reserve.min(i64::MAX as f64) as i64,
            ratio,
            min_per_sec: min_retries_per_sec,
            deposits: Striped::default(),
            withdrawals: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    /// The budget of a `retry(...)` config, if it sets `budget`.
    pub fn from_config(config: &RetryConfig) -> Option<Self> {
        config
            .budget
            .map(|ratio| RetryBudget::new(ratio, config.min_retries_per_sec))
    }

    /// The share of requests that may be retried.
    pub fn ratio(&self) -> f64 {
        self.ratio
    }

    /// Retries per second allowed whatever the ratio.
    pub fn min_retries_per_sec(&self) -> u32 {
        self.min_per_sec
    }

    /// Counts one request (call it once per call, not per try).
    pub fn deposit(&self) {
        self.deposit_at(self.epoch());
    }

    /// Takes one retry from the budget; `false` if none is left. Concurrent callers may overdraw
    /// by one retry each, never more.
    pub fn withdraw(&self) -> bool {
        self.withdraw_at(self.epoch())
    }

    /// Counters, and the retries available now.
    pub fn stats(&self) -> BudgetStats {
        BudgetStats {
            deposits: self.deposits.sum(),
            withdrawals: self.withdrawals.load(Relaxed),
            refused: self.refused.load(Relaxed),
            available: u64::try_from(self.balance(self.epoch()) / RETRY).unwrap_or(0),
        }
    }

    fn epoch(&self) -> u64 {
        // u64 nanoseconds last 584 years; a u128 division would cost more than the rest.
        let nanos = u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX);
        nanos / self.slot_nanos.max(1)
    }

    fn balance(&self, epoch: u64) -> i64 {
        self.reserve.saturating_add(self.window.sum(epoch))
    }

    fn deposit_at(&self, epoch: u64) {
        self.deposits.add(1);
        if self.deposit > 0 {
            self.window.add(epoch, self.deposit);
        }
    }

    fn withdraw_at(&self, epoch: u64) -> bool {
        if self.balance(epoch) < RETRY {
            self.refused.fetch_add(1, Relaxed);
            debug!(ratio = self.ratio, "retry budget spent");
            return false;
        }
        self.window.add(epoch, -RETRY);
        self.withdrawals.fetch_add(1, Relaxed);
        true
    }
}

impl std::fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetryBudget")
            .field("ratio", &self.ratio)
            .field("min_retries_per_sec", &self.min_per_sec)
            .field("stats", &self.stats())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_are_a_share_of_requests_in_the_window() {
        let budget = RetryBudget::new(0.25, 0);
        (0..8).for_each(|_| budget.deposit_at(0));
        let granted = (0..5).filter(|_| budget.withdraw_at(0)).count();
        assert_eq!(granted, 2);
    }

    #[test]
    fn deposits_leave_the_window() {
        let budget = RetryBudget::new(0.5, 0);
        (0..4).for_each(|_| budget.deposit_at(0));
        assert!(!budget.withdraw_at(SLOTS), "the deposits of epoch 0 have expired");
        assert!(budget.withdraw_at(SLOTS - 1) && budget.withdraw_at(SLOTS - 1));
        assert!(!budget.withdraw_at(SLOTS - 1));
    }

    #[test]
    fn the_reserve_allows_min_retries_per_second() {
        let budget = RetryBudget::new(0.0, 3);
        let granted = (0..100).filter(|_| budget.withdraw_at(0)).count();
        assert_eq!(granted, 30, "3 per second over a 10 s window");
        assert!(!budget.withdraw_at(SLOTS - 1), "spent for the whole window");
        assert!(budget.withdraw_at(SLOTS), "the first withdrawals have expired");
    }

    #[test]
    fn ratio_is_clamped() {
        assert_eq!(RetryBudget::new(7.0, 0).ratio(), 1.0);
        assert_eq!(RetryBudget::new(f64::NAN, 0).ratio(), 0.0);
    }
}
