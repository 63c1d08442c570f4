//! Recording outcomes: the closed-state hot path, the judge, and half-open probes.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use super::Inner;
use crate::resilience::circuit_breaker::CircuitState;
use crate::resilience::circuit_breaker::events::TransitionReason;
use crate::resilience::circuit_breaker::permit::{Ticket, TicketKind, Verdict};
use crate::resilience::circuit_breaker::policy::RATE_SCALE;
use crate::resilience::circuit_breaker::stats::TripCounts;
use crate::resilience::circuit_breaker::window::{CALL, FAILED, SLOW, WindowCounts};

impl Inner {
    /// Records the outcome of an admitted call.
    ///
    /// The default closed path — a success, with no window to count it in and no duration to
    /// measure — is kept small enough to inline into every caller (`CallFuture::poll`,
    /// `Permit::record`); everything else is one call away, in [`finish_counted`].
    ///
    /// [`finish_counted`]: Inner::finish_counted
    #[inline(always)]
    pub(crate) fn finish(&self, ticket: Ticket, outcome: Verdict, elapsed: Option<Duration>) {
        if ticket.kind() == TicketKind::Closed
            && outcome == Verdict::Success
            && self.policy.success_is_plain()
        {
            return self.closed_success(ticket);
        }
        self.finish_counted(ticket, outcome, elapsed);
    }

    #[inline(never)]
    fn finish_counted(&self, ticket: Ticket, outcome: Verdict, elapsed: Option<Duration>) {
        if self.policy.counts_calls() && ticket.kind() != TicketKind::Done {
            self.extras().lifetime().finished(outcome);
        }
        match ticket.kind() {
            TicketKind::Closed => {}
            TicketKind::Probe => return self.finish_probe(ticket, outcome, elapsed),
            TicketKind::Done => return,
        }
        let slow = self.policy.slow_on() && self.was_slow(ticket, elapsed);
        match outcome {
            Verdict::Success if !slow => self.closed_success(ticket),
            Verdict::Ignored => {}
            _ => self.closed_outcome(ticket, outcome == Verdict::Failure, slow),
        }
    }

    fn was_slow(&self, ticket: Ticket, elapsed: Option<Duration>) -> bool {
        let elapsed = match (elapsed, ticket.started()) {
            (Some(elapsed), _) => elapsed,
            // Admitted before a reload switched the slow-call rate on: not timed, not slow.
            (None, Ticket::UNTIMED) => return false,
            (None, started) => Duration::from_nanos(self.now_nanos().saturating_sub(started)),
        };
        self.policy.is_slow(elapsed)
    }

    /// The hot path: a fast success in the closed state.
    #[inline(always)]
    fn closed_success(&self, ticket: Ticket) {
        // Read before the state word's `Acquire` load, after which the compiler must read the
        // policy again: read here, it is the value `finish` just tested, so the default path
        // inlined into a caller carries none of the window's code.
        let window_on = self.policy.window_on();
        if self.state.load().generation() != ticket.generation() {
            return; // admitted before the last transition: not this period's business
        }
        if window_on {
            let minimum = self.policy.minimum_calls();
            if let Some(window) = self
                .window
                .record_success(self.policy.half(), minimum, || self.now_ms())
            {
                // The window just became large enough to judge; a success can then open it.
                self.judge(ticket, window, 0, false);
            }
        }
        if self.consecutive.load(Relaxed) != 0 {
            self.consecutive.store(0, Relaxed);
        }
    }

    /// A failure or a slow call in the closed state.
    #[cold]
    fn closed_outcome(&self, ticket: Ticket, failed: bool, slow: bool) {
        if self.state.load().generation() != ticket.generation() {
            return; // admitted before the last transition: not this period's business
        }
        let window = match self.policy.window_on() {
            true => {
                let delta = if failed { FAILED } else { CALL } | if slow { SLOW } else { 0 };
                self.window.record(delta, self.policy.half(), || self.now_ms())
            }
            false => WindowCounts::default(),
        };
        let consecutive = match failed {
            true => self.consecutive.fetch_add(1, Relaxed).saturating_add(1),
            false => {
                self.consecutive.store(0, Relaxed);
                0
            }
        };
        self.judge(ticket, window, consecutive, true);
    }

    /// Opens the circuit if the counts call for it. `bad` says the call failed or was slow: only
    /// then is a custom predicate asked (a success can trip only the built-in rates).
    #[cold]
    fn judge(&self, ticket: Ticket, window: WindowCounts, consecutive_failures: u32, bad: bool) {
        let counts = TripCounts {
            window,
            consecutive_failures,
        };
        if let Some(reason) = self.trip_reason(&counts, bad) {
            let word = self.state.load();
            if word.is_closed() && !word.forced() && word.generation() == ticket.generation() {
                let _ = self.transition(word, word.to_open(), reason);
            }
        }
    }

    fn trip_reason(&self, c: &TripCounts, bad: bool) -> Option<TransitionReason> {
        if self.policy.has_predicate() {
            let predicate = self.extras.get().and_then(|e| e.trip.as_ref())?;
            return (bad && predicate(c)).then_some(TransitionReason::Predicate);
        }
        if c.consecutive_failures >= self.policy.failure_threshold() {
            return Some(TransitionReason::ConsecutiveFailures);
        }
        let w = c.window;
        if w.calls < self.policy.minimum_calls() {
            return None;
        }
        let reached = |part: u32, threshold: Option<u64>| {
            threshold.is_some_and(|t| u64::from(part) * RATE_SCALE >= t * u64::from(w.calls))
        };
        if w.failures > 0 && reached(w.failures, self.policy.failure_rate()) {
            return Some(TransitionReason::FailureRate);
        }
        if w.slow_calls > 0 && reached(w.slow_calls, self.policy.slow_call_rate()) {
            return Some(TransitionReason::SlowCallRate);
        }
        None
    }

    /// A half-open probe's outcome: any failure (or slow probe) reopens; enough successes close.
    #[cold]
    fn finish_probe(&self, ticket: Ticket, outcome: Verdict, elapsed: Option<Duration>) {
        let slow = outcome == Verdict::Success && self.policy.slow_on() && self.was_slow(ticket, elapsed);
        let mut word = self.state.load();
        while word.generation() == ticket.generation() && word.state() == CircuitState::HalfOpen {
            let (to, reason) = match outcome {
                Verdict::Failure => (word.to_open(), Some(TransitionReason::ProbeFailed)),
                Verdict::Success if slow => (word.to_open(), Some(TransitionReason::ProbeFailed)),
                Verdict::Ignored => (word.probe_done(false), None),
                Verdict::Success => {
                    let done = word.probe_done(true);
                    match done.successes() >= self.policy.half_open_success_needed() {
                        true => (done.to_closed(false), Some(TransitionReason::ProbesSucceeded)),
                        false => (done, None),
                    }
                }
            };
            let result = match reason {
                Some(reason) => self.transition(word, to, reason),
                None => self.state.swap_if(word, to).inspect(|_| self.wake()),
            };
            match result {
                Ok(_) => return,
                Err(found) => word = found,
            }
        }
    }
}
