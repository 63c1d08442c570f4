//! Many tasks hammering one breaker on real time while the upstream flips between healthy and
//! failing phases (bounded: 64 tasks, about 2 s and never over 10 s, at most 100 000 calls per
//! task).
//!
//! Invariants checked: never more than `half_open_max_calls` probes in flight; every call ends
//! exactly once (admitted calls succeed or fail, the rest are rejected) and the breaker reports
//! the same number of rejections as the callers saw; no call is rejected while the breaker says
//! it is closed; every state change is one of the four edges of the state machine and the
//! changes add up to the final state; each failing phase opens the breaker and each healthy phase
//! ends with it closed, as the model says.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use CircuitState::{Closed, HalfOpen, Open};
use connfx::CircuitBreakerConfig;
use connfx::resilience::circuit_breaker::{CircuitBreaker, CircuitState, EventKind};

const TASKS: usize = 64;
const MAX_CALLS_PER_TASK: u64 = 100_000;
const HEALTHY: Duration = Duration::from_millis(300);
const FAILING: Duration = Duration::from_millis(150);
const CYCLES: usize = 4;
const MAX_PROBES: u32 = 3;
const HARD_LIMIT: Duration = Duration::from_secs(10);

/// What the callers saw, and what the breaker told its listener.
#[derive(Default)]
struct Tally {
    attempts: AtomicU64,
    successes: AtomicU64,
    failures: AtomicU64,
    rejections: AtomicU64,
    rejections_while_closed: AtomicU64,
    probes_in_flight: AtomicU32,
    max_probes_in_flight: AtomicU32,
    rejection_events: AtomicU64,
    transitions: Mutex<Vec<(CircuitState, CircuitState)>>,
}

fn breaker(tally: &Arc<Tally>) -> CircuitBreaker {
    let config = CircuitBreakerConfig {
        failure_threshold: 5,
        failure_rate: Some(0.5),
        minimum_calls: 20,
        reset_timeout: Duration::from_millis(40),
        half_open_max_calls: MAX_PROBES,
        half_open_success_needed: 2,
        ..Default::default()
    };
    let seen = tally.clone();
    CircuitBreaker::builder(config)
        .on_event(move |event| match event.kind {
            EventKind::StateChanged { from, to, .. } => {
                seen.transitions.lock().expect("not poisoned").push((from, to));
            }
            EventKind::Rejected { .. } => {
                seen.rejection_events.fetch_add(1, SeqCst);
            }
            _ => {}
        })
        .build()
}

/// One caller: calls until the controller says stop (or a hard deadline passes), the outcome
/// set by the current phase.
async fn caller(cb: CircuitBreaker, phase: Arc<Phase>, tally: Arc<Tally>, deadline: Instant) {
    for _ in 0..MAX_CALLS_PER_TASK {
        if phase.stop.load(SeqCst) || Instant::now() >= deadline {
            break;
        }
        tally.attempts.fetch_add(1, SeqCst);
        let permit = match cb.try_acquire_owned() {
            Ok(permit) => permit,
            Err(rejected) => {
                tally.rejections.fetch_add(1, SeqCst);
                if rejected.state() == Closed {
                    tally.rejections_while_closed.fetch_add(1, SeqCst);
                }
                tokio::task::yield_now().await;
                continue;
            }
        };
        let probe = permit.is_probe();
        if probe {
            let now = tally.probes_in_flight.fetch_add(1, SeqCst) + 1;
            tally.max_probes_in_flight.fetch_max(now, SeqCst);
        }
        // The "call": other tasks run meanwhile, so probes overlap.
        tokio::task::yield_now().await;
        if probe {
            tally.probes_in_flight.fetch_sub(1, SeqCst);
        }
        if phase.failing.load(SeqCst) {
            tally.failures.fetch_add(1, SeqCst);
            permit.failure();
        } else {
            tally.successes.fetch_add(1, SeqCst);
            permit.success();
        }
    }
}

/// The upstream's phase, set by the controller.
#[derive(Default)]
struct Phase {
    failing: AtomicBool,
    stop: AtomicBool,
}

fn opened(tally: &Tally) -> usize {
    let transitions = tally.transitions.lock().expect("not poisoned");
    transitions.iter().filter(|(_, to)| *to == Open).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn many_tasks_hammering_one_breaker_keep_its_invariants() {
    let tally = Arc::new(Tally::default());
    let cb = breaker(&tally);
    let phase = Arc::new(Phase::default());
    // The controller ends the run; this only bounds it if the controller's timers lag badly.
    let deadline = Instant::now() + HARD_LIMIT;
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| tokio::spawn(caller(cb.clone(), phase.clone(), tally.clone(), deadline)))
        .collect();

    let mut phases = Vec::new();
    for _ in 0..CYCLES {
        tokio::time::sleep(HEALTHY).await;
        phases.push(("healthy", cb.state(), opened(&tally)));
        phase.failing.store(true, SeqCst);
        let opened_before = opened(&tally);
        tokio::time::sleep(FAILING).await;
        phases.push(("failing", cb.state(), opened(&tally) - opened_before));
        phase.failing.store(false, SeqCst);
    }
    tokio::time::sleep(HEALTHY).await;
    phases.push(("healthy", cb.state(), opened(&tally)));
    phase.stop.store(true, SeqCst);
    for task in tasks {
        task.await.expect("caller did not panic");
    }

    let t = &tally;
    let (attempts, successes, failures) = (
        t.attempts.load(SeqCst),
        t.successes.load(SeqCst),
        t.failures.load(SeqCst),
    );
    let rejections = t.rejections.load(SeqCst);
    eprintln!(
        "{attempts} calls: {successes} succeeded, {failures} failed, {rejections} rejected; \
         max probes in flight {}; phases {phases:?}",
        t.max_probes_in_flight.load(SeqCst)
    );
    assert!(attempts > TASKS as u64 * 10, "the callers ran: {attempts} calls");
    assert_eq!(
        attempts,
        successes + failures + rejections,
        "every call ends exactly once"
    );
    assert_eq!(
        t.rejection_events.load(SeqCst),
        rejections,
        "the breaker reports every rejection the callers saw"
    );
    assert_eq!(
        t.rejections_while_closed.load(SeqCst),
        0,
        "a closed breaker rejects nothing"
    );
    assert!(
        t.max_probes_in_flight.load(SeqCst) <= MAX_PROBES,
        "probes in flight above the limit"
    );

    for (phase, state, opened) in &phases {
        match *phase {
            "healthy" => assert_eq!(*state, Closed, "a healthy phase ends closed: {phases:?}"),
            _ => assert!(*opened >= 1, "a failing phase opens the breaker: {phases:?}"),
        }
    }
    let final_state = cb.state();
    assert_eq!(final_state, Closed, "the run ends healthy, so closed");
    check_transitions(&t.transitions.lock().expect("not poisoned"), final_state);

    let stats = cb.stats();
    assert_eq!(stats.half_open_in_flight, 0, "no probe left in flight");
    assert_eq!(stats.consecutive_failures, 0, "the last calls succeeded");
    assert!(stats.window.failures <= stats.window.calls, "{stats:?}");
}

/// Every change is an edge of the state machine, and the changes balance out from `Closed` to
/// `final_state`: each state is entered as often as it is left, except those two. (Listeners
/// run after the state word changed, so concurrent changes may be heard out of order; the counts
/// do not depend on the order.)
fn check_transitions(transitions: &[(CircuitState, CircuitState)], final_state: CircuitState) {
    let legal = [
        (Closed, Open),
        (Open, HalfOpen),
        (HalfOpen, Open),
        (HalfOpen, Closed),
    ];
    let mut balance: HashMap<CircuitState, i64> = HashMap::new();
    for edge in transitions {
        assert!(legal.contains(edge), "illegal transition {edge:?}");
        *balance.entry(edge.1).or_default() += 1;
        *balance.entry(edge.0).or_default() -= 1;
    }
    for state in [Closed, Open, HalfOpen] {
        let expected = i64::from(state == final_state) - i64::from(state == Closed);
        assert_eq!(
            balance.get(&state).copied().unwrap_or(0),
            expected,
            "transitions into and out of {state} do not add up: {transitions:?}"
        );
    }
    assert!(!transitions.is_empty());
}
