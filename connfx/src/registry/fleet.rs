//! The registry's side of the fleet policies (`scope = "fleet"`, `budget_scope = "fleet"`): each
//! is bound to the Redis connection its store key names, and its store's health shows in the
//! connection's health and telemetry.

use std::sync::Arc;

use super::Registry;
use super::entry::Entry;
use crate::resilience::circuit_breaker::FleetBreaker;
use crate::resilience::store::Store;
use crate::telemetry::Telemetry;
use crate::{ConnectError, Health, HealthState, RateLimit, RedisConnection, RetryBudget};

/// One fleet policy of a connection.
enum Policy {
    RateLimit(RateLimit),
    Budget(Arc<RetryBudget>),
    Breaker(Arc<FleetBreaker>),
}

impl Policy {
    /// The fleet policies of `entry`.
    fn of(entry: &Entry) -> impl Iterator<Item = Policy> {
        let limit = entry.fleet_rate_limit().map(Policy::RateLimit);
        let budget = entry.fleet_budget().map(Policy::Budget);
        let breaker = entry.fleet_breaker().map(Policy::Breaker);
        [limit, budget, breaker].into_iter().flatten()
    }

    /// The key naming the store, as errors and health name it.
    fn store_key(&self) -> &'static str {
        match self {
            Policy::RateLimit(_) => "rate_limit.store",
            Policy::Budget(_) => "retry.budget_store",
            Policy::Breaker(_) => "circuit_breaker.store",
        }
    }

    /// The name of the Redis connection the store key names.
    fn store_name(&self) -> String {
        match self {
            Policy::RateLimit(limit) => limit.store_name().unwrap_or_default(),
            Policy::Budget(budget) => budget.store_name().unwrap_or_default().to_owned(),
            Policy::Breaker(breaker) => breaker.store_name().to_owned(),
        }
    }

    fn store(&self) -> Option<Arc<Store>> {
        match self {
            Policy::RateLimit(limit) => limit.fleet_store(),
            Policy::Budget(budget) => budget.fleet_store(),
            Policy::Breaker(breaker) => Some(Arc::clone(breaker.store())),
        }
    }

    fn bind(&self, name: &str, redis: RedisConnection) {
        match self {
            Policy::RateLimit(limit) => limit.bind_store(redis),
            Policy::Budget(budget) => budget.bind_store(name, redis),
            Policy::Breaker(breaker) => breaker.bind(name, redis),
        }
    }

    /// Offers the store's health (and the fleet breaker's state) as gauges of `telemetry`.
    fn offer_gauges(&self, telemetry: &Telemetry, store: &Arc<Store>) {
        let (gauge, description) = match self {
            Policy::RateLimit(_) => (
                "connfx.rate_limit.store.up",
                "Whether the fleet rate limit's Redis store answered its last round trip: 1 yes, 0 no",
            ),
            Policy::Budget(_) => (
                "connfx.retry_budget.store.up",
                "Whether the fleet retry budget's Redis store answered its last flush: 1 yes, 0 no",
            ),
            Policy::Breaker(_) => (
                "connfx.circuit_breaker.store.up",
                "Whether the quorum breaker's Redis store answered its last vote: 1 yes, 0 no",
            ),
        };
        telemetry.gauge_of(gauge, description, store, |store| i64::from(store.is_up()));
        if let Policy::Breaker(breaker) = self {
            telemetry.gauge_of(
                "connfx.circuit_breaker.fleet.state",
                "Quorum breaker state for the whole fleet: 0 closed, 2 open",
                breaker,
                |breaker| if breaker.is_open() { 2 } else { 0 },
            );
        }
    }
}

/// [`Registry::bind_stores`]: binds every fleet policy; the first binding of each also offers
/// its gauges.
pub(super) fn bind_stores(registry: &Registry) -> Result<(), ConnectError> {
    let mut errors = crate::error::ConnectErrors::default();
    for (name, entry) in registry.snapshot() {
        for policy in Policy::of(&entry) {
            let key = policy.store_key();
            match store_of(registry, &name, key, &policy.store_name()) {
                Ok(redis) => {
                    let store = policy.store();
                    let first = store.as_ref().is_some_and(|store| !store.is_bound());
                    policy.bind(&name, redis);
                    if let (true, Some(store), Some(telemetry)) = (first, &store, entry.telemetry()) {
                        policy.offer_gauges(telemetry, store);
                    }
                }
                Err(error) => drop(errors.check::<()>(Err(error))),
            }
        }
    }
    let error = errors.into_error();
    match error.failures().is_empty() {
        true => Ok(()),
        false => Err(error),
    }
}

/// The Redis connection `store` that the key `key` of the connection `name` names.
fn store_of(
    registry: &Registry,
    name: &str,
    key: &str,
    store: &str,
) -> Result<RedisConnection, ConnectError> {
    redis_named(registry, key, store).map_err(|message| ConnectError::new(name, format!("{key}: {message}")))
}

/// The Redis connection called `store`, or why the store key `key` cannot name it.
fn redis_named(registry: &Registry, key: &str, store: &str) -> Result<RedisConnection, String> {
    let found = registry.entry(store);
    found
        .as_ref()
        .and_then(Entry::downcast::<RedisConnection>)
        .ok_or_else(|| {
            let store_key = key.rsplit('.').next().unwrap_or(key);
            connfx_spec::message::store_not_redis(store_key, store, found.map(|e| e.protocol()))
        })
}

/// The fleet store keys of `settings` (a connection's config, as it serializes or as a file
/// nests it) that name no Redis connection, each as (key, problem); `protocol_of` gives the
/// protocol of the connection a name names, if any. A reload checks them before it applies
/// anything, so one that moves a policy to a store that is not there is refused rather than
/// left on its fallback.
pub(crate) fn unknown_stores<'a>(
    settings: &serde_json::Value,
    protocol_of: impl Fn(&str) -> Option<&'a str>,
) -> Vec<(String, String)> {
    const KEYS: [(&str, &str, &str); 3] = [
        ("rate_limit", "scope", "store"),
        ("retry", "budget_scope", "budget_store"),
        ("circuit_breaker", "scope", "store"),
    ];
    KEYS.iter()
        .filter_map(|&(group, scope, store_key)| {
            let settings = settings.get(group)?;
            if settings.get(scope)?.as_str()? != "fleet" {
                return None;
            }
            let store = settings.get(store_key)?.as_str()?;
            let found = protocol_of(store);
            (found != Some("redis")).then(|| {
                let problem = connfx_spec::message::store_not_redis(store_key, store, found);
                (format!("{group}.{store_key}"), problem)
            })
        })
        .collect()
}

/// `health` of `entry`, with each fleet policy whose store failed its last round trip named:
/// the connection still serves, on the policy's fallback, so a `ready` connection counts as
/// `live` (up, not at full service) and readiness holds.
pub(super) fn noted(entry: &Entry, mut health: Health) -> Health {
    let down: Vec<String> = Policy::of(entry)
        .filter(|policy| policy.store().is_some_and(|store| store.is_down()))
        .map(|policy| format!("{} `{}`", policy.store_key(), policy.store_name()))
        .collect();
    if down.is_empty() {
        return health;
    }
    health.message = format!(
        "{}; fleet store not answering ({}): on its fallback",
        health.message,
        down.join(", ")
    );
    if health.state == HealthState::Ready {
        health.state = HealthState::Live;
    }
    health
}
