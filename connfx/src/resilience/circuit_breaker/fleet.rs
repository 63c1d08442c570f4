//! A quorum breaker (`circuit_breaker(scope = "fleet", store = "cache", quorum = 3)`): each
//! instance keeps its own breaker, and the fleet's breaker opens only when `quorum` of them
//! are open, so one sick instance (its own network, a bad host) cannot open the breaker for all.
//!
//! - **Votes.** Every [`VOTE_EVERY`] each instance tells the store whether its own breaker is
//!   open or half-open (a vote, refreshed; it lapses [`VOTE_TTL`] after an instance stops
//!   refreshing it, so a dead instance's vote goes) and learns how many instances vote. One Lua
//!   script, one round trip, on Redis's clock.
//! - **The fleet open.** While at least `quorum` instances vote, calls on every instance are
//!   turned away as by an open breaker, before their own breaker is asked (and without being
//!   counted by it).
//! - **One prober.** While the fleet is open, only one voter probes: the first in the store's
//!   order of instance names. Its own breaker goes half-open after `reset_timeout` as usual and
//!   sends at most `half_open_max_calls` probes; the other voters' half-open breakers are held
//!   back, so the fleet sends at most `half_open_max_calls` probes. When the prober's breaker
//!   closes its vote goes, the count falls below `quorum`, and the fleet closes; the other
//!   instances' breakers then probe on their own.
//! - **The store down.** The fleet state is what the store last said, for at most [`VOTE_TTL`];
//!   after that the fleet counts as closed and each instance's own breaker decides alone.
//!
//! The votes are `{connfx:circuit_breaker:<connection>}:votes`.

use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicU32, AtomicU64};
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::time::Instant;

use super::{CircuitBreaker, CircuitState};
use crate::RedisConnection;
use crate::resilience::store::{self, Store};

/// How often an instance votes and learns the fleet's state.
pub const VOTE_EVERY: Duration = Duration::from_millis(250);

/// How long a vote (and what the store last said) counts without being refreshed.
pub const VOTE_TTL: Duration = Duration::from_millis(1000);

/// Marks this instance (`ARGV[1]`) alive in `KEYS[2]` and votes (`ARGV[2]` = 1) or withdraws
/// its vote in `KEYS[1]`, drops lapsed votes and instances, and answers the number of voters,
/// the first voter's name and the number of live instances.
const SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
if ARGV[2] == '1' then
  redis.call('ZADD', KEYS[1], now, ARGV[1])
else
  redis.call('ZREM', KEYS[1], ARGV[1])
end
redis.call('ZADD', KEYS[2], now, ARGV[1])
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - ttl)
  redis.call('PEXPIRE', key, ttl * 2)
end
local voters = redis.call('ZRANGE', KEYS[1], 0, -1)
local first = ''
for _, name in ipairs(voters) do
  if first == '' or name < first then first = name end
end
return {#voters, first, redis.call('ZCARD', KEYS[2])}
";

/// The quorum half of a connection's `circuit_breaker(scope = "fleet", store = …, quorum = n)`:
/// each instance keeps its own breaker and votes in Redis every [`VOTE_EVERY`] while it is open;
/// once `quorum` instances vote, calls on every instance are turned away, and only one voter
/// (the first by name) probes, so the fleet sends at most `half_open_max_calls` probes. A vote
/// lapses [`VOTE_TTL`] after its last refresh, and so does what the store last said: with the
/// store down, each instance's breaker decides alone.
///
/// ```no_run
/// # fn run(api: connfx::HttpConnection) {
/// use connfx::Connection;
/// if let Some(fleet) = api.fleet_breaker() {
///     println!("fleet open: {}, {} voting", fleet.is_open(), fleet.voters());
/// }
/// # }
/// ```
pub struct FleetBreaker {
    store_name: String,
    instance: String,
    quorum: AtomicU32,
    /// `quorum_share` in millionths (0: `quorum` alone).
    share_ppm: AtomicU32,
    /// This instance's own breaker, whose state is its vote.
    local: CircuitBreaker,
    /// `{connfx:circuit_breaker:<connection>}`, bound by the registry: the votes are
    /// `…:votes`, the live instances `…:instances`.
    store: Arc<Store>,
    /// What the store last said: voters, live instances, and whether this instance is the one
    /// that probes.
    voters: AtomicU32,
    instances: AtomicU32,
    prober: AtomicBool,
    /// When the store last answered (so a lapsed answer counts for nothing).
    heard: std::sync::Mutex<Option<Instant>>,
    /// Calls turned away because the fleet was open.
    rejected: AtomicU64,
}

/// What opens a quorum breaker for the fleet: `quorum` votes, and `quorum_share` of the live
/// instances when set (`circuit_breaker(quorum = …, quorum_share = …)`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Quorum {
    pub(crate) count: u32,
    pub(crate) share: Option<f64>,
}

impl Quorum {
    pub(crate) fn of(config: &crate::CircuitBreakerConfig) -> Quorum {
        Quorum {
            count: config.quorum,
            share: config.quorum_share,
        }
    }
}

/// How a quorum breaker stands ([`FleetBreaker::stats`]).
///
/// ```
/// let stats = connfx::resilience::circuit_breaker::FleetBreakerStats::default();
/// assert!(!stats.open && !stats.store_up);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct FleetBreakerStats {
    /// Whether the breaker is open for the whole fleet.
    pub open: bool,
    /// Instances voting (their breakers open or half-open) when the store last answered.
    pub voters: u32,
    /// Votes that open the fleet's breaker now ([`FleetBreaker::votes_needed`]).
    pub votes_needed: u32,
    /// Live instances, voting or not, when the store last answered.
    pub instances: u32,
    /// Whether this instance is the one that probes while the fleet is open.
    pub prober: bool,
    /// Whether the store answered the last vote (without it, after [`VOTE_TTL`], this
    /// instance's own breaker decides alone).
    pub store_up: bool,
    /// Votes sent to the store so far (one every [`VOTE_EVERY`]).
    pub round_trips: u64,
    /// Calls turned away because the fleet was open, before this instance's breaker was asked.
    pub rejected: u64,
}

impl FleetBreaker {
    /// The fleet half of `local`, a breaker of the connection `name`, kept in the Redis
    /// connection `store` (bound later: [`bind`](FleetBreaker::bind)).
    pub(crate) fn new(local: CircuitBreaker, store: &str, quorum: Quorum) -> FleetBreaker {
        let fleet = FleetBreaker {
            store_name: store.to_owned(),
            instance: crate::resilience::rate_limit::instance_id(),
            quorum: AtomicU32::new(1),
            share_ppm: AtomicU32::new(0),
            local,
            store: Arc::default(),
            voters: AtomicU32::new(0),
            instances: AtomicU32::new(0),
            prober: AtomicBool::new(false),
            heard: std::sync::Mutex::new(None),
            rejected: AtomicU64::new(0),
        };
        fleet.set_quorum(quorum);
        fleet
    }

    /// Whether this is the fleet half of `breaker`.
    pub(crate) fn guards(&self, breaker: &CircuitBreaker) -> bool {
        Arc::ptr_eq(&self.local.inner, &breaker.inner)
    }

    /// Where the votes are kept, and how the store has been answering.
    pub(crate) fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub(crate) fn store_name(&self) -> &str {
        &self.store_name
    }

    pub(crate) fn set_quorum(&self, quorum: Quorum) {
        self.quorum.store(quorum.count.max(1), Relaxed);
        // Millionths, so the share is kept in an atomic; the bounds (0–1) are the config's.
        let ppm = (quorum.share.unwrap_or(0.0).clamp(0.0, 1.0) * 1e6).round() as u32;
        self.share_ppm.store(ppm, Relaxed);
    }

    /// Votes that open the breaker for the fleet as the store last counted it: `quorum`, or
    /// `quorum_share` of the live instances (rounded up) when that is more.
    pub fn votes_needed(&self) -> u32 {
        let instances = u64::from(self.instances.load(Relaxed));
        let share = (u64::from(self.share_ppm.load(Relaxed)) * instances).div_ceil(1_000_000);
        self.quorum
            .load(Relaxed)
            .max(u32::try_from(share).unwrap_or(u32::MAX))
    }

    /// Whether the breaker is open for the whole fleet: at least [`votes_needed`](Self::votes_needed)
    /// instances voted, as the store said within [`VOTE_TTL`].
    pub fn is_open(&self) -> bool {
        let fresh = self
            .heard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some_and(|at| at.elapsed() < VOTE_TTL);
        fresh && self.voters.load(Relaxed) >= self.votes_needed()
    }

    /// Instances that voted or not within [`VOTE_TTL`] when the store last answered.
    pub fn instances(&self) -> u32 {
        self.instances.load(Relaxed)
    }

    /// Instances whose breakers were open or half-open when the store last answered.
    pub fn voters(&self) -> u32 {
        self.voters.load(Relaxed)
    }

    /// How the breaker stands with the fleet and its store.
    ///
    /// ```no_run
    /// # fn run(api: connfx::HttpConnection) {
    /// use connfx::Connection;
    /// if let Some(fleet) = api.fleet_breaker() {
    ///     println!("{} calls turned away by the fleet", fleet.stats().rejected);
    /// }
    /// # }
    /// ```
    pub fn stats(&self) -> FleetBreakerStats {
        FleetBreakerStats {
            open: self.is_open(),
            voters: self.voters(),
            votes_needed: self.votes_needed(),
            instances: self.instances(),
            prober: self.prober.load(Relaxed),
            store_up: self.store.is_up(),
            round_trips: self.store.round_trips(),
            rejected: self.rejected.load(Relaxed),
        }
    }

    /// Whether a call must be turned away before this instance's own breaker is asked (and
    /// counts it when so): the fleet is open, and this instance's breaker is closed, or is not
    /// the one that probes.
    pub(crate) fn blocks(&self) -> bool {
        if !self.is_open() {
            return false;
        }
        let blocks = match self.local.state() {
            CircuitState::Closed => true,
            // An open breaker whose time is up turns half-open on this very call: either way
            // only the prober's breaker may decide for itself.
            CircuitState::HalfOpen | CircuitState::Open => !self.prober.load(Relaxed),
        };
        if blocks {
            self.rejected.fetch_add(1, Relaxed);
        }
        blocks
    }

    /// Tells the local breaker's listeners that the fleet opened or closed.
    fn changed(&self, open: bool) {
        let voters = self.voters();
        if open {
            tracing::warn!(
                key = self.store.key(),
                voters,
                "the circuit is open for the whole fleet"
            );
        } else {
            tracing::info!(
                key = self.store.key(),
                voters,
                "the circuit is no longer open for the whole fleet"
            );
        }
        let inner = &self.local.inner;
        inner.extras().listeners.emit(&super::CircuitEvent {
            name: inner.name().cloned(),
            kind: super::EventKind::FleetChanged { open, voters },
        });
    }

    /// Binds the breaker to its store for the connection `name`; the first binding starts the
    /// votes on the current tokio runtime, a later one only changes the store.
    pub(crate) fn bind(self: &Arc<Self>, name: &str, store: RedisConnection) {
        if self
            .store
            .bind(|| format!("{{connfx:circuit_breaker:{name}}}"), store)
        {
            store::spawn(name, "breaker", votes(Arc::downgrade(self)));
        }
    }
}

impl std::fmt::Debug for FleetBreaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FleetBreaker")
            .field("store", &self.store_name)
            .field("votes_needed", &self.votes_needed())
            .field("voters", &self.voters())
            .field("open", &self.is_open())
            .finish()
    }
}

/// Votes every [`VOTE_EVERY`] while the breaker lives and its store is open.
async fn votes(fleet: Weak<FleetBreaker>) {
    let script = redis::Script::new(SCRIPT);
    let mut every = tokio::time::interval(VOTE_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut was_open = false;
    loop {
        every.tick().await;
        let Some(fleet) = fleet.upgrade() else {
            return;
        };
        let store = &fleet.store;
        if store.is_closed() {
            store.answered(false);
            return;
        }
        let voting = fleet.local.state() != CircuitState::Closed;
        let mut call = script.key(format!("{}:votes", store.key()));
        call.key(format!("{}:instances", store.key()))
            .arg(&fleet.instance)
            .arg(u8::from(voting))
            .arg(u64::try_from(VOTE_TTL.as_millis()).unwrap_or(u64::MAX));
        match store.invoke::<(u32, String, u32)>(&call, VOTE_EVERY).await {
            Ok((voters, first, instances)) => {
                store.answered(true);
                fleet.voters.store(voters, Relaxed);
                fleet.instances.store(instances, Relaxed);
                fleet.prober.store(first == fleet.instance, Relaxed);
                *fleet
                    .heard
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now());
            }
            Err(error) => {
                if store.answered(false) {
                    tracing::warn!(key = store.key(), %error, "a fleet breaker cannot vote: after 1 s each instance's breaker decides alone");
                }
            }
        }
        let open = fleet.is_open();
        if open != was_open {
            fleet.changed(open);
            was_open = open;
        }
    }
}
