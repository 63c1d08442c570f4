//! A property test: random sequences of admissions, outcomes (success, failure, slow, ignored,
//! dropped), clock advances and manual controls, run against the breaker and against a plain,
//! single-threaded model of DESIGN §3 (and of the window rules in `CircuitBreakerConfig`'s docs).
//! After every step the two must agree on admission, state, counts and reported transitions.

use std::time::Duration;

use connfx::CircuitBreakerConfig;
use connfx::resilience::circuit_breaker::{CircuitState, Outcome, OwnedPermit};
use proptest::prelude::*;

use super::{Transitions, manual};

/// A call at least this long is slow; the test's calls take 10 ms or 60 ms.
const SLOW_MS: u64 = 50;

#[derive(Clone, Debug)]
struct Params {
    failure_threshold: u32,
    failure_rate: Option<u64>,
    slow_call_rate: Option<u64>,
    minimum_calls: u32,
    window_size: u32,
    window_ms: Option<u64>,
    reset_ms: u64,
    backoff: f64,
    max_reset_ms: Option<u64>,
    half_open_max_calls: u32,
    half_open_success_needed: u32,
}

impl Params {
    fn config(&self) -> CircuitBreakerConfig {
        let ms = Duration::from_millis;
        CircuitBreakerConfig {
            failure_threshold: self.failure_threshold,
            failure_rate: self.failure_rate.map(|bp| bp as f64 / 10_000.0),
            minimum_calls: self.minimum_calls,
            window_size: self.window_size,
            window_duration: self.window_ms.map(ms),
            slow_call_duration: ms(SLOW_MS),
            slow_call_rate: self.slow_call_rate.map(|bp| bp as f64 / 10_000.0),
            reset_timeout: ms(self.reset_ms),
            backoff_multiplier: self.backoff,
            max_reset_timeout: self.max_reset_ms.map(ms),
            half_open_max_calls: self.half_open_max_calls,
            half_open_success_needed: self.half_open_success_needed,
            server_error_threshold: 500,
            ..CircuitBreakerConfig::default()
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Finish {
    Success,
    Failure,
    SlowSuccess,
    SlowFailure,
    Ignore,
    Drop,
}

#[derive(Clone, Debug)]
enum Op {
    Acquire,
    Finish(usize, Finish),
    Advance(u64),
    Trip,
    ForceOpen,
    ForceClosed,
    Reset,
}

/// A call's record: its outcome and whether it was slow.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Call {
    failed: bool,
    slow: bool,
}

#[derive(Clone, Copy, Debug)]
struct Ticket {
    generation: u64,
    probe: bool,
}

/// The model: the rules, written as plainly as possible.
#[derive(Debug)]
struct Model {
    p: Params,
    now: u64,
    state: CircuitState,
    forced: bool,
    generation: u64,
    opens: u32,
    open_until: u64,
    in_flight: u32,
    successes: u32,
    consecutive: u32,
    rejected: u32,
    cur: Vec<Call>,
    prev: Vec<Call>,
    epoch: u64,
    transitions: Vec<(CircuitState, CircuitState)>,
}

impl Model {
    fn new(p: Params) -> Model {
        Model {
            p,
            now: 0,
            state: CircuitState::Closed,
            forced: false,
            generation: 0,
            opens: 0,
            open_until: 0,
            in_flight: 0,
            successes: 0,
            consecutive: 0,
            rejected: 0,
            cur: Vec::new(),
            prev: Vec::new(),
            epoch: 0,
            transitions: Vec::new(),
        }
    }

    fn window_on(&self) -> bool {
        self.p.failure_rate.is_some() || self.p.slow_call_rate.is_some()
    }

    fn minimum_calls(&self) -> u32 {
        match self.p.window_ms {
            Some(_) => self.p.minimum_calls,
            None => self.p.minimum_calls.min(self.p.window_size / 2 * 2),
        }
    }

    /// The size of a half: calls (count window) or milliseconds (time window).
    fn half(&self) -> u64 {
        match self.p.window_ms {
            Some(ms) => ms / 2,
            None => u64::from(self.p.window_size / 2),
        }
    }

    fn open_period(&self, opens: u32) -> u64 {
        let growth = self.p.backoff.powi(opens as i32 - 1);
        let cap = self.p.max_reset_ms.unwrap_or(u64::from(u32::MAX)) as f64;
        (self.p.reset_ms as f64 * growth).min(cap) as u64
    }

    fn go(&mut self, to: CircuitState, forced: bool, opens: u32) {
        let from = (self.state, self.forced);
        self.generation += 1;
        (self.state, self.forced, self.opens) = (to, forced, opens);
        (self.in_flight, self.successes, self.rejected) = (0, 0, 0);
        match to {
            CircuitState::Open if !forced => self.open_until = self.now + self.open_period(opens),
            CircuitState::Closed => {
                (self.cur, self.prev, self.consecutive) = (Vec::new(), Vec::new(), 0);
            }
            _ => {}
        }
        if from != (to, forced) {
            self.transitions.push((from.0, to));
        }
    }

    fn open(&mut self) {
        self.go(CircuitState::Open, false, (self.opens + 1).min(31));
    }

    /// An open period that has ended turns half-open.
    fn refresh(&mut self) {
        if self.state == CircuitState::Open && !self.forced && self.now >= self.open_until {
            self.go(CircuitState::HalfOpen, false, self.opens);
        }
    }

    fn acquire(&mut self) -> Option<Ticket> {
        self.refresh();
        let admitted = match self.state {
            CircuitState::Closed => true,
            CircuitState::Open => false,
            CircuitState::HalfOpen => self.in_flight < self.p.half_open_max_calls,
        };
        if !admitted {
            self.rejected += 1;
            return None;
        }
        let probe = self.state == CircuitState::HalfOpen;
        self.in_flight += u32::from(probe);
        Some(Ticket {
            generation: self.generation,
            probe,
        })
    }

    /// For a time window: moves to the half of the clock `now` is in.
    fn roll(&mut self) {
        let Some(_) = self.p.window_ms else { return };
        let epoch = self.now / self.half();
        if epoch > self.epoch {
            self.prev = if epoch == self.epoch + 1 {
                std::mem::take(&mut self.cur)
            } else {
                Vec::new()
            };
            self.cur.clear();
            self.epoch = epoch;
        }
    }

    /// Adds a call; the window's calls as seen by the judge (before a count window rolls).
    fn record(&mut self, call: Call) -> Vec<Call> {
        self.roll();
        self.cur.push(call);
        let seen = [self.prev.clone(), self.cur.clone()].concat();
        if self.p.window_ms.is_none() && self.cur.len() as u64 == self.half() {
            self.prev = std::mem::take(&mut self.cur);
        }
        seen
    }

    /// A count window full of clean successes, with an empty current half, counts no more.
    fn full_and_clean(&self) -> bool {
        self.p.window_ms.is_none()
            && self.cur.is_empty()
            && self.prev.len() as u64 == self.half()
            && self.prev.iter().all(|c| !c.failed && !c.slow)
    }

    fn counts(&self) -> (u32, u32, u32) {
        let calls: Vec<Call> = match self.p.window_ms {
            None => [self.prev.clone(), self.cur.clone()].concat(),
            Some(_) => match (self.now / self.half()).saturating_sub(self.epoch) {
                0 => [self.prev.clone(), self.cur.clone()].concat(),
                1 => self.cur.clone(),
                _ => Vec::new(),
            },
        };
        tally(&calls)
    }

    fn finish(&mut self, t: Ticket, how: Finish) {
        let slow =
            self.p.slow_call_rate.is_some() && matches!(how, Finish::SlowSuccess | Finish::SlowFailure);
        let failed = matches!(how, Finish::Failure | Finish::SlowFailure);
        if matches!(how, Finish::Ignore | Finish::Drop) {
            if t.probe && t.generation == self.generation && self.state == CircuitState::HalfOpen {
                self.in_flight = self.in_flight.saturating_sub(1);
            }
            return;
        }
        if t.generation != self.generation {
            return;
        }
        if t.probe {
            if failed || slow {
                return self.open();
            }
            self.in_flight = self.in_flight.saturating_sub(1);
            self.successes += 1;
            if self.successes >= self.p.half_open_success_needed {
                self.go(CircuitState::Closed, false, 0);
            }
            return;
        }
        if !failed && !slow {
            if self.window_on() && !self.full_and_clean() {
                let seen = self.record(Call { failed, slow });
                if seen.len() as u32 == self.minimum_calls() {
                    self.judge(&seen, 0);
                }
            }
            self.consecutive = 0;
            return;
        }
        let seen = if self.window_on() {
            self.record(Call { failed, slow })
        } else {
            Vec::new()
        };
        self.consecutive = if failed { self.consecutive + 1 } else { 0 };
        self.judge(&seen, self.consecutive);
    }

    fn judge(&mut self, window: &[Call], consecutive: u32) {
        let (calls, failures, slow) = tally(window);
        let reached = |part: u32, rate: Option<u64>| {
            rate.is_some_and(|bp| part > 0 && u64::from(part) * 10_000 >= bp * u64::from(calls))
        };
        let trip = consecutive >= self.p.failure_threshold
            || (calls >= self.minimum_calls()
                && (reached(failures, self.p.failure_rate) || reached(slow, self.p.slow_call_rate)));
        if trip && self.state == CircuitState::Closed && !self.forced {
            self.open();
        }
    }
}

fn tally(calls: &[Call]) -> (u32, u32, u32) {
    let count = |f: fn(&Call) -> bool| calls.iter().filter(|c| f(c)).count() as u32;
    (calls.len() as u32, count(|c| c.failed), count(|c| c.slow))
}

fn params() -> impl Strategy<Value = Params> {
    let rate = prop_oneof![
        Just(None),
        Just(Some(3_000)),
        Just(Some(5_000)),
        Just(Some(10_000))
    ];
    (
        (1u32..6, rate.clone(), rate, 1u32..8, 2u32..10),
        (
            prop::option::of(1u64..40),
            1u64..100,
            prop_oneof![Just(1.0), Just(1.5), Just(2.0)],
        ),
        (prop::option::of(0u64..300), 1u32..4, 1u32..4),
    )
        .prop_map(
            |((ft, fr, sr, min, size), (window, reset, backoff), (cap, max, needed))| Params {
                failure_threshold: ft,
                failure_rate: fr,
                slow_call_rate: sr,
                minimum_calls: min,
                window_size: size,
                window_ms: window.map(|half| half * 2),
                reset_ms: reset,
                backoff,
                max_reset_ms: cap.map(|extra| reset + extra),
                half_open_max_calls: max,
                half_open_success_needed: needed,
            },
        )
}

fn op() -> impl Strategy<Value = Op> {
    let finish = prop_oneof![
        4 => Just(Finish::Success),
        4 => Just(Finish::Failure),
        1 => Just(Finish::SlowSuccess),
        1 => Just(Finish::SlowFailure),
        1 => Just(Finish::Ignore),
        1 => Just(Finish::Drop),
    ];
    prop_oneof![
        8 => Just(Op::Acquire),
        8 => (any::<usize>(), finish).prop_map(|(i, f)| Op::Finish(i, f)),
        3 => (0u64..80).prop_map(Op::Advance),
        1 => Just(Op::Trip),
        1 => Just(Op::ForceOpen),
        1 => Just(Op::ForceClosed),
        1 => Just(Op::Reset),
    ]
}

fn elapsed(how: Finish) -> Duration {
    let slow = matches!(how, Finish::SlowSuccess | Finish::SlowFailure);
    Duration::from_millis(if slow { SLOW_MS + 10 } else { 10 })
}

fn run(p: Params, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let (cb, clock) = manual(p.config());
    let transitions = Transitions::watch(&cb);
    let mut model = Model::new(p);
    let mut calls: Vec<(OwnedPermit, Ticket)> = Vec::new();
    for (step, op) in ops.into_iter().enumerate() {
        match op {
            Op::Acquire => {
                let real = cb.try_acquire_owned().ok();
                let expected = model.acquire();
                prop_assert_eq!(real.is_some(), expected.is_some(), "admission at step {}", step);
                calls.extend(real.zip(expected));
            }
            Op::Finish(_, _) if calls.is_empty() => {}
            Op::Finish(i, how) => {
                let (permit, ticket) = calls.swap_remove(i % calls.len());
                match how {
                    Finish::Success | Finish::SlowSuccess => {
                        permit.record_elapsed(Outcome::Success, elapsed(how))
                    }
                    Finish::Failure | Finish::SlowFailure => {
                        permit.record_elapsed(Outcome::Failed, elapsed(how))
                    }
                    Finish::Ignore => permit.ignore(),
                    Finish::Drop => drop(permit),
                }
                model.finish(ticket, how);
            }
            Op::Advance(ms) => {
                clock.advance(Duration::from_millis(ms));
                model.now += ms;
            }
            Op::Trip => {
                cb.trip();
                model.open();
            }
            Op::ForceOpen => {
                cb.force_open();
                model.go(CircuitState::Open, true, model.opens);
            }
            Op::ForceClosed => {
                cb.force_closed();
                model.go(CircuitState::Closed, true, 0);
            }
            Op::Reset => {
                cb.reset();
                model.go(CircuitState::Closed, false, 0);
            }
        }
        prop_assert_eq!(
            cb.state(),
            {
                model.refresh();
                model.state
            },
            "state after step {}",
            step
        );
        let stats = cb.stats();
        let window = (stats.window.calls, stats.window.failures, stats.window.slow_calls);
        prop_assert_eq!(window, model.counts(), "window after step {}", step);
        prop_assert_eq!(stats.forced, model.forced);
        prop_assert_eq!(
            stats.consecutive_failures,
            model.consecutive,
            "consecutive after step {}",
            step
        );
        prop_assert_eq!(stats.rejected, model.rejected, "rejected after step {}", step);
        prop_assert_eq!(
            stats.half_open_in_flight,
            model.in_flight,
            "in flight after step {}",
            step
        );
        prop_assert_eq!(stats.half_open_successes, model.successes);
        prop_assert_eq!(stats.opens, model.opens);
        let reported: Vec<_> = transitions
            .take()
            .into_iter()
            .map(|(from, to, _)| (from, to))
            .collect();
        prop_assert_eq!(
            reported,
            std::mem::take(&mut model.transitions),
            "transitions at step {}",
            step
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn breaker_agrees_with_the_model(p in params(), ops in prop::collection::vec(op(), 1..120)) {
        run(p, ops)?;
    }
}
