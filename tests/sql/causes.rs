//! Health names the real cause — refused, authentication, unknown database — never a password.

use connfx::{Connection, Health, HealthState, SqlConnection};
use serde_json::json;

use super::{closed_port, connect, services, with_credentials, with_database};

/// Health of a connection to `url`, with short limits; checks that no form of `password` shows
/// in the health message or the connection's `Debug`.
async fn health_of(url: &str, password: &str) -> Health {
    let extra = json!({ "health": { "timeout": "2s" }, "pool": { "acquire_timeout": "1s" } });
    let db: SqlConnection = connect("db", url, extra).await;
    let health = db.health().await;
    assert!(!health.message.contains(password), "password in {health:?}");
    assert!(!format!("{db:?}").contains(password), "password in {db:?}");
    assert!(
        !format!("{:?}", db.pool()).contains(password),
        "password in the pool's Debug"
    );
    assert!(!db.url().to_string().contains(password));
    db.close().await;
    health
}

fn assert_error(health: &Health, expected: &str) {
    assert_eq!(health.state, HealthState::Error, "{health:?}");
    assert!(
        health.message.contains(expected),
        "expected `{expected}` in {health:?}"
    );
}

#[tokio::test]
async fn a_closed_port_is_connection_refused_for_every_backend() {
    let port = closed_port();
    for scheme in ["postgres", "postgresql", "mysql", "mariadb"] {
        let url = format!("{scheme}://app:refused-pw-{scheme}@127.0.0.1:{port}/shop");
        let started = std::time::Instant::now();
        let health = health_of(&url, &format!("refused-pw-{scheme}")).await;
        assert_error(
            &health,
            &format!("cannot connect to 127.0.0.1:{port}: connection refused"),
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(3),
            "{health:?}"
        );
    }
}

#[tokio::test]
async fn a_server_that_never_answers_is_reported_within_the_health_timeout() {
    // Accepts connections and keeps them, silent: the handshake never completes.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let url = format!("postgres://app:Silent-Secret@127.0.0.1:{port}/shop");
    let db: SqlConnection = connect("db", &url, json!({ "health": { "timeout": "1s" } })).await;
    let started = std::time::Instant::now();
    let health = db.health().await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "{health:?}"
    );
    assert_error(
        &health,
        &format!("cannot connect to 127.0.0.1:{port}: no answer in time"),
    );
    assert!(!health.message.contains("Silent-Secret"));
}

#[tokio::test]
async fn mariadb_wrong_password_and_unknown_user_are_authentication_failures() {
    let Some(url) = services::mysql("mariadb_wrong_password_and_unknown_user_are_authentication_failures")
    else {
        return;
    };
    let wrong = with_credentials(&url, "root", "Wr0ng-Pa55word");
    let health = health_of(&wrong, "Wr0ng-Pa55word").await;
    assert_error(&health, "authentication failed: ");
    assert!(health.message.contains("Access denied"), "{health:?}");

    let stranger = with_credentials(&url, "connfx_no_such_user", "Str4nger-Secret");
    let health = health_of(&stranger, "Str4nger-Secret").await;
    assert_error(&health, "authentication failed: ");
}

#[tokio::test]
async fn postgres_unknown_database_and_role() {
    let Some(url) = services::postgres("postgres_unknown_database_and_role") else {
        return;
    };
    // The shared PostgreSQL trusts every local connection: the password is never checked.
    let url = with_credentials(&url, "postgres", "Pg-Secret-123");
    let health = health_of(&with_database(&url, "connfx_no_such_db"), "Pg-Secret-123").await;
    assert_error(&health, "unknown database: ");
    assert!(health.message.contains("connfx_no_such_db"), "{health:?}");

    let role = with_credentials(&url, "connfx_no_such_role", "Role-Secret-9");
    let health = health_of(&role, "Role-Secret-9").await;
    assert_error(&health, "authentication failed: ");
}

#[tokio::test]
async fn mariadb_unknown_database() {
    let Some(url) = services::mysql("mariadb_unknown_database") else {
        return;
    };
    let url = with_database(&url, "connfx_no_such_db");
    let health = health_of(&url, "no password at all").await;
    assert_error(&health, "unknown database: ");
    assert!(health.message.contains("connfx_no_such_db"), "{health:?}");
}
