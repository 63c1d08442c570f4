//! One fault against one connection, start to end: healthy → fault → breaker open, health not
//! Ready → healed → half-open probe → closed, health Ready. Every call is timed; every loop is
//! bounded in count and time.

use std::future::Future;
use std::io::Write;
use std::time::{Duration, Instant};

use connfx::resilience::circuit_breaker::{CircuitBreaker, EventKind};
use connfx::{CallError, CircuitState, Health, HealthState};

use crate::proxy::{Fault, FaultProxy};
use crate::upstream::Upstream;

/// What goes wrong, and how it is undone.
pub enum Inject<'a> {
    /// The proxy misbehaves.
    Proxy(&'a FaultProxy, Fault),
    /// The HTTP upstream answers every request with this status.
    Storm(&'a Upstream, u16),
}

impl Inject<'_> {
    /// Starts the fault.
    pub async fn start(&self) {
        match self {
            Inject::Proxy(proxy, fault) => proxy.set(*fault).await,
            Inject::Storm(upstream, status) => upstream.storm(Some(*status)),
        }
    }

    /// Ends the fault.
    pub async fn end(&self) {
        match self {
            Inject::Proxy(proxy, _) => proxy.set(Fault::Healthy).await,
            Inject::Storm(upstream, _) => upstream.storm(None),
        }
    }
}

/// What a call may take beyond the configured total timeout: timer granularity and a loaded
/// 2-core machine running the other scenarios at the same time.
pub const SLACK: Duration = Duration::from_millis(150);

/// The network faults every protocol's scenario goes through, with their labels.
pub fn network_faults() -> [(&'static str, Fault); 5] {
    [
        ("latency 2s", Fault::Latency(Duration::from_secs(2))),
        ("reset", Fault::Reset),
        ("half-open", Fault::HalfOpen),
        ("blackhole", Fault::Blackhole),
        ("close after 0 bytes", Fault::CloseAfter(0)),
    ]
}

/// A connection under test, seen the same way for every protocol.
pub trait Subject {
    /// One call that is safe to repeat (a read or a plain write) through every policy.
    fn call(&self) -> impl Future<Output = Result<(), CallError>>;
    /// The connection's health check.
    fn health(&self) -> impl Future<Output = Health>;
    /// The connection's circuit breaker.
    fn breaker(&self) -> CircuitBreaker;
    /// The configured `timeout.total`.
    fn total(&self) -> Duration;
    /// The configured `health.timeout`.
    fn health_timeout(&self) -> Duration;
}

/// What one scenario measured.
#[derive(Debug)]
pub struct Figures {
    pub calls: u32,
    pub max_call: Duration,
    pub time_to_open: Duration,
    pub open_rejection: Duration,
    pub health_during: Health,
    pub time_to_recover: Duration,
    pub reopened: u32,
    pub health_after: Health,
}

/// Says `line` on stderr past the test harness's capture, so `cargo test` shows the figures.
pub fn say(line: &str) {
    let _ = std::io::stderr().write_all(format!("{line}\n").as_bytes());
}

/// Says on stderr that `test` did not run, and why.
pub fn skipped(test: &str, why: &str) {
    say(&format!("SKIPPED chaos test `{test}`: {why}"));
}

/// Whether `err` is the breaker's rejection (on its own, or as the retry loop's last error).
pub fn is_circuit_open(err: &CallError) -> bool {
    match err {
        CallError::CircuitOpen { .. } => true,
        CallError::RetriesExhausted { last, .. } => is_circuit_open(last),
        _ => false,
    }
}

/// Runs `call`, asserts it ended within the total timeout plus [`SLACK`], returns its time.
pub async fn timed<T>(total: Duration, call: impl Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    // A hang must fail the test, not the CI job: bounded well past the limit under test.
    let out = tokio::time::timeout(total * 4 + Duration::from_secs(2), call)
        .await
        .expect("the call hung far past its total timeout");
    let took = started.elapsed();
    assert!(
        took <= total + SLACK,
        "a call took {took:?}, total timeout {total:?}"
    );
    (out, took)
}

/// The whole scenario; panics (fails the test) on any broken promise, returns the figures.
pub async fn run<S: Subject>(label: &str, subject: &S, inject: Inject<'_>) -> Figures {
    let total = subject.total();
    let breaker = subject.breaker();
    let mut events = breaker.subscribe();
    let (first, _) = timed(total, subject.call()).await;
    first.unwrap_or_else(|e| panic!("{label}: healthy call failed: {e}"));
    assert_eq!(
        subject.health().await.state,
        HealthState::Ready,
        "{label}: healthy"
    );

    inject.start().await;
    let faulted = Instant::now();
    let mut calls = 0;
    let mut max_call = Duration::ZERO;
    while breaker.state() != CircuitState::Open {
        assert!(
            calls < 30 && faulted.elapsed() < Duration::from_secs(10),
            "{label}: breaker never opened"
        );
        let (result, took) = timed(total, subject.call()).await;
        assert!(result.is_err(), "{label}: a call succeeded under the fault");
        calls += 1;
        max_call = max_call.max(took);
    }
    let time_to_open = faulted.elapsed();

    let (rejected, open_rejection) = timed(total, subject.call()).await;
    let rejected = rejected.expect_err("open breaker lets a call through");
    assert!(
        is_circuit_open(&rejected),
        "{label}: open breaker, yet {rejected}"
    );
    assert!(
        open_rejection < Duration::from_millis(20),
        "{label}: rejection took {open_rejection:?}"
    );

    let (health_during, took) = timed(subject.health_timeout(), subject.health()).await;
    assert_ne!(
        health_during.state,
        HealthState::Ready,
        "{label}: health under the fault"
    );
    max_call = max_call.max(took.saturating_sub(subject.health_timeout()));

    inject.end().await;
    let healed = Instant::now();
    let mut recovered = false;
    for _ in 0..200 {
        if healed.elapsed() > Duration::from_secs(10) {
            break;
        }
        let (result, took) = timed(total, subject.call()).await;
        calls += 1;
        max_call = max_call.max(took);
        if result.is_ok() && breaker.state() == CircuitState::Closed {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let time_to_recover = healed.elapsed();
    assert!(
        recovered,
        "{label}: no recovery within 10 s of the fault's end; breaker {:?}",
        breaker.stats()
    );
    let health_after = subject.health().await;
    assert_eq!(
        health_after.state,
        HealthState::Ready,
        "{label}: health after the fault: {health_after:?}"
    );

    let transitions = transitions(&mut events);
    let expected = [
        (CircuitState::Closed, CircuitState::Open),
        (CircuitState::Open, CircuitState::HalfOpen),
        (CircuitState::HalfOpen, CircuitState::Closed),
    ];
    assert_eq!(&transitions[..1], &expected[..1], "{label}: {transitions:?}");
    assert_eq!(
        transitions[transitions.len() - 2..],
        expected[1..],
        "{label}: {transitions:?}"
    );
    let reopened = transitions
        .iter()
        .filter(|t| **t == (CircuitState::HalfOpen, CircuitState::Open))
        .count() as u32;
    // The first probe after the fault must get through: a connection that kept a stale failure
    // (or a dead socket) from the fault would fail it and hold the circuit open one more period.
    assert_eq!(
        reopened, 0,
        "{label}: failed probes after the fault ended: {transitions:?}"
    );
    let figures = Figures {
        calls,
        max_call,
        time_to_open,
        open_rejection,
        health_during,
        time_to_recover,
        reopened,
        health_after,
    };
    say(&format!(
        "CHAOS {label}: {} calls, max call {} ms (total {} ms), open after {} ms, \
         rejection {} µs, health during {} \"{}\", closed {} ms after the fault ended ({} failed probes), health after {}",
        figures.calls,
        figures.max_call.as_millis(),
        total.as_millis(),
        figures.time_to_open.as_millis(),
        figures.open_rejection.as_micros(),
        figures.health_during.state.as_str(),
        figures.health_during.message,
        figures.time_to_recover.as_millis(),
        figures.reopened,
        figures.health_after.state.as_str(),
    ));
    figures
}

/// The state changes received so far.
fn transitions(
    events: &mut tokio::sync::broadcast::Receiver<connfx::resilience::circuit_breaker::CircuitEvent>,
) -> Vec<(CircuitState, CircuitState)> {
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let EventKind::StateChanged { from, to, .. } = event.kind {
            seen.push((from, to));
        }
    }
    seen
}
