//! A small fixed table of values bound once and never changed, found by open addressing with a
//! few probes: a lookup is some atomic loads and compares, with no lock and no allocation.
//!
//! Every table of bound series (`bound.rs`, `http.rs`, `db.rs`) is one of these. A key that
//! finds no free slot gets `None`, and its caller records it the slow way (unbound).

use std::sync::OnceLock;

/// How many slots a key may probe past its own.
const PROBES: usize = 4;

/// `N` slots of `T`, each filled at most once.
pub(super) struct Slots<T, const N: usize> {
    slots: [OnceLock<T>; N],
}

impl<T, const N: usize> Slots<T, N> {
    pub(super) fn new() -> Self {
        Slots {
            slots: std::array::from_fn(|_| OnceLock::new()),
        }
    }

    /// The value `is` accepts among the slots from `hash` on, made by `make` (given the slot's
    /// position) in the first free one; `None` when the probed slots are all taken by other
    /// keys.
    pub(super) fn find(&self, hash: usize, is: impl Fn(&T) -> bool, make: impl Fn(usize) -> T) -> Option<&T> {
        for probe in 0..PROBES {
            let position = hash.wrapping_add(probe) % N;
            // Another thread may fill the slot first, with another key: then this one probes on.
            let value = self.slots[position].get_or_init(|| make(position));
            if is(value) {
                return Some(value);
            }
        }
        None
    }

    /// The filled slots.
    pub(super) fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().filter_map(OnceLock::get)
    }
}

/// A cheap mix of a static string's address and length: for the static names callers pass, as
/// good as hashing the text and much cheaper.
pub(super) fn mix(text: &'static str) -> usize {
    (text.as_ptr() as usize).rotate_left(17) ^ text.len().wrapping_mul(0x9e37_79b9)
}

/// Spreads a mixed key over the slots.
pub(super) fn spread(mix: usize) -> usize {
    mix ^ (mix >> 7) ^ (mix >> 13)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_finds_its_own_value_and_a_full_table_says_none() {
        let slots: Slots<u32, 4> = Slots::new();
        assert_eq!(slots.find(1, |v| *v == 7, |_| 7), Some(&7));
        assert_eq!(slots.find(1, |v| *v == 7, |_| 7), Some(&7));
        for key in [8, 9, 10] {
            assert_eq!(slots.find(1, |v| *v == key, |_| key), Some(&key));
        }
        assert_eq!(slots.find(1, |v| *v == 11, |_| 11), None);
        assert_eq!(slots.iter().count(), 4);
    }
}
