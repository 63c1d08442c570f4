//! What a breaker reports: state changes and rejections, to callbacks and broadcast receivers.
//!
//! Events are delivered on the thread that causes them, after the state word has changed:
//! callbacks run synchronously (keep them short; they must not block), then the event is sent to
//! every [`tokio::sync::broadcast`] receiver (a receiver that falls more than 64 events behind
//! loses the oldest). Callbacks see every rejection; receivers see only the first rejection after
//! each state change, so a flood of rejections cannot crowd state changes out of the channel
//! (`stats().rejected` counts them all). A breaker nobody listens to pays one pointer check per
//! transition.
//!
//! ```
//! use connfx::resilience::circuit_breaker::{CircuitBreaker, EventKind};
//! let cb = CircuitBreaker::new(Default::default());
//! cb.on_event(|e| if let EventKind::StateChanged { from, to, reason } = e.kind {
//!     eprintln!("{from} -> {to} ({reason:?})");
//! });
//! let mut events = cb.subscribe();
//! cb.trip();
//! assert!(events.try_recv().is_ok());
//! ```

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tokio::sync::broadcast;

use super::CircuitState;

/// Events a receiver may fall behind by before losing the oldest.
pub(crate) const CHANNEL_CAPACITY: usize = 64;

/// A callback given every event.
pub(crate) type Listener = Arc<dyn Fn(&CircuitEvent) + Send + Sync>;

/// Something that happened to a circuit breaker.
///
/// ```
/// use connfx::resilience::circuit_breaker::{CircuitBreaker, CircuitState, EventKind, TransitionReason};
/// let cb = CircuitBreaker::builder(Default::default()).name("payments").build();
/// let mut events = cb.subscribe();
/// cb.force_open();
/// let event = events.try_recv().unwrap();
/// assert_eq!(event.name.as_deref(), Some("payments"));
/// assert_eq!(
///     event.kind,
///     EventKind::StateChanged { from: CircuitState::Closed, to: CircuitState::Open, reason: TransitionReason::ForcedOpen }
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CircuitEvent {
    /// The breaker's name, if it has one (group members are named by their key).
    pub name: Option<Arc<str>>,
    /// What happened.
    pub kind: EventKind,
}

/// What happened.
///
/// ```
/// use connfx::resilience::circuit_breaker::{CircuitState, EventKind};
/// let kind = EventKind::Rejected { state: CircuitState::Open };
/// assert!(!kind.is_state_change());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventKind {
    /// The breaker moved from one state to another.
    StateChanged {
        /// The state left.
        from: CircuitState,
        /// The state entered.
        to: CircuitState,
        /// Why.
        reason: TransitionReason,
    },
    /// A call was rejected without being attempted.
    Rejected {
        /// The state that rejected it.
        state: CircuitState,
    },
    /// The fleet's breaker (`circuit_breaker(scope = "fleet", …)`) opened or closed: `quorum`
    /// instances voted, or no longer do. Sent through the breaker of each instance that sees
    /// the change; this instance's own breaker keeps its state.
    FleetChanged {
        /// Whether the breaker is now open for the whole fleet.
        open: bool,
        /// Instances whose breakers were open or half-open when the store answered.
        voters: u32,
    },
}

impl EventKind {
    /// Whether this is a [`EventKind::StateChanged`].
    ///
    /// ```
    /// use connfx::resilience::circuit_breaker::{CircuitState::*, EventKind, TransitionReason};
    /// let kind = EventKind::StateChanged { from: Closed, to: Open, reason: TransitionReason::Tripped };
    /// assert!(kind.is_state_change());
    /// ```
    pub fn is_state_change(&self) -> bool {
        matches!(self, EventKind::StateChanged { .. })
    }
}

/// Why the breaker changed state.
///
/// ```
/// use connfx::resilience::circuit_breaker::TransitionReason;
/// assert_ne!(TransitionReason::FailureRate, TransitionReason::SlowCallRate);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransitionReason {
    /// `failure_threshold` failures in a row.
    ConsecutiveFailures,
    /// The failure rate over the window reached `failure_rate`.
    FailureRate,
    /// The slow-call rate over the window reached `slow_call_rate`.
    SlowCallRate,
    /// The custom trip predicate said so.
    Predicate,
    /// A half-open probe failed (or was slow, when the slow-call rate is on).
    ProbeFailed,
    /// The open period ended.
    ResetTimeoutElapsed,
    /// `half_open_success_needed` probes succeeded.
    ProbesSucceeded,
    /// [`trip`](super::CircuitBreaker::trip) was called.
    Tripped,
    /// [`force_open`](super::CircuitBreaker::force_open) was called.
    ForcedOpen,
    /// [`force_closed`](super::CircuitBreaker::force_closed) was called.
    ForcedClosed,
    /// [`reset`](super::CircuitBreaker::reset) was called.
    Reset,
}

/// The callbacks and channels of one breaker.
#[derive(Default)]
pub(crate) struct Listeners {
    callbacks: Mutex<Vec<Listener>>,
    channel: OnceLock<broadcast::Sender<CircuitEvent>>,
    group: Option<broadcast::Sender<CircuitEvent>>,
}

impl Listeners {
    /// Listeners that also forward every event to a group's channel.
    pub(crate) fn with_group(group: Option<broadcast::Sender<CircuitEvent>>) -> Listeners {
        Listeners {
            group,
            ..Listeners::default()
        }
    }

    pub(crate) fn add(&self, listener: Listener) {
        self.callbacks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(listener);
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<CircuitEvent> {
        self.channel
            .get_or_init(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .subscribe()
    }

    /// Delivers a rejection: to every callback, but to the channels only when it is the first
    /// since the last state change, so a flood of rejections cannot push state changes out of a
    /// bounded channel.
    pub(crate) fn emit_rejection(&self, event: &CircuitEvent, first: bool) {
        match first {
            true => self.emit(event),
            false => self.call_back(event),
        }
    }

    fn call_back(&self, event: &CircuitEvent) {
        let callbacks = self
            .callbacks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for callback in &callbacks {
            callback(event);
        }
    }

    /// Delivers `event`. The callbacks are copied out first, so a callback may add callbacks or
    /// subscribe without deadlocking.
    pub(crate) fn emit(&self, event: &CircuitEvent) {
        self.call_back(event);
        let channels = self.channel.get().into_iter().chain(&self.group);
        for channel in channels {
            // No receiver is not an error: nobody is listening right now.
            let _ = channel.send(event.clone());
        }
    }
}
