//! Seed 001, CodeAI's `pkg/integration` (`docs/migrating-from-codeai-integration.md`): its
//! `ConfigFromEnv("STRIPE")` variables, copied verbatim, read with `SeedEnv::codeai`.

use std::sync::atomic::Ordering;
use std::time::Duration;

use connfx::registry::{RegistryConfig, SeedEnv};
use connfx::{HttpConfig, HttpConnection, Sources, ValueSource};

use crate::support::{env_block, failing_upstream, guide, shows};

/// "Environment-Based Configuration", verbatim (a Go comment in the seed).
const STRIPE_ENV: &str = r#"// Environment variables:
// STRIPE_BASE_URL=https://api.stripe.com/v1
// STRIPE_TIMEOUT=30s
// STRIPE_CONNECT_TIMEOUT=5s
// STRIPE_MAX_RETRIES=3
// STRIPE_RETRY_DELAY=100ms
// STRIPE_CIRCUIT_THRESHOLD=5
// STRIPE_CIRCUIT_TIMEOUT=60s
"#;

const GUIDE: &str = "migrating-from-codeai-integration.md";

fn load(env: Vec<(String, String)>) -> RegistryConfig {
    RegistryConfig::load_with(Sources::new().env_map(env), &[SeedEnv::codeai("STRIPE")])
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_env_block_loads_with_its_documented_meaning() {
    shows(&guide(GUIDE), STRIPE_ENV);
    let mut env = env_block(STRIPE_ENV);
    // The seed's own application reads this one; connfx leaves it alone.
    env.push(("STRIPE_SECRET_KEY".into(), "sk_test".into()));
    let config = load(env);
    let target = &config.targets["stripe"];
    assert_eq!(target.protocol, "http");
    let c: HttpConfig = serde_json::from_value(target.to_protocol_json()).unwrap();
    assert_eq!(c.url.to_string(), "https://api.stripe.com/v1");
    assert_eq!(c.timeout.total, Duration::from_secs(30));
    assert_eq!(c.timeout.connect, Some(Duration::from_secs(5)));
    let retry = c.retry.unwrap();
    assert_eq!(
        retry.max_attempts, 3,
        "CodeAI's MaxRetries is MaxAttempts: tries in all"
    );
    assert_eq!(retry.initial_interval, Duration::from_millis(100));
    // CodeAI's documented defaults for what the block leaves out.
    assert_eq!(retry.max_interval, Duration::from_secs(30));
    assert_eq!((retry.multiplier, retry.jitter), (2.0, 0.25));
    let breaker = c.circuit_breaker.unwrap();
    assert_eq!(breaker.failure_threshold, 5);
    assert_eq!(breaker.reset_timeout, Duration::from_secs(60));
    assert_eq!(breaker.half_open_success_needed, 3);
    assert_eq!(c.user_agent.as_deref(), Some("CodeAI-Client/1.0"));
}

#[tokio::test]
async fn the_env_block_retries_as_documented() {
    let (url, hits) = failing_upstream().await;
    let mut env = env_block(STRIPE_ENV);
    env.push(("STRIPE_BASE_URL".into(), url));
    env.push(("STRIPE_RETRY_DELAY".into(), "1ms".into()));
    let registry = load(env).connect().await.unwrap();
    let stripe: HttpConnection = registry.get("stripe").unwrap();
    assert!(stripe.get("/charges").send().await.is_err());
    assert_eq!(
        hits.load(Ordering::SeqCst),
        3,
        "STRIPE_MAX_RETRIES=3 tries in all"
    );
    registry.close().await;
}

/// CodeAI reads a bare number of seconds; a value it would have ignored is an error naming the
/// variable as written.
#[test]
fn values_read_as_codeai_reads_them_and_bad_ones_name_the_variable() {
    let env = vec![
        (
            "STRIPE_BASE_URL".to_owned(),
            "https://api.stripe.com/v1".to_owned(),
        ),
        ("STRIPE_TIMEOUT".to_owned(), "45".to_owned()),
    ];
    let c: HttpConfig = serde_json::from_value(load(env).targets["stripe"].to_protocol_json()).unwrap();
    assert_eq!(c.timeout.total, Duration::from_secs(45));
    let env = [
        ("STRIPE_BASE_URL", "https://api.stripe.com/v1"),
        ("STRIPE_MAX_RETRIES", "many"),
    ];
    let err =
        RegistryConfig::load_with(Sources::new().env_map(env), &[SeedEnv::codeai("stripe")]).unwrap_err();
    let [issue] = err.issues() else { panic!("{err}") };
    assert_eq!(issue.source(), &ValueSource::Env("STRIPE_MAX_RETRIES".into()));
    assert!(issue.message().contains("whole number"), "{issue}");
}
