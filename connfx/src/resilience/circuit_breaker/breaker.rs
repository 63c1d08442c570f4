//! [`CircuitBreaker`]: the standalone face of DESIGN §3.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use tokio::sync::broadcast;
use tokio::time::Instant;

use super::machine::Inner;
use super::permit::{OwnedPermit, Permit};
use super::{
    BreakerError, CallFuture, CircuitBreakerBuilder, CircuitBreakerConfig, CircuitEvent, CircuitState,
    CircuitStats, InvalidConfig, Rejected, TransitionReason,
};
use crate::resilience::{Classify, ErrIsFailure};

/// A circuit breaker: stops calling a dependency that keeps failing, and probes it again later.
///
/// A cheap handle (one `Arc`): clones share one breaker. See the [module docs](super) for the
/// states and rules.
///
/// ```
/// use std::time::Duration;
/// use connfx::CircuitBreakerConfig;
/// use connfx::resilience::circuit_breaker::{CircuitBreaker, CircuitState};
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let cb = CircuitBreaker::new(CircuitBreakerConfig {
///     failure_threshold: 2,
///     reset_timeout: Duration::from_secs(30),
///     half_open_success_needed: 2,
///     ..Default::default()
/// });
/// for _ in 0..2 {
///     let _ = cb.call(async { Err::<(), _>("down") }).await;
/// }
/// assert_eq!(cb.state(), CircuitState::Open);
/// let err = cb.call(async { Ok::<_, &str>(()) }).await.unwrap_err();
/// assert!(err.is_rejected());
/// cb.reset();
/// assert_eq!(cb.call(async { Ok::<_, &str>(7) }).await.unwrap(), 7);
/// # });
/// ```
#[derive(Clone)]
pub struct CircuitBreaker {
    pub(crate) inner: Arc<Inner>,
}

impl CircuitBreaker {
    /// A breaker for `config`, with every value clamped into its bounds (see [`try_new`]).
    ///
    /// [`try_new`]: CircuitBreaker::try_new
    ///
    /// ```
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::new(connfx::CircuitBreakerConfig { failure_threshold: 0, ..Default::default() });
    /// // `failure_threshold` is clamped to 1: the first failure opens.
    /// cb.try_acquire().unwrap().failure();
    /// assert_eq!(cb.state(), connfx::resilience::circuit_breaker::CircuitState::Open);
    /// ```
    pub fn new(config: CircuitBreakerConfig) -> CircuitBreaker {
        CircuitBreakerBuilder::new(config).build()
    }

    /// A breaker for `config`, if every value is within bounds.
    ///
    /// ```
    /// use connfx::resilience::circuit_breaker::CircuitBreaker;
    /// assert!(CircuitBreaker::try_new(Default::default()).is_ok());
    /// ```
    ///
    /// # Errors
    /// [`InvalidConfig`] listing each value out of bounds and each broken rule.
    pub fn try_new(config: CircuitBreakerConfig) -> Result<CircuitBreaker, InvalidConfig> {
        CircuitBreakerBuilder::new(config).try_build()
    }

    /// Applies `config` to this breaker in place, after checking it as [`try_new`] does: the
    /// state, the end of an open period, the window's counts, the name, clock, predicate and
    /// listeners are all kept, and the new values apply from the next decision. So an open
    /// breaker stays open across a reload that raises `failure_threshold` (until its open period
    /// ends, then probes under the new rules), and a window made smaller keeps the calls that
    /// fit, with their rates. Handles and subscribers already given out see the change: it is
    /// the same breaker. Nothing on the call path is locked or swapped; each value is one
    /// relaxed atomic.
    ///
    /// [`try_new`]: CircuitBreaker::try_new
    ///
    /// ```
    /// use connfx::CircuitBreakerConfig;
    /// use connfx::resilience::circuit_breaker::{CircuitBreaker, CircuitState};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let cb = CircuitBreaker::new(CircuitBreakerConfig { failure_threshold: 1, ..Default::default() });
    /// let _ = cb.call(async { Err::<(), _>("down") }).await;
    /// assert_eq!(cb.state(), CircuitState::Open);
    /// cb.reconfigure(&CircuitBreakerConfig { failure_threshold: 10, ..Default::default() }).unwrap();
    /// assert_eq!(cb.state(), CircuitState::Open, "still open: the state is kept");
    /// assert!(cb.reconfigure(&CircuitBreakerConfig { failure_rate: Some(2.0), ..Default::default() }).is_err());
    /// # });
    /// ```
    ///
    /// # Errors
    /// [`InvalidConfig`] listing each value out of bounds; the breaker is then left as it was.
    pub fn reconfigure(&self, config: &CircuitBreakerConfig) -> Result<(), InvalidConfig> {
        config.check()?;
        self.inner.policy.reset_to(config);
        self.inner.fit_window();
        Ok(())
    }

    /// A builder, for a name, a clock, a trip predicate or event callbacks.
    ///
    /// ```
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::builder(Default::default()).name("db").build();
    /// assert_eq!(cb.name(), Some("db"));
    /// ```
    pub fn builder(config: CircuitBreakerConfig) -> CircuitBreakerBuilder {
        CircuitBreakerBuilder::new(config)
    }

    /// The breaker's name, if it has one.
    ///
    /// ```
    /// assert_eq!(connfx::resilience::circuit_breaker::CircuitBreaker::new(Default::default()).name(), None);
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.inner.name().map(|n| &**n)
    }

    /// Leave to make one call, borrowed from this handle; record its outcome on the permit.
    ///
    /// In the closed state this is one atomic load: no lock, no allocation.
    ///
    /// ```
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::new(Default::default());
    /// match cb.try_acquire() {
    ///     Ok(permit) => permit.success(),
    ///     Err(rejected) => eprintln!("{rejected}"),
    /// }
    /// ```
    ///
    /// # Errors
    /// [`Rejected`] when open, or half-open with every probe slot taken.
    #[inline]
    pub fn try_acquire(&self) -> Result<Permit<'_>, Rejected> {
        let ticket = self.inner.admit()?;
        Ok(Permit {
            breaker: self,
            ticket,
        })
    }

    /// As [`try_acquire`](CircuitBreaker::try_acquire), with a permit that owns a handle (one
    /// reference-count increment) so it can move into a `'static` future.
    ///
    /// ```
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::new(Default::default());
    /// let permit = cb.try_acquire_owned().unwrap();
    /// permit.failure();
    /// ```
    ///
    /// # Errors
    /// [`Rejected`], as for `try_acquire`.
    pub fn try_acquire_owned(&self) -> Result<OwnedPermit, Rejected> {
        let ticket = self.inner.admit()?;
        Ok(OwnedPermit {
            breaker: self.clone(),
            ticket,
        })
    }

    /// Runs `call` if the breaker admits it, counting `Err` as a failure.
    ///
    /// The breaker is asked when the returned [`CallFuture`] is first polled; `call` is polled
    /// only if admitted, otherwise it is dropped unpolled. The returned future resolves to
    /// `Result<T, BreakerError<E>>`.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::new(Default::default());
    /// assert_eq!(cb.call(async { Ok::<_, std::io::Error>(1) }).await.unwrap(), 1);
    /// # });
    /// ```
    ///
    /// # Errors
    /// [`BreakerError::Rejected`] without polling `call`, or [`BreakerError::Inner`] with its error.
    #[inline]
    pub fn call<F, T, E>(&self, call: F) -> CallFuture<'_, ErrIsFailure, F>
    where
        F: Future<Output = Result<T, E>>,
    {
        self.call_with(ErrIsFailure, call)
    }

    /// Runs `call` if admitted, with `classify` deciding what its result counts as.
    ///
    /// ```
    /// use connfx::resilience::circuit_breaker::{CircuitBreaker, Outcome};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let cb = CircuitBreaker::new(connfx::CircuitBreakerConfig { failure_threshold: 1, ..Default::default() });
    /// // A status below `server_error_threshold` (500) is an answer: not a failure.
    /// let by_status = |r: &Result<u16, ()>| match r {
    ///     Ok(code) => Outcome::Status { code: *code, retry_after: None },
    ///     Err(()) => Outcome::Failed,
    /// };
    /// cb.call_with(by_status, async { Ok(404) }).await.unwrap();
    /// assert_eq!(cb.state(), connfx::resilience::circuit_breaker::CircuitState::Closed);
    /// # });
    /// ```
    ///
    /// # Errors
    /// As [`call`](CircuitBreaker::call).
    #[inline]
    pub fn call_with<C, F, T, E>(&self, classify: C, call: F) -> CallFuture<'_, C, F>
    where
        C: Classify<T, E>,
        F: Future<Output = Result<T, E>>,
    {
        CallFuture::new(self, classify, call)
    }

    /// Runs `call` if admitted; if rejected, runs `fallback` instead. A failure of `call` itself
    /// is returned as it is (and counted).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::new(Default::default());
    /// cb.force_open();
    /// let price = cb.call_with_fallback(async { Ok::<_, ()>(10) }, |_rejected| async { Ok(0) }).await;
    /// assert_eq!(price, Ok(0));
    /// # });
    /// ```
    ///
    /// # Errors
    /// The error of `call`, or of `fallback` when it ran.
    pub async fn call_with_fallback<F, T, E, G, Fb>(&self, call: F, fallback: G) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        G: FnOnce(Rejected) -> Fb,
        Fb: Future<Output = Result<T, E>>,
    {
        match self.call(call).await {
            Ok(value) => Ok(value),
            Err(BreakerError::Inner(e)) => Err(e),
            Err(BreakerError::Rejected(rejected)) => fallback(rejected).await,
        }
    }

    /// The state a call would meet now. An open period that has ended turns half-open here (as
    /// in sony/gobreaker), with its event.
    ///
    /// ```
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::new(Default::default());
    /// assert_eq!(cb.state(), connfx::resilience::circuit_breaker::CircuitState::Closed);
    /// ```
    pub fn state(&self) -> CircuitState {
        self.inner.refresh().state()
    }

    /// The state and the counts it is judged by.
    ///
    /// ```
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::new(Default::default());
    /// cb.try_acquire().unwrap().failure();
    /// assert_eq!(cb.stats().consecutive_failures, 1);
    /// ```
    pub fn stats(&self) -> CircuitStats {
        self.inner.stats()
    }

    /// Back to closed with every count cleared, ending any forced state.
    ///
    /// ```
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::new(Default::default());
    /// cb.force_open();
    /// cb.reset();
    /// assert!(cb.try_acquire().is_ok());
    /// ```
    pub fn reset(&self) {
        self.inner.force(|w| w.to_closed(false), TransitionReason::Reset);
    }

    /// Opens the circuit until [`reset`](CircuitBreaker::reset) or
    /// [`force_closed`](CircuitBreaker::force_closed): no probe is ever let through.
    ///
    /// ```
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::new(Default::default());
    /// cb.force_open();
    /// assert!(cb.stats().forced);
    /// ```
    pub fn force_open(&self) {
        self.inner
            .force(|w| w.to_forced_open(), TransitionReason::ForcedOpen);
    }

    /// Closes the circuit and keeps it closed until [`reset`](CircuitBreaker::reset): outcomes
    /// are still counted, but never open it.
    ///
    /// ```
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::new(connfx::CircuitBreakerConfig { failure_threshold: 1, ..Default::default() });
    /// cb.force_closed();
    /// cb.try_acquire().unwrap().failure();
    /// assert!(cb.try_acquire().is_ok());
    /// ```
    pub fn force_closed(&self) {
        self.inner
            .force(|w| w.to_closed(true), TransitionReason::ForcedClosed);
    }

    /// Opens the circuit now, as a trip would: it half-opens after the open period.
    ///
    /// ```
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::new(Default::default());
    /// cb.trip();
    /// assert!(cb.stats().open_remaining.is_some());
    /// ```
    pub fn trip(&self) {
        self.inner.force(|w| w.to_open(), TransitionReason::Tripped);
    }

    /// Waits until a call would be admitted (closed, or half-open with a free probe slot), or
    /// until `deadline`.
    ///
    /// Wakes at the end of the open period and on every state change or freed probe slot. With a
    /// [`ManualClock`](super::ManualClock), the open period is slept in tokio time; a state
    /// change (e.g. [`state`](CircuitBreaker::state) after advancing the clock) wakes it.
    ///
    /// ```
    /// use tokio::time::{Duration, Instant};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::new(Default::default());
    /// cb.force_open();
    /// assert!(cb.wait_until_ready(Instant::now() + Duration::from_millis(5)).await.is_err());
    /// cb.reset();
    /// assert!(cb.wait_until_ready(Instant::now()).await.is_ok());
    /// # });
    /// ```
    ///
    /// # Errors
    /// [`Rejected`] if the deadline passes first.
    pub async fn wait_until_ready(&self, deadline: Instant) -> Result<(), Rejected> {
        let extras = self.inner.extras();
        loop {
            let notified = extras.ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let wait = match self.inner.readiness() {
                Ok(()) => return Ok(()),
                Err((rejected, _)) if Instant::now() >= deadline => return Err(rejected),
                Err((_, wait)) => wait,
            };
            let wake = wait.map_or(deadline, |w| (Instant::now() + w).min(deadline));
            tokio::select! {
                () = tokio::time::sleep_until(wake) => {}
                () = &mut notified => {}
            }
        }
    }

    /// A receiver of this breaker's events (state changes; the first rejection after each).
    ///
    /// ```
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::new(Default::default());
    /// let mut events = cb.subscribe();
    /// cb.trip();
    /// assert!(events.try_recv().unwrap().kind.is_state_change());
    /// ```
    pub fn subscribe(&self) -> broadcast::Receiver<CircuitEvent> {
        self.inner.extras().listeners.subscribe()
    }

    /// Calls `callback` with every event from now on, on the thread that causes it.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::new(Default::default());
    /// let seen = Arc::new(AtomicUsize::new(0));
    /// let counter = seen.clone();
    /// cb.on_event(move |_| { counter.fetch_add(1, Ordering::Relaxed); });
    /// cb.force_open();
    /// let _ = cb.try_acquire();
    /// assert_eq!(seen.load(Ordering::Relaxed), 2); // the state change and the rejection
    /// ```
    pub fn on_event(&self, callback: impl Fn(&CircuitEvent) + Send + Sync + 'static) {
        self.inner.extras().listeners.add(Arc::new(callback));
    }

    /// Whether an HTTP `status` counts as a failure (at or above `server_error_threshold`).
    ///
    /// ```
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::new(Default::default());
    /// assert!(cb.is_failure_status(503) && !cb.is_failure_status(404));
    /// ```
    pub fn is_failure_status(&self, status: u16) -> bool {
        status >= self.inner.policy.server_error_threshold()
    }

    /// Bytes this breaker takes: the handle (one pointer), its one shared allocation (the `Arc`'s
    /// two counters, then the state word, window, policy and an empty slot for extras), and the
    /// extras box if a name, clock, trip predicate, listener or subscriber made one. What the
    /// extras point to (the name's text, a clock, callbacks, a broadcast channel) and the
    /// allocator's own rounding are not counted. A plain breaker: 8 + 16 + 104 = 128 bytes.
    ///
    /// ```
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::new(Default::default());
    /// assert_eq!(cb.memory_footprint(), 128);
    /// ```
    pub fn memory_footprint(&self) -> usize {
        let arc_counters = 2 * size_of::<usize>();
        size_of::<CircuitBreaker>() + arc_counters + size_of::<Inner>() + self.inner.extra_bytes()
    }
}

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("name", &self.name())
            .field("state", &self.inner.peek().state())
            .finish_non_exhaustive()
    }
}
