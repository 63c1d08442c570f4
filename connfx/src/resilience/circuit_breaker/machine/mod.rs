//! The state machine: admitting calls, recording outcomes, and the transitions between states.
//!
//! # The closed-state path
//!
//! Admitting a call in the closed state is one `Acquire` load of the state word. Recording a fast
//! success is another load of it (to drop outcomes of calls admitted before a transition), a
//! `Relaxed` load of the consecutive-failure counter (written only if it was not zero) and, with
//! the failure-rate window on, a look at the window: while it is full of successes, nothing more;
//! otherwise one `Relaxed` `fetch_add` on its current half. So while all goes well nothing is
//! written at all, and threads sharing a breaker share its cache lines without contention. No
//! lock, no allocation, no clock read (unless calls are timed for the slow-call rate or the window
//! is time-based). Everything else — failures, slow calls, the open and half-open states — takes
//! the `#[cold]` paths of [`record`] and [`transition`].
//!
//! Counters other than the state word are `Relaxed`: they are statistics whose only consumer is
//! the trip decision, and that decision is then made by a CAS on the state word (see
//! [`StateCell`]), which is where the orderings that matter are.

mod record;
mod transition;

use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::events::{EventKind, TransitionReason};
use super::extras::Extras;
use super::permit::{Ticket, TicketKind};
use super::policy::Policy;
use super::state::{StateCell, Word};
use super::stats::{CircuitStats, rate};
use super::sync::AtomicU32;
use super::window::Window;
use super::{CircuitState, Rejected, SystemClock, clock::Clock};

/// Everything one breaker is; shared by its handles.
///
/// `repr(C)` fixes the order: what calls write (the window's halves, the consecutive-failure
/// count) first, the state word that every call reads last, at offset 88. Cache lines start at
/// multiples of 8 bytes from the start of this struct (its alignment), so a line holding any of
/// the written fields (offsets 0–27) ends by offset 87: threads writing them never invalidate the
/// line the state word is read from. The policy, read on every call, may share a line with the
/// window; it is read just before or after the window is written, so that costs no extra miss.
#[repr(C)]
pub(crate) struct Inner {
    window: Window,
    consecutive: AtomicU32,
    rejected: AtomicU32,
    pub(crate) policy: Policy,
    extras: OnceLock<Box<Extras>>,
    state: StateCell,
}

impl Inner {
    pub(crate) fn new(policy: Policy, extras: Option<Extras>) -> Inner {
        let cell = OnceLock::new();
        if let Some(extras) = extras {
            let _ = cell.set(Box::new(extras));
        }
        Inner {
            state: StateCell::default(),
            window: Window::default(),
            consecutive: AtomicU32::new(0),
            rejected: AtomicU32::new(0),
            policy,
            extras: cell,
        }
    }

    /// Fits the window's counts to the policy's window size, after a reload.
    pub(crate) fn fit_window(&self) {
        self.window.fit(self.policy.half());
    }

    /// The extras, created empty on first need (subscribing, waiting).
    pub(crate) fn extras(&self) -> &Extras {
        self.extras.get_or_init(Box::default)
    }

    /// Bytes on the heap beyond the breaker's own allocation (the extras, if any).
    pub(crate) fn extra_bytes(&self) -> usize {
        self.extras.get().map_or(0, |_| size_of::<Extras>())
    }

    pub(crate) fn name(&self) -> Option<&Arc<str>> {
        self.extras.get().and_then(|e| e.name.as_ref())
    }

    fn now(&self) -> Duration {
        match self.extras.get() {
            Some(extras) => extras.now(),
            None => SystemClock.now(),
        }
    }

    fn now_ms(&self) -> u64 {
        self.now().as_millis() as u64
    }

    fn now_nanos(&self) -> u64 {
        self.now().as_nanos() as u64
    }

    /// Lets a call through, or says why not.
    #[inline]
    pub(crate) fn admit(&self) -> Result<Ticket, Rejected> {
        let word = self.state.load();
        // One read of the switches answers both questions of the closed path (count the call?
        // time it?): a second atomic load here showed as 2 ns a call.
        let switches = self.policy.switches();
        if word.is_closed() && !switches.counts_calls() {
            return Ok(self.ticket(word, false, switches.slow_on()));
        }
        self.admit_counted(word)
    }

    /// Admission when the state is not closed, or when calls are counted.
    #[inline(never)]
    fn admit_counted(&self, word: Word) -> Result<Ticket, Rejected> {
        let admitted = match word.is_closed() {
            true => Ok(self.ticket(word, false, self.policy.slow_on())),
            false => self.admit_not_closed(word),
        };
        if self.policy.counts_calls() {
            self.extras().lifetime().asked(admitted.is_ok());
        }
        admitted
    }

    #[inline]
    fn ticket(&self, word: Word, probe: bool, timed: bool) -> Ticket {
        let started = if timed { self.now_nanos() } else { Ticket::UNTIMED };
        let kind = if probe {
            TicketKind::Probe
        } else {
            TicketKind::Closed
        };
        Ticket::new(word.generation(), kind, started)
    }

    #[cold]
    fn admit_not_closed(&self, mut word: Word) -> Result<Ticket, Rejected> {
        loop {
            match word.state() {
                CircuitState::Closed => return Ok(self.ticket(word, false, self.policy.slow_on())),
                CircuitState::Open => match self.open_remaining(word) {
                    Some(Duration::ZERO) => word = self.half_open(word),
                    remaining => return Err(self.reject(word, remaining)),
                },
                CircuitState::HalfOpen if word.in_flight() >= self.policy.half_open_max_calls() => {
                    return Err(self.reject(word, None));
                }
                CircuitState::HalfOpen => match self.state.swap_if(word, word.with_probe()) {
                    Ok(probe) => return Ok(self.ticket(probe, true, self.policy.slow_on())),
                    Err(found) => word = found,
                },
            }
        }
    }

    /// Time left in the open period of `word`: `Some(ZERO)` once it has ended, `None` when it
    /// has no end (forced) or its end is not written yet.
    fn open_remaining(&self, word: Word) -> Option<Duration> {
        if word.forced() {
            return None;
        }
        let until = self.state.open_until(word)?;
        Some(Duration::from_millis(until.saturating_sub(self.now_ms())))
    }

    fn reject(&self, word: Word, retry_in: Option<Duration>) -> Rejected {
        let earlier = self.rejected.fetch_add(1, Relaxed);
        let rejected = Rejected::new(word.state(), retry_in);
        if let Some(extras) = self.extras.get() {
            let event = self.event(EventKind::Rejected { state: word.state() });
            extras.listeners.emit_rejection(&event, earlier == 0);
        }
        rejected
    }

    /// Open → half-open once the open period is over; gives the word as it now stands.
    fn half_open(&self, open: Word) -> Word {
        let to = open.to_half_open();
        self.transition(open, to, TransitionReason::ResetTimeoutElapsed)
            .unwrap_or_else(|found| found)
    }

    /// The state word as it stands, without side effects.
    pub(crate) fn peek(&self) -> Word {
        self.state.load()
    }

    /// The state word, with an ended open period turned into half-open first.
    pub(crate) fn refresh(&self) -> Word {
        let word = self.state.load();
        match word.state() {
            CircuitState::Open if self.open_remaining(word) == Some(Duration::ZERO) => self.half_open(word),
            _ => word,
        }
    }

    pub(crate) fn stats(&self) -> CircuitStats {
        let word = self.refresh();
        let window = self.window.counts(self.policy.half(), || self.now_ms());
        let minimum = self.policy.minimum_calls();
        CircuitStats {
            state: word.state(),
            forced: word.forced(),
            window,
            failure_rate: rate(window.failures, window.calls, minimum),
            slow_call_rate: rate(window.slow_calls, window.calls, minimum),
            consecutive_failures: self.consecutive.load(Relaxed),
            rejected: self.rejected.load(Relaxed),
            half_open_in_flight: word.in_flight(),
            half_open_successes: word.successes(),
            opens: word.opens(),
            open_remaining: match word.state() {
                CircuitState::Open => self.open_remaining(word),
                _ => None,
            },
            lifetime: self
                .policy
                .counts_calls()
                .then(|| self.extras().lifetime().counts()),
        }
    }

    /// Whether a call would be admitted now, or how long until it might be (`None`: unknown).
    pub(crate) fn readiness(&self) -> Result<(), (Rejected, Option<Duration>)> {
        let word = self.refresh();
        match word.state() {
            CircuitState::Closed => Ok(()),
            CircuitState::HalfOpen if word.in_flight() < self.policy.half_open_max_calls() => Ok(()),
            CircuitState::HalfOpen => Err((Rejected::new(word.state(), None), None)),
            CircuitState::Open => {
                let remaining = self.open_remaining(word);
                let unwritten = !word.forced() && remaining.is_none();
                let wait = if unwritten {
                    Some(Duration::from_millis(1))
                } else {
                    remaining
                };
                Err((Rejected::new(word.state(), remaining), wait))
            }
        }
    }
}

// Sizes and offsets of the std atomics; loom's are larger.
#[cfg(all(test, not(connfx_loom)))]
mod tests {
    use super::*;

    /// Memory per breaker, all of it: the handle (one pointer), the `Arc`'s allocation (strong
    /// and weak counters, 16 bytes, then `Inner`), and nothing else while no name, clock,
    /// predicate or listener asks for the extras box. 8 + 16 + 104 = 128.
    #[test]
    fn a_plain_breaker_takes_128_bytes() {
        assert_eq!(size_of::<Inner>(), 104);
        let cb = super::super::CircuitBreaker::new(Default::default());
        assert_eq!(cb.memory_footprint(), 128);
    }

    /// No cache line holds both the state word and a field the closed path writes (see `Inner`).
    #[test]
    fn state_word_is_a_cache_line_away_from_written_fields() {
        use std::mem::offset_of;
        let last_written = offset_of!(Inner, consecutive) + size_of::<AtomicU32>() - 1;
        assert!(offset_of!(Inner, window) < offset_of!(Inner, consecutive));
        // A line holding the last written byte starts at most at its 8-byte boundary.
        assert!(offset_of!(Inner, state) >= last_written / 8 * 8 + 64);
        assert_eq!(offset_of!(Inner, state), 88);
    }
}
