//! [`Bounds`]: how much state a policy keeps per key (per host). Inside, `Recent` holds it: keys idle longer than
//! `idle` go, and beyond `max` keys the least recently used go. A `per_host` connection calls
//! whatever hosts its requests name, so a crawler or a webhook sender would otherwise keep a
//! breaker and a limit for every host it ever called.
//!
//! Written here rather than taken from a cache crate: the value must stay in the map once made
//! (a breaker that a cache's admission policy refuses would forget every failure), a hit must
//! cost one read lock and one relaxed store, and the eviction must be exact LRU, which the
//! concurrent caches trade for throughput.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

/// How many keys a bounded map keeps, and how long an unused one stays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// The most keys kept; past it the least recently used tenth goes at once.
    pub max: usize,
    /// A key unused this long goes at the next sweep (one at most every `idle / 4`).
    pub idle: Duration,
}

impl Bounds {
    /// No bound: every key stays (what a group or a keyed limit built by hand keeps).
    pub const NONE: Bounds = Bounds {
        max: usize::MAX,
        idle: Duration::MAX,
    };
}

/// Values by key, made on first use, each stamped with its last use.
pub(crate) struct Recent<K, V> {
    map: RwLock<HashMap<K, Stamped<V>>>,
    origin: Instant,
    max: AtomicUsize,
    /// Milliseconds.
    idle: AtomicU64,
    /// When (ms on `origin`'s clock) idle keys were last swept.
    swept: AtomicU64,
}

struct Stamped<V> {
    value: V,
    /// Last use, in ms on the map's clock.
    used: AtomicU64,
}

impl<K: Hash + Eq, V: Clone> Recent<K, V> {
    pub(crate) fn new(bounds: Bounds) -> Self {
        let recent = Recent {
            map: RwLock::default(),
            origin: Instant::now(),
            max: AtomicUsize::new(usize::MAX),
            idle: AtomicU64::new(u64::MAX),
            swept: AtomicU64::new(0),
        };
        recent.set_bounds(bounds);
        recent
    }

    /// Applies new bounds from the next key made on.
    pub(crate) fn set_bounds(&self, bounds: Bounds) {
        self.max.store(bounds.max.max(1), Relaxed);
        let idle = u64::try_from(bounds.idle.as_millis()).unwrap_or(u64::MAX);
        self.idle.store(idle.max(1), Relaxed);
    }

    /// The value of `key`, marked used now.
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let map = self.read();
        let stamped = map.get(key)?;
        stamped.used.store(self.now(), Relaxed);
        Some(stamped.value.clone())
    }

    /// The value of `key`, made by `make` (the owned key and its value) if there is none;
    /// making one may first evict others (never one that `keep` names).
    pub(crate) fn get_or_make<Q>(
        &self,
        key: &Q,
        make: impl FnOnce() -> (K, V),
        keep: impl Fn(&K) -> bool,
    ) -> V
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some(value) = self.get(key) {
            return value;
        }
        let mut map = self.write();
        if let Some(stamped) = map.get(key) {
            return stamped.value.clone();
        }
        self.evict(&mut map, keep);
        let (key, value) = make();
        self.put(&mut map, key, value.clone());
        value
    }

    /// Puts `value` under `key`, replacing any; may first evict others (never one `keep` names).
    pub(crate) fn insert(&self, key: K, value: V, keep: impl Fn(&K) -> bool) {
        let mut map = self.write();
        if !map.contains_key(&key) {
            self.evict(&mut map, keep);
        }
        self.put(&mut map, key, value);
    }

    pub(crate) fn remove<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.write().remove(key).map(|stamped| stamped.value)
    }

    /// Drops the keys for which `keep` says no.
    pub(crate) fn retain(&self, keep: impl Fn(&K, &V) -> bool) {
        self.write().retain(|key, stamped| keep(key, &stamped.value));
    }

    pub(crate) fn len(&self) -> usize {
        self.read().len()
    }

    /// Calls `f` with every key and value, under the read lock.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&K, &V)) {
        for (key, stamped) in self.read().iter() {
            f(key, &stamped.value);
        }
    }

    /// Runs `f` over every key and value under the write lock: nothing is made meanwhile (a
    /// config change applied to every value and to the values made after it).
    pub(crate) fn exclusive<R>(&self, f: impl FnOnce(&mut dyn Iterator<Item = (&K, &V)>) -> R) -> R {
        let map = self.write();
        f(&mut map.iter().map(|(key, stamped)| (key, &stamped.value)))
    }

    fn put(&self, map: &mut HashMap<K, Stamped<V>>, key: K, value: V) {
        let used = AtomicU64::new(self.now());
        map.insert(key, Stamped { value, used });
    }

    /// Before a new key: drops idle keys (at most every `idle / 4`), and at the cap the least
    /// recently used tenth, so the sort is paid once per `max / 10` new keys.
    fn evict(&self, map: &mut HashMap<K, Stamped<V>>, keep: impl Fn(&K) -> bool) {
        let now = self.now();
        let idle = self.idle.load(Relaxed);
        if now.saturating_sub(self.swept.load(Relaxed)) >= idle / 4 {
            self.swept.store(now, Relaxed);
            map.retain(|key, stamped| keep(key) || now.saturating_sub(stamped.used.load(Relaxed)) < idle);
        }
        let max = self.max.load(Relaxed);
        if map.len() < max {
            return;
        }
        let mut by_use: Vec<u64> = map
            .iter()
            .filter(|(key, _)| !keep(key))
            .map(|(_, stamped)| stamped.used.load(Relaxed))
            .collect();
        let drop = (map.len() + 1 - max * 9 / 10).min(by_use.len());
        if drop == 0 {
            return;
        }
        let (_, &mut cut, _) = by_use.select_nth_unstable(drop - 1);
        let mut left = drop;
        map.retain(|key, stamped| {
            let old = left > 0 && !keep(key) && stamped.used.load(Relaxed) <= cut;
            left -= usize::from(old);
            !old
        });
    }

    fn now(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn read(&self) -> RwLockReadGuard<'_, HashMap<K, Stamped<V>>> {
        self.map.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<K, Stamped<V>>> {
        self.map.write().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounded(max: usize) -> Recent<String, u32> {
        Recent::new(Bounds {
            max,
            idle: Duration::from_secs(3600),
        })
    }

    #[test]
    fn a_hundred_thousand_keys_stay_under_the_cap() {
        let recent = bounded(1000);
        for i in 0..100_000 {
            recent.get_or_make(&format!("h{i}"), || (format!("h{i}"), i), |_| false);
            assert!(recent.len() <= 1000);
        }
        assert!(recent.len() >= 900, "{}", recent.len());
        assert_eq!(recent.get("h99999"), Some(99_999), "the newest stays");
    }

    #[test]
    fn the_least_recently_used_go_first_and_kept_keys_never() {
        let recent = bounded(10);
        recent.insert("pinned".to_owned(), 0, |_| false);
        for i in 0..9 {
            recent.get_or_make(&format!("h{i}"), || (format!("h{i}"), i), |_| false);
            std::thread::sleep(Duration::from_millis(2));
        }
        recent.get("h0"); // used again: now the most recent
        recent.get_or_make("new", || ("new".to_owned(), 99), |key| key == "pinned");
        assert_eq!(recent.get("pinned"), Some(0), "kept");
        assert_eq!(recent.get("h0"), Some(0), "used lately");
        assert_eq!(recent.get("h1"), None, "the least recently used");
        assert_eq!(recent.get("new"), Some(99));
    }

    #[test]
    fn idle_keys_go_when_a_new_one_comes() {
        let recent: Recent<String, u32> = Recent::new(Bounds {
            max: 100,
            idle: Duration::from_millis(20),
        });
        recent.get_or_make("old", || ("old".to_owned(), 1), |_| false);
        std::thread::sleep(Duration::from_millis(30));
        recent.get_or_make("new", || ("new".to_owned(), 2), |_| false);
        assert_eq!((recent.get("old"), recent.len()), (None, 1));
    }
}
