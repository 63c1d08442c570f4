//! The policies' keys through the loader: attribute defaults, environment, checks and schema.

use std::time::Duration;

use connfx::prelude::*;
use connfx::resilience::bulkhead::Bulkhead;
use connfx::resilience::rate_limit::{RateLimit, RateLimitMode};
use connfx::resilience::retry::{BackoffKind, Outcome, RequestInfo, Retry};
use connfx::resilience::timeout::Timeout;

/// One HTTP connection with every policy declared.
#[derive(Connections)]
#[connections(env_prefix = "RES")]
pub struct Conns {
    /// An API.
    #[connection(
        url = "http://127.0.0.1:1",
        timeout(per_attempt = "2s", total = "5s"),
        retry(backoff = "linear", retry_on = "503", budget = 0.2),
        rate_limit(requests = 5, mode = "reject"),
        bulkhead(max_concurrent = 4, max_wait = "50ms")
    )]
    api: HttpConnection,
}

fn load(env: &[(&str, &str)]) -> Result<ConnsConfig, ConfigError> {
    let pairs = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    Conns::load_config_from(Sources::new().env_map(pairs))
}

#[test]
fn attribute_defaults_reach_the_policies() {
    let config = load(&[]).unwrap().api;
    let retry = config.retry.unwrap();
    assert_eq!(retry.backoff, BackoffKind::Linear);
    assert_eq!((retry.retry_on.as_str(), retry.budget), ("503", Some(0.2)));
    assert_eq!((retry.min_retries_per_sec, retry.non_idempotent), (10, false));
    let rate = config.rate_limit.unwrap();
    assert_eq!(
        (rate.mode, rate.max_wait),
        (RateLimitMode::Reject, Duration::from_secs(1))
    );

    let retry = Retry::try_new(retry).unwrap();
    assert!(retry.budget().is_some());
    assert!(
        retry
            .decide(
                &RequestInfo::new("GET"),
                &Outcome::Status {
                    code: 503,
                    retry_after: None
                }
            )
            .is_retry()
    );
    assert!(
        !retry
            .decide(&RequestInfo::new("GET"), &Outcome::Connect)
            .is_retry()
    );
    assert!(RateLimit::try_new(rate).is_ok());
    assert_eq!(
        Bulkhead::try_new(config.bulkhead.unwrap())
            .unwrap()
            .stats()
            .max_concurrent,
        4
    );
    assert!(Timeout::try_new(config.timeout.into()).is_ok());
}

#[test]
fn every_new_key_is_set_from_the_environment() {
    let config = load(&[
        ("RES_API_RETRY_BACKOFF", "constant"),
        ("RES_API_RETRY_RETRY_ON", "connect,5xx"),
        ("RES_API_RETRY_NON_IDEMPOTENT", "true"),
        ("RES_API_RETRY_MIN_RETRIES_PER_SEC", "3"),
        ("RES_API_RATE_LIMIT_MODE", "wait"),
        ("RES_API_RATE_LIMIT_MAX_WAIT", "250ms"),
    ])
    .unwrap()
    .api;
    let retry = config.retry.unwrap();
    assert_eq!(retry.backoff, BackoffKind::Constant);
    assert_eq!(retry.retry_on, "connect,5xx");
    assert!(retry.non_idempotent);
    assert_eq!(retry.min_retries_per_sec, 3);
    let rate = config.rate_limit.unwrap();
    assert_eq!(
        (rate.mode, rate.max_wait),
        (RateLimitMode::Wait, Duration::from_millis(250))
    );
}

#[test]
fn bad_values_are_reported_with_path_and_source() {
    let err = load(&[
        ("RES_API_RETRY_BACKOFF", "fibonacci"),
        ("RES_API_RATE_LIMIT_MODE", "queue"),
        ("RES_API_RETRY_MIN_RETRIES_PER_SEC", "-1"),
    ])
    .unwrap_err();
    let issue = |path: &str| {
        let found = err.issues().iter().find(|i| i.path() == path);
        found.map(|i| (i.source().to_string(), i.message().to_owned()))
    };
    let (source, message) = issue("api.retry.backoff").unwrap_or_default();
    assert_eq!(source, "env RES_API_RETRY_BACKOFF");
    assert!(
        message.contains("`exponential`, `linear` or `constant`"),
        "{message}"
    );
    let (_, message) = issue("api.rate_limit.mode").unwrap_or_default();
    assert!(message.contains("`wait` or `reject`"), "{message}");
    let (_, message) = issue("api.retry.min_retries_per_sec").unwrap_or_default();
    assert!(message.contains("must be between 0 and 1000000"), "{message}");
}

#[test]
fn a_bad_retry_on_names_the_entry() {
    let err = load(&[("RES_API_RETRY_RETRY_ON", "502,teapot")]).unwrap_err();
    let issue = err.issues().iter().find(|i| i.path() == "api.retry.retry_on");
    let issue = issue.map(|i| (i.source().to_string(), i.message().to_owned()));
    let (source, message) = issue.unwrap_or_default();
    assert_eq!(source, "env RES_API_RETRY_RETRY_ON");
    assert!(
        message.contains("`retry_on` entry `\"teapot\"` is not"),
        "{message}"
    );
}

#[test]
fn the_new_keys_are_env_vars_and_in_the_schema() {
    let names: Vec<String> = Conns::env_vars().into_iter().map(|v| v.name).collect();
    for name in [
        "RES_API_RETRY_BACKOFF",
        "RES_API_RETRY_RETRY_ON",
        "RES_API_RETRY_NON_IDEMPOTENT",
        "RES_API_RETRY_MIN_RETRIES_PER_SEC",
        "RES_API_RATE_LIMIT_MODE",
        "RES_API_RATE_LIMIT_MAX_WAIT",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} missing");
    }
    let schema = Conns::json_schema();
    let retry = &schema["properties"]["api"]["properties"]["retry"];
    let retry = retry.get("anyOf").and_then(|a| a.get(0)).unwrap_or(retry);
    let backoff = &retry["properties"]["backoff"]["enum"];
    assert_eq!(backoff, &serde_json::json!(["exponential", "linear", "constant"]));
    let min = &retry["properties"]["min_retries_per_sec"];
    assert_eq!(
        (&min["minimum"], &min["maximum"]),
        (&serde_json::json!(0), &serde_json::json!(1_000_000))
    );
}

/// The derive rejects a bad `backoff`, `mode` or `retry_on` literal (see
/// `tests/ui/literal/bad_choice.rs`); the environment is checked at load with the same words.
#[test]
fn a_bad_choice_in_the_environment_is_named_with_a_suggestion() {
    let err = load(&[
        ("RES_API_RETRY_BACKOFF", "expo"),
        ("RES_API_RATE_LIMIT_MODE", "wiat"),
        ("RES_API_RETRY_RETRY_ON", "503,teapot"),
    ])
    .unwrap_err();
    let message = |path: &str| {
        let issue = err.issues().iter().find(|i| i.path() == path);
        issue.map(|i| (i.source().to_string(), i.message().to_owned()))
    };
    let (source, text) = message("api.retry.backoff").expect("backoff reported");
    assert_eq!(source, "env RES_API_RETRY_BACKOFF");
    assert!(text.contains("did you mean `exponential`"), "{text}");
    let (_, text) = message("api.rate_limit.mode").expect("mode reported");
    assert!(text.contains("`wait` or `reject`"), "{text}");
    let (_, text) = message("api.retry.retry_on").expect("retry_on reported");
    assert!(text.contains("`\"teapot\"`"), "{text}");
}

/// Regression (loader fuzz target, session 5): a `retry_on` entry was echoed as found, so a URL
/// given there by mistake showed its password in the error.
#[test]
fn a_url_in_retry_on_is_named_without_its_password() {
    let err = load(&[("RES_API_RETRY_RETRY_ON", "https://user:hunter2@127.0.0.1")]).unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("https://[redacted]@127.0.0.1"), "{text}");
}

/// Every policy's `try_new` refuses a bad config with the one error type, which names its group
/// and each problem in the loader's wording.
#[test]
fn every_try_new_refuses_with_the_one_error() {
    use connfx::resilience::{CircuitBreaker, InvalidConfig};
    use connfx::{BulkheadConfig, CircuitBreakerConfig, RateLimitConfig, RetryConfig, TimeoutConfig};
    fn refused<T>(built: Result<T, InvalidConfig>) -> (String, usize) {
        let err = built.err().expect("refused");
        (err.group().to_owned(), err.problems().len())
    }
    let retry = RetryConfig {
        max_attempts: 0,
        ..Default::default()
    };
    let breaker = CircuitBreakerConfig {
        window_size: 1,
        ..Default::default()
    };
    let rate = RateLimitConfig {
        per: Duration::ZERO,
        ..Default::default()
    };
    let bulkhead = BulkheadConfig {
        max_concurrent: 0,
        ..Default::default()
    };
    let timeout = TimeoutConfig {
        per_attempt: Some(Duration::from_secs(2)),
        total: Some(Duration::from_secs(1)),
        ..Default::default()
    };
    assert_eq!(refused(Retry::try_new(retry)), ("retry".into(), 1));
    assert_eq!(
        refused(CircuitBreaker::try_new(breaker)),
        ("circuit_breaker".into(), 1)
    );
    assert_eq!(refused(RateLimit::try_new(rate)), ("rate_limit".into(), 1));
    assert_eq!(refused(Bulkhead::try_new(bulkhead)), ("bulkhead".into(), 1));
    assert_eq!(refused(Timeout::try_new(timeout)), ("timeout".into(), 1));
}
