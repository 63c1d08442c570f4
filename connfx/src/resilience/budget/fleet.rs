//! The fleet half of a `retry(budget_scope = "fleet", budget_store = "cache")` budget: one
//! bucket in Redis for every instance that names the same store and connection, so a fleet of
//! clients retrying 20 % each is a fleet retrying 20 %, not a storm.
//!
//! Calls never wait on Redis. Each instance counts its requests as before (a per-thread add)
//! and spends retries from a small allowance it holds; every [`FLUSH`] a background task sends
//! the requests counted since the last flush, gives back what the allowance did not spend, and
//! takes a new allowance the size of what was asked for in the last period — one Lua script,
//! one round trip, on Redis's clock. The bucket has the local budget's rules (each request earns
//! `budget` of a retry, `min_retries_per_sec` a second, at most `max(min_retries_per_sec, 1)`
//! saved up), for the fleet as a whole: `min_retries_per_sec` is the fleet's.
//!
//! Until the store first answers, and whenever a flush fails, an instance spends from its local
//! budget (which counts every request all along), and returns to the fleet's at the next flush
//! that succeeds. The bucket's key is `{connfx:retry_budget:<connection>}`.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicI64, AtomicU64};
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::RetryBudget;
use crate::RedisConnection;
use crate::resilience::store::{self, Store};

/// How often an instance settles with the fleet's bucket.
pub const FLUSH: Duration = Duration::from_millis(100);

/// The fleet's bucket, in retries (floats), on Redis's clock in seconds. Adds what the requests
/// of `ARGV[1]` earned at `ARGV[2]` a retry each, `ARGV[3]` a second since the last settling,
/// and the `ARGV[6]` retries given back; keeps at most `ARGV[4]`; grants up to `ARGV[5]`.
const SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local cap = tonumber(ARGV[4])
local h = redis.call('HMGET', KEYS[1], 'credit', 'at')
local credit = tonumber(h[1]) or cap
local at = tonumber(h[2]) or now
credit = credit + tonumber(ARGV[1]) * tonumber(ARGV[2]) + tonumber(ARGV[3]) * math.max(0, now - at) + tonumber(ARGV[6])
if credit > cap then credit = cap end
local granted = math.max(0, math.min(tonumber(ARGV[5]), math.floor(credit)))
credit = credit - granted
redis.call('HSET', KEYS[1], 'credit', string.format('%.6f', credit), 'at', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], 60000)
return granted
";

/// The fleet state of one budget.
pub(super) struct FleetBudget {
    store_name: String,
    /// `{connfx:retry_budget:<connection>}`, bound by the registry.
    store: Arc<Store>,
    /// Retries this instance may spend until the next flush.
    allowance: AtomicI64,
    /// Retries asked for since the last flush, spent or refused.
    demand: AtomicU64,
}

impl FleetBudget {
    pub(super) fn new(store_name: &str) -> FleetBudget {
        FleetBudget {
            store_name: store_name.to_owned(),
            store: Arc::default(),
            allowance: AtomicI64::new(0),
            demand: AtomicU64::new(0),
        }
    }

    pub(super) fn store_name(&self) -> &str {
        &self.store_name
    }

    /// Takes a retry from the allowance; `None` while the store is not answering (spend from
    /// the local budget).
    pub(super) fn withdraw(&self) -> Option<bool> {
        if !self.is_up() {
            return None;
        }
        self.demand.fetch_add(1, Relaxed);
        Some(
            self.allowance
                .fetch_update(Relaxed, Relaxed, |left| (left > 0).then_some(left - 1))
                .is_ok(),
        )
    }

    pub(super) fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub(super) fn round_trips(&self) -> u64 {
        self.store.round_trips()
    }

    /// Whether the store answered the last flush: retries come from the fleet's bucket.
    pub(super) fn is_up(&self) -> bool {
        self.store.is_up()
    }
}

/// Binds `budget` (a fleet budget) to `store` for the connection `name`; the first binding
/// starts its flushes on the current tokio runtime, a later one only changes the store.
pub(super) fn bind(budget: &Arc<RetryBudget>, fleet: &FleetBudget, name: &str, store: RedisConnection) {
    if fleet
        .store
        .bind(|| format!("{{connfx:retry_budget:{name}}}"), store)
    {
        store::spawn(name, "retry budget", flushes(Arc::downgrade(budget)));
    }
}

/// Settles with the fleet's bucket every [`FLUSH`] while the budget lives and its store is open.
async fn flushes(budget: Weak<RetryBudget>) {
    let script = redis::Script::new(SCRIPT);
    let mut settled = 0u64;
    let mut every = tokio::time::interval(FLUSH);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let Some(budget) = budget.upgrade() else {
            return;
        };
        let Some(fleet) = &budget.fleet else {
            return;
        };
        let store = &fleet.store;
        if store.is_closed() {
            store.answered(false);
            return;
        }
        let deposits = budget.deposits.sum();
        let unused = fleet.allowance.swap(0, Relaxed).max(0);
        let want = fleet.demand.swap(0, Relaxed).max(1);
        let min_per_sec = budget.min_retries_per_sec();
        let mut call = script.key(store.key());
        call.arg(deposits - settled)
            .arg(budget.ratio())
            .arg(min_per_sec)
            .arg(min_per_sec.max(1))
            .arg(want)
            .arg(unused);
        match store.invoke::<i64>(&call, FLUSH).await {
            Ok(granted) => {
                settled = deposits;
                fleet.allowance.fetch_add(granted, Relaxed);
                if store.answered(true) {
                    tracing::info!(
                        key = store.key(),
                        "the fleet retry budget's store answers: retries are the fleet's"
                    );
                }
            }
            Err(error) => {
                if store.answered(false) {
                    tracing::warn!(key = store.key(), %error, "the fleet retry budget's store cannot be reached: retries are this instance's budget's");
                }
            }
        }
    }
}
