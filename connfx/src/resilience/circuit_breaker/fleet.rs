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
use std::sync::atomic::AtomicU32;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::time::Instant;

use super::{CircuitBreaker, CircuitState};
use crate::RedisConnection;

/// How often an instance votes and learns the fleet's state.
pub const VOTE_EVERY: Duration = Duration::from_millis(250);

/// How long a vote (and what the store last said) counts without being refreshed.
pub const VOTE_TTL: Duration = Duration::from_millis(1000);

/// Votes (`ARGV[2]` = 1) or withdraws this instance's vote, drops lapsed votes, and answers the
/// number of voters and the first voter's name.
const SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
if ARGV[2] == '1' then
  redis.call('ZADD', KEYS[1], now, ARGV[1])
else
  redis.call('ZREM', KEYS[1], ARGV[1])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
redis.call('PEXPIRE', KEYS[1], ttl * 2)
local voters = redis.call('ZRANGE', KEYS[1], 0, -1)
local first = ''
for _, name in ipairs(voters) do
  if first == '' or name < first then first = name end
end
return {#voters, first}
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
    /// This instance's own breaker, whose state is its vote.
    local: CircuitBreaker,
    bound: OnceLock<Bound>,
    /// What the store last said: voters, and whether this instance is the one that probes.
    voters: AtomicU32,
    prober: AtomicBool,
    /// When the store last answered (so a lapsed answer counts for nothing).
    heard: std::sync::Mutex<Option<Instant>>,
}

struct Bound {
    key: String,
    store: ArcSwap<RedisConnection>,
}

impl FleetBreaker {
    /// The fleet half of `local`, a breaker of the connection `name`, kept in the Redis
    /// connection `store` (bound later: [`bind`](FleetBreaker::bind)).
    pub(crate) fn new(local: CircuitBreaker, store: &str, quorum: u32) -> FleetBreaker {
        FleetBreaker {
            store_name: store.to_owned(),
            instance: crate::resilience::rate_limit::instance_id(),
            quorum: AtomicU32::new(quorum.max(1)),
            local,
            bound: OnceLock::new(),
            voters: AtomicU32::new(0),
            prober: AtomicBool::new(false),
            heard: std::sync::Mutex::new(None),
        }
    }

    /// Whether this is the fleet half of `breaker`.
    pub(crate) fn guards(&self, breaker: &CircuitBreaker) -> bool {
        Arc::ptr_eq(&self.local.inner, &breaker.inner)
    }

    pub(crate) fn store_name(&self) -> &str {
        &self.store_name
    }

    pub(crate) fn set_quorum(&self, quorum: u32) {
        self.quorum.store(quorum.max(1), Relaxed);
    }

    /// Whether the breaker is open for the whole fleet: at least `quorum` instances voted, as
    /// the store said within [`VOTE_TTL`].
    pub fn is_open(&self) -> bool {
        let fresh = self
            .heard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some_and(|at| at.elapsed() < VOTE_TTL);
        fresh && self.voters.load(Relaxed) >= self.quorum.load(Relaxed)
    }

    /// Instances whose breakers were open or half-open when the store last answered.
    pub fn voters(&self) -> u32 {
        self.voters.load(Relaxed)
    }

    /// Whether a call must be turned away before this instance's own breaker is asked: the fleet
    /// is open, and this instance's breaker is closed, or is not the one that probes.
    pub(crate) fn blocks(&self) -> bool {
        if !self.is_open() {
            return false;
        }
        match self.local.state() {
            CircuitState::Closed => true,
            // An open breaker whose time is up turns half-open on this very call: either way
            // only the prober's breaker may decide for itself.
            CircuitState::HalfOpen | CircuitState::Open => !self.prober.load(Relaxed),
        }
    }

    /// Binds the breaker to its store for the connection `name`; the first binding starts the
    /// votes on the current tokio runtime, a later one only changes the store.
    pub(crate) fn bind(self: &Arc<Self>, name: &str, store: RedisConnection) {
        if let Some(bound) = self.bound.get() {
            bound.store.store(Arc::new(store));
            return;
        }
        let bound = Bound {
            key: format!("{{connfx:circuit_breaker:{name}}}:votes"),
            store: ArcSwap::from_pointee(store),
        };
        if self.bound.set(bound).is_ok() {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    runtime.spawn(votes(Arc::downgrade(self)));
                }
                Err(_) => tracing::warn!(
                    connection = name,
                    "a fleet breaker was bound outside a tokio runtime: it stays local"
                ),
            }
        }
    }
}

impl std::fmt::Debug for FleetBreaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FleetBreaker")
            .field("store", &self.store_name)
            .field("quorum", &self.quorum.load(Relaxed))
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
        let Some(bound) = fleet.bound.get() else {
            return;
        };
        let store = bound.store.load_full();
        if store.is_closed() {
            return;
        }
        let voting = fleet.local.state() != CircuitState::Closed;
        let mut call = script.key(&bound.key);
        call.arg(&fleet.instance)
            .arg(u8::from(voting))
            .arg(u64::try_from(VOTE_TTL.as_millis()).unwrap_or(u64::MAX));
        let timeout = store.config().timeout.per_attempt.unwrap_or(VOTE_EVERY);
        let answer = match store.manager() {
            Ok(mut manager) => {
                tokio::time::timeout(timeout, call.invoke_async::<(u32, String)>(&mut manager))
                    .await
                    .map_err(|_| format!("no answer within {timeout:?}"))
                    .and_then(|answer| answer.map_err(|e| e.to_string()))
            }
            Err(e) => Err(e.to_string()),
        };
        match answer {
            Ok((voters, first)) => {
                fleet.voters.store(voters, Relaxed);
                fleet.prober.store(first == fleet.instance, Relaxed);
                *fleet
                    .heard
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now());
            }
            Err(error) => tracing::debug!(key = %bound.key, %error, "a fleet breaker could not vote"),
        }
        let open = fleet.is_open();
        if open != was_open {
            let voters = fleet.voters();
            if open {
                tracing::warn!(key = %bound.key, voters, "the circuit is open for the whole fleet");
            } else {
                tracing::info!(key = %bound.key, voters, "the circuit is no longer open for the whole fleet");
            }
            was_open = open;
        }
    }
}
