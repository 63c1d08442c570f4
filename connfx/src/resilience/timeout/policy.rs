//! `Timeout`: the connect, per-attempt and total limits of a `timeout(...)` config.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tracing::debug;

use super::events::Counters;
use super::{Deadline, Limit, TimeoutConfig, TimeoutError, TimeoutEvent, TimeoutLayer, TimeoutStats};
use crate::resilience::Emitter;

/// The time limits of a call. Each `run_*` method bounds a future by one limit and by the
/// caller's [`Deadline::current`], whichever falls first, and says in its [`TimeoutError`] which
/// one fired. A limit left unset in the config bounds nothing (the caller's deadline still does).
///
/// ```
/// use std::time::Duration;
/// use connfx::TimeoutConfig;
/// use connfx::resilience::timeout::{Deadline, Limit, Timeout};
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let timeout = Timeout::new(TimeoutConfig { total: Some(Duration::from_secs(5)), ..Default::default() });
/// assert_eq!(timeout.run(async { 7 }).await, Ok(7));
///
/// let caller = Deadline::after(Duration::from_millis(10), Limit::Caller);
/// let err = timeout.run_within(Some(caller), std::future::pending::<()>()).await.unwrap_err();
/// assert_eq!(err.limit, Limit::Caller, "the caller's shorter deadline won");
/// assert_eq!(timeout.stats().caller, 1);
/// # });
/// ```
#[derive(Clone)]
pub struct Timeout {
    config: TimeoutConfig,
    shared: Arc<Shared>,
}

struct Shared {
    counters: Counters,
    events: Emitter<TimeoutEvent>,
}

impl Timeout {
    /// The limits of `config`, as given.
    pub fn new(config: TimeoutConfig) -> Self {
        let shared = Shared {
            counters: Counters::default(),
            events: Emitter::new(),
        };
        Timeout {
            config,
            shared: Arc::new(shared),
        }
    }

    /// The configured length of `limit` (`None` for [`Limit::Caller`] and for unset limits).
    pub fn limit(&self, limit: Limit) -> Option<Duration> {
        match limit {
            Limit::Connect => self.config.connect,
            Limit::PerAttempt => self.config.per_attempt,
            Limit::Total => self.config.total,
            Limit::Caller => None,
        }
    }

    /// The deadline of `limit` starting now, met with the current one: the earliest of both.
    pub fn deadline(&self, limit: Limit) -> Option<Deadline> {
        let own = self.limit(limit).map(|length| Deadline::after(length, limit));
        Deadline::earliest(own, Deadline::current())
    }

    /// Runs `fut` within the total limit.
    ///
    /// # Errors
    /// [`TimeoutError`] naming the limit that fired.
    pub async fn run<F: Future>(&self, fut: F) -> Result<F::Output, TimeoutError> {
        self.run_limit(Limit::Total, fut).await
    }

    /// Runs `fut` within the total limit and the caller's own deadline, whichever falls first.
    ///
    /// # Errors
    /// [`TimeoutError`] naming the limit that fired.
    pub async fn run_within<F: Future>(
        &self,
        caller: Option<Deadline>,
        fut: F,
    ) -> Result<F::Output, TimeoutError> {
        match caller {
            Some(caller) => caller.scope(self.run_limit(Limit::Total, fut)).await,
            None => self.run_limit(Limit::Total, fut).await,
        }
    }

    /// Runs one try of a call within the per-attempt limit.
    ///
    /// # Errors
    /// [`TimeoutError`] naming the limit that fired.
    pub async fn run_attempt<F: Future>(&self, fut: F) -> Result<F::Output, TimeoutError> {
        self.run_limit(Limit::PerAttempt, fut).await
    }

    /// Runs a connection attempt within the connect limit.
    ///
    /// # Errors
    /// [`TimeoutError`] naming the limit that fired.
    pub async fn run_connect<F: Future>(&self, fut: F) -> Result<F::Output, TimeoutError> {
        self.run_limit(Limit::Connect, fut).await
    }

    /// Runs `fut` within `limit` and the current deadline.
    ///
    /// # Errors
    /// [`TimeoutError`] naming the limit that fired.
    pub async fn run_limit<F: Future>(&self, limit: Limit, fut: F) -> Result<F::Output, TimeoutError> {
        let Some(deadline) = self.start(limit) else {
            return Ok(fut.await);
        };
        self.settle(deadline.run(fut).await)
    }

    /// The deadline of a run within `limit`, counted as a run; `None` when nothing bounds it.
    pub(crate) fn start(&self, limit: Limit) -> Option<Deadline> {
        let deadline = self.deadline(limit)?;
        self.shared.counters.run();
        Some(deadline)
    }

    /// A run's result, its timeout (if it fired) counted and announced.
    pub(crate) fn settle<T>(&self, result: Result<T, TimeoutError>) -> Result<T, TimeoutError> {
        if let Err(error) = &result {
            self.fired(*error);
        }
        result
    }

    fn fired(&self, error: TimeoutError) {
        debug!(limit = %error.limit, after = ?error.after, "timed out");
        self.shared.counters.fired(error.limit);
        self.shared.events.emit(TimeoutEvent::TimedOut(error));
    }

    /// A tower layer bounding each call by the total limit.
    pub fn layer(&self) -> TimeoutLayer {
        TimeoutLayer::new(self.clone(), Limit::Total)
    }

    /// A tower layer bounding each call by the per-attempt limit (place it inside the retry).
    pub fn attempt_layer(&self) -> TimeoutLayer {
        TimeoutLayer::new(self.clone(), Limit::PerAttempt)
    }

    /// Counters since the policy was built.
    pub fn stats(&self) -> TimeoutStats {
        self.shared.counters.snapshot()
    }
}

impl fmt::Debug for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout").field("config", &self.config).finish()
    }
}

crate::resilience::face::policy_face!(Timeout, TimeoutConfig, TimeoutEvent, shared);
