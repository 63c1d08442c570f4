//! `hosts`: settings of single hosts of a `per_host` connection, and their checks.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::{Deserialize, Deserializer, Serialize};

use super::HttpConfig;
use crate::config::group::{Problem, Unset, Value, problems_at};
use crate::config::shape::join;
use crate::resilience::stack::{ByHost, HostPattern, HostPolicyConfig};
use crate::{CallTimeoutConfig, CircuitBreakerConfig, Headers, RateLimitConfig};

/// `hosts`: the settings of single hosts, keyed by `host` (every port of it) or `host:port`
/// (that port only, which wins over the bare host). Keys are matched case-insensitively.
pub type HostTable = BTreeMap<String, HostConfig>;

/// The settings of one host of a `per_host` connection (`[api.hosts."api.example"]`).
///
/// A group set here replaces the connection's for calls to this host: the keys it leaves unset
/// take the group's defaults, not the connection's, and `enabled = false` switches the policy
/// off for this host. Groups left unset are the connection's. `headers` are added to requests to
/// this host, over the connection's headers of the same name; the connection's credentials
/// still go only to its base URL's origin.
///
/// ```
/// let c: connfx::HttpConfig = serde_json::from_value(serde_json::json!({
///     "url": "https://api.example", "per_host": true,
///     "hosts": { "api.deepseek.example": {
///         "headers": { "anthropic-version": "2024-01-01" },
///         "circuit_breaker": { "failure_threshold": 5, "reset_timeout": "30s" },
///         "timeout": "60s"
///     } }
/// })).unwrap();
/// let host = &c.hosts["api.deepseek.example"];
/// assert_eq!(host.timeout.as_ref().unwrap().total, std::time::Duration::from_secs(60));
/// assert!(host.rate_limit.is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct HostConfig {
    /// Headers sent with requests to this host, over the connection's headers of the same name.
    #[serde(skip_serializing_if = "crate::config::group::Unset::is_unset")]
    pub headers: Headers,
    /// Replaces the connection's `timeout` for this host (`"60s"` sets `total`). Its `connect`
    /// is the connection's: one client opens every host's connections.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "timeout_or_total"
    )]
    #[schemars(schema_with = "timeout_schema")]
    pub timeout: Option<CallTimeoutConfig>,
    /// Replaces the connection's rate limit for this host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimitConfig>,
    /// Replaces the connection's circuit breaker for this host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub circuit_breaker: Option<CircuitBreakerConfig>,
}

/// `hosts`, each host read on its own, so a value of the wrong type is reported at its host's
/// path (`` `hosts."api.example"`: invalid type … ``), which the loader reads as the key at fault.
/// The message shows no text of the value (see [`unquoted`]).
pub(super) fn table<'de, D: Deserializer<'de>>(deserializer: D) -> Result<HostTable, D::Error> {
    use serde::de::Error;
    let raw = BTreeMap::<String, serde_json::Value>::deserialize(deserializer)?;
    let host = |(key, value): (String, serde_json::Value)| match HostConfig::deserialize(value) {
        Ok(host) => Ok((key, host)),
        Err(e) => Err(D::Error::custom(format!(
            "`hosts.\"{key}\"`: {}",
            unquoted(&e.to_string())
        ))),
    };
    raw.into_iter().map(host).collect()
}

/// `message` with the text of every string it quotes left out (`invalid type: string "…"`).
/// The loader checks a connection's own keys before serde reads them, so serde's messages,
/// which quote what they found, never reach the user; a host's table is read by serde alone.
/// Its values may be credentials: a header's, or a token written under `hosts` where `headers`
/// was meant (`[api.hosts] Authorization = "Bearer …"`, which the fuzzer found shown whole).
fn unquoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find('"') {
        out.push_str(&rest[..open]);
        out.push_str("\"…\"");
        let quoted = &rest[open + 1..];
        // The closing quote is the first one not escaped (serde quotes with `Debug`); with none,
        // the rest is left out.
        let mut close = quoted.len();
        let mut escaped = false;
        for (at, c) in quoted.char_indices() {
            match c {
                '"' if !escaped => {
                    close = at + 1;
                    break;
                }
                '\\' => escaped = !escaped,
                _ => escaped = false,
            }
        }
        rest = quoted.get(close..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// A host's `timeout`: the group, or its total alone (`"60s"`), as on the connection.
fn timeout_or_total<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<CallTimeoutConfig>, D::Error> {
    use serde::de::Error;
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(total) => {
            let total: Duration = connfx_spec::check::duration(&total).map_err(D::Error::custom)?;
            Ok(Some(CallTimeoutConfig {
                total,
                ..CallTimeoutConfig::default()
            }))
        }
        group => CallTimeoutConfig::deserialize(group)
            .map(Some)
            .map_err(D::Error::custom),
    }
}

/// The schema of a host's `timeout`: the group or a duration.
fn timeout_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let group = generator.subschema_for::<CallTimeoutConfig>();
    let total = generator.subschema_for::<crate::HumanDuration>();
    schemars::json_schema!({ "anyOf": [group, total, { "type": "null" }] })
}

impl Unset for HostTable {
    fn is_unset(&self) -> bool {
        self.is_empty()
    }
}

impl crate::config::group::AsValue for HostTable {
    fn as_value(&self) -> Value<'_> {
        match self.is_empty() {
            true => Value::Unset,
            false => Value::Set,
        }
    }
}

/// Every problem of `hosts`, each at its path (`hosts."api.example".rate_limit.requests`): set
/// without `per_host`, a key that is no host, two keys of one host, a header that cannot be
/// sent, and each group's own bounds and rules.
pub(super) fn check(config: &HttpConfig) -> Vec<Problem> {
    let mut problems = Vec::new();
    if !config.hosts.is_empty() && !config.per_host {
        let message = "`hosts` sets single hosts of a connection that calls several: set `per_host = true`, or remove `hosts`";
        problems.push(Problem::at("hosts", message));
    }
    let mut seen: Vec<HostPattern> = Vec::new();
    for (key, host) in &config.hosts {
        let path = format!("hosts.\"{key}\"");
        match HostPattern::parse(key) {
            Ok(pattern) if seen.contains(&pattern) => problems.push(Problem::at(
                &path,
                format!("`hosts` key `\"{key}\"` names a host another key names already"),
            )),
            Ok(pattern) => seen.push(pattern),
            Err(message) => problems.push(Problem::at(&path, message)),
        }
        if let Err(message) = headers(host) {
            problems.push(Problem::at(join(&path, "headers"), message));
        }
        if host.timeout.as_ref().is_some_and(|t| t.connect.is_some()) {
            let message = "`connect` of a host's `timeout` is not taken: one client opens every host's connections, set `timeout.connect` on the connection";
            problems.push(Problem::at(join(&path, "timeout.connect"), message));
        }
        problems.extend(problems_at(&join(&path, "timeout"), host.timeout.as_ref()));
        problems.extend(problems_at(&join(&path, "rate_limit"), host.rate_limit.as_ref()));
        problems.extend(problems_at(
            &join(&path, "circuit_breaker"),
            host.circuit_breaker.as_ref(),
        ));
        problems.extend(super::client::fleet_problems(
            &path,
            config.per_host,
            host.rate_limit.as_ref(),
            host.circuit_breaker.as_ref(),
        ));
    }
    problems
}

/// A host's `headers` as sent, each marked sensitive when its name suggests a credential.
///
/// # Errors
/// The first header that cannot be sent, named, its value never shown.
pub(super) fn headers(host: &HostConfig) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::with_capacity(host.headers.0.len());
    for (name, value) in &host.headers.0 {
        let (name, value) = crate::protocol::header::parse(name, value, Headers::is_sensitive(name))?;
        map.insert(name, value);
    }
    Ok(map)
}

/// What a call to one host adds to its request.
#[derive(Clone, Debug)]
pub(super) struct HostRequest {
    /// The host's `headers`, over the connection's.
    pub(super) headers: HeaderMap,
    /// The host's `timeout.total`, when it sets `timeout`: the request's own limit in reqwest,
    /// in place of the client's (the connection's `per_attempt`), which would otherwise cut a
    /// longer try short; the stack's bound still ends each try at the host's limits.
    pub(super) timeout: Option<Duration>,
}

/// What calls to each host add to their requests, found by the host of a call; hosts that add
/// nothing are left out.
pub(super) fn request_table(config: &HttpConfig) -> ByHost<HostRequest> {
    let request = |host: &HostConfig| {
        let timeout = host.timeout.as_ref().map(|t| t.total);
        let adds = !host.headers.is_empty() || timeout.is_some();
        adds.then(|| headers(host).ok().map(|headers| HostRequest { headers, timeout }))
            .flatten()
    };
    config
        .hosts
        .iter()
        .filter_map(|(key, host)| Some((HostPattern::parse(key).ok()?, request(host)?)))
        .collect()
}

impl HttpConfig {
    /// Each host's policy groups, as the policy stack reads them (keys that are no host were
    /// refused by [`check`] before).
    pub(crate) fn host_policies(&self) -> Vec<(HostPattern, HostPolicyConfig<'_>)> {
        self.hosts
            .iter()
            .filter_map(|(key, host)| Some((HostPattern::parse(key).ok()?, host.policies())))
            .collect()
    }
}

impl HostConfig {
    /// Its policy groups, as the policy stack reads them.
    fn policies(&self) -> HostPolicyConfig<'_> {
        HostPolicyConfig {
            rate_limit: self.rate_limit.as_ref(),
            circuit_breaker: self.circuit_breaker.as_ref(),
            timeout: self.timeout.as_ref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_quoted_text_is_left_in_a_message() {
        let found = r#"invalid type: string "Bearer t0k\"en", expected struct HostConfig"#;
        assert_eq!(
            unquoted(found),
            r#"invalid type: string "…", expected struct HostConfig"#
        );
        assert_eq!(unquoted(r#"a "b" c "d"#), r#"a "…" c "…""#);
        assert_eq!(
            unquoted("unknown field `x`, expected `headers`"),
            "unknown field `x`, expected `headers`"
        );
    }

    #[test]
    fn a_token_where_a_host_belongs_is_not_shown() {
        let value = serde_json::json!({ "Authorization": "Bearer s3cret" });
        let message = table(value).expect_err("a string is no host").to_string();
        assert!(!message.contains("s3cret"), "{message}");
        assert!(
            message.starts_with("`hosts.\"Authorization\"`: invalid type: string"),
            "{message}"
        );
    }
}
