//! The lower-level face: take a permit, make the call yourself, report how it went.
//!
//! [`CircuitBreaker::call`](super::CircuitBreaker::call) is built on this. The HTTP pipeline
//! uses it directly to report each attempt (a status at or above `server_error_threshold` is a
//! failure). A permit dropped without an outcome is not counted if the call was cancelled (it
//! frees its half-open probe slot), and counts as a failure if it is dropped while its thread
//! panics.

use std::time::Duration;

use super::CircuitBreaker;
use crate::resilience::Outcome;

/// What the breaker counts a call as, read off its [`Outcome`] by [`Verdict::of`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Counted as a success.
    Success,
    /// Counted as a failure.
    Failure,
    /// Not counted at all (frees a half-open probe slot).
    Ignored,
}

impl Verdict {
    /// The breaker's rule: a success, and a status below `threshold`, count as successes;
    /// [`Outcome::Other`] is not counted; every other outcome is a failure.
    #[inline(always)]
    pub(crate) fn of(outcome: &Outcome, threshold: u16) -> Verdict {
        match outcome {
            Outcome::Success => Verdict::Success,
            Outcome::Status { code, .. } if *code < threshold => Verdict::Success,
            Outcome::Other => Verdict::Ignored,
            _ => Verdict::Failure,
        }
    }
}

/// What the breaker remembers about an admitted call: two words, so it moves in registers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ticket {
    /// When it started (nanoseconds of the breaker's clock), or [`Ticket::UNTIMED`].
    started: u64,
    /// The state word's generation (bits 2–63) and the [`TicketKind`] (bits 0–1).
    tag: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TicketKind {
    /// Admitted in the closed state.
    Closed = 0,
    /// A half-open probe.
    Probe = 1,
    /// Outcome recorded.
    Done = 2,
}

impl Ticket {
    /// The start of a call that is not timed (the slow-call rate was off when it was admitted).
    pub(crate) const UNTIMED: u64 = u64::MAX;

    #[inline]
    pub(crate) fn new(generation: u32, kind: TicketKind, started: u64) -> Ticket {
        Ticket {
            started,
            tag: (u64::from(generation) << 2) | kind as u64,
        }
    }

    #[inline]
    pub(crate) fn generation(self) -> u32 {
        (self.tag >> 2) as u32
    }

    #[inline]
    pub(crate) fn kind(self) -> TicketKind {
        match self.tag & 3 {
            0 => TicketKind::Closed,
            1 => TicketKind::Probe,
            _ => TicketKind::Done,
        }
    }

    pub(crate) fn started(self) -> u64 {
        self.started
    }

    /// The ticket, leaving a recorded one in its place.
    #[inline]
    fn take(&mut self) -> Ticket {
        let ticket = *self;
        self.tag |= TicketKind::Done as u64;
        ticket
    }
}

/// Leave to make one call, borrowed from a breaker; report the outcome with one of its methods.
///
/// ```
/// use connfx::resilience::circuit_breaker::CircuitBreaker;
/// let cb = CircuitBreaker::new(Default::default());
/// let permit = cb.try_acquire().expect("closed");
/// let status = 503; // … make the call …
/// permit.record_status(status);
/// assert_eq!(cb.stats().consecutive_failures, 1);
/// ```
#[must_use = "a permit reports nothing unless its outcome is recorded"]
#[derive(Debug)]
pub struct Permit<'a> {
    pub(crate) breaker: &'a CircuitBreaker,
    pub(crate) ticket: Ticket,
}

impl Permit<'_> {
    /// The call succeeded.
    ///
    /// ```
    /// use connfx::resilience::circuit_breaker::CircuitBreaker;
    /// let cb = CircuitBreaker::new(Default::default());
    /// let permit = cb.try_acquire().unwrap();
    /// permit.success();
    /// assert_eq!(cb.stats().consecutive_failures, 0);
    /// ```
    #[inline]
    pub fn success(mut self) {
        self.finish(Verdict::Success, None);
    }

    /// The call failed.
    ///
    /// ```
    /// use connfx::resilience::circuit_breaker::CircuitBreaker;
    /// let cb = CircuitBreaker::new(Default::default());
    /// cb.try_acquire().unwrap().failure();
    /// assert_eq!(cb.stats().consecutive_failures, 1);
    /// ```
    pub fn failure(mut self) {
        self.finish(Verdict::Failure, None);
    }

    /// The call is not to be counted (frees a half-open probe slot).
    ///
    /// ```
    /// use connfx::resilience::circuit_breaker::CircuitBreaker;
    /// let cb = CircuitBreaker::new(Default::default());
    /// cb.try_acquire().unwrap().ignore();
    /// assert_eq!(cb.stats().consecutive_failures, 0);
    /// ```
    pub fn ignore(mut self) {
        self.finish(Verdict::Ignored, None);
    }

    /// Records `outcome` as the breaker counts it (see [`Outcome`]); the call's duration is
    /// measured by the breaker's clock if the slow-call rate is on.
    ///
    /// ```
    /// use connfx::resilience::{Outcome, circuit_breaker::CircuitBreaker};
    /// let cb = CircuitBreaker::new(Default::default());
    /// cb.try_acquire().unwrap().record(Outcome::Timeout { sent: true });
    /// cb.try_acquire().unwrap().record(Outcome::Other); // not counted
    /// assert_eq!(cb.stats().consecutive_failures, 1);
    /// ```
    #[inline]
    pub fn record(mut self, outcome: Outcome) {
        self.record_in_place(&outcome);
    }

    /// Records `outcome` without moving the permit, which is left recorded (its drop then does
    /// nothing): [`CallFuture`](super::CallFuture) keeps its permit in place in its own state.
    #[inline(always)]
    pub(crate) fn record_in_place(&mut self, outcome: &Outcome) {
        let verdict = Verdict::of(outcome, self.breaker.inner.policy.server_error_threshold());
        self.finish(verdict, None);
    }

    #[inline(always)]
    fn finish(&mut self, verdict: Verdict, elapsed: Option<Duration>) {
        self.breaker.inner.finish(self.ticket.take(), verdict, elapsed);
    }

    /// Records `outcome` for a call that took `elapsed` (measured by the caller).
    ///
    /// ```
    /// use connfx::resilience::{Outcome, circuit_breaker::CircuitBreaker};
    /// let cb = CircuitBreaker::new(Default::default());
    /// cb.try_acquire().unwrap().record_elapsed(Outcome::Success, std::time::Duration::from_millis(12));
    /// assert_eq!(cb.stats().consecutive_failures, 0);
    /// ```
    pub fn record_elapsed(mut self, outcome: Outcome, elapsed: Duration) {
        let verdict = Verdict::of(&outcome, self.breaker.inner.policy.server_error_threshold());
        self.finish(verdict, Some(elapsed));
    }

    /// Records an HTTP status: a failure at or above `server_error_threshold`, else a success.
    ///
    /// ```
    /// use connfx::resilience::circuit_breaker::CircuitBreaker;
    /// let cb = CircuitBreaker::new(Default::default());
    /// cb.try_acquire().unwrap().record_status(502);
    /// assert_eq!(cb.stats().consecutive_failures, 1);
    /// ```
    pub fn record_status(self, status: u16) {
        self.record(Outcome::Status {
            code: status,
            retry_after: None,
        });
    }

    /// Whether this call is a half-open probe.
    ///
    /// ```
    /// use connfx::resilience::circuit_breaker::CircuitBreaker;
    /// let cb = CircuitBreaker::new(Default::default());
    /// assert!(!cb.try_acquire().unwrap().is_probe());
    /// ```
    pub fn is_probe(&self) -> bool {
        self.ticket.kind() == TicketKind::Probe
    }
}

impl Permit<'_> {
    /// A permit dropped unrecorded: a call that panicked failed (as in sony/gobreaker); one that
    /// was cancelled is ignored, which frees its probe slot.
    #[cold]
    fn abandon(&mut self) {
        let verdict = if std::thread::panicking() {
            Verdict::Failure
        } else {
            Verdict::Ignored
        };
        self.finish(verdict, None);
    }
}

impl Drop for Permit<'_> {
    #[inline]
    fn drop(&mut self) {
        if self.ticket.kind() != TicketKind::Done {
            self.abandon();
        }
    }
}

/// A [`Permit`] that owns a handle to its breaker, for futures that must be `'static`.
///
/// ```
/// use connfx::resilience::circuit_breaker::CircuitBreaker;
/// let cb = CircuitBreaker::new(Default::default());
/// let permit = cb.try_acquire_owned().expect("closed");
/// std::thread::spawn(move || permit.success()).join().unwrap();
/// ```
#[must_use = "a permit reports nothing unless its outcome is recorded"]
#[derive(Debug)]
pub struct OwnedPermit {
    pub(crate) breaker: CircuitBreaker,
    pub(crate) ticket: Ticket,
}

impl OwnedPermit {
    fn borrowed(&mut self) -> Permit<'_> {
        Permit {
            breaker: &self.breaker,
            ticket: self.ticket.take(),
        }
    }

    /// The call succeeded.
    ///
    /// ```
    /// use connfx::resilience::circuit_breaker::CircuitBreaker;
    /// let cb = CircuitBreaker::new(Default::default());
    /// let permit = cb.try_acquire_owned().unwrap();
    /// permit.success();
    /// assert_eq!(cb.stats().consecutive_failures, 0);
    /// ```
    pub fn success(mut self) {
        self.borrowed().success();
    }

    /// The call failed.
    ///
    /// ```
    /// use connfx::resilience::circuit_breaker::CircuitBreaker;
    /// let cb = CircuitBreaker::new(Default::default());
    /// cb.try_acquire_owned().unwrap().failure();
    /// assert_eq!(cb.stats().consecutive_failures, 1);
    /// ```
    pub fn failure(mut self) {
        self.borrowed().failure();
    }

    /// The call is not to be counted (frees a half-open probe slot).
    ///
    /// ```
    /// use connfx::resilience::circuit_breaker::CircuitBreaker;
    /// let cb = CircuitBreaker::new(Default::default());
    /// cb.try_acquire_owned().unwrap().ignore();
    /// assert_eq!(cb.stats().consecutive_failures, 0);
    /// ```
    pub fn ignore(mut self) {
        self.borrowed().ignore();
    }

    /// Records `outcome`, as [`Permit::record`].
    ///
    /// ```
    /// use connfx::resilience::{Outcome, circuit_breaker::CircuitBreaker};
    /// let cb = CircuitBreaker::new(Default::default());
    /// cb.try_acquire_owned().unwrap().record(Outcome::Failed);
    /// assert_eq!(cb.stats().consecutive_failures, 1);
    /// ```
    pub fn record(mut self, outcome: Outcome) {
        self.borrowed().record(outcome);
    }

    /// Records `outcome` for a call that took `elapsed`, as [`Permit::record_elapsed`].
    ///
    /// ```
    /// use connfx::resilience::{Outcome, circuit_breaker::CircuitBreaker};
    /// let cb = CircuitBreaker::new(Default::default());
    /// cb.try_acquire_owned().unwrap().record_elapsed(Outcome::Success, std::time::Duration::from_millis(12));
    /// assert_eq!(cb.stats().consecutive_failures, 0);
    /// ```
    pub fn record_elapsed(mut self, outcome: Outcome, elapsed: Duration) {
        self.borrowed().record_elapsed(outcome, elapsed);
    }

    /// Records an HTTP status, as [`Permit::record_status`].
    ///
    /// ```
    /// use connfx::resilience::circuit_breaker::CircuitBreaker;
    /// let cb = CircuitBreaker::new(Default::default());
    /// cb.try_acquire_owned().unwrap().record_status(502);
    /// assert_eq!(cb.stats().consecutive_failures, 1);
    /// ```
    pub fn record_status(mut self, status: u16) {
        self.borrowed().record_status(status);
    }

    /// Whether this call is a half-open probe.
    ///
    /// ```
    /// use connfx::resilience::circuit_breaker::CircuitBreaker;
    /// let cb = CircuitBreaker::new(Default::default());
    /// assert!(!cb.try_acquire_owned().unwrap().is_probe());
    /// ```
    pub fn is_probe(&self) -> bool {
        self.ticket.kind() == TicketKind::Probe
    }
}

impl Drop for OwnedPermit {
    fn drop(&mut self) {
        drop(self.borrowed());
    }
}
