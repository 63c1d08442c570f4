//! A sliding window of balances, one slot per tenth of the window, each one atomic word.
//!
//! Every request deposits, so the slots are striped ([`crate::resilience::striped`]): each
//! thread adds to its own row of slots, on its own cache line, and a sum reads every row.
//! A slot packs its epoch's low 24 bits and a signed 40-bit balance into a `u64`, so reading,
//! resetting and adding are one compare-and-swap: no lock, and a slot left over from an old
//! epoch counts as empty without anyone having to clear it.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::resilience::striped::{Padded, STRIPES, stripe};

/// Slots per window.
pub(super) const SLOTS: u64 = 10;

const VALUE_BITS: u32 = 40;
const TAG_BITS: u32 = 64 - VALUE_BITS;
const VALUE_MASK: u64 = (1 << VALUE_BITS) - 1;
const TAG_MASK: u64 = (1 << TAG_BITS) - 1;
const VALUE_MAX: i64 = (1 << (VALUE_BITS - 1)) - 1;

#[derive(Debug, Default)]
pub(super) struct Window {
    rows: [Padded<[AtomicU64; SLOTS as usize]>; STRIPES],
}

impl Window {
    /// Adds `delta` to the slot of `epoch`, clearing whatever an older epoch left there.
    pub(super) fn add(&self, epoch: u64, delta: i64) {
        let slot = &self.rows[stripe()].0[(epoch % SLOTS) as usize];
        let mut current = slot.load(Ordering::Acquire);
        loop {
            let (tag, base) = match age(epoch, current) {
                0 => (epoch, value(current)),
                // A caller that read the clock later already moved the slot on: join it.
                age if age > TAG_MASK / 2 => (tag(current), value(current)),
                _ => (epoch, 0),
            };
            let new = pack(tag, base.saturating_add(delta).clamp(-VALUE_MAX, VALUE_MAX));
            match slot.compare_exchange_weak(current, new, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return,
                Err(seen) => current = seen,
            }
        }
    }

    /// The sum of the slots of the last `SLOTS` epochs up to `epoch`.
    pub(super) fn sum(&self, epoch: u64) -> i64 {
        self.rows
            .iter()
            .flat_map(|row| &row.0)
            .map(|slot| slot.load(Ordering::Acquire))
            .filter(|word| age(epoch, *word) < SLOTS)
            .map(value)
            .sum()
    }
}

fn pack(epoch: u64, value: i64) -> u64 {
    ((epoch & TAG_MASK) << VALUE_BITS) | (value as u64 & VALUE_MASK)
}

fn tag(word: u64) -> u64 {
    word >> VALUE_BITS
}

/// The balance, sign-extended from 40 bits.
fn value(word: u64) -> i64 {
    ((word << TAG_BITS) as i64) >> TAG_BITS
}

/// How many epochs before `epoch` the slot was written (modulo the tag's range).
fn age(epoch: u64, word: u64) -> u64 {
    (epoch & TAG_MASK).wrapping_sub(tag(word)) & TAG_MASK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_negative_balances_and_wrapping_epochs() {
        for (epoch, v) in [(0, 0), (7, -5), (TAG_MASK + 3, VALUE_MAX), (1 << 40, -VALUE_MAX)] {
            let word = pack(epoch, v);
            assert_eq!((tag(word), value(word)), (epoch & TAG_MASK, v));
        }
    }

    #[test]
    fn old_slots_expire_and_are_reused() {
        let w = Window::default();
        w.add(0, 100);
        w.add(1, -30);
        assert_eq!(w.sum(1), 70);
        assert_eq!(w.sum(SLOTS - 1), 70, "epoch 0 is still inside the window");
        assert_eq!(w.sum(SLOTS), -30, "epoch 0 has left the window");
        w.add(SLOTS, 5);
        assert_eq!(w.sum(SLOTS), -25, "the reused slot starts from zero");
    }

    #[test]
    fn a_late_writer_joins_the_newer_epoch() {
        let w = Window::default();
        w.add(SLOTS, 10);
        w.add(0, 1); // computed its epoch before the slot moved on
        assert_eq!(w.sum(SLOTS), 11);
    }
}
