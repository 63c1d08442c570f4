//! Retry, retry budget, timeout, rate limit and bulkhead on their own, outside any connection.
//!
//! Time: tokio's clock is not paused here (the workspace's tokio has no `test-util`), so tests
//! that wait use short real delays with wide margins, and assert "well under" bounds for the
//! cases that must not wait at all.

mod backoff;
mod budget;
mod bulkhead;
mod call;
mod classify;
mod config;
mod http;
mod layers;
mod rate_limit;
mod timeout;

use std::time::Duration;

/// Milliseconds, for short test delays.
pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}
