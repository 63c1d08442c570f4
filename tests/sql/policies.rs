//! `run` through the connection's retry, circuit breaker and timeouts.

use std::time::Duration;

use connfx::resilience::circuit_breaker::CircuitState;
use connfx::sqlx::{self, PgPool, SqlitePool};
use connfx::{CallError, Connection};
use serde_json::json;

use super::{closed_port, connect};

#[tokio::test]
async fn a_down_database_is_retried_then_the_breaker_opens() {
    let url = format!("postgres://app:Breaker-Secret@127.0.0.1:{}/shop", closed_port());
    let db = connect(
        "orders",
        &url,
        json!({
            "pool": { "acquire_timeout": "150ms" },
            "retry": { "max_attempts": 3, "initial_interval": "10ms", "jitter": 0.0 },
            "circuit_breaker": { "failure_threshold": 2, "reset_timeout": "30s" },
        }),
    )
    .await;
    let calls = std::sync::atomic::AtomicU32::new(0);
    let err = db
        .run(|pool: PgPool| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            async move { sqlx::query("INSERT INTO t VALUES (1)").execute(&pool).await }
        })
        .await
        .unwrap_err();
    // Two tries found no connection (nothing was sent, so even an INSERT is retried); they
    // opened the breaker, which turned the third try away.
    assert!(matches!(err, CallError::CircuitOpen { .. }), "{err}");
    assert_eq!(db.breaker().unwrap().state(), CircuitState::Open);
    assert_eq!(db.retry().unwrap().stats().retries, 2);
    assert_eq!(
        calls.load(std::sync::atomic::Ordering::Relaxed),
        2,
        "the closure is called per try made, not for the try the breaker turned away"
    );
    assert!(!err.to_string().contains("Breaker-Secret"));
}

#[tokio::test]
async fn without_a_breaker_the_last_failure_says_what_happened() {
    let url = format!("postgres://app:pw@127.0.0.1:{}/shop", closed_port());
    let db = connect(
        "orders",
        &url,
        json!({ "pool": { "acquire_timeout": "100ms" }, "retry": { "max_attempts": 2, "initial_interval": "10ms" } }),
    )
    .await;
    let err = db
        .run_idempotent(|pool: PgPool| async move { sqlx::query("SELECT 1").execute(&pool).await })
        .await
        .unwrap_err();
    let CallError::RetriesExhausted { attempts, last, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(*attempts, 2);
    assert!(matches!(**last, CallError::Transport { .. }), "{err}");
    assert!(
        err.to_string().contains("no connection from the pool in time"),
        "{err}"
    );
}

#[tokio::test]
async fn rejected_statements_are_neither_retried_nor_breaker_failures() {
    let db = connect(
        "local",
        "sqlite::memory:",
        json!({
            "retry": { "max_attempts": 3, "initial_interval": "10ms" },
            "circuit_breaker": { "failure_threshold": 1 },
        }),
    )
    .await;
    for _ in 0..3 {
        let err = db
            .run_idempotent(|pool: SqlitePool| async move { sqlx::query("SELEC 1").execute(&pool).await })
            .await
            .unwrap_err();
        assert!(matches!(err, CallError::Query { .. }), "{err}");
    }
    assert_eq!(db.breaker().unwrap().state(), CircuitState::Closed);
    assert_eq!(db.retry().unwrap().stats().retries, 0);
}

#[tokio::test]
async fn the_total_timeout_bounds_the_whole_call() {
    let url = format!("mysql://root@127.0.0.1:{}/shop", closed_port());
    let db = connect(
        "stock",
        &url,
        json!({
            "pool": { "acquire_timeout": "100ms" },
            "timeout": { "total": "250ms" },
            "retry": { "max_attempts": 50, "initial_interval": "20ms", "max_interval": "20ms" },
        }),
    )
    .await;
    let started = std::time::Instant::now();
    let err = db
        .run(|pool: sqlx::MySqlPool| async move { sqlx::query("SELECT 1").execute(&pool).await })
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let text = err.to_string();
    assert!(
        matches!(
            err,
            CallError::Timeout { .. } | CallError::RetriesExhausted { .. }
        ),
        "{text}"
    );
    db.close().await;
}
