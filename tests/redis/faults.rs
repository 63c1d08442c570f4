//! Faults against private `redis-server`s: down at boot, killed and restarted, hung, a wrong
//! password, and the circuit breaker. Every wait is bounded.

use std::future::Future;
use std::time::{Duration, Instant};

use connfx::prelude::*;
use connfx::redis;
use connfx::{CallError, CircuitState, Health};

use crate::server::{self, PrivateRedis};

/// Connects to `url` with short timeouts and the `extra` settings.
async fn connect(url: &str, extra: serde_json::Value) -> RedisConnection {
    let mut config = serde_json::json!({
        "url": url,
        "timeout": { "connect": "500ms", "per_attempt": "1s" },
        "health": { "timeout": "2s" },
    });
    if let (Some(config), Some(extra)) = (config.as_object_mut(), extra.as_object()) {
        config.extend(extra.clone());
    }
    let config: RedisConfig = serde_json::from_value(config).unwrap();
    RedisConnection::connect("private", config).await.unwrap()
}

/// Runs `f` and checks it took less than `limit`.
async fn within<T>(limit: Duration, f: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let out = tokio::time::timeout(limit, f).await.expect("took too long");
    assert!(started.elapsed() < limit);
    out
}

/// Health checks until one is `state` (at most 50 checks, 10 s).
async fn wait_for(cache: &RedisConnection, state: HealthState) -> Health {
    let started = Instant::now();
    let mut last = cache.health().await;
    for _ in 0..50 {
        if last.state == state || started.elapsed() > Duration::from_secs(10) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        last = cache.health().await;
    }
    last
}

#[tokio::test]
async fn follows_the_server_down_and_up_again() {
    let Some(binary) = server::binary("follows_the_server_down_and_up_again") else {
        return;
    };
    let mut redis = PrivateRedis::started(binary, &[]);
    let cache = connect(&redis.url(), serde_json::json!({})).await;
    cache.set("k", "before").await.unwrap();
    assert_eq!(cache.health().await.state, HealthState::Ready);

    redis.stop();
    let health = within(Duration::from_secs(3), cache.health()).await;
    assert_eq!(health.state, HealthState::Error, "{health:?}");
    assert!(health.message.starts_with("PING: cannot connect"), "{health:?}");
    let err = within(Duration::from_secs(3), cache.get::<Option<String>>("k"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CallError::Transport { connection, .. } if connection == "private"),
        "{err:?}"
    );
    assert!(err.to_string().contains("cannot connect"), "{err}");

    redis.start();
    let health = wait_for(&cache, HealthState::Ready).await;
    assert_eq!(health.state, HealthState::Ready, "{health:?}");
    // The same connection object works again (the private server keeps no data).
    cache.set("k", "after").await.unwrap();
    assert_eq!(cache.get::<String>("k").await.unwrap(), "after");
}

#[tokio::test]
async fn connects_while_the_server_is_down() {
    let Some(binary) = server::binary("connects_while_the_server_is_down") else {
        return;
    };
    let mut redis = PrivateRedis::new(binary, server::free_port(), &[]);
    let cache = within(
        Duration::from_secs(1),
        connect(&redis.url(), serde_json::json!({})),
    )
    .await;
    let health = within(Duration::from_secs(3), cache.health()).await;
    assert_eq!(health.state, HealthState::Error, "{health:?}");
    assert!(health.message.contains("Connection refused"), "{health:?}");
    let err = within(Duration::from_secs(3), cache.set("k", "v"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cannot connect"), "{err}");

    redis.start();
    assert_eq!(
        wait_for(&cache, HealthState::Ready).await.state,
        HealthState::Ready
    );
    cache.set("k", "v").await.unwrap();
}

#[tokio::test]
async fn a_retry_policy_hides_a_restart() {
    let Some(binary) = server::binary("a_retry_policy_hides_a_restart") else {
        return;
    };
    let mut redis = PrivateRedis::started(binary, &[]);
    let retry =
        serde_json::json!({ "retry": { "max_attempts": 3, "initial_interval": "50ms", "jitter": 0.0 } });
    let cache = connect(&redis.url(), retry).await;
    cache.set("k", "v").await.unwrap();

    redis.stop();
    redis.start();
    // The old socket is dead: the first try finds the connection lost, the manager reconnects,
    // and the retry (GET is idempotent) gets the answer.
    assert_eq!(cache.get::<Option<String>>("k").await.unwrap(), None);
    assert!(cache.retry().unwrap().stats().retries >= 1);

    // INCR is not idempotent: after a lost connection it is not sent again.
    redis.stop();
    redis.start();
    let err = cache
        .cmd(redis::cmd("INCR").arg("n"))
        .query::<i64>()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("connection lost"), "{err}");
    // ... unless the call says it may be.
    redis.stop();
    redis.start();
    let n: i64 = cache
        .cmd(redis::cmd("INCR").arg("n"))
        .idempotent(true)
        .query()
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn the_breaker_opens_against_a_stopped_server() {
    let Some(binary) = server::binary("the_breaker_opens_against_a_stopped_server") else {
        return;
    };
    let mut redis = PrivateRedis::started(binary, &[]);
    let breaker =
        serde_json::json!({ "circuit_breaker": { "failure_threshold": 2, "reset_timeout": "30s" } });
    let cache = connect(&redis.url(), breaker).await;
    cache.set("k", "v").await.unwrap();
    redis.stop();

    let mut errors = Vec::new();
    for _ in 0..4 {
        errors.push(
            within(Duration::from_secs(3), cache.get::<Option<String>>("k"))
                .await
                .unwrap_err(),
        );
    }
    assert!(matches!(errors[0], CallError::Transport { .. }), "{errors:?}");
    assert!(matches!(errors[1], CallError::Transport { .. }), "{errors:?}");
    assert_eq!(cache.breaker().unwrap().state(), CircuitState::Open);
    let started = Instant::now();
    let err = cache.get::<Option<String>>("k").await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(&err, CallError::CircuitOpen { connection } if connection == "private"),
        "{err:?}"
    );
    assert!(matches!(errors[3], CallError::CircuitOpen { .. }), "{errors:?}");
    // Health looks at the server, not at the breaker.
    assert_eq!(cache.health().await.state, HealthState::Error);
}

#[tokio::test]
async fn a_hung_server_times_out() {
    let Some(binary) = server::binary("a_hung_server_times_out") else {
        return;
    };
    let redis = PrivateRedis::started(binary, &[]);
    let cache = connect(
        &redis.url(),
        serde_json::json!({ "timeout": { "per_attempt": "200ms" }, "health": { "timeout": "300ms" } }),
    )
    .await;
    cache.set("k", "v").await.unwrap();

    redis.signal("STOP");
    let err = within(Duration::from_secs(2), cache.get::<Option<String>>("k"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CallError::Timeout { after, .. } if *after == Duration::from_millis(200)),
        "{err:?}"
    );
    let err = within(
        Duration::from_secs(2),
        cache
            .cmd(redis::cmd("GET").arg("k"))
            .timeout(Duration::from_millis(100))
            .query::<Option<String>>(),
    )
    .await
    .unwrap_err();
    assert!(matches!(&err, CallError::Timeout { .. }), "{err:?}");
    let health = within(Duration::from_secs(2), cache.health()).await;
    assert_eq!(health.state, HealthState::Error, "{health:?}");
    assert!(health.message.contains("timed out"), "{health:?}");
    // With retries, the total timeout ends the call and names itself.
    let retried = connect(
        &redis.url(),
        serde_json::json!({
            "timeout": { "per_attempt": "100ms", "total": "250ms" },
            "retry": { "max_attempts": 10, "initial_interval": "10ms" },
        }),
    )
    .await;
    let err = within(Duration::from_secs(2), retried.get::<Option<String>>("k"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CallError::Timeout { after, .. } if *after == Duration::from_millis(250)),
        "{err:?}"
    );

    redis.signal("CONT");
    assert_eq!(
        wait_for(&cache, HealthState::Ready).await.state,
        HealthState::Ready
    );
    assert_eq!(cache.get::<String>("k").await.unwrap(), "v");
}

#[tokio::test]
async fn passwords_work_and_never_show() {
    let Some(binary) = server::binary("passwords_work_and_never_show") else {
        return;
    };
    let redis = PrivateRedis::started(binary, &["--requirepass", "s3cret-pass"]);
    let port = redis.port();

    let wrong = connect(
        &format!("redis://:wrong-hunter2@127.0.0.1:{port}"),
        serde_json::json!({}),
    )
    .await;
    let health = wrong.health().await;
    assert_eq!(health.state, HealthState::Error, "{health:?}");
    assert!(health.message.contains("authentication failed"), "{health:?}");
    let err = wrong.get::<Option<String>>("k").await.unwrap_err();
    for shown in [
        format!("{err}"),
        format!("{err:?}"),
        format!("{health:?}"),
        format!("{wrong:?}"),
        format!("{:?}", wrong.config()),
        format!("{:?}", wrong.client()),
    ] {
        assert!(!shown.contains("wrong-hunter2"), "{shown}");
    }

    let none = connect(&redis.url(), serde_json::json!({})).await;
    let err = none.get::<Option<String>>("k").await.unwrap_err();
    assert!(
        matches!(&err, CallError::Server { code, .. } if code == "NOAUTH"),
        "{err:?}"
    );

    // The `password` key, kept out of the URL.
    let right = connect(&redis.url(), serde_json::json!({ "password": "s3cret-pass" })).await;
    assert_eq!(right.health().await.state, HealthState::Ready);
    right.set("k", "v").await.unwrap();
    assert!(!format!("{:?}", right.config()).contains("s3cret-pass"));
    // The URL's password works too, and the key wins over it.
    let url = connect(
        &format!("redis://:s3cret-pass@127.0.0.1:{port}"),
        serde_json::json!({}),
    )
    .await;
    assert_eq!(url.get::<String>("k").await.unwrap(), "v");
    let key_wins = connect(
        &format!("redis://:wrong-hunter2@127.0.0.1:{port}"),
        serde_json::json!({ "password": "s3cret-pass" }),
    )
    .await;
    assert_eq!(key_wins.get::<String>("k").await.unwrap(), "v");
}

#[tokio::test]
async fn a_corrected_password_heals_the_connection() {
    let Some(binary) = server::binary("a_corrected_password_heals_the_connection") else {
        return;
    };
    let redis = PrivateRedis::started(binary, &["--requirepass", "old-pass"]);
    let cache = connect(&redis.url(), serde_json::json!({ "password": "new-pass" })).await;
    assert_eq!(cache.health().await.state, HealthState::Error);

    // The operator rotates the server's password to the one the service was given.
    let admin = connect(&redis.url(), serde_json::json!({ "password": "old-pass" })).await;
    admin
        .cmd(redis::cmd("CONFIG").arg("SET").arg("requirepass").arg("new-pass"))
        .exec()
        .await
        .unwrap();
    let health = wait_for(&cache, HealthState::Ready).await;
    assert_eq!(health.state, HealthState::Ready, "{health:?}");
    cache.set("k", "v").await.unwrap();
}
