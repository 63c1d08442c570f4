//! The failure-rate window: calls, failures and slow calls over the recent past, lock-free.
//!
//! The window is kept as two halves, each one packed `AtomicU64` (calls in bits 0–21, failures in
//! 22–42, slow calls in 43–63), so recording a call — whatever its outcome — is a single
//! `fetch_add`. The rate is judged over the current half plus the previous one:
//!
//! - **count-based** (`window_size` = N): a half holds N/2 calls; the call that fills it moves it
//!   to `prev` and starts an empty one, so the window covers the last N/2 to N calls;
//! - **time-based** (`window_duration` = T): a half covers T/2 of the clock; the first call of a
//!   new half moves the current one to `prev` (or clears both after a silence of T or more), so
//!   the window covers the last T/2 to T of time.
//!
//! This is partial aggregation, as Resilience4j does for its time-based window: exact at
//! half-window granularity, with no per-call storage, so a breaker stays small. One more rule
//! keeps the healthy path free of writes: a fast success is not counted when the previous half
//! is full of clean successes and the current one is empty (a count-based window then holds
//! exactly N/2 calls, all good, and counting on would only rebuild that state). All operations
//! are `Relaxed`: the counts are statistics, and each is one atomic word, so no count is lost or
//! torn; two halves may be momentarily out of step with each other under concurrent rolls, which
//! shifts at most a few calls between halves.

use std::ops::Add;
use std::sync::atomic::Ordering::Relaxed;

use super::policy::Half;
use super::sync::AtomicU64;

const FAILURE_SHIFT: u32 = 22;
const SLOW_SHIFT: u32 = 43;
const CALLS_MASK: u64 = (1 << FAILURE_SHIFT) - 1;
const FAILURES_MASK: u64 = (1 << (SLOW_SHIFT - FAILURE_SHIFT)) - 1;
/// A time-based half with this many calls has its counts halved (rates kept) before a field
/// could overflow; a count-based half never holds more than 500 000.
const RESCALE_AT: u64 = 1 << 20;

/// One call's contribution to the window.
pub(crate) const CALL: u64 = 1;
/// A failed call's contribution.
pub(crate) const FAILED: u64 = 1 | (1 << FAILURE_SHIFT);
/// A slow call's extra contribution.
pub(crate) const SLOW: u64 = 1 << SLOW_SHIFT;

/// Calls, failures and slow calls in the window.
///
/// ```
/// use connfx::resilience::circuit_breaker::WindowCounts;
/// let c = WindowCounts { calls: 4, failures: 1, slow_calls: 0 };
/// assert_eq!(c.successes(), 3);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct WindowCounts {
    /// Calls recorded.
    pub calls: u32,
    /// Calls that failed.
    pub failures: u32,
    /// Calls that took at least `slow_call_duration` (failed or not).
    pub slow_calls: u32,
}

impl WindowCounts {
    /// Calls that did not fail.
    ///
    /// ```
    /// assert_eq!(connfx::resilience::circuit_breaker::WindowCounts { calls: 3, failures: 3, slow_calls: 1 }.successes(), 0);
    /// ```
    pub fn successes(&self) -> u32 {
        self.calls.saturating_sub(self.failures)
    }

    fn unpack(word: u64) -> WindowCounts {
        WindowCounts {
            calls: (word & CALLS_MASK) as u32,
            failures: ((word >> FAILURE_SHIFT) & FAILURES_MASK) as u32,
            slow_calls: (word >> SLOW_SHIFT) as u32,
        }
    }
}

impl Add for WindowCounts {
    type Output = WindowCounts;

    fn add(self, other: WindowCounts) -> WindowCounts {
        WindowCounts {
            calls: self.calls + other.calls,
            failures: self.failures + other.failures,
            slow_calls: self.slow_calls + other.slow_calls,
        }
    }
}

fn half_span(half: Half) -> u32 {
    match half {
        Half::Calls(n) | Half::Millis(n) => n,
    }
}

/// The two halves and, for a time-based window, which half of the clock `cur` is.
#[derive(Debug, Default)]
#[repr(C)]
pub(crate) struct Window {
    cur: AtomicU64,
    prev: AtomicU64,
    epoch: AtomicU64,
}

impl Window {
    /// Adds one call (`delta` is [`CALL`] or [`FAILED`], plus [`SLOW`]) and gives the window's
    /// counts including it. `now_ms` is read only by a time-based window.
    #[inline]
    pub(crate) fn record(&self, delta: u64, half: Half, now_ms: impl FnOnce() -> u64) -> WindowCounts {
        match half {
            Half::Calls(size) => self.record_counted(delta, size),
            Half::Millis(span) => self.record_timed(delta, span, now_ms()),
        }
    }

    /// Adds one fast success; gives the counts only if the window now holds exactly `minimum`
    /// calls (the moment it becomes large enough to judge).
    ///
    /// A count-based window whose previous half is full of clean successes and whose current
    /// half is empty is left as it is: counting one more success would only start a half that
    /// ends as the same full, clean half. So while all goes well the hot path reads the window
    /// and writes nothing, and threads sharing a breaker do not contend for its cache line.
    #[inline]
    pub(crate) fn record_success(
        &self,
        half: Half,
        minimum: u32,
        now_ms: impl FnOnce() -> u64,
    ) -> Option<WindowCounts> {
        let Half::Calls(size) = half else {
            let counts = self.record_timed(CALL, half_span(half), now_ms());
            return (counts.calls == minimum).then_some(counts);
        };
        if self.cur.load(Relaxed) == 0 && self.prev.load(Relaxed) == u64::from(size) {
            return None; // full of successes already
        }
        let cur = self.cur.fetch_add(CALL, Relaxed).wrapping_add(CALL);
        let calls = (cur & CALLS_MASK) as u32;
        // The window holds at least `cur`'s calls: past `minimum`, there is nothing to judge.
        let counts = (calls <= minimum)
            .then(|| WindowCounts::unpack(self.prev.load(Relaxed)) + WindowCounts::unpack(cur));
        if calls == size {
            self.prev.store(self.cur.swap(0, Relaxed), Relaxed);
        }
        counts.filter(|c| c.calls == minimum)
    }

    #[inline]
    fn record_counted(&self, delta: u64, size: u32) -> WindowCounts {
        let cur = self.cur.fetch_add(delta, Relaxed).wrapping_add(delta);
        let prev = self.prev.load(Relaxed);
        if cur & CALLS_MASK == u64::from(size) {
            // This call filled the half; exactly one call can see it full.
            self.prev.store(self.cur.swap(0, Relaxed), Relaxed);
        }
        WindowCounts::unpack(prev) + WindowCounts::unpack(cur)
    }

    #[cold]
    fn record_timed(&self, delta: u64, span: u32, now_ms: u64) -> WindowCounts {
        self.roll(span, now_ms);
        let cur = self.cur.fetch_add(delta, Relaxed).wrapping_add(delta);
        if cur & CALLS_MASK >= RESCALE_AT {
            self.halve();
        }
        WindowCounts::unpack(self.prev.load(Relaxed)) + WindowCounts::unpack(cur)
    }

    /// Moves to the half of the clock that `now_ms` falls in, if the window is behind.
    fn roll(&self, span: u32, now_ms: u64) {
        let epoch = now_ms / u64::from(span.max(1));
        let seen = self.epoch.load(Relaxed);
        if epoch <= seen
            || self
                .epoch
                .compare_exchange(seen, epoch, Relaxed, Relaxed)
                .is_err()
        {
            return;
        }
        let finished = self.cur.swap(0, Relaxed);
        self.prev
            .store(if epoch == seen + 1 { finished } else { 0 }, Relaxed);
    }

    /// Halves the current counts, keeping their ratios, so a field cannot overflow.
    #[cold]
    fn halve(&self) {
        let _ = self.cur.fetch_update(Relaxed, Relaxed, |w| {
            let c = WindowCounts::unpack(w);
            let keep = |n: u32| u64::from(n / 2);
            Some(keep(c.calls) | (keep(c.failures) << FAILURE_SHIFT) | (keep(c.slow_calls) << SLOW_SHIFT))
        });
    }

    /// The counts as they stand, without recording; a time-based window leaves out halves the
    /// clock has moved past.
    pub(crate) fn counts(&self, half: Half, now_ms: impl FnOnce() -> u64) -> WindowCounts {
        let (cur, prev) = (self.cur.load(Relaxed), self.prev.load(Relaxed));
        let (cur, prev) = (WindowCounts::unpack(cur), WindowCounts::unpack(prev));
        match half {
            Half::Calls(_) => cur + prev,
            Half::Millis(span) => {
                match (now_ms() / u64::from(span.max(1))).saturating_sub(self.epoch.load(Relaxed)) {
                    0 => cur + prev,
                    1 => cur,
                    _ => WindowCounts::default(),
                }
            }
        }
    }

    /// Brings the halves within a new `half` after a reload resized the window, keeping what
    /// fits: a count-based half holding more calls than the new size keeps that many, with its
    /// rates, and a current half that is full moves to `prev` (else it would never roll again).
    /// A time-based window needs nothing: the clock re-judges its halves, and a window that
    /// changed kind starts over at its first roll.
    pub(crate) fn fit(&self, half: Half) {
        let Half::Calls(size) = half else { return };
        let size = u64::from(size);
        let fitted = |word: u64| {
            let c = WindowCounts::unpack(word);
            let calls = u64::from(c.calls);
            if calls <= size {
                return word;
            }
            // Rounded to the nearest, so a rate survives as closely as integers allow.
            let keep = |n: u32| (u64::from(n) * size + calls / 2) / calls;
            keep(c.calls) | (keep(c.failures) << FAILURE_SHIFT) | (keep(c.slow_calls) << SLOW_SHIFT)
        };
        let _ = self.prev.fetch_update(Relaxed, Relaxed, |w| Some(fitted(w)));
        if self.cur.load(Relaxed) & CALLS_MASK >= size {
            self.prev.store(fitted(self.cur.swap(0, Relaxed)), Relaxed);
        }
    }

    /// Empties both halves.
    pub(crate) fn clear(&self) {
        self.cur.store(0, Relaxed);
        self.prev.store(0, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(calls: u32, failures: u32, slow_calls: u32) -> WindowCounts {
        WindowCounts {
            calls,
            failures,
            slow_calls,
        }
    }

    #[test]
    fn count_window_rolls_when_a_half_fills() {
        let w = Window::default();
        let half = Half::Calls(2);
        assert_eq!(w.record(FAILED, half, || 0), counts(1, 1, 0));
        assert_eq!(w.record(CALL | SLOW, half, || 0), counts(2, 1, 1));
        // The first half is full: the next call starts the second one.
        assert_eq!(w.record(CALL, half, || 0), counts(3, 1, 1));
        assert_eq!(w.record(CALL, half, || 0), counts(4, 1, 1));
        // Second half full: the first one drops out.
        assert_eq!(w.record(CALL, half, || 0), counts(3, 0, 0));
        assert_eq!(w.counts(half, || 0), counts(3, 0, 0));
    }

    #[test]
    fn a_full_clean_window_counts_no_more_successes() {
        let w = Window::default();
        let half = Half::Calls(2);
        assert_eq!(w.record_success(half, 2, || 0), None);
        assert_eq!(w.record_success(half, 2, || 0).map(|c| c.calls), Some(2));
        // The first half is full and clean, the second empty: successes leave it so.
        for _ in 0..5 {
            assert_eq!(w.record_success(half, 2, || 0), None);
        }
        assert_eq!(w.counts(half, || 0), counts(2, 0, 0));
        assert_eq!(w.record(FAILED, half, || 0), counts(3, 1, 0));
        assert_eq!(w.record_success(half, 2, || 0), None);
        assert_eq!(w.counts(half, || 0), counts(2, 1, 0));
    }

    #[test]
    fn time_window_drops_halves_the_clock_has_passed() {
        let w = Window::default();
        let half = Half::Millis(100);
        w.record(FAILED, half, || 1_000);
        w.record(CALL, half, || 1_050);
        assert_eq!(w.record(CALL, half, || 1_120), counts(3, 1, 0));
        assert_eq!(w.counts(half, || 1_250), counts(1, 0, 0));
        assert_eq!(w.counts(half, || 1_300), counts(0, 0, 0));
        assert_eq!(w.record(FAILED, half, || 1_450), counts(1, 1, 0));
    }

    #[test]
    fn a_crowded_half_is_halved_with_its_rates() {
        let w = Window::default();
        w.cur.store((RESCALE_AT - 1) | (10 << FAILURE_SHIFT), Relaxed);
        let c = w.record(FAILED, Half::Millis(1_000), || 0);
        assert_eq!(c.calls as u64, RESCALE_AT);
        assert_eq!(
            w.counts(Half::Millis(1_000), || 0),
            counts((RESCALE_AT / 2) as u32, 5, 0)
        );
    }
}
