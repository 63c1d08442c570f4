//! The circuit breaker on its own: scenarios ported from sony/gobreaker and Resilience4j, a
//! property test against a reference model, the behaviours of DESIGN §3, groups and the tower
//! layer. Time comes from a `ManualClock`, so nothing here sleeps except where real time is the
//! point (`wait_until_ready`).

mod behaviour;
mod gobreaker;
mod group;
mod lifetime;
mod model;
mod reconfigure;
mod resilience4j;
mod stress;
mod tower_layer;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use connfx::CircuitBreakerConfig;
use connfx::resilience::circuit_breaker::{
    CircuitBreaker, CircuitState, EventKind, ManualClock, Outcome, TransitionReason,
};

/// A breaker on a manual clock.
fn manual(config: CircuitBreakerConfig) -> (CircuitBreaker, ManualClock) {
    let clock = ManualClock::new();
    let cb = CircuitBreaker::builder(config).clock(clock.clone()).build();
    (cb, clock)
}

/// Records one call's outcome through a fresh permit; panics if the call is rejected.
fn call(cb: &CircuitBreaker, outcome: Outcome) {
    cb.try_acquire().expect("call admitted").record(outcome);
}

/// Records one call that took `elapsed`.
fn timed(cb: &CircuitBreaker, outcome: Outcome, elapsed: Duration) {
    cb.try_acquire()
        .expect("call admitted")
        .record_elapsed(outcome, elapsed);
}

fn succeed(cb: &CircuitBreaker) {
    call(cb, Outcome::Success);
}

fn fail(cb: &CircuitBreaker) {
    call(cb, Outcome::Failed);
}

/// Every state change a breaker reports, as `(from, to, reason)`.
#[derive(Clone, Default)]
struct Transitions(Arc<Mutex<Vec<(CircuitState, CircuitState, TransitionReason)>>>);

impl Transitions {
    fn watch(cb: &CircuitBreaker) -> Transitions {
        let seen = Transitions::default();
        let log = seen.0.clone();
        cb.on_event(move |e| {
            if let EventKind::StateChanged { from, to, reason } = e.kind {
                log.lock().unwrap().push((from, to, reason));
            }
        });
        seen
    }

    fn take(&self) -> Vec<(CircuitState, CircuitState, TransitionReason)> {
        std::mem::take(&mut self.0.lock().unwrap())
    }

    fn last(&self) -> Option<(CircuitState, CircuitState)> {
        self.0.lock().unwrap().last().map(|(from, to, _)| (*from, *to))
    }
}

const SECOND: Duration = Duration::from_secs(1);
