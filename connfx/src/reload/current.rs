//! [`Current`]: where a connection keeps its current generation of settings, which a reload
//! replaces whole and every call loads once.
//!
//! An `arc_swap::ArcSwap` alone answers this, but its `load_full` costs a call more than
//! cloning an `Arc` does (4.8 ns on session 13's machine, 10–15 ns on session 17's; BENCHMARKS.md):
//! a debt slot is written, the pointer read again and the slot paid back, on top of the
//! reference count. Issue 15 asks reload support to cost a call at most 1 ns. So a load first
//! asks a small cache of this thread: a stamp, read with one plain atomic load, names the
//! current generation, and a thread that has loaded that generation before keeps a [`Weak`] to
//! it, which it upgrades. What is left over a plain `Arc` clone is the stamp's load, the
//! thread-local lookup, a compare, and the upgrade's compare-and-swap in place of the clone's
//! increment: −0.1 ns median with one connection, +0.2–0.35 ns with 100 loaded in turn
//! (`cargo bench --bench reload -- call_settings`, which compiles this file).
//!
//! The cache keeps only `Weak`s, so a generation's settings, clients and pools are dropped when
//! its last call ends, as without it (a reload's old client still closes when idle); a weak
//! keeps at most the generation's allocation, and each thread has a fixed number of slots per
//! type ([`SLOTS`]).
//!
//! Why it is right: a stamp is taken from one counter for the whole process, so it names one
//! generation of one `Current` and no slot can answer for another. [`store`](Current::store)
//! swaps the generation in before it publishes its stamp (`Release`), and a load reads the
//! stamp (`Acquire`) before the `ArcSwap`: so a slot filled under stamp `s` holds the
//! generation `s` names or a later one, and a call started after a `store` has returned sees
//! its stamp and so its generation, as with `ArcSwap` alone. This needs the stores of one
//! `Current` to follow one another, which every connection ensures: it stores only under its
//! reload turn.

use std::cell::Cell;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::{Arc, Weak};

use arc_swap::ArcSwap;

/// How many generations of one type a thread's cache remembers: a direct-mapped table indexed
/// by stamp, 2 KiB of each thread's storage for each protocol compiled in (8 KiB with HTTP,
/// SSE, SQL and Redis). Connections built or reloaded together take
/// consecutive stamps, so up to this many of one protocol never share a slot; beyond that, some
/// loads miss and go through the `ArcSwap`, as every load did without the cache.
pub(crate) const SLOTS: usize = 128;

/// The process's stamps; 0 is never given, so an empty slot matches nothing.
static STAMPS: AtomicU64 = AtomicU64::new(1);

/// The current generation of a `T`, replaced whole by [`store`](Current::store).
pub(crate) struct Current<T> {
    swap: ArcSwap<T>,
    stamp: AtomicU64,
}

/// One cached generation: the stamp it was loaded under, and a weak reference to it.
pub(crate) struct Slot<T> {
    stamp: Cell<u64>,
    weak: Cell<Weak<T>>,
}

impl<T> Slot<T> {
    /// An empty slot.
    pub(crate) const fn empty() -> Slot<T> {
        Slot {
            stamp: Cell::new(0),
            weak: Cell::new(Weak::new()),
        }
    }
}

impl<T> Slot<T> {
    /// The generation cached under `stamp`, if this slot holds it and it is still alive.
    #[inline]
    fn upgrade(&self, stamp: u64) -> Option<Arc<T>> {
        if self.stamp.get() != stamp {
            return None;
        }
        let weak = self.weak.take();
        let found = weak.upgrade();
        self.weak.set(weak);
        found
    }

    fn remember(&self, stamp: u64, generation: &Arc<T>) {
        self.stamp.set(stamp);
        self.weak.set(Arc::downgrade(generation));
    }
}

/// The slot for `stamp`.
#[inline]
fn slot<T>(slots: &[Slot<T>; SLOTS], stamp: u64) -> &Slot<T> {
    &slots[(stamp % SLOTS as u64) as usize]
}

/// A type kept in a [`Current`]: it names its thread's cache. (A `static` cannot be generic,
/// so each type has its own, written by [`cached!`].)
pub(crate) trait Cached: Sized + 'static {
    /// Runs `f` on this thread's slots for the type; `None` while the thread is being torn
    /// down and its cache is gone.
    fn with_slots<R>(f: impl FnOnce(&[Slot<Self>; SLOTS]) -> R) -> Option<R>;
}

/// Implements [`Cached`] for a type, with its own thread-local slots.
macro_rules! cached {
    ($type:ty) => {
        impl $crate::reload::current::Cached for $type {
            #[inline]
            fn with_slots<R>(
                f: impl FnOnce(&[$crate::reload::current::Slot<Self>; $crate::reload::current::SLOTS]) -> R,
            ) -> Option<R> {
                ::std::thread_local! {
                    static SLOTS: [$crate::reload::current::Slot<$type>; $crate::reload::current::SLOTS] =
                        const { [const { $crate::reload::current::Slot::empty() }; $crate::reload::current::SLOTS] };
                }
                SLOTS.try_with(f).ok()
            }
        }
    };
}
pub(crate) use cached;

fn next_stamp() -> u64 {
    STAMPS.fetch_add(1, Relaxed)
}

impl<T: Cached> Current<T> {
    /// Starts at `first`.
    pub(crate) fn new(first: Arc<T>) -> Self {
        Current {
            swap: ArcSwap::new(first),
            stamp: AtomicU64::new(next_stamp()),
        }
    }

    /// The current generation, for a call to keep to its end.
    ///
    /// Kept small, with the miss in a function of its own, so that it inlines into every
    /// call path and the thread-local lookup becomes a direct access.
    #[inline]
    pub(crate) fn load_full(&self) -> Arc<T> {
        let stamp = self.stamp.load(Acquire);
        match T::with_slots(|slots| slot(slots, stamp).upgrade(stamp)) {
            Some(Some(found)) => found,
            _ => self.load_and_remember(stamp),
        }
    }

    /// A miss: the generation from the `ArcSwap`, remembered under `stamp` (it is the one
    /// `stamp` names, or a later one).
    #[cold]
    #[inline(never)]
    fn load_and_remember(&self, stamp: u64) -> Arc<T> {
        let found = self.swap.load_full();
        T::with_slots(|slots| slot(slots, stamp).remember(stamp, &found));
        found
    }

    /// Makes `next` the current generation; calls already started keep theirs. Callers store
    /// one at a time (under the connection's reload turn): two racing stores could leave the
    /// stamp of the first beside the generation of the second.
    pub(crate) fn store(&self, next: Arc<T>) {
        self.swap.store(next);
        self.stamp.store(next_stamp(), Release);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{Current, SLOTS};

    #[derive(Debug, PartialEq)]
    struct Settings(u32);
    cached!(Settings);

    #[test]
    fn a_load_after_a_store_sees_the_new_generation() {
        let current = Current::new(Arc::new(Settings(1)));
        assert_eq!(*current.load_full(), Settings(1));
        assert_eq!(*current.load_full(), Settings(1), "from the cache");
        current.store(Arc::new(Settings(2)));
        assert_eq!(*current.load_full(), Settings(2));
    }

    #[test]
    fn the_cache_keeps_no_generation_alive() {
        let first = Arc::new(Settings(1));
        let current = Current::new(Arc::clone(&first));
        drop(current.load_full()); // now cached on this thread
        current.store(Arc::new(Settings(2)));
        assert_eq!(
            Arc::strong_count(&first),
            1,
            "only this test holds the old generation"
        );
        let weak = Arc::downgrade(&first);
        drop(first);
        assert!(weak.upgrade().is_none(), "dropped with its last call");
    }

    #[test]
    fn a_call_keeps_its_generation_across_a_store() {
        let current = Current::new(Arc::new(Settings(1)));
        let call = current.load_full();
        current.store(Arc::new(Settings(2)));
        assert_eq!(*call, Settings(1));
        assert_eq!(*current.load_full(), Settings(2));
    }

    /// More cells than slots, loaded in turn on one thread and stored to in between: every
    /// load answers with its own cell's current generation.
    #[test]
    fn many_cells_share_the_slots_without_mixing_them_up() {
        let cells: Vec<_> = (0..SLOTS as u32 * 3)
            .map(|i| Current::new(Arc::new(Settings(i))))
            .collect();
        for round in 0..4 {
            for (i, cell) in cells.iter().enumerate() {
                let i = i as u32;
                assert_eq!(*cell.load_full(), Settings(i + round * 1000));
                if i % 2 == round % 2 {
                    assert_eq!(*cell.load_full(), Settings(i + round * 1000));
                }
            }
            for (i, cell) in cells.iter().enumerate() {
                cell.store(Arc::new(Settings(i as u32 + (round + 1) * 1000)));
            }
        }
    }

    /// Loads on several threads while another stores: each sees a generation that was current
    /// at some point, never an older one than it saw before, and the last store wins.
    #[test]
    fn threads_see_stores_in_order() {
        let current = Arc::new(Current::new(Arc::new(Settings(0))));
        std::thread::scope(|scope| {
            for _ in 0..3 {
                let current = Arc::clone(&current);
                scope.spawn(move || {
                    let mut last = 0;
                    for _ in 0..20_000 {
                        let seen = current.load_full().0;
                        assert!(seen >= last, "went back from {last} to {seen}");
                        last = seen;
                    }
                });
            }
            for i in 1..=2_000 {
                current.store(Arc::new(Settings(i)));
            }
        });
        assert_eq!(*current.load_full(), Settings(2_000));
    }
}
