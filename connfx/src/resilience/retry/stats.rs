//! Counters of a retry policy.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::resilience::striped::Striped;

use serde::Serialize;

use super::StopReason;

/// What a retry policy has done since it was built.
///
/// ```
/// let retry = connfx::resilience::retry::Retry::new(connfx::RetryConfig::default());
/// assert_eq!(retry.stats().calls, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RetryStats {
    /// Calls started.
    pub calls: u64,
    /// Tries made, first tries included.
    pub attempts: u64,
    /// Tries after the first.
    pub retries: u64,
    /// Calls that failed on their last allowed try.
    pub exhausted: u64,
    /// Retries refused by the retry budget.
    pub budget_exhausted: u64,
    /// Retries not made because the wait would outlast the deadline.
    pub deadline_too_short: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    // Every call bumps `calls`, so it is striped; attempts are `calls + retries`, not a second
    // counter on the hot path.
    calls: Striped,
    retries: AtomicU64,
    exhausted: AtomicU64,
    budget_exhausted: AtomicU64,
    deadline_too_short: AtomicU64,
}

impl Counters {
    pub(crate) fn call(&self) {
        self.calls.add(1);
    }

    pub(crate) fn retry(&self) {
        self.retries.fetch_add(1, Relaxed);
    }

    pub(crate) fn gave_up(&self, reason: &StopReason) {
        let counter = match reason {
            StopReason::Exhausted => &self.exhausted,
            StopReason::BudgetExhausted => &self.budget_exhausted,
            StopReason::Deadline { .. } => &self.deadline_too_short,
            StopReason::NotRetryable => return,
        };
        counter.fetch_add(1, Relaxed);
    }

    pub(crate) fn snapshot(&self) -> RetryStats {
        let (calls, retries) = (self.calls.sum(), self.retries.load(Relaxed));
        RetryStats {
            calls,
            attempts: calls + retries,
            retries,
            exhausted: self.exhausted.load(Relaxed),
            budget_exhausted: self.budget_exhausted.load(Relaxed),
            deadline_too_short: self.deadline_too_short.load(Relaxed),
        }
    }
}
