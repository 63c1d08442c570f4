//! [`Striped`]: a counter split over cache lines, so tasks counting at once on different cores do
//! not pass one line back and forth (the idea of Java's `LongAdder`).
//!
//! Every call through a connection bumps a few counters (retry stats, the retry budget's
//! deposits). One shared `AtomicU64` per counter costs a cache-line transfer per call whenever the
//! previous call ran on another core; with 32 requests in flight on two cores that is most calls,
//! and it showed as ~2 % of loopback throughput. Here each thread adds to its own stripe, and
//! readers (stats, the budget's rare withdrawals) sum the stripes.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

/// Stripes per counter: enough that a runtime's few worker threads rarely share one.
pub(crate) const STRIPES: usize = 4;

/// One atomic word alone on its cache line (128 bytes: x86's adjacent-line prefetch pairs lines).
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct Padded<T>(pub(crate) T);

/// A sum of `u64`s added from many threads, read rarely.
#[derive(Debug, Default)]
pub(crate) struct Striped {
    stripes: [Padded<AtomicU64>; STRIPES],
}

impl Striped {
    /// Adds `n` on the calling thread's stripe.
    pub(crate) fn add(&self, n: u64) {
        self.stripes[stripe()].0.fetch_add(n, Relaxed);
    }

    /// The total (a snapshot: additions racing with the read may or may not be in it).
    pub(crate) fn sum(&self) -> u64 {
        self.stripes
            .iter()
            .map(|s| s.0.load(Relaxed))
            .fold(0, u64::wrapping_add)
    }
}

/// The calling thread's stripe: threads are dealt stripes in turn, on first use.
pub(crate) fn stripe() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static STRIPE: usize = NEXT.fetch_add(1, Relaxed) % STRIPES;
    }
    STRIPE.with(|s| *s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_what_every_thread_added() {
        let counter = Striped::default();
        std::thread::scope(|s| {
            for _ in 0..6 {
                s.spawn(|| (0..1000).for_each(|_| counter.add(1)));
            }
        });
        counter.add(5);
        assert_eq!(counter.sum(), 6005);
    }

    #[test]
    fn stripes_sit_on_their_own_cache_lines() {
        assert_eq!(std::mem::align_of::<Padded<AtomicU64>>(), 128);
        assert_eq!(std::mem::size_of::<Striped>(), 128 * STRIPES);
    }
}
