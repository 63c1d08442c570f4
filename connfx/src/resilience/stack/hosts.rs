//! The policies of single hosts of a `per_host` connection (HTTP's `hosts."api.example"`): a
//! host's own rate limit, circuit breaker or timeout in place of the connection's, for calls to
//! that host only.
//!
//! A host's own breaker and limit are kept per `host:port` like every other host's, within the
//! connection's bounds (`max_hosts`, `host_idle`): one dropped for being idle starts afresh on
//! its next call, under its host's policy again.

use std::sync::Arc;
use std::time::Duration;

use super::policies::{Policies, Scoped};
use crate::CallTimeoutConfig;
use crate::config::group::switched_on;
use crate::resilience::circuit_breaker::CircuitBreaker;
use crate::resilience::recent::Bounds;
use crate::resilience::{
    CircuitBreakerConfig, CircuitBreakerGroup, InvalidConfig, KeyedRateLimit, RateLimit, RateLimitConfig,
};

/// Which calls a host's settings apply to: every port of a host (`api.example`), or one port
/// (`api.example:8443`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HostPattern {
    /// The host as a URL names it: lower case, IPv6 in brackets.
    host: String,
    port: Option<u16>,
}

impl HostPattern {
    /// Reads a `hosts` key: `host` or `host:port`, no scheme, path or whitespace.
    ///
    /// # Errors
    /// What is wrong with the key, naming it (a host name holds no secret).
    pub(crate) fn parse(key: &str) -> Result<HostPattern, String> {
        let bad = |why: &str| {
            Err(format!(
                "`hosts` key `\"{key}\"` {why}; write a host (`api.example`) or a host and port (`api.example:8443`)"
            ))
        };
        if key.is_empty() {
            return bad("is empty");
        }
        if key.contains("://") {
            return bad("names a scheme");
        }
        if key.contains('/') || key.chars().any(char::is_whitespace) {
            return bad("holds a `/` or whitespace");
        }
        let (host, port) = match split_port(key) {
            Some((host, port)) => match port.parse::<u16>() {
                Ok(port) if port > 0 => (host, Some(port)),
                _ => return bad("has no valid port after `:`"),
            },
            None => (key, None),
        };
        match url::Host::parse(host) {
            Ok(host) => Ok(HostPattern {
                host: host.to_string(),
                port,
            }),
            Err(_) => bad("is not a host name or address"),
        }
    }

    /// How well this pattern matches `host` on `port`: `Some(true)` for its own port,
    /// `Some(false)` for every port of the host, `None` for no match.
    fn matches(&self, host: &str, port: Option<u16>) -> Option<bool> {
        if !self.host.eq_ignore_ascii_case(host) {
            return None;
        }
        match self.port {
            None => Some(false),
            Some(own) => (Some(own) == port).then_some(true),
        }
    }
}

/// `host` and the text after its last `:` (an IPv6 address's own colons are inside brackets).
fn split_port(key: &str) -> Option<(&str, &str)> {
    let (host, port) = key.rsplit_once(':')?;
    let bracketed = host.starts_with('[') && host.ends_with(']');
    (bracketed || !host.contains(':') && !host.starts_with('[')).then_some((host, port))
}

/// Settings of single hosts, each found by its [`HostPattern`]: a call's `host:port` takes the
/// entry of its own port over the entry of its host.
#[derive(Clone, Debug)]
pub(crate) struct ByHost<T>(Vec<(HostPattern, T)>);

impl<T> Default for ByHost<T> {
    fn default() -> Self {
        ByHost(Vec::new())
    }
}

impl<T> FromIterator<(HostPattern, T)> for ByHost<T> {
    fn from_iter<I: IntoIterator<Item = (HostPattern, T)>>(iter: I) -> Self {
        ByHost(iter.into_iter().collect())
    }
}

impl<T> ByHost<T> {
    /// The entry for a call to `host_key` (`host:port`, as per-host policies key their state).
    pub(crate) fn find(&self, host_key: &str) -> Option<&T> {
        if self.0.is_empty() {
            return None;
        }
        let (host, port) = match split_port(host_key) {
            Some((host, port)) => (host, port.parse().ok()),
            None => (host_key, None),
        };
        let mut whole_host = None;
        for (pattern, value) in &self.0 {
            match pattern.matches(host, port) {
                Some(true) => return Some(value),
                Some(false) => whole_host = Some(value),
                None => {}
            }
        }
        whole_host
    }

    /// The entry written for exactly `pattern`.
    fn get(&self, pattern: &HostPattern) -> Option<&T> {
        self.0.iter().find(|(p, _)| p == pattern).map(|(_, v)| v)
    }
}

/// The policy groups a host sets, as the stack reads them; a group left `None` is the
/// connection's.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HostPolicyConfig<'a> {
    pub(crate) rate_limit: Option<&'a RateLimitConfig>,
    pub(crate) circuit_breaker: Option<&'a CircuitBreakerConfig>,
    pub(crate) timeout: Option<&'a CallTimeoutConfig>,
}

/// What a host does with one policy.
#[derive(Clone, Debug)]
pub(crate) enum HostPolicy<T> {
    /// The connection's, as for any host.
    Connection,
    /// None (`enabled = false`).
    Off,
    /// Its own.
    Own(T),
}

impl<T> HostPolicy<T> {
    /// The policy that guards calls to the host, given the connection's.
    pub(super) fn or<'a>(&'a self, connection: Option<&'a T>) -> Option<&'a T> {
        match self {
            HostPolicy::Connection => connection,
            HostPolicy::Off => None,
            HostPolicy::Own(own) => Some(own),
        }
    }
}

/// A host's own policies.
#[derive(Clone, Debug)]
pub(crate) struct HostPolicies {
    pub(super) rate_limit: HostPolicy<Scoped<RateLimit, KeyedRateLimit<String>>>,
    pub(super) breaker: HostPolicy<Scoped<CircuitBreaker, Arc<CircuitBreakerGroup>>>,
    /// `timeout.per_attempt` and `timeout.total`, when the host sets `timeout`.
    pub(super) timeout: Option<(Option<Duration>, Duration)>,
}

impl Policies {
    /// Whether each host's groups make policies: what a reload asks before it changes anything.
    pub(crate) fn check_hosts(hosts: &[(HostPattern, HostPolicyConfig<'_>)]) -> Result<(), InvalidConfig> {
        for (_, host) in hosts {
            host.rate_limit.map(InvalidConfig::check).transpose()?;
            host.circuit_breaker.map(InvalidConfig::check).transpose()?;
        }
        Ok(())
    }

    /// These policies with `hosts`' own, kept within `bounds`. A host's breaker or limit that
    /// `previous` (the policies before a reload) had for the same key is changed in place and
    /// keeps its state, as the connection's are; any other starts fresh. New breakers' events
    /// are counted in `telemetry`.
    ///
    /// # Errors
    /// A host's group that makes no policy (see [`check_hosts`](Policies::check_hosts)).
    pub(crate) fn with_hosts(
        mut self,
        hosts: &[(HostPattern, HostPolicyConfig<'_>)],
        bounds: Bounds,
        previous: Option<&Policies>,
        telemetry: &crate::telemetry::Telemetry,
    ) -> Result<Policies, InvalidConfig> {
        Policies::check_hosts(hosts)?;
        let mut built = Vec::with_capacity(hosts.len());
        for (pattern, config) in hosts {
            let kept = previous.and_then(|p| p.hosts.get(pattern));
            let policies = HostPolicies {
                rate_limit: switched(config.rate_limit)
                    .map(|c| own_limit(c, kept.map(|k| &k.rate_limit), bounds))?,
                breaker: switched(config.circuit_breaker)
                    .map(|c| own_breaker(c, kept.map(|k| &k.breaker), bounds, telemetry))?,
                timeout: config.timeout.map(|t| (t.per_attempt, t.total)),
            };
            built.push((pattern.clone(), policies));
        }
        self.hosts = ByHost(built);
        Ok(self)
    }
}

/// The rate limit, breaker and timeouts that guard one call.
pub(super) struct ForHost<'a> {
    pub(super) rate_limit: Option<&'a Scoped<RateLimit, KeyedRateLimit<String>>>,
    pub(super) breaker: Option<&'a Scoped<CircuitBreaker, Arc<CircuitBreakerGroup>>>,
    pub(super) per_attempt: Option<Duration>,
    pub(super) total: Duration,
}

impl Policies {
    /// The policies of a call to `host` (`host:port`): those the host sets in place of the
    /// connection's, the connection's for the rest.
    pub(super) fn for_host(&self, host: Option<&String>) -> ForHost<'_> {
        let own = host.and_then(|host| self.hosts.find(host));
        let (per_attempt, total) = own
            .and_then(|own| own.timeout)
            .unwrap_or((self.per_attempt, self.total));
        ForHost {
            rate_limit: own.map_or(self.rate_limit.as_ref(), |own| {
                own.rate_limit.or(self.rate_limit.as_ref())
            }),
            breaker: own.map_or(self.breaker.as_ref(), |own| own.breaker.or(self.breaker.as_ref())),
            per_attempt,
            total,
        }
    }
}

/// A host's own rate limit of `config`: the one it had (`kept`), changed in place, or a new one.
fn own_limit(
    config: &RateLimitConfig,
    kept: Option<&HostPolicy<Scoped<RateLimit, KeyedRateLimit<String>>>>,
    bounds: Bounds,
) -> Result<Scoped<RateLimit, KeyedRateLimit<String>>, InvalidConfig> {
    let limits = match kept {
        Some(HostPolicy::Own(Scoped::PerHost(limits))) => {
            limits.reconfigure(config)?;
            limits.clone()
        }
        _ => KeyedRateLimit::new(config.clone()),
    };
    limits.set_bounds(bounds);
    Ok(Scoped::PerHost(limits))
}

/// A host's own circuit breakers of `config`: those it had (`kept`), changed in place, or new
/// ones whose transitions `telemetry` counts.
fn own_breaker(
    config: &CircuitBreakerConfig,
    kept: Option<&HostPolicy<Scoped<CircuitBreaker, Arc<CircuitBreakerGroup>>>>,
    bounds: Bounds,
    telemetry: &crate::telemetry::Telemetry,
) -> Result<Scoped<CircuitBreaker, Arc<CircuitBreakerGroup>>, InvalidConfig> {
    let group = match kept {
        Some(HostPolicy::Own(Scoped::PerHost(group))) => {
            group.reconfigure(config)?;
            Arc::clone(group)
        }
        _ => {
            let group = Arc::new(CircuitBreakerGroup::new(config.clone()));
            crate::telemetry::policies::forward_group_events(telemetry, &group);
            group
        }
    };
    group.set_bounds(bounds);
    Ok(Scoped::PerHost(group))
}

/// What a host's group says of its policy: `None` (the connection's), off, or on with this
/// config.
fn switched<T: crate::config::group::Switched>(group: Option<&T>) -> HostPolicy<&T> {
    match (group, switched_on(group)) {
        (None, _) => HostPolicy::Connection,
        (Some(_), None) => HostPolicy::Off,
        (Some(_), Some(on)) => HostPolicy::Own(on),
    }
}

impl<T> HostPolicy<T> {
    /// The host's own policy made from its config by `make`.
    fn map<U, E>(self, make: impl FnOnce(T) -> Result<U, E>) -> Result<HostPolicy<U>, E> {
        Ok(match self {
            HostPolicy::Connection => HostPolicy::Connection,
            HostPolicy::Off => HostPolicy::Off,
            HostPolicy::Own(own) => HostPolicy::Own(make(own)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(key: &str) -> HostPattern {
        HostPattern::parse(key).expect("a valid key")
    }

    #[test]
    fn a_port_wins_over_the_bare_host_and_case_does_not_matter() {
        let table: ByHost<u8> = [(pattern("API.example"), 1), (pattern("api.example:8443"), 2)]
            .into_iter()
            .collect();
        assert_eq!(table.find("api.example:443"), Some(&1));
        assert_eq!(table.find("api.example:8443"), Some(&2));
        assert_eq!(table.find("other.example:443"), None);
        let ipv6: ByHost<u8> = [(pattern("[::1]:80"), 3)].into_iter().collect();
        assert_eq!(ipv6.find("[::1]:80"), Some(&3));
        assert_eq!(ipv6.find("[::1]:81"), None);
    }

    #[test]
    fn bad_keys_are_refused() {
        for key in [
            "",
            "https://api.example",
            "api.example/v1",
            "api example",
            "api.example:x",
            "api.example:0",
            "a:b:c",
        ] {
            let message = HostPattern::parse(key).expect_err(key);
            assert!(message.starts_with("`hosts` key"), "{message}");
        }
    }
}
