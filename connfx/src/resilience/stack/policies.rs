//! The live policies of one connection, built from its config at connect. A `per_host`
//! connection keeps its circuit breaker and rate limit per `host:port` (a webhook sender's slow
//! receiver must not open the breaker for every other receiver); the retry policy, its budget
//! and the bulkhead stay per connection.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use super::hosts::{ByHost, HostPolicies};
use crate::resilience::circuit_breaker::CircuitBreaker;
use crate::resilience::rate_limit::RateLimited;
use crate::resilience::retry::{Classifier, RetryOn};
use crate::resilience::{
    Bulkhead, BulkheadConfig, CircuitBreakerConfig, CircuitBreakerGroup, InvalidConfig, KeyedRateLimit,
    RateLimit, RateLimitConfig, Retry, RetryConfig,
};

/// The policy groups of a connection's config, as the stack reads them.
#[derive(Clone, Copy)]
pub(crate) struct PolicyConfig<'a> {
    pub(crate) retry: Option<&'a RetryConfig>,
    pub(crate) circuit_breaker: Option<&'a CircuitBreakerConfig>,
    pub(crate) rate_limit: Option<&'a RateLimitConfig>,
    pub(crate) bulkhead: Option<&'a BulkheadConfig>,
    /// `timeout.per_attempt`.
    pub(crate) per_attempt: Option<Duration>,
    /// `timeout.total`, which every calling connection has.
    pub(crate) total: Duration,
    /// Breaker and rate limit per host, within these bounds (`max_hosts`, `host_idle`).
    pub(crate) per_host: Option<crate::resilience::recent::Bounds>,
    /// What `retry_on` means for this protocol when the config leaves it at its default.
    pub(crate) retry_on_default: Option<&'static str>,
}

/// The [`PolicyConfig`] of a calling protocol's config: each has the same five groups, declared
/// once in `connfx-spec` (`retry`, `circuit_breaker`, `rate_limit`, `bulkhead`, `timeout`); the
/// protocol says whether its policies are kept per host and what its `retry_on` default is. A
/// group switched off (`enabled = false`) is no policy at all.
macro_rules! policy_config {
    ($config:expr, per_host: $per_host:expr, retry_on_default: $default:expr) => {
        $crate::resilience::stack::PolicyConfig {
            retry: $crate::config::group::switched_on($config.retry.as_ref()),
            circuit_breaker: $crate::config::group::switched_on($config.circuit_breaker.as_ref()),
            rate_limit: $crate::config::group::switched_on($config.rate_limit.as_ref()),
            bulkhead: $crate::config::group::switched_on($config.bulkhead.as_ref()),
            per_attempt: $config.timeout.per_attempt,
            total: $config.timeout.total,
            per_host: $per_host,
            retry_on_default: $default,
        }
    };
}

pub(crate) use policy_config;

/// The live policies of one connection.
#[derive(Clone, Debug)]
pub(crate) struct Policies {
    pub(crate) rate_limit: Option<Scoped<RateLimit, KeyedRateLimit<String>>>,
    pub(crate) bulkhead: Option<Bulkhead>,
    pub(crate) retry: Option<Retry>,
    pub(crate) breaker: Option<Scoped<CircuitBreaker, Arc<CircuitBreakerGroup>>>,
    /// The quorum half of a `scope = "fleet"` breaker (see `circuit_breaker::FleetBreaker`).
    #[cfg(feature = "redis")]
    pub(crate) fleet_breaker: Option<Arc<crate::resilience::circuit_breaker::FleetBreaker>>,
    pub(super) per_attempt: Option<Duration>,
    pub(super) total: Duration,
    /// The policies of single hosts of a `per_host` connection (see `super::hosts`).
    pub(super) hosts: ByHost<HostPolicies>,
}

/// One policy for every call of the connection, or one per host.
#[derive(Clone, Debug)]
pub(crate) enum Scoped<One, PerHost> {
    Connection(One),
    PerHost(PerHost),
}

impl<One, PerHost> Scoped<One, PerHost> {
    fn new<B>(per_host: Option<B>, one: impl FnOnce() -> One, each: impl FnOnce(B) -> PerHost) -> Self {
        match per_host {
            Some(bounds) => Scoped::PerHost(each(bounds)),
            None => Scoped::Connection(one()),
        }
    }

    fn is_per_host(&self) -> bool {
        matches!(self, Scoped::PerHost(_))
    }

    pub(crate) fn one(&self) -> Option<&One> {
        match self {
            Scoped::Connection(one) => Some(one),
            Scoped::PerHost(_) => None,
        }
    }

    pub(crate) fn per_host(&self) -> Option<&PerHost> {
        match self {
            Scoped::Connection(_) => None,
            Scoped::PerHost(each) => Some(each),
        }
    }
}

impl Policies {
    /// The policies of `config`, for the connection called `name`.
    pub(crate) fn new(name: &str, config: PolicyConfig<'_>) -> Self {
        let per_host = config.per_host;
        let rate_limit = config.rate_limit.map(|c| {
            Scoped::new(
                per_host,
                || RateLimit::named(name, c.clone()),
                |bounds| {
                    let limits = KeyedRateLimit::new(c.clone());
                    limits.set_bounds(bounds);
                    limits
                },
            )
        });
        let breaker = config.circuit_breaker.map(|c| {
            Scoped::new(
                per_host,
                || CircuitBreaker::builder(c.clone()).name(name).build(),
                |bounds| {
                    let group = CircuitBreakerGroup::new(c.clone());
                    group.set_bounds(bounds);
                    Arc::new(group)
                },
            )
        });
        Policies {
            rate_limit,
            bulkhead: config.bulkhead.cloned().map(Bulkhead::new),
            retry: config.retry.map(|c| retry(c, config.retry_on_default)),
            #[cfg(feature = "redis")]
            fleet_breaker: fleet_breaker(None, config.circuit_breaker, breaker.as_ref()),
            breaker,
            per_attempt: config.per_attempt,
            total: config.total,
            hosts: ByHost::default(),
        }
    }

    /// Whether every group of `config` makes a policy: what a reload asks before it changes
    /// anything.
    pub(crate) fn check(config: PolicyConfig<'_>) -> Result<(), InvalidConfig> {
        config.retry.map(InvalidConfig::check).transpose()?;
        config.circuit_breaker.map(InvalidConfig::check).transpose()?;
        config.rate_limit.map(InvalidConfig::check).transpose()?;
        config.bulkhead.map(InvalidConfig::check).transpose()?;
        Ok(())
    }

    /// The policies of `config`, carrying on from these: how a reload changes a live connection.
    ///
    /// A breaker, rate limit or bulkhead on before and after is the same one, changed in place,
    /// so it keeps its state (an open breaker and its open deadline, a limit's tokens rescaled,
    /// calls in flight) and every handle and listener given out. The retry policy is rebuilt
    /// but keeps its counters, listeners and budget balance. A policy switched on starts fresh
    /// (watched in `telemetry` like one built at connect); one switched off is dropped. A change
    /// of `per_host` starts the breaker and rate limit afresh: state kept per host cannot become
    /// state kept per connection, or back; so does a rate limit moved between this instance and
    /// a fleet store (the reload then binds it to its store, see `Registry::bind_stores`).
    ///
    /// Every group is checked ([`Policies::check`]) before anything changes, so a refused
    /// config changes nothing.
    pub(crate) fn reconfigured(
        &self,
        name: &str,
        config: PolicyConfig<'_>,
        telemetry: &crate::telemetry::Telemetry,
    ) -> Result<Policies, InvalidConfig> {
        Policies::check(config)?;
        let per_host = config.per_host.is_some();
        let bounds = config.per_host.unwrap_or(crate::resilience::recent::Bounds::NONE);
        let fresh = Policies::new(name, config);
        let rate_limit = match (&self.rate_limit, config.rate_limit) {
            (Some(kept), Some(c))
                if kept.is_per_host() == per_host && kept.one().is_none_or(|l| l.is_kept_like(c)) =>
            {
                match kept {
                    Scoped::Connection(limit) => limit.reconfigure(c)?,
                    Scoped::PerHost(limits) => {
                        limits.reconfigure(c)?;
                        limits.set_bounds(bounds);
                    }
                }
                Some(kept.clone())
            }
            _ => fresh.rate_limit.clone(),
        };
        let (breaker, new_breaker) = match (&self.breaker, config.circuit_breaker) {
            (Some(kept), Some(c)) if kept.is_per_host() == per_host => {
                match kept {
                    Scoped::Connection(breaker) => breaker.reconfigure(c)?,
                    Scoped::PerHost(group) => {
                        group.reconfigure(c)?;
                        group.set_bounds(bounds);
                    }
                }
                (Some(kept.clone()), None)
            }
            _ => (fresh.breaker.clone(), fresh.breaker.clone()),
        };
        let bulkhead = match (&self.bulkhead, config.bulkhead) {
            (Some(kept), Some(c)) => {
                kept.reconfigure(c)?;
                Some(kept.clone())
            }
            _ => fresh.bulkhead.clone(),
        };
        let (retry, new_retry) = match (&self.retry, fresh.retry.clone()) {
            (Some(kept), Some(retry)) => (Some(retry.carrying_on(kept)), None),
            (_, retry) => (retry.clone(), retry),
        };
        let started = Policies {
            retry: new_retry,
            breaker: new_breaker,
            ..fresh
        };
        started.watch(telemetry);
        Ok(Policies {
            rate_limit,
            bulkhead,
            retry,
            #[cfg(feature = "redis")]
            fleet_breaker: fleet_breaker(
                self.fleet_breaker.as_ref(),
                config.circuit_breaker,
                breaker.as_ref(),
            ),
            breaker,
            per_attempt: started.per_attempt,
            total: started.total,
            // A protocol with `hosts` sets them on the result (`Policies::with_hosts`).
            hosts: ByHost::default(),
        })
    }

    /// [`reconfigured`](Self::reconfigured) as a reload applies it, after [`check`](Self::check)
    /// passed under the same reload turn: a refusal then is a bug, logged, and `None` keeps the
    /// connection as it was.
    pub(crate) fn carried_on(
        &self,
        name: &str,
        config: PolicyConfig<'_>,
        telemetry: &crate::telemetry::Telemetry,
    ) -> Option<Policies> {
        self.reconfigured(name, config, telemetry)
            .inspect_err(|err| tracing::error!(connection = name, %err, "reload refused after its checks"))
            .ok()
    }

    /// Counts retries and breaker transitions in `telemetry`, and offers the breaker's gauge.
    pub(crate) fn watch(&self, telemetry: &crate::telemetry::Telemetry) {
        use crate::telemetry::policies::{Breaker, watch};
        let breaker = self.breaker.as_ref().map(|b| match b {
            Scoped::Connection(one) => Breaker::One(one),
            Scoped::PerHost(group) => Breaker::PerHost(group),
        });
        watch(telemetry, self.retry.as_ref(), breaker);
    }
}

/// The quorum half of a `scope = "fleet"` breaker of `config`, guarding `breaker`: `previous`
/// carried on when it guards the same breaker in the same store (its quorum changed in place),
/// else a new one, which the registry binds to its store.
#[cfg(feature = "redis")]
fn fleet_breaker(
    previous: Option<&Arc<crate::resilience::circuit_breaker::FleetBreaker>>,
    config: Option<&CircuitBreakerConfig>,
    breaker: Option<&Scoped<CircuitBreaker, Arc<CircuitBreakerGroup>>>,
) -> Option<Arc<crate::resilience::circuit_breaker::FleetBreaker>> {
    use crate::resilience::circuit_breaker::{FleetBreaker, Quorum};
    let config = config.filter(|c| c.scope == crate::resilience::Scope::Fleet)?;
    let local = breaker?.one()?;
    let store = config.store.as_deref().unwrap_or_default();
    match previous {
        Some(kept) if kept.guards(local) && kept.store_name() == store => {
            kept.set_quorum(Quorum::of(config));
            Some(Arc::clone(kept))
        }
        _ => Some(Arc::new(FleetBreaker::new(
            local.clone(),
            store,
            Quorum::of(config),
        ))),
    }
}

/// The retry policy of `config`, with `retry_on` read the protocol's way when left at its default.
fn retry(config: &RetryConfig, protocol_default: Option<&'static str>) -> Retry {
    let retry_on = match (config.retry_on.as_str(), protocol_default) {
        (RetryOn::DEFAULT_TEXT, Some(default)) => default,
        (text, _) => text,
    };
    let classifier =
        Classifier::new(RetryOn::parse(retry_on).unwrap_or_default()).non_idempotent(config.non_idempotent);
    Retry::new(config.clone()).with_classifier(classifier)
}

impl Scoped<RateLimit, KeyedRateLimit<String>> {
    /// Takes a permit for a call (to `host`, for a per-host limit), waiting as the mode allows.
    pub(super) async fn acquire(&self, host: Option<&String>) -> Result<(), RateLimited> {
        match (self, host) {
            (Scoped::PerHost(limits), Some(host)) => limits.acquire(host).await,
            (Scoped::PerHost(limits), None) => limits.acquire(&String::new()).await,
            (Scoped::Connection(limit), _) => limit.acquire().await,
        }
    }
}

impl Scoped<CircuitBreaker, Arc<CircuitBreakerGroup>> {
    /// The breaker that guards calls (to `host`; a host's breaker is made on its first call).
    pub(super) fn for_host(&self, host: Option<&String>) -> Cow<'_, CircuitBreaker> {
        match self {
            Scoped::Connection(breaker) => Cow::Borrowed(breaker),
            Scoped::PerHost(group) => Cow::Owned(group.get(host.map_or("", String::as_str))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resilience::retry::{Outcome, RequestInfo};

    #[test]
    fn a_protocol_default_replaces_retry_on_only_when_it_is_left_at_its_default() {
        let sql = Some("connect,timeout,transport");
        let retry = retry(&RetryConfig::default(), sql);
        let idempotent = RequestInfo::new("SQL").idempotent(true);
        let plain = RequestInfo::new("SQL");
        assert!(retry.decide(&idempotent, &Outcome::Transport).is_retry());
        assert!(!retry.decide(&plain, &Outcome::Transport).is_retry());
        assert!(retry.decide(&plain, &Outcome::Connect).is_retry());
        let custom = RetryConfig {
            retry_on: "connect".to_owned(),
            ..Default::default()
        };
        assert!(
            !super::retry(&custom, sql)
                .decide(&idempotent, &Outcome::Transport)
                .is_retry()
        );
    }
}
