//! The live policies of one connection, built from its config at connect. A `per_host`
//! connection keeps its circuit breaker and rate limit per `host:port` (a webhook sender's
//! slow receiver must not open the breaker for every other receiver); the retry policy, its
//! budget and the bulkhead stay per connection.

use std::borrow::Cow;
use std::sync::Arc;

use url::Url;

use super::{HttpConfig, target};
use crate::resilience::circuit_breaker::CircuitBreaker;
use crate::resilience::rate_limit::RateLimited;
use crate::resilience::{Bulkhead, CircuitBreakerGroup, KeyedRateLimit, RateLimit, Retry};

#[derive(Clone, Debug)]
pub(super) struct Policies {
    pub(super) rate_limit: Option<Scoped<RateLimit, KeyedRateLimit<String>>>,
    pub(super) bulkhead: Option<Bulkhead>,
    pub(super) retry: Option<Retry>,
    pub(super) breaker: Option<Scoped<CircuitBreaker, Arc<CircuitBreakerGroup>>>,
}

/// One policy for every call of the connection, or one per host.
#[derive(Clone, Debug)]
pub(super) enum Scoped<One, PerHost> {
    Connection(One),
    PerHost(PerHost),
}

impl<One, PerHost> Scoped<One, PerHost> {
    fn new(per_host: bool, one: impl FnOnce() -> One, each: impl FnOnce() -> PerHost) -> Self {
        if per_host {
            Scoped::PerHost(each())
        } else {
            Scoped::Connection(one())
        }
    }

    pub(super) fn one(&self) -> Option<&One> {
        match self {
            Scoped::Connection(one) => Some(one),
            Scoped::PerHost(_) => None,
        }
    }

    pub(super) fn per_host(&self) -> Option<&PerHost> {
        match self {
            Scoped::Connection(_) => None,
            Scoped::PerHost(each) => Some(each),
        }
    }
}

impl Policies {
    /// Counts retries and breaker transitions in `telemetry`, and offers the breaker's gauge.
    pub(super) fn watch(&self, telemetry: &crate::telemetry::Telemetry) {
        use crate::telemetry::policies::{Breaker, watch};
        let breaker = self.breaker.as_ref().map(|b| match b {
            Scoped::Connection(one) => Breaker::One(one),
            Scoped::PerHost(group) => Breaker::PerHost(group),
        });
        watch(telemetry, self.retry.as_ref(), breaker);
    }

    pub(super) fn new(name: &str, config: &HttpConfig) -> Self {
        let per_host = config.per_host;
        let rate_limit = config.rate_limit.clone().map(|c| {
            Scoped::new(
                per_host,
                || RateLimit::new(c.clone()),
                || KeyedRateLimit::new(c.clone()),
            )
        });
        let breaker = config.circuit_breaker.clone().map(|c| {
            Scoped::new(
                per_host,
                || CircuitBreaker::builder(c.clone()).name(name).build(),
                || Arc::new(CircuitBreakerGroup::new(c.clone())),
            )
        });
        Policies {
            rate_limit,
            bulkhead: config.bulkhead.clone().map(Bulkhead::new),
            retry: config.retry.clone().map(Retry::new),
            breaker,
        }
    }
}

impl Scoped<RateLimit, KeyedRateLimit<String>> {
    /// Takes a permit for a call to `url`, waiting as the mode allows.
    pub(super) async fn acquire(&self, url: &Url) -> Result<(), RateLimited> {
        match self {
            Scoped::Connection(limit) => limit.acquire().await,
            Scoped::PerHost(limits) => limits.acquire(&target::host_key(url)).await,
        }
    }
}

impl Scoped<CircuitBreaker, Arc<CircuitBreakerGroup>> {
    /// The breaker that guards calls to `url` (a host's breaker is made on its first call).
    pub(super) fn for_url(&self, url: &Url) -> Cow<'_, CircuitBreaker> {
        match self {
            Scoped::Connection(breaker) => Cow::Borrowed(breaker),
            Scoped::PerHost(group) => Cow::Owned(group.get(&target::host_key(url))),
        }
    }
}
