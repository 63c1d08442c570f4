//! SQLite: no server needed.

use connfx::protocol::sql::{SqlBackend, SqlPool};
use connfx::sqlx::{self, SqlitePool};
use connfx::{CallError, Connection, HealthState, SqlConnection};
use serde_json::json;

use super::connect;

#[tokio::test]
async fn typed_pool_run_and_health_on_sqlite() {
    let db = connect("local", "sqlite::memory:", json!({ "pool": { "max_size": 3 } })).await;
    assert_eq!(db.backend(), SqlBackend::Sqlite);
    assert!(matches!(db.pool(), SqlPool::Sqlite(_)));
    assert!(db.postgres().is_none() && db.mysql().is_none());
    let pool = &db.sqlite().unwrap();
    assert_eq!(pool.options().get_max_connections(), 3);

    // The in-memory database is shared by the pool's connections.
    sqlx::query("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)")
        .execute(pool)
        .await
        .unwrap();
    let inserted = db
        .run(|pool: SqlitePool| async move {
            sqlx::query("INSERT INTO items (name) VALUES ('pen'), ('ink')")
                .execute(&pool)
                .await
        })
        .await
        .unwrap();
    assert_eq!(inserted.rows_affected(), 2);
    let names: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM items ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(names, [(1, "pen".to_owned()), (2, "ink".to_owned())]);

    let health = db.health().await;
    assert_eq!(
        (health.state, health.message.as_str()),
        (HealthState::Ready, "SELECT 1 ok")
    );

    db.close().await;
    assert!(db.is_closed());
    assert_eq!(db.health().await.state, HealthState::Unknown);
    let err = db
        .run(|pool: SqlitePool| async move { sqlx::query("SELECT 1").execute(&pool).await })
        .await
        .unwrap_err();
    assert!(matches!(err, CallError::Closed { .. }), "{err}");
}

#[tokio::test]
async fn rejected_statements_keep_the_sqlx_error() {
    let db = connect("local", "sqlite::memory:", json!({})).await;
    let pool = &db.sqlite().unwrap();
    sqlx::query("CREATE TABLE users (email TEXT PRIMARY KEY)")
        .execute(pool)
        .await
        .unwrap();
    let insert = || {
        db.run(|pool: SqlitePool| async move {
            sqlx::query("INSERT INTO users (email) VALUES ('a@example.com')")
                .execute(&pool)
                .await
        })
    };
    insert().await.unwrap();
    let err = insert().await.unwrap_err();
    assert!(matches!(err, CallError::Query { .. }), "{err}");
    let db_error = err.sqlx_error().and_then(|e| e.as_database_error()).unwrap();
    assert!(db_error.is_unique_violation(), "{err}");
    assert!(err.to_string().starts_with("`local`: database error"), "{err}");

    let missing = db
        .run(|pool: SqlitePool| async move {
            sqlx::query_as::<_, (String,)>("SELECT email FROM users WHERE email = 'b'")
                .fetch_one(&pool)
                .await
        })
        .await
        .unwrap_err();
    assert!(
        matches!(missing.sqlx_error(), Some(sqlx::Error::RowNotFound)),
        "{missing}"
    );
}

#[tokio::test]
async fn a_closure_for_another_backend_is_an_invalid_request() {
    let db = connect("local", "sqlite::memory:", json!({})).await;
    let err = db
        .run(|pool: sqlx::PgPool| async move { sqlx::query("SELECT 1").execute(&pool).await })
        .await
        .unwrap_err();
    assert!(matches!(err, CallError::InvalidRequest { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("takes a postgres pool, but this is a sqlite connection"),
        "{err}"
    );
}

#[tokio::test]
async fn a_missing_sqlite_file_is_a_health_error_not_a_connect_error() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/absent.db", dir.path().display());
    let db = connect("file", &url, json!({})).await;
    let health = db.health().await;
    assert_eq!(health.state, HealthState::Error, "{health:?}");
    assert!(health.message.starts_with("unknown database: "), "{health:?}");
}

#[tokio::test]
async fn contradictory_pool_sizes_and_foreign_schemes_fail_connect() {
    let config = super::config(
        "sqlite::memory:",
        json!({ "pool": { "max_size": 2, "min_idle": 3 } }),
    );
    let err = SqlConnection::connect("db", config).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("`min_idle` (3) must not be above `max_size` (2)"),
        "{err}"
    );
    let config = super::config("oracle://scott:tiger@db/x", json!({}));
    let err = SqlConnection::connect("db", config).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("`oracle` is not a SQL database") && !text.contains("tiger"),
        "{text}"
    );
}

/// `db.metrics()` (issue 16 item 7): each `run` counted once, its error too, whatever the
/// connection's export.
#[tokio::test]
async fn metrics_count_each_run_and_its_errors() {
    let db = super::connect("metered", "sqlite::memory:", serde_json::json!({})).await;
    for _ in 0..3 {
        db.run(|pool: connfx::sqlx::SqlitePool| async move {
            connfx::sqlx::query("SELECT 1").execute(&pool).await
        })
        .await
        .unwrap();
    }
    let failed = db
        .run(|pool: connfx::sqlx::SqlitePool| async move {
            connfx::sqlx::query("SELECT * FROM no_such_table")
                .execute(&pool)
                .await
        })
        .await;
    assert!(failed.is_err());
    let stats = db.metrics();
    assert_eq!(
        (stats.requests, stats.errors, stats.in_flight),
        (4, 1, 0),
        "{stats:?}"
    );
    assert!((stats.error_rate - 0.25).abs() < 1e-9);
    assert!(stats.p99 > std::time::Duration::ZERO);
    connfx::Connection::close(&db).await;
}
