//! Deadlines that compose: the earliest one wins, and it follows the call through every layer.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::{Limit, TimeoutError};

/// `fut` in a deadline's scope, stopped when it passes.
pub(crate) type Bounded<F> = tokio::time::Timeout<tokio::task::futures::TaskLocalFuture<Deadline, F>>;

tokio::task_local! {
    /// The deadline of the call the current task is running, set by [`Deadline::scope`].
    static CURRENT: Deadline;
}

/// A point in time a call must finish by, and the [`Limit`] it stands for. Deadlines compose
/// with [`min`](Deadline::min): the earlier wins and keeps its label, so the error says which
/// limit fired. A deadline in [`scope`](Deadline::scope) is seen by everything the scoped future
/// runs ([`Deadline::current`]): the timeouts, retry and waiting policies inside it never plan
/// past it.
///
/// ```
/// use std::time::Duration;
/// use connfx::resilience::timeout::{Deadline, Limit};
/// let total = Deadline::after(Duration::from_secs(10), Limit::Total);
/// let caller = Deadline::after(Duration::from_millis(500), Limit::Caller);
/// assert_eq!(total.min(caller).limit(), Limit::Caller, "the caller's shorter deadline wins");
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let seen = caller.scope(async { Deadline::current() }).await;
/// assert_eq!(seen, Some(caller));
/// let err = caller.run(std::future::pending::<()>()).await.unwrap_err();
/// assert_eq!(err.limit, Limit::Caller);
/// # });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    at: Instant,
    length: Duration,
    limit: Limit,
}

impl Deadline {
    /// `length` from now.
    pub fn after(length: Duration, limit: Limit) -> Deadline {
        let now = Instant::now();
        let at = now.checked_add(length).unwrap_or_else(|| far_future(now));
        Deadline { at, length, limit }
    }

    /// At `at`; its length is counted from now.
    pub fn at(at: Instant, limit: Limit) -> Deadline {
        let length = at.saturating_duration_since(Instant::now());
        Deadline { at, length, limit }
    }

    /// When it falls.
    pub fn instant(&self) -> Instant {
        self.at
    }

    /// The limit it stands for.
    pub fn limit(&self) -> Limit {
        self.limit
    }

    /// Its length when it was set.
    pub fn length(&self) -> Duration {
        self.length
    }

    /// Time left (zero once it has passed).
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// Whether it has passed.
    pub fn is_expired(&self) -> bool {
        Instant::now() >= self.at
    }

    /// The earlier of the two (`self` on a tie).
    #[must_use]
    pub fn min(self, other: Deadline) -> Deadline {
        if other.at < self.at { other } else { self }
    }

    /// The earliest of two optional deadlines.
    pub fn earliest(a: Option<Deadline>, b: Option<Deadline>) -> Option<Deadline> {
        match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The error of this deadline passing.
    pub fn error(&self) -> TimeoutError {
        TimeoutError {
            limit: self.limit,
            after: self.length,
        }
    }

    /// The deadline of the current call, if some layer set one with [`scope`](Deadline::scope).
    pub fn current() -> Option<Deadline> {
        CURRENT.try_with(|d| *d).ok()
    }

    /// Runs `fut` with this deadline as [`Deadline::current`] (or the current one, if earlier:
    /// a nested deadline can shorten the time left, never extend it). It does not stop `fut`;
    /// [`run`](Deadline::run) does.
    pub async fn scope<F: Future>(self, fut: F) -> F::Output {
        let deadline = Deadline::earliest(Some(self), Deadline::current()).unwrap_or(self);
        CURRENT.scope(deadline, fut).await
    }

    /// Runs `fut` in [`scope`](Deadline::scope) and stops it when the deadline (or an earlier
    /// current one) passes.
    ///
    /// # Errors
    /// The [`TimeoutError`] of whichever deadline passed.
    pub async fn run<F: Future>(self, fut: F) -> Result<F::Output, TimeoutError> {
        let (deadline, bounded) = self.bounded(fut);
        bounded.await.map_err(|_| deadline.error())
    }

    /// [`run`](Deadline::run) as a named future (for the timeout layer's response future), with
    /// the deadline that bounds it: whose [`error`](Deadline::error) to return if it passes.
    pub(crate) fn bounded<F: Future>(self, fut: F) -> (Deadline, Bounded<F>) {
        let deadline = Deadline::earliest(Some(self), Deadline::current()).unwrap_or(self);
        let bounded = tokio::time::timeout_at(deadline.at, CURRENT.scope(deadline, fut));
        (deadline, bounded)
    }
}

/// Roughly 30 years from `now`: what tokio itself uses for "never".
fn far_future(now: Instant) -> Instant {
    now + Duration::from_secs(86_400 * 365 * 30)
}
