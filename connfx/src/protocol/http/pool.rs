//! `pool(...)` of an HTTP connection: the idle connections reqwest keeps for reuse.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use validator::Validate;

/// `pool(...)` of an [`HttpConnection`](super::HttpConnection): the keys of
/// [`PoolConfig`](crate::PoolConfig), with HTTP's own meaning and defaults.
///
/// reqwest opens as many connections as there are requests in flight; the pool only decides
/// how many of them stay open once idle. Unset `max_size` keeps them all until `idle_timeout`,
/// as a default `reqwest::Client` does: a cap below the number of requests in flight closes
/// and reopens connections on every burst (32 in flight with a cap of 10 ran at 40 % of a
/// default client's throughput; see `BENCHMARKS.md`, session 6).
///
/// ```
/// let p = connfx::HttpPoolConfig::default();
/// assert_eq!(p.max_size, None);
/// assert_eq!(p.idle_timeout, std::time::Duration::from_secs(90));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct HttpPoolConfig {
    /// Idle connections kept per host; unset keeps every one until `idle_timeout` (reqwest's
    /// default), so no burst closes and reopens connections.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_size: Option<u32>,
    /// No effect on HTTP: reqwest opens connections on demand (a warning is logged when set).
    pub min_idle: u32,
    /// No effect on HTTP (a warning is logged when set).
    #[serde(with = "humantime_serde", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::HumanDuration>")]
    pub max_lifetime: Option<Duration>,
    /// An idle connection is closed after this long.
    #[serde(with = "humantime_serde")]
    #[schemars(with = "crate::HumanDuration")]
    pub idle_timeout: Duration,
    /// No effect on HTTP: a request never waits for a pooled connection, it opens one
    /// (a warning is logged when set).
    #[serde(with = "humantime_serde", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::HumanDuration>")]
    pub acquire_timeout: Option<Duration>,
}

impl Default for HttpPoolConfig {
    fn default() -> Self {
        HttpPoolConfig {
            max_size: None,
            min_idle: 0,
            max_lifetime: None,
            idle_timeout: Duration::from_secs(90),
            acquire_timeout: None,
        }
    }
}

impl HttpPoolConfig {
    /// The keys that are set but have no HTTP meaning, to warn about.
    pub(super) fn ignored_keys(&self) -> impl Iterator<Item = &'static str> {
        [
            ("pool.min_idle", self.min_idle > 0),
            ("pool.max_lifetime", self.max_lifetime.is_some()),
            ("pool.acquire_timeout", self.acquire_timeout.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, set)| set.then_some(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_pool_keeps_http_defaults() {
        let p: HttpPoolConfig = serde_json::from_str(r#"{"idle_timeout": "30s"}"#).expect("valid");
        assert_eq!(p.max_size, None);
        assert_eq!(p.idle_timeout, Duration::from_secs(30));
        assert_eq!(p.ignored_keys().count(), 0);
    }

    #[test]
    fn keys_without_http_meaning_are_named() {
        let p: HttpPoolConfig =
            serde_json::from_str(r#"{"max_size": 4, "min_idle": 1, "acquire_timeout": "1s"}"#)
                .expect("valid");
        assert_eq!(p.max_size, Some(4));
        let ignored: Vec<_> = p.ignored_keys().collect();
        assert_eq!(ignored, ["pool.min_idle", "pool.acquire_timeout"]);
    }

    #[test]
    fn the_sql_pool_default_is_untouched() {
        assert_eq!(crate::PoolConfig::default().max_size, 10);
    }
}
