//! Wiring a connection's live policies to its telemetry: retries and breaker transitions are
//! counted through the policies' own events (emitted on those rare paths only, so the healthy
//! path pays nothing), and the breaker's state is a gauge read at export time.

use std::sync::Arc;

use super::{Telemetry, Transition};
use crate::resilience::circuit_breaker::{CircuitEvent, EventKind};
use crate::resilience::{CircuitBreaker, CircuitBreakerGroup, CircuitState, Retry};

/// The breaker of a connection: one, or one per host.
pub(crate) enum Breaker<'a> {
    One(&'a CircuitBreaker),
    PerHost(&'a Arc<CircuitBreakerGroup>),
}

/// Counts `retry`'s retries and `breaker`'s transitions, and offers the breaker's state gauge.
pub(crate) fn watch(telemetry: &Telemetry, retry: Option<&Retry>, breaker: Option<Breaker<'_>>) {
    if let Some(retry) = retry {
        let telemetry = telemetry.clone();
        retry.on_retry(move |_, _| telemetry.retried());
    }
    match breaker {
        Some(Breaker::One(breaker)) => {
            let counting = telemetry.clone();
            breaker.on_event(move |event| count_transition(&counting, event));
            // Weakly: the breaker's listener above holds the telemetry, so a strong handle here
            // made a cycle, and every dropped connection with a breaker leaked both (found by the
            // `connect` fuzz target's leak check).
            let breaker = Arc::downgrade(&breaker.inner);
            offer_state(telemetry, move || {
                breaker.upgrade().map(|inner| CircuitBreaker { inner }.state())
            });
        }
        Some(Breaker::PerHost(group)) => {
            forward_group_events(telemetry, group);
            let group = Arc::downgrade(group);
            offer_state(telemetry, move || group.upgrade().map(|g| g.worst_state()));
        }
        None => {}
    }
}

fn count_transition(telemetry: &Telemetry, event: &CircuitEvent) {
    if let EventKind::StateChanged { from, to, .. } = event.kind {
        telemetry.transition(Transition::CircuitBreaker, from.as_str(), to.as_str());
    }
}

fn offer_state<S: Into<Option<CircuitState>>>(
    telemetry: &Telemetry,
    state: impl Fn() -> S + Send + Sync + 'static,
) {
    telemetry.gauge(
        "connfx.circuit_breaker.state",
        "Circuit breaker state: 0 closed, 1 half-open, 2 open",
        Arc::new(move || {
            state().into().map(|s| match s {
                CircuitState::Closed => 0,
                CircuitState::HalfOpen => 1,
                CircuitState::Open => 2,
            })
        }),
    );
}

/// A group has no callbacks, only a broadcast of its members' events: a task counts them, and
/// ends with the group (the channel closes when the group is dropped).
pub(crate) fn forward_group_events(telemetry: &Telemetry, group: &CircuitBreakerGroup) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return; // built outside a runtime (a stub in a plain test): transitions go uncounted
    };
    let mut events = group.subscribe();
    let telemetry = telemetry.clone();
    runtime.spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            match events.recv().await {
                Ok(event) => count_transition(&telemetry, &event),
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (`connect` fuzz target, leak check): the state gauge held the breaker and the
    /// breaker's listener held the telemetry, so neither was ever freed.
    #[test]
    fn a_watched_breaker_is_freed_with_its_connection() {
        let telemetry = Telemetry::new("api", "http");
        let breaker = CircuitBreaker::new(crate::CircuitBreakerConfig::default());
        watch(&telemetry, None, Some(Breaker::One(&breaker)));
        let freed = Arc::downgrade(&breaker.inner);
        drop((telemetry, breaker));
        assert!(freed.upgrade().is_none(), "the breaker outlived its connection");
    }
}
