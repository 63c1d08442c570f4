//! Transitions between states, with their side effects: the open period, cleared counts,
//! tracing and events.

use std::sync::atomic::Ordering::Relaxed;

use super::Inner;
use crate::resilience::circuit_breaker::CircuitState;
use crate::resilience::circuit_breaker::events::{CircuitEvent, EventKind, TransitionReason};
use crate::resilience::circuit_breaker::state::Word;

impl Inner {
    /// Moves from `from` to `to` if the state is still `from`, with every side effect: the open
    /// period, cleared counters, tracing, events.
    pub(crate) fn transition(&self, from: Word, to: Word, reason: TransitionReason) -> Result<Word, Word> {
        let to = self.state.swap_if(from, to)?;
        match to.state() {
            CircuitState::Open if !to.forced() => {
                let until = self.now_ms() + self.policy.open_millis(to.opens());
                self.state.set_open_until(to, until);
            }
            CircuitState::Closed => {
                self.window.clear();
                self.consecutive.store(0, Relaxed);
            }
            _ => {}
        }
        self.rejected.store(0, Relaxed);
        if from.state() != to.state() || from.forced() != to.forced() {
            self.announce(from.state(), to.state(), reason);
        }
        self.wake();
        Ok(to)
    }

    /// Moves to whatever `target` makes of the current word, retrying until the CAS holds.
    pub(crate) fn force(&self, target: impl Fn(Word) -> Word, reason: TransitionReason) {
        let mut word = self.state.load();
        while let Err(found) = self.transition(word, target(word), reason) {
            word = found;
        }
    }

    fn announce(&self, from: CircuitState, to: CircuitState, reason: TransitionReason) {
        let name = self.name().map_or("", |n| n);
        match to {
            CircuitState::Open => tracing::warn!(
                target: "connfx::circuit_breaker", breaker = name, %from, %to, ?reason, "circuit breaker opened"
            ),
            _ => tracing::info!(
                target: "connfx::circuit_breaker", breaker = name, %from, %to, ?reason, "circuit breaker state changed"
            ),
        }
        if let Some(extras) = self.extras.get() {
            let event = self.event(EventKind::StateChanged { from, to, reason });
            extras.listeners.emit(&event);
        }
    }

    pub(super) fn event(&self, kind: EventKind) -> CircuitEvent {
        CircuitEvent {
            name: self.name().cloned(),
            kind,
        }
    }

    pub(super) fn wake(&self) {
        if let Some(extras) = self.extras.get() {
            extras.ready.notify_waiters();
        }
    }
}
