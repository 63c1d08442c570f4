//! Open or closed, and the requests in flight that `close` waits for.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// How long `close` waits for requests in flight before giving up on them.
const DRAIN_LIMIT: Duration = Duration::from_secs(30);

/// The closed flag and a count of requests being sent. The open path is two atomic operations:
/// no lock, no allocation.
#[derive(Debug, Default)]
pub(crate) struct Lifecycle {
    closed: AtomicBool,
    in_flight: AtomicUsize,
    idle: Notify,
}

impl Lifecycle {
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Counts a request as in flight until the guard is dropped; `None` once closed.
    pub(crate) fn enter(&self) -> Option<InFlight<'_>> {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        let guard = InFlight(self);
        // Checked after counting, so `close` either sees this request or it sees `closed`.
        (!self.is_closed()).then_some(guard)
    }

    /// Closes and waits (at most [`DRAIN_LIMIT`]) for the requests in flight. Returns whether
    /// this call was the one that closed.
    pub(crate) async fn close(&self) -> bool {
        let first = !self.closed.swap(true, Ordering::AcqRel);
        if tokio::time::timeout(DRAIN_LIMIT, self.drained()).await.is_err() {
            tracing::warn!(
                in_flight = self.in_flight.load(Ordering::Acquire),
                "close gave up waiting"
            );
        }
        first
    }

    async fn drained(&self) {
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            // Registered before the check, so a request ending in between still wakes us.
            idle.as_mut().enable();
            if self.in_flight.load(Ordering::Acquire) == 0 {
                return;
            }
            idle.await;
        }
    }
}

/// One request in flight; dropping it ends the request's count.
#[derive(Debug)]
pub(crate) struct InFlight<'a>(&'a Lifecycle);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn close_waits_for_requests_in_flight() {
        let lifecycle = std::sync::Arc::new(Lifecycle::default());
        let finished = std::sync::Arc::new(AtomicBool::new(false));
        let (owner, done) = (lifecycle.clone(), finished.clone());
        let (entered, wait_entered) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let guard = owner.enter().expect("open");
            let _ = entered.send(());
            tokio::time::sleep(Duration::from_millis(50)).await;
            done.store(true, Ordering::Release);
            drop(guard);
        });
        wait_entered.await.expect("request started");
        assert!(lifecycle.close().await);
        assert!(finished.load(Ordering::Acquire));
        assert!(lifecycle.enter().is_none());
        assert!(!lifecycle.close().await);
    }
}
