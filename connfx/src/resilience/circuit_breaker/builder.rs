//! Building a breaker with the extras a config cannot express: a name, a clock, a trip
//! predicate, event callbacks.

use std::fmt;
use std::sync::Arc;

use tokio::sync::broadcast;

use super::events::{Listener, Listeners};
use super::extras::{Extras, TripPredicate};
use super::machine::Inner;
use super::policy::Policy;
use super::{CircuitBreaker, CircuitBreakerConfig, CircuitEvent, Clock, InvalidConfig, TripCounts};

/// Builds a [`CircuitBreaker`]; start with [`CircuitBreaker::builder`].
///
/// ```
/// use connfx::resilience::circuit_breaker::{CircuitBreaker, CircuitState, ManualClock};
/// let cb = CircuitBreaker::builder(connfx::CircuitBreakerConfig { minimum_calls: 4, ..Default::default() })
///     .name("search")
///     .clock(ManualClock::new())
///     // Open once 3 of the window's calls have failed, whatever the rate.
///     .trip_when(|c| c.window.failures >= 3)
///     .on_event(|e| println!("{e:?}"))
///     .build();
/// for _ in 0..3 {
///     cb.try_acquire().unwrap().failure();
/// }
/// assert_eq!(cb.state(), CircuitState::Open);
/// ```
#[must_use]
pub struct CircuitBreakerBuilder {
    config: CircuitBreakerConfig,
    name: Option<Arc<str>>,
    clock: Option<Arc<dyn Clock>>,
    trip: Option<Arc<TripPredicate>>,
    listeners: Vec<Listener>,
    group: Option<broadcast::Sender<CircuitEvent>>,
}

impl CircuitBreakerBuilder {
    pub(crate) fn new(config: CircuitBreakerConfig) -> CircuitBreakerBuilder {
        CircuitBreakerBuilder {
            config,
            name: None,
            clock: None,
            trip: None,
            listeners: Vec::new(),
            group: None,
        }
    }

    /// Names the breaker, for tracing and events.
    ///
    /// ```
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::builder(Default::default()).name("orders").build();
    /// assert_eq!(cb.name(), Some("orders"));
    /// ```
    pub fn name(mut self, name: impl Into<Arc<str>>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Reads time from `clock` instead of [`SystemClock`](super::SystemClock).
    ///
    /// ```
    /// let clock = connfx::resilience::circuit_breaker::ManualClock::new();
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::builder(Default::default()).clock(clock.clone()).build();
    /// cb.trip();
    /// clock.advance(std::time::Duration::from_secs(30));
    /// assert_eq!(cb.state(), connfx::resilience::circuit_breaker::CircuitState::HalfOpen);
    /// ```
    pub fn clock(self, clock: impl Clock) -> Self {
        self.shared_clock(Arc::new(clock))
    }

    /// Reads time from a clock shared with others.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let clock: Arc<dyn connfx::resilience::circuit_breaker::Clock> = Arc::new(connfx::resilience::circuit_breaker::ManualClock::new());
    /// let a = connfx::resilience::circuit_breaker::CircuitBreaker::builder(Default::default()).shared_clock(clock.clone()).build();
    /// let b = connfx::resilience::circuit_breaker::CircuitBreaker::builder(Default::default()).shared_clock(clock).build();
    /// # let _ = (a, b);
    /// ```
    pub fn shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Replaces the built-in trip rules (`failure_threshold`, `failure_rate`, `slow_call_rate`)
    /// by `predicate`, asked on every failure or slow call in the closed state. The window is
    /// kept whenever a predicate is set, so it can judge rates too.
    ///
    /// ```
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::builder(Default::default())
    ///     .trip_when(|c| c.consecutive_failures >= 2 || c.window.slow_calls >= 5)
    ///     .build();
    /// cb.try_acquire().unwrap().failure();
    /// cb.try_acquire().unwrap().failure();
    /// assert_eq!(cb.state(), connfx::resilience::circuit_breaker::CircuitState::Open);
    /// ```
    pub fn trip_when(mut self, predicate: impl Fn(&TripCounts) -> bool + Send + Sync + 'static) -> Self {
        self.trip = Some(Arc::new(predicate));
        self
    }

    /// Calls `callback` with every event (see [`events`](super::events) for when).
    ///
    /// ```
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::builder(Default::default())
    ///     .on_event(|e| eprintln!("breaker: {:?}", e.kind))
    ///     .build();
    /// cb.trip();
    /// ```
    pub fn on_event(mut self, callback: impl Fn(&CircuitEvent) + Send + Sync + 'static) -> Self {
        self.listeners.push(Arc::new(callback));
        self
    }

    /// Also sends every event to a group's channel.
    pub(crate) fn group_channel(mut self, sender: broadcast::Sender<CircuitEvent>) -> Self {
        self.group = Some(sender);
        self
    }

    /// The breaker, with every config value clamped into its bounds.
    ///
    /// ```
    /// let cb = connfx::resilience::circuit_breaker::CircuitBreaker::builder(Default::default()).build();
    /// assert!(cb.try_acquire().is_ok());
    /// ```
    pub fn build(self) -> CircuitBreaker {
        let policy = Policy::new(&self.config, self.trip.is_some());
        let plain = self.name.is_none()
            && self.clock.is_none()
            && self.trip.is_none()
            && self.listeners.is_empty()
            && self.group.is_none();
        let extras = (!plain).then(|| {
            let listeners = Listeners::with_group(self.group);
            self.listeners.into_iter().for_each(|l| listeners.add(l));
            Extras {
                name: self.name,
                clock: self.clock,
                trip: self.trip,
                listeners,
                ready: Default::default(),
                lifetime: Default::default(),
            }
        });
        CircuitBreaker {
            inner: Arc::new(Inner::new(policy, extras)),
        }
    }

    /// The breaker, or every value out of bounds.
    ///
    /// # Errors
    /// [`InvalidConfig`] listing each problem, worded as the derive and the loader word it.
    ///
    /// ```
    /// let bad = connfx::CircuitBreakerConfig { half_open_max_calls: 0, ..Default::default() };
    /// assert!(connfx::resilience::circuit_breaker::CircuitBreaker::builder(bad).try_build().is_err());
    /// ```
    pub fn try_build(self) -> Result<CircuitBreaker, InvalidConfig> {
        self.config.check()?;
        Ok(self.build())
    }
}

impl fmt::Debug for CircuitBreakerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreakerBuilder")
            .field("config", &self.config)
            .field("name", &self.name)
            .field("clock", &self.clock.is_some())
            .field("trip_when", &self.trip.is_some())
            .field("on_event", &self.listeners.len())
            .finish()
    }
}
