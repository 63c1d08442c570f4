//! Open or closed, and the calls in flight that `close` waits for: the graceful-shutdown half of
//! every connection that makes calls (HTTP and GraphQL, Redis, SQL, WebSocket sends, SSE opens).

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering::SeqCst};
use std::time::Duration;

use tokio::sync::Notify;

use crate::resilience::striped::{Padded, STRIPES, stripe};

/// How long `close` waits for calls in flight before giving up on them.
pub(crate) const DRAIN_LIMIT: Duration = Duration::from_secs(30);

/// The closed flag and a count of calls in flight. The open path is two atomic additions on the
/// calling thread's own cache line (the count is striped, see [`crate::resilience::striped`]):
/// no lock, no allocation, no line shared between cores.
#[derive(Debug, Default)]
pub(crate) struct Lifecycle {
    closed: AtomicBool,
    /// Calls in flight, spread over stripes; a call may end on another thread than it began,
    /// so a stripe can go negative: only the sum means anything.
    in_flight: [Padded<AtomicI64>; STRIPES],
    idle: Notify,
}

impl Lifecycle {
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(SeqCst)
    }

    /// Counts a call as in flight until the guard is dropped; `None` once closed.
    pub(crate) fn enter(&self) -> Option<InFlight<'_>> {
        self.add(1);
        let guard = InFlight(self);
        // Checked after counting (both `SeqCst`, as is `close`'s swap and sum), so `close`
        // either sees this call or the call sees `closed`.
        (!self.is_closed()).then_some(guard)
    }

    /// Calls in flight now.
    pub(crate) fn in_flight(&self) -> i64 {
        self.in_flight.iter().map(|s| s.0.load(SeqCst)).sum()
    }

    /// Closes and waits (at most `limit`) for the calls in flight. Returns whether this call
    /// was the one that closed.
    pub(crate) async fn close(&self, limit: Duration) -> bool {
        let first = !self.closed.swap(true, SeqCst);
        if tokio::time::timeout(limit, self.drained()).await.is_err() {
            tracing::warn!(
                in_flight = self.in_flight(),
                "close gave up waiting for calls in flight"
            );
        }
        first
    }

    async fn drained(&self) {
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            // Registered before the check, so a call ending in between still wakes us.
            idle.as_mut().enable();
            if self.in_flight() <= 0 {
                return;
            }
            idle.await;
        }
    }

    fn add(&self, n: i64) {
        self.in_flight[stripe()].0.fetch_add(n, SeqCst);
    }
}

/// One call in flight; dropping it ends the call's count.
#[derive(Debug)]
pub(crate) struct InFlight<'a>(&'a Lifecycle);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.add(-1);
        // Only a closing connection has anyone waiting; `drained` checks the sum itself.
        if self.0.is_closed() {
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
            done.store(true, SeqCst);
            drop(guard);
        });
        wait_entered.await.expect("request started");
        assert!(lifecycle.close(DRAIN_LIMIT).await);
        assert!(finished.load(SeqCst));
        assert!(lifecycle.enter().is_none());
        assert!(!lifecycle.close(DRAIN_LIMIT).await);
    }
}
