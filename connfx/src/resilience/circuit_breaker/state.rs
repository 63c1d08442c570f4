//! The breaker's state as one packed `AtomicU64`, changed only by compare-and-swap.
//!
//! Everything that must change together lives in one word, so every transition is a single CAS
//! and no lock is needed:
//!
//! | bits   | field                                                          |
//! |--------|----------------------------------------------------------------|
//! | 0–1    | state: 0 closed, 1 open, 2 half-open                           |
//! | 2      | forced (by [`force_open`] or [`force_closed`])                 |
//! | 3–7    | openings in a row, for the growing open period (saturates at 31)|
//! | 8–23   | half-open probes in flight                                     |
//! | 24–39  | half-open probes that succeeded                                |
//! | 40–63  | generation: +1 on every transition                             |
//!
//! The generation lets a call admitted in one period be told apart from the next (as in
//! sony/gobreaker): an outcome that arrives after the state moved on is not counted against the
//! new state. The end of the open period lives in a second word tagged with the generation that
//! wrote it, so a reader never takes the end of an earlier open period for the current one.
//!
//! [`force_open`]: super::CircuitBreaker::force_open
//! [`force_closed`]: super::CircuitBreaker::force_closed

use std::fmt;
use std::sync::atomic::Ordering;

use serde::Serialize;

use super::sync::AtomicU64;

/// Where a circuit breaker stands.
///
/// ```
/// use connfx::resilience::circuit_breaker::{CircuitBreaker, CircuitState};
/// let cb = CircuitBreaker::new(Default::default());
/// assert_eq!(cb.state(), CircuitState::Closed);
/// assert_eq!(CircuitState::HalfOpen.to_string(), "half-open");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CircuitState {
    /// Calls go through; outcomes are counted.
    Closed,
    /// Calls are rejected at once.
    Open,
    /// A few probe calls go through to test the dependency.
    HalfOpen,
}

impl CircuitState {
    /// The state's name: `closed`, `open` or `half-open` (as `Display` prints it).
    ///
    /// ```
    /// assert_eq!(connfx::CircuitState::HalfOpen.as_str(), "half-open");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::Open => "open",
            CircuitState::HalfOpen => "half-open",
        }
    }
}

impl fmt::Display for CircuitState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const STATE: u64 = 0b11;
const OPEN: u64 = 1;
const HALF_OPEN: u64 = 2;
const FORCED: u64 = 1 << 2;
const OPENS_SHIFT: u32 = 3;
const OPENS_MAX: u64 = 31;
const IN_FLIGHT_SHIFT: u32 = 8;
const SUCCESSES_SHIFT: u32 = 24;
const COUNTER: u64 = 0xFFFF;
const GEN_SHIFT: u32 = 40;
/// Generations are 24 bits; they wrap, which only matters for a call that outlives 16 million
/// transitions.
pub(crate) const GEN_MASK: u64 = (1 << 24) - 1;

/// A decoded copy of the state word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Word(u64);

impl Word {
    pub(crate) fn state(self) -> CircuitState {
        match self.0 & STATE {
            OPEN => CircuitState::Open,
            HALF_OPEN => CircuitState::HalfOpen,
            _ => CircuitState::Closed,
        }
    }

    #[inline]
    pub(crate) fn is_closed(self) -> bool {
        self.0 & STATE == 0
    }

    pub(crate) fn forced(self) -> bool {
        self.0 & FORCED != 0
    }

    pub(crate) fn opens(self) -> u32 {
        ((self.0 >> OPENS_SHIFT) & OPENS_MAX) as u32
    }

    pub(crate) fn in_flight(self) -> u32 {
        ((self.0 >> IN_FLIGHT_SHIFT) & COUNTER) as u32
    }

    pub(crate) fn successes(self) -> u32 {
        ((self.0 >> SUCCESSES_SHIFT) & COUNTER) as u32
    }

    #[inline]
    pub(crate) fn generation(self) -> u32 {
        (self.0 >> GEN_SHIFT) as u32
    }

    /// The first word of the next generation in `state`, counters cleared.
    fn next(self, state: u64, forced: bool, opens: u64) -> Word {
        let generation = ((self.0 >> GEN_SHIFT) + 1) & GEN_MASK;
        let forced = if forced { FORCED } else { 0 };
        Word(state | forced | (opens << OPENS_SHIFT) | (generation << GEN_SHIFT))
    }

    /// Closed (forced or not); the openings in a row start again.
    pub(crate) fn to_closed(self, forced: bool) -> Word {
        self.next(0, forced, 0)
    }

    /// Open for a timed period; one more opening in a row.
    pub(crate) fn to_open(self) -> Word {
        self.next(OPEN, false, (u64::from(self.opens()) + 1).min(OPENS_MAX))
    }

    /// Open until reset or forced closed.
    pub(crate) fn to_forced_open(self) -> Word {
        self.next(OPEN, true, u64::from(self.opens()))
    }

    /// Half-open with no probe yet.
    pub(crate) fn to_half_open(self) -> Word {
        self.next(HALF_OPEN, false, u64::from(self.opens()))
    }

    /// One more probe in flight.
    pub(crate) fn with_probe(self) -> Word {
        Word(self.0 + (1 << IN_FLIGHT_SHIFT))
    }

    /// One probe fewer in flight, and one more success if it succeeded.
    pub(crate) fn probe_done(self, succeeded: bool) -> Word {
        let released = if self.in_flight() > 0 {
            1 << IN_FLIGHT_SHIFT
        } else {
            0
        };
        let success = if succeeded { 1 << SUCCESSES_SHIFT } else { 0 };
        Word(self.0 - released + success)
    }
}

/// The state word and the end of the current open period.
///
/// # Memory orderings
///
/// The state word is the single source of truth: every decision to change it is a CAS on it, and
/// read-modify-writes of one location are totally ordered whatever the ordering argument, so two
/// threads can never both win a transition. Loads use `Acquire` and the CAS `AcqRel` so that a
/// thread that sees a new generation also sees what the transitioning thread wrote before it
/// (the cleared window and counters); on x86 these cost the same as `Relaxed`. The open-period
/// word is written with `Release` after the CAS that opened the circuit and read with `Acquire`;
/// its generation tag tells a reader whether it belongs to the open period it is looking at.
#[derive(Debug, Default)]
#[repr(C)]
pub(crate) struct StateCell {
    word: AtomicU64,
    open_until: AtomicU64,
}

impl StateCell {
    #[inline]
    pub(crate) fn load(&self) -> Word {
        Word(self.word.load(Ordering::Acquire))
    }

    /// Replaces `current` by `new` if the word is still `current`; else gives the word found.
    pub(crate) fn swap_if(&self, current: Word, new: Word) -> Result<Word, Word> {
        self.word
            .compare_exchange(current.0, new.0, Ordering::AcqRel, Ordering::Acquire)
            .map(|_| new)
            .map_err(Word)
    }

    /// Records that the open period of generation `open.generation()` ends at `until_ms`.
    pub(crate) fn set_open_until(&self, open: Word, until_ms: u64) {
        let tagged = (until_ms << 24) | (u64::from(open.generation()) & GEN_MASK);
        self.open_until.store(tagged, Ordering::Release);
    }

    /// When the open period of `open` ends, in milliseconds of the breaker's clock; `None` while
    /// the thread that opened it has not written it yet.
    pub(crate) fn open_until(&self, open: Word) -> Option<u64> {
        let tagged = self.open_until.load(Ordering::Acquire);
        (tagged & GEN_MASK == u64::from(open.generation()) & GEN_MASK).then_some(tagged >> 24)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_bump_the_generation_and_clear_counters() {
        let closed = Word(0);
        let open = closed.to_open();
        assert_eq!(
            (open.state(), open.opens(), open.generation()),
            (CircuitState::Open, 1, 1)
        );
        let half = open.to_half_open().with_probe().with_probe().probe_done(true);
        assert_eq!((half.in_flight(), half.successes(), half.opens()), (1, 1, 1));
        let reopened = half.to_open();
        assert_eq!(
            (reopened.opens(), reopened.in_flight(), reopened.generation()),
            (2, 0, 3)
        );
        assert!(reopened.to_closed(true).forced());
        assert_eq!(reopened.to_closed(false).opens(), 0);
    }

    #[test]
    fn generation_wraps_without_touching_other_fields() {
        let last = Word(GEN_MASK << GEN_SHIFT);
        assert_eq!(last.to_open().generation(), 0);
        assert_eq!(last.to_open().state(), CircuitState::Open);
    }

    #[test]
    fn open_period_is_tagged_with_its_generation() {
        let cell = StateCell::default();
        let open = Word(0).to_open();
        assert_eq!(cell.open_until(open), None);
        cell.set_open_until(open, 1234);
        assert_eq!(cell.open_until(open), Some(1234));
        assert_eq!(cell.open_until(open.to_half_open().to_open()), None);
    }
}
