//! The fleet half of a `scope = "fleet"` rate limit: the limit of every instance that shares a
//! Redis `store`, kept in Redis as one GCRA state (the arithmetic of `gcra`, on Redis's clock) and
//! changed by one Lua script in one round trip (`EVALSHA`; the redis crate loads the script on
//! the first `NOSCRIPT`).
//!
//! - **Waits are reservations.** A call that may wait (`mode = "wait"`, within `max_wait` and its
//!   deadline) and finds no permit free reserves the next one in the same round trip and sleeps
//!   until it is due: one round trip per call however long the queue, and the fleet's callers
//!   served in the order they asked. A call that would wait too long reserves nothing.
//! - **Leases.** One round trip takes up to `lease` permits when they are free; this instance
//!   spends them on its next calls without asking again, for the time they stand for (`lease`
//!   intervals of the fleet's rate) but at least [`LEASE_LIFE`], after which what is left is
//!   dropped. A permit is thus spent a little after the fleet's clock granted it: in any window
//!   the fleet may send up to `instances × (lease − 1)` calls more, or fewer, than an exact limit
//!   would, and never more over the long run. `lease = 1` (the default) keeps the limit exact,
//!   at one round trip a call.
//! - **Instances.** Each round trip also marks this instance as seen (a sorted set beside the
//!   state, [`INSTANCE_TTL`]) and learns how many instances shared the limit lately: the fallback
//!   below keeps the limit over that many.
//! - **The store down.** When a round trip fails or does not answer within the store's timeout
//!   (its `timeout.per_attempt`, else [`STORE_TIMEOUT`]), the limit follows `on_store_error`: keep
//!   this instance's share here (`local`), fail (`reject`) or let calls through (`allow`). It asks
//!   the store again after [`RECHECK`], one call at a time, and returns to the fleet limit as soon
//!   as the store answers. Both turns are events and log lines.
//!
//! Both Redis keys share the hash tag `{connfx:rate_limit:<connection>}`, so a Redis Cluster keeps
//! them on one node, as a script needs. Every instance that names the same connection on the same
//! Redis database shares the limit.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicU32, AtomicU64};
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::time::Instant;

use super::{RateLimitConfig, RateLimited};
use crate::RedisConnection;
use crate::resilience::store::Store;

/// How long an instance counts as one of the fleet after its last round trip.
pub const INSTANCE_TTL: Duration = Duration::from_secs(10);

/// How long a round trip to the store may take when its connection sets no
/// `timeout.per_attempt`: a call waits at most this long to learn the store is down.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(1);

/// The shortest time a leased permit stays usable: at a high rate the permits of a lease stand
/// for less time than the next calls take to come.
pub const LEASE_LIFE: Duration = Duration::from_millis(100);

/// While the store is down, how long a limit keeps to its fallback before it asks the store again.
pub const RECHECK: Duration = Duration::from_millis(500);

/// GCRA with a cost, on Redis's clock in microseconds (a double holds them exactly until 2255).
/// Grants as many of the `ARGV[3]` wanted permits as fit now. When none does, reserves one for
/// the moment it will, if that is within `ARGV[7]` µs (the caller's longest wait): the caller
/// sleeps until then and goes, with no second round trip, and callers across the fleet are
/// served in the order they asked. The state is first moved to at least `ARGV[6]` µs ahead
/// (what an instance spent by itself while the store was down). Answers `{granted, wait µs,
/// instances, burst in use in millionths}`; `granted = 0` means the wait is beyond `ARGV[7]`.
const SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, span, wanted = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '') or now
if tat < now + tonumber(ARGV[6]) then tat = now + tonumber(ARGV[6]) end
local granted = math.min(wanted, math.floor((span - (tat - now)) / interval))
local wait = 0
if granted >= 1 then
  tat = tat + granted * interval
else
  wait = math.ceil(tat + interval - span - now)
  if wait <= tonumber(ARGV[7]) then
    granted = 1
    tat = tat + interval
  else
    granted = 0
  end
end
if tat > now then
  redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.ceil((tat - now) / 1000) + 1)
end
local ttl = tonumber(ARGV[5])
redis.call('ZADD', KEYS[2], now, ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - ttl * 1000)
redis.call('PEXPIRE', KEYS[2], ttl)
return {granted, wait, redis.call('ZCARD', KEYS[2]), math.floor(1000000 * math.min(1, (tat - now) / span))}
";

/// What one attempt to take a fleet permit found.
pub(super) enum Take {
    /// A permit: leased earlier or granted now (`after` is zero), or reserved for `after` from
    /// now (the caller sleeps that long and goes).
    Granted { after: Duration },
    /// None within the caller's longest wait: the next is due in `retry_in`.
    Later(Duration),
    /// The store could not be asked: follow `on_store_error`.
    StoreDown,
}

/// The fleet state of one limit, and its way to the store.
pub(super) struct Fleet {
    /// The connection whose limit this is: its state is `{connfx:rate_limit:<name>}:tat`, the
    /// instances' set `…:instances`.
    name: String,
    /// This instance in the fleet's set.
    instance: String,
    /// The store, once the registry has bound it (see [`RateLimit::bind_store`](super::RateLimit::bind_store)).
    store: Arc<Store>,
    config: ArcSwap<RateLimitConfig>,
    script: redis::Script,
    /// Permits leased and not spent yet. One round trip at a time: callers that find it empty
    /// wait for the one under way rather than each asking the store.
    lease: tokio::sync::Mutex<Lease>,
    /// Instances that shared the limit at the last round trip (at least 1).
    instances: AtomicU32,
    /// While the store is down: when (nanoseconds on `origin`'s clock) to ask it again.
    retry_after: AtomicU64,
    /// The share of the fleet's burst in use at the last answer, in millionths: where this
    /// instance's fallback starts when the store goes down.
    in_use: AtomicU32,
    origin: Instant,
}

/// What a fleet limit asks of, and tells, the limit this instance keeps by itself.
pub(super) trait Local {
    /// The share of the local burst in use now (0 to 1).
    fn in_use(&self) -> f64;
    /// The fleet now has `instances`; its store went down (`Some(true)`, with the share of
    /// its burst in use then) or came back (`Some(false)`).
    fn changed(&self, instances: u32, down: Option<bool>, in_use: f64);
}

/// The store's answer to one round trip.
struct Answer {
    granted: u32,
    /// For a permit reserved ahead, how long until it is due; with none granted, until the
    /// next one is.
    wait: Duration,
    instances: u32,
    in_use_ppm: u32,
}

#[derive(Default)]
struct Lease {
    permits: u32,
    until: Option<Instant>,
}

impl Fleet {
    /// The fleet half of `config`'s limit for the connection `name`; not bound to a store yet.
    pub(super) fn new(name: &str, config: &RateLimitConfig) -> Fleet {
        Fleet {
            name: name.to_owned(),
            instance: instance_id(),
            store: Arc::default(),
            config: ArcSwap::from_pointee(config.clone()),
            script: redis::Script::new(SCRIPT),
            lease: tokio::sync::Mutex::default(),
            instances: AtomicU32::new(0),
            retry_after: AtomicU64::new(0),
            in_use: AtomicU32::new(0),
            origin: Instant::now(),
        }
    }

    /// The name of the Redis connection the config names.
    pub(super) fn store_name(&self) -> Option<String> {
        self.config.load().store.clone()
    }

    pub(super) fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub(super) fn bind(&self, store: RedisConnection) {
        self.store
            .bind(|| format!("{{connfx:rate_limit:{}}}", self.name), store);
    }

    pub(super) fn set(&self, config: &RateLimitConfig) {
        self.config.store(Arc::new(config.clone()));
    }

    pub(super) fn config(&self) -> Arc<RateLimitConfig> {
        self.config.load_full()
    }

    pub(super) fn rule(&self) -> super::StoreErrorRule {
        self.config.load().on_store_error
    }

    pub(super) fn stats(&self) -> super::FleetStats {
        super::FleetStats {
            instances: self.instances.load(Relaxed),
            store_down: self.is_down(),
            round_trips: self.store.round_trips(),
        }
    }

    /// Instances that shared the limit at the last round trip.
    pub(super) fn instances(&self) -> u32 {
        self.instances.load(Relaxed).max(1)
    }

    /// Whether the store failed its last round trip.
    pub(super) fn is_down(&self) -> bool {
        self.store.is_down()
    }

    /// Takes a leased permit if one is left, without a round trip.
    pub(super) fn try_leased(&self) -> bool {
        self.lease.try_lock().is_ok_and(|mut lease| lease.spend())
    }

    /// Takes a permit: a leased one, else from the store, reserving one if the caller may wait
    /// up to `bound` for it. While the store is down (within [`RECHECK`] of its last failure),
    /// says so at once.
    ///
    /// With `lease > 1` one round trip at a time refills the lease, and callers that find it
    /// empty wait for that one; with `lease = 1` every call makes its own round trip, side by
    /// side on the multiplexed connection.
    ///
    /// `local` hears of a change in the number of instances, and of the store going down or
    /// coming back; the first round trip after an outage carries what `local` spent meanwhile,
    /// so the fleet's state does not come back as fresh as after a quiet spell.
    pub(super) async fn take(&self, local: &impl Local, bound: Duration) -> Take {
        let config = self.config.load_full();
        let mut lease = match config.lease {
            0 | 1 => None,
            _ => Some(self.lease.lock().await),
        };
        if lease.as_mut().is_some_and(|lease| lease.spend()) {
            return Take::Granted {
                after: Duration::ZERO,
            };
        }
        let was_down = self.is_down();
        if was_down && self.elapsed() < self.retry_after.load(Relaxed) {
            return Take::StoreDown;
        }
        let spent = if was_down { local.in_use() } else { 0.0 };
        match self.ask(&config, spent, bound).await {
            Ok(answer) => {
                self.in_use.store(answer.in_use_ppm, Relaxed);
                if self.store.answered(true) && was_down {
                    tracing::info!(
                        key = self.store.key(),
                        "the fleet rate limit's store answers again"
                    );
                    local.changed(answer.instances, Some(false), 0.0);
                } else if self.instances.load(Relaxed) != answer.instances {
                    local.changed(answer.instances, None, 0.0);
                }
                self.instances.store(answer.instances.max(1), Relaxed);
                if answer.granted == 0 {
                    return Take::Later(answer.wait);
                }
                if let Some(lease) = lease.as_mut() {
                    let (interval, _) = config.interval_and_burst();
                    let stands_for = interval.saturating_mul(answer.granted);
                    lease.permits = answer.granted - 1;
                    // At the slowest rate a lease may stand for years: held to an hour, so
                    // the deadline is one a clock can hold.
                    let life = stands_for.clamp(LEASE_LIFE, Duration::from_secs(3600));
                    lease.until = Instant::now().checked_add(answer.wait.saturating_add(life));
                }
                Take::Granted { after: answer.wait }
            }
            Err(error) => {
                let retry_after = self.elapsed().saturating_add(nanos(RECHECK));
                self.retry_after.store(retry_after, Relaxed);
                if self.store.answered(false) {
                    tracing::warn!(key = self.store.key(), %error, rule = ?config.on_store_error, "the fleet rate limit's store cannot be reached");
                    let in_use = f64::from(self.in_use.load(Relaxed)) / 1e6;
                    local.changed(self.instances(), Some(true), in_use);
                }
                Take::StoreDown
            }
        }
    }

    /// One round trip, carrying `spent` (the share of the burst this instance used by itself)
    /// and `bound` (how long the caller may wait for a reserved permit).
    async fn ask(&self, config: &RateLimitConfig, spent: f64, bound: Duration) -> Result<Answer, String> {
        let (interval, burst) = config.interval_and_burst();
        let interval_us = interval.as_secs_f64() * 1e6;
        let span_us = interval_us * f64::from(burst);
        let key = self.store.key();
        let mut call = self.script.key(format!("{key}:tat"));
        call.key(format!("{key}:instances"))
            .arg(interval_us)
            .arg(span_us)
            .arg(config.lease.clamp(1, burst))
            .arg(&self.instance)
            .arg(u64::try_from(INSTANCE_TTL.as_millis()).unwrap_or(u64::MAX))
            .arg(spent.clamp(0.0, 1.0) * span_us)
            .arg(u64::try_from(bound.as_micros()).unwrap_or(u64::MAX));
        let (granted, wait_us, instances, in_use_ppm) = self
            .store
            .invoke::<(u32, u64, u32, u32)>(&call, STORE_TIMEOUT)
            .await?;
        Ok(Answer {
            granted,
            wait: Duration::from_micros(wait_us),
            instances,
            in_use_ppm,
        })
    }

    fn elapsed(&self) -> u64 {
        nanos(self.origin.elapsed())
    }
}

impl Lease {
    fn spend(&mut self) -> bool {
        let valid = self.until.is_some_and(|until| Instant::now() < until);
        if valid && self.permits > 0 {
            self.permits -= 1;
            return true;
        }
        false
    }
}

/// The limit an instance keeps by itself while the store is down: its share of `config`'s
/// rate and burst among `instances`.
pub(super) fn share(config: &RateLimitConfig, instances: u32) -> RateLimitConfig {
    let instances = instances.max(1);
    RateLimitConfig {
        requests: (config.requests / instances).max(1),
        burst: config.burst.map(|burst| (burst / instances).max(1)),
        ..config.clone()
    }
}

/// `on_store_error = "reject"`: the call fails, told to come back when the store is asked again.
pub(super) fn store_down() -> RateLimited {
    RateLimited {
        retry_in: RECHECK,
        max_wait: Duration::ZERO,
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// This instance among the fleet's: its process and when its limit was built.
pub(crate) fn instance_id() -> String {
    use std::sync::atomic::AtomicUsize;
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let host = std::env::var("HOSTNAME").unwrap_or_default();
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{host}:{}:{since:x}:{}",
        std::process::id(),
        NEXT.fetch_add(1, Relaxed)
    )
}
