//! A private PostgreSQL, started in a temp dir on a free port, that the test stops and starts
//! again: health goes Error (with the cause) and back to Ready on the same connection object.
//! The shared server is never touched.

use std::time::Duration;

use connfx::sqlx::{self, PgPool};
use connfx::{Connection, HealthState};
use serde_json::json;

use super::private_postgres::PrivatePostgres;
use super::{connect, services};

const TEST: &str = "private_postgres_stops_and_comes_back";

/// The URL of `server`, with a password (trust authentication ignores it) that must never
/// show in a health message.
fn url(server: &PrivatePostgres) -> String {
    format!("postgres://postgres:Private-Pg-Secret@{}/postgres", server.addr())
}

#[tokio::test]
async fn private_postgres_stops_and_comes_back() {
    let server = match tokio::task::spawn_blocking(PrivatePostgres::start).await.unwrap() {
        Ok(server) => server,
        Err(why) => return services::skipped(TEST, &why),
    };
    let db = connect(
        "pg",
        &url(&server),
        json!({ "health": { "timeout": "2s" }, "pool": { "acquire_timeout": "1s" } }),
    )
    .await;
    let select =
        |pool: PgPool| async move { sqlx::query_scalar::<_, i32>("SELECT 7").fetch_one(&pool).await };
    assert_eq!(db.run_idempotent(select).await.unwrap(), 7);
    assert_eq!(db.health().await.state, HealthState::Ready);

    let server = tokio::task::spawn_blocking(move || server.down().map(|()| server))
        .await
        .unwrap()
        .unwrap();
    let health = db.health().await;
    assert_eq!(health.state, HealthState::Error, "{health:?}");
    let expected = format!(
        "cannot connect to 127.0.0.1:{}: connection refused",
        server.addr().port()
    );
    assert!(health.message.contains(&expected), "{health:?}");
    assert!(!health.message.contains("Private-Pg-Secret"), "{health:?}");

    let server = tokio::task::spawn_blocking(move || server.up().map(|()| server))
        .await
        .unwrap()
        .unwrap();
    // The same connection object recovers: its pool drops the dead connection and opens anew.
    let mut health = db.health().await;
    for _ in 0..20 {
        if health.state == HealthState::Ready {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        health = db.health().await;
    }
    assert_eq!(health.state, HealthState::Ready, "{health:?}");
    assert_eq!(db.run_idempotent(select).await.unwrap(), 7);
    db.close().await;
    drop(server);
}
