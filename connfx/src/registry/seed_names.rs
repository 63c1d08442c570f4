//! The property names of the seed services' `CONN_TARGETS_<NAME>_PROPERTIES_…` variables, mapped
//! onto connfx's keys, so a deployment written for them builds the same registry.
//!
//! | seed property | connfx key |
//! |---|---|
//! | `RETRY_STRATEGY_<KEY>` | `retry.<key>` (any retry key) |
//! | `RETRY_STRATEGY_MAX_RETRIES=n` | `retry.max_attempts = n + 1` (retries do not count the first try) |
//! | `RETRY_STRATEGY_INITIAL_DELAY`, `_INITIAL_BACKOFF` | `retry.initial_interval` |
//! | `RETRY_STRATEGY_MAX_DELAY`, `_MAX_BACKOFF` | `retry.max_interval` |
//! | `RETRY_STRATEGY_BACKOFF_MULTIPLIER`, `_FACTOR` | `retry.multiplier` |
//! | `RETRY_STRATEGY_TYPE`, `_STRATEGY` | `retry.backoff` |
//! | `CIRCUIT_BREAKER_MAX_FAILURES`, `_CONSECUTIVE_FAILURES` | `circuit_breaker.failure_threshold` |
//! | `CIRCUIT_BREAKER_TIMEOUT`, `_OPEN_TIMEOUT` | `circuit_breaker.reset_timeout` |
//! | `CIRCUIT_BREAKER_MAX_REQUESTS`, `_HALF_OPEN_REQUESTS` | `circuit_breaker.half_open_max_calls` |
//! | `CIRCUIT_BREAKER_SUCCESS_THRESHOLD` | `circuit_breaker.half_open_success_needed` |
//! | `CIRCUIT_BREAKER_FAILURE_RATIO` | `circuit_breaker.failure_rate` |
//! | `CIRCUIT_BREAKER_MIN_REQUESTS` | `circuit_breaker.minimum_calls` |
//! | `CIRCUIT_BREAKER_INTERVAL` | `circuit_breaker.window_duration` |
//!
//! connfx's own names (`RETRY_MAX_ATTEMPTS`, `CIRCUIT_BREAKER_RESET_TIMEOUT`, …) work as they are.

use std::borrow::Cow;

/// Seed names that are another connfx key, as `(seed property, connfx property)`.
const RENAMED: &[(&str, &str)] = &[
    ("RETRY_STRATEGY_INITIAL_DELAY", "RETRY_INITIAL_INTERVAL"),
    ("RETRY_STRATEGY_INITIAL_BACKOFF", "RETRY_INITIAL_INTERVAL"),
    ("RETRY_STRATEGY_MAX_DELAY", "RETRY_MAX_INTERVAL"),
    ("RETRY_STRATEGY_MAX_BACKOFF", "RETRY_MAX_INTERVAL"),
    ("RETRY_STRATEGY_BACKOFF_MULTIPLIER", "RETRY_MULTIPLIER"),
    ("RETRY_STRATEGY_FACTOR", "RETRY_MULTIPLIER"),
    ("RETRY_STRATEGY_TYPE", "RETRY_BACKOFF"),
    ("RETRY_STRATEGY_STRATEGY", "RETRY_BACKOFF"),
    (
        "CIRCUIT_BREAKER_MAX_FAILURES",
        "CIRCUIT_BREAKER_FAILURE_THRESHOLD",
    ),
    (
        "CIRCUIT_BREAKER_CONSECUTIVE_FAILURES",
        "CIRCUIT_BREAKER_FAILURE_THRESHOLD",
    ),
    ("CIRCUIT_BREAKER_TIMEOUT", "CIRCUIT_BREAKER_RESET_TIMEOUT"),
    ("CIRCUIT_BREAKER_OPEN_TIMEOUT", "CIRCUIT_BREAKER_RESET_TIMEOUT"),
    (
        "CIRCUIT_BREAKER_MAX_REQUESTS",
        "CIRCUIT_BREAKER_HALF_OPEN_MAX_CALLS",
    ),
    (
        "CIRCUIT_BREAKER_HALF_OPEN_REQUESTS",
        "CIRCUIT_BREAKER_HALF_OPEN_MAX_CALLS",
    ),
    (
        "CIRCUIT_BREAKER_SUCCESS_THRESHOLD",
        "CIRCUIT_BREAKER_HALF_OPEN_SUCCESS_NEEDED",
    ),
    ("CIRCUIT_BREAKER_FAILURE_RATIO", "CIRCUIT_BREAKER_FAILURE_RATE"),
    ("CIRCUIT_BREAKER_MIN_REQUESTS", "CIRCUIT_BREAKER_MINIMUM_CALLS"),
    ("CIRCUIT_BREAKER_INTERVAL", "CIRCUIT_BREAKER_WINDOW_DURATION"),
];

/// A property variable's name and value in connfx's terms: `property` is what follows
/// `_PROPERTIES_`, upper case. Names connfx does not know as seed names come back unchanged.
///
/// ```text
/// RETRY_STRATEGY_MAX_RETRIES=2  →  RETRY_MAX_ATTEMPTS=3
/// RETRY_STRATEGY_JITTER=0.1     →  RETRY_JITTER=0.1
/// ```
pub(super) fn canonical<'a>(property: &'a str, value: &'a str) -> (Cow<'a, str>, Cow<'a, str>) {
    let upper = property.to_ascii_uppercase();
    if let Some((_, ours)) = RENAMED.iter().find(|(seed, _)| *seed == upper) {
        return (Cow::Borrowed(ours), Cow::Borrowed(value));
    }
    if upper == "RETRY_STRATEGY_MAX_RETRIES" {
        // A count that is not a number is left for the key's own check to report.
        let attempts = value.trim().parse::<u64>().map_or_else(
            |_| Cow::Borrowed(value),
            |retries| Cow::Owned(retries.saturating_add(1).to_string()),
        );
        return (Cow::Borrowed("RETRY_MAX_ATTEMPTS"), attempts);
    }
    match upper.strip_prefix("RETRY_STRATEGY_") {
        Some(key) => (Cow::Owned(format!("RETRY_{key}")), Cow::Borrowed(value)),
        None => (Cow::Borrowed(property), Cow::Borrowed(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::canonical;

    fn mapped(property: &str, value: &str) -> (String, String) {
        let (p, v) = canonical(property, value);
        (p.into_owned(), v.into_owned())
    }

    #[test]
    fn seed_names_become_connfx_keys() {
        let pair = |p: &str, v: &str| (p.to_owned(), v.to_owned());
        assert_eq!(
            mapped("RETRY_STRATEGY_MAX_RETRIES", "2"),
            pair("RETRY_MAX_ATTEMPTS", "3")
        );
        assert_eq!(
            mapped("RETRY_STRATEGY_MAX_RETRIES", "x"),
            pair("RETRY_MAX_ATTEMPTS", "x")
        );
        assert_eq!(
            mapped("RETRY_STRATEGY_JITTER", "0.1"),
            pair("RETRY_JITTER", "0.1")
        );
        assert_eq!(
            mapped("RETRY_STRATEGY_INITIAL_DELAY", "1s"),
            pair("RETRY_INITIAL_INTERVAL", "1s")
        );
        assert_eq!(
            mapped("CIRCUIT_BREAKER_TIMEOUT", "30s"),
            pair("CIRCUIT_BREAKER_RESET_TIMEOUT", "30s")
        );
        assert_eq!(
            mapped("CIRCUIT_BREAKER_FAILURE_THRESHOLD", "3"),
            pair("CIRCUIT_BREAKER_FAILURE_THRESHOLD", "3")
        );
        assert_eq!(mapped("RETRY_MAX_ATTEMPTS", "4"), pair("RETRY_MAX_ATTEMPTS", "4"));
    }
}
