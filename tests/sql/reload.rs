//! `SqlConnection::reload`: policies change in place, a URL or pool change builds a new pool
//! beside the old one, calls in flight finish on the pool they started with.

use std::time::Duration;

use connfx::resilience::circuit_breaker::CircuitState;
use connfx::sqlx::{self, SqlitePool};
use connfx::{Applied, CallError, Connection};
use serde_json::json;

use super::{config, connect, services};

/// A SQLite file in a fresh temp dir, as a URL that creates it.
fn file_url(dir: &tempfile::TempDir, name: &str) -> String {
    format!("sqlite://{}?mode=rwc", dir.path().join(name).display())
}

async fn label(db: &connfx::SqlConnection) -> Result<String, CallError> {
    db.run(|pool: SqlitePool| async move {
        sqlx::query_scalar("SELECT label FROM here")
            .fetch_one(&pool)
            .await
    })
    .await
}

async fn create(url: &str, label: &str) {
    let pool = SqlitePool::connect(url).await.unwrap();
    sqlx::query("CREATE TABLE here (label TEXT)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO here VALUES (?)")
        .bind(label)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

#[tokio::test]
async fn a_policy_change_is_live_and_keeps_an_open_breaker_open() {
    let db = connect(
        "local",
        "sqlite::memory:",
        json!({ "circuit_breaker": { "failure_threshold": 1 } }),
    )
    .await;
    let broken = db
        .run(|pool: SqlitePool| async move { sqlx::query("SELECT * FROM nowhere").fetch_all(&pool).await })
        .await;
    assert!(broken.is_err());
    db.breaker().unwrap().trip();
    let raised = config(
        "sqlite::memory:",
        json!({ "circuit_breaker": { "failure_threshold": 9 }, "timeout": { "total": "9s" } }),
    );
    assert_eq!(db.reload(raised).await.unwrap(), Applied::Live);
    assert_eq!(db.breaker().unwrap().state(), CircuitState::Open, "kept");
    assert_eq!(db.config().timeout.total, Duration::from_secs(9));
}

#[tokio::test]
async fn a_url_change_moves_later_calls_and_a_call_in_flight_finishes_on_the_old_pool() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (file_url(&dir, "a.db"), file_url(&dir, "b.db"));
    create(&a, "a").await;
    create(&b, "b").await;
    let db = connect("local", &a, json!({})).await;
    assert_eq!(label(&db).await.unwrap(), "a");
    let old_pool = db.sqlite().unwrap();

    // A call that holds its pool across the reload: it waits, then reads.
    let (started, go) = (
        tokio::sync::oneshot::channel::<()>(),
        tokio::sync::oneshot::channel::<()>(),
    );
    let (started_tx, started_rx) = started;
    let (go_tx, go_rx) = go;
    let slow = {
        let db = db.clone();
        let mut signals = Some((started_tx, go_rx));
        tokio::spawn(async move {
            db.run(move |pool: SqlitePool| {
                let signals = signals.take();
                async move {
                    if let Some((started, go)) = signals {
                        let _ = started.send(());
                        let _ = go.await;
                    }
                    sqlx::query_scalar::<_, String>("SELECT label FROM here")
                        .fetch_one(&pool)
                        .await
                }
            })
            .await
        })
    };
    started_rx.await.unwrap();

    assert_eq!(
        db.reload(config(&b, json!({}))).await.unwrap(),
        Applied::Reconnected
    );
    assert_eq!(label(&db).await.unwrap(), "b", "a later call uses the new pool");
    assert!(
        !old_pool.is_closed(),
        "the call in flight still holds the old pool"
    );
    go_tx.send(()).unwrap();
    assert_eq!(slow.await.unwrap().unwrap(), "a", "finished on the old pool");
    tokio::time::timeout(Duration::from_secs(5), async {
        while !old_pool.is_closed() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the old pool is closed once its last call ended");
    assert!(!db.sqlite().unwrap().is_closed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_calls_in_flight_through_five_reloads_none_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (file_url(&dir, "a.db"), file_url(&dir, "b.db"));
    create(&a, "same").await;
    create(&b, "same").await;
    let db = connect("local", &a, json!({})).await;
    let calls: Vec<_> = (0..100u64)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(i % 50)).await;
                label(&db).await
            })
        })
        .collect();
    for i in 0..5 {
        tokio::time::sleep(Duration::from_millis(8)).await;
        let url = if i % 2 == 0 { &b } else { &a };
        let size = 2 + i;
        db.reload(config(url, json!({ "pool": { "max_size": size } })))
            .await
            .unwrap();
    }
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap(), "same");
    }
}

#[tokio::test]
async fn the_backend_cannot_change_and_nothing_changes() {
    let db = connect(
        "local",
        "sqlite::memory:",
        json!({ "timeout": { "total": "7s" } }),
    )
    .await;
    let other = config(
        "postgres://app@127.0.0.1:5432/shop",
        json!({ "timeout": { "total": "9s" } }),
    );
    let err = db.reload(other).await.unwrap_err();
    assert!(err.to_string().contains("backend cannot change"), "{err}");
    assert_eq!(db.config().timeout.total, Duration::from_secs(7));
}

#[tokio::test]
async fn a_pool_change_on_postgres_reconnects_and_queries_go_on() {
    let Some(url) = services::postgres("a_pool_change_on_postgres_reconnects_and_queries_go_on") else {
        return;
    };
    let db = connect("orders", &url, json!({ "pool": { "max_size": 2 } })).await;
    let one = || {
        db.run(|pool: connfx::sqlx::PgPool| async move {
            sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&pool).await
        })
    };
    assert_eq!(one().await.unwrap(), 1);
    let old = db.postgres().unwrap();
    let bigger = config(&url, json!({ "pool": { "max_size": 4 } }));
    assert_eq!(db.reload(bigger).await.unwrap(), Applied::Reconnected);
    assert_eq!(db.postgres().unwrap().options().get_max_connections(), 4);
    assert_eq!(one().await.unwrap(), 1);
    tokio::time::timeout(Duration::from_secs(5), async {
        while !old.is_closed() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the old pool is closed once no call holds it");
}

#[tokio::test]
async fn a_closed_connection_refuses_a_reload() {
    let db = connect("local", "sqlite::memory:", json!({})).await;
    db.close().await;
    let err = db
        .reload(config("sqlite::memory:", json!({ "pool": { "max_size": 3 } })))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("closed"), "{err}");
    assert!(db.sqlite().unwrap().is_closed());
}
