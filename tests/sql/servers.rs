//! The shared PostgreSQL and MariaDB: typed pools, health, the derive and the registry.

use std::time::Duration;

use connfx::prelude::*;
use connfx::protocol::sql::SqlBackend;
use connfx::registry::RegistryConfig;
use connfx::sqlx::{self, MySqlPool, PgPool};
use connfx::{HealthState, SqlConnection};
use serde_json::json;

use super::{closed_port, connect, services, unique};

#[tokio::test]
async fn postgres_typed_pool_queries_with_native_types() {
    let Some(url) = services::postgres("postgres_typed_pool_queries_with_native_types") else {
        return;
    };
    let db = connect("pg", &url, json!({ "pool": { "max_size": 4 } })).await;
    assert_eq!(db.backend(), SqlBackend::Postgres);
    let pool = &db.postgres().unwrap();
    let table = unique("pg_items");
    let create = format!(
        "CREATE TABLE {table} (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, price NUMERIC(8,2), tags TEXT[] NOT NULL, paid BOOLEAN)"
    );
    sqlx::query(sqlx::AssertSqlSafe(create))
        .execute(pool)
        .await
        .unwrap();

    let insert =
        format!("INSERT INTO {table} (name, price, tags, paid) VALUES ($1, 2.50, $2, $3) RETURNING id");
    let (id,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(insert))
        .bind("pen")
        .bind(vec!["office".to_owned(), "blue".to_owned()])
        .bind(Option::<bool>::None)
        .fetch_one(pool)
        .await
        .unwrap();
    let select = format!("SELECT name, price::text, tags, paid FROM {table} WHERE id = $1");
    let row: (String, String, Vec<String>, Option<bool>) = db
        .run_idempotent(|pool: PgPool| {
            let select = select.clone();
            async move {
                sqlx::query_as(sqlx::AssertSqlSafe(select))
                    .bind(id)
                    .fetch_one(&pool)
                    .await
            }
        })
        .await
        .unwrap();
    assert_eq!(
        row,
        (
            "pen".into(),
            "2.50".into(),
            vec!["office".into(), "blue".into()],
            None
        )
    );

    let health = db.health().await;
    assert_eq!(
        (health.state, health.message.as_str()),
        (HealthState::Ready, "SELECT 1 ok")
    );
    let drop = format!("DROP TABLE {table}");
    sqlx::query(sqlx::AssertSqlSafe(drop))
        .execute(pool)
        .await
        .unwrap();
    db.close().await;
    assert!(db.postgres().unwrap().is_closed());
}

#[tokio::test]
async fn mariadb_typed_pool_queries_through_both_schemes() {
    let Some(url) = services::mysql("mariadb_typed_pool_queries_through_both_schemes") else {
        return;
    };
    let mariadb_url = url.replacen("mysql://", "mariadb://", 1);
    for url in [url, mariadb_url] {
        let db = connect("my", &url, json!({})).await;
        assert_eq!(db.backend(), SqlBackend::MySql);
        let pool = &db.mysql().unwrap();
        let table = unique("my_items");
        let create = format!(
            "CREATE TABLE {table} (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL, qty INT UNSIGNED NOT NULL)"
        );
        sqlx::query(sqlx::AssertSqlSafe(create))
            .execute(pool)
            .await
            .unwrap();
        let insert = format!("INSERT INTO {table} (name, qty) VALUES (?, ?)");
        let done = db
            .run(|pool: MySqlPool| {
                let insert = insert.clone();
                async move {
                    sqlx::query(sqlx::AssertSqlSafe(insert))
                        .bind("ink")
                        .bind(7_u32)
                        .execute(&pool)
                        .await
                }
            })
            .await
            .unwrap();
        let select = format!("SELECT name, qty FROM {table} WHERE id = ?");
        let row: (String, u32) = sqlx::query_as(sqlx::AssertSqlSafe(select))
            .bind(done.last_insert_id())
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(row, ("ink".to_owned(), 7));
        let health = db.health().await;
        assert_eq!(health.state, HealthState::Ready, "{health:?}");
        let drop = format!("DROP TABLE {table}");
        sqlx::query(sqlx::AssertSqlSafe(drop))
            .execute(pool)
            .await
            .unwrap();
        db.close().await;
    }
}

#[tokio::test]
async fn pool_settings_reach_sqlx_and_min_idle_is_kept_open() {
    let Some(url) = services::postgres("pool_settings_reach_sqlx_and_min_idle_is_kept_open") else {
        return;
    };
    let db = connect(
        "pg",
        &url,
        json!({
            "pool": { "max_size": 5, "min_idle": 2, "max_lifetime": "10m", "idle_timeout": "45s", "acquire_timeout": "4s" },
            "timeout": { "connect": "3s" },
        }),
    )
    .await;
    let pool = db.postgres().unwrap();
    let options = pool.options();
    assert_eq!(options.get_max_connections(), 5);
    assert_eq!(options.get_min_connections(), 2);
    assert_eq!(options.get_max_lifetime(), Some(Duration::from_secs(600)));
    assert_eq!(options.get_idle_timeout(), Some(Duration::from_secs(45)));
    assert_eq!(
        options.get_acquire_timeout(),
        Duration::from_secs(3),
        "timeout.connect caps it"
    );
    // sqlx opens `min_idle` connections in the background, without any query.
    for _ in 0..100 {
        if db.pool().size() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        db.pool().size() >= 2,
        "min_idle not kept: {} open",
        db.pool().size()
    );
    db.close().await;

    // Unset `max_lifetime` means never, not sqlx's 30 minutes.
    let db = connect("pg", &url, json!({})).await;
    assert_eq!(db.postgres().unwrap().options().get_max_lifetime(), None);
    assert_eq!(
        db.postgres().unwrap().options().get_acquire_timeout(),
        Duration::from_secs(5)
    );
}

#[tokio::test]
async fn an_exhausted_pool_is_live_and_per_attempt_bounds_a_try() {
    let Some(url) = services::postgres("an_exhausted_pool_is_live_and_per_attempt_bounds_a_try") else {
        return;
    };
    let db = connect(
        "pg",
        &url,
        json!({ "pool": { "max_size": 1 }, "health": { "timeout": "1s" }, "timeout": { "per_attempt": "300ms" } }),
    )
    .await;
    let held = db.postgres().unwrap().acquire().await.unwrap();
    let health = db.health().await;
    assert_eq!(health.state, HealthState::Live, "{health:?}");
    assert!(
        health
            .message
            .contains("but the pool gave none within 500ms (1 open, 0 idle)"),
        "{health:?}"
    );
    drop(held);

    let err = db
        .run_idempotent(|pool: PgPool| async move { sqlx::query("SELECT pg_sleep(3)").execute(&pool).await })
        .await
        .unwrap_err();
    assert!(
        matches!(err, connfx::CallError::Timeout { after, .. } if after == Duration::from_millis(300)),
        "{err}"
    );
    // The cancelled query holds its connection until the server ends it: Live, then Ready.
    let mut health = db.health().await;
    for _ in 0..20 {
        if health.state == HealthState::Ready {
            break;
        }
        assert_eq!(health.state, HealthState::Live, "{health:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
        health = db.health().await;
    }
    assert_eq!(health.state, HealthState::Ready, "{health:?}");
}

/// Connections of a service with all three backends.
#[derive(Connections)]
#[connections(env_prefix = "SQLTEST")]
pub struct Databases {
    /// Orders, on PostgreSQL.
    #[connection(protocol = "sql", pool(max_size = 3), health(timeout = "3s"))]
    orders: SqlConnection,
    /// Stock, on MariaDB.
    #[connection(protocol = "sql", retry(max_attempts = 2, initial_interval = "10ms"))]
    stock: SqlConnection,
    /// A local cache.
    #[connection(url = "sqlite::memory:")]
    cache: SqlConnection,
}

#[tokio::test]
async fn the_derive_connects_every_backend() {
    let Some(pg) = services::postgres("the_derive_connects_every_backend") else {
        return;
    };
    let Some(my) = services::mysql("the_derive_connects_every_backend") else {
        return;
    };
    let sources = Sources::new().env_map([
        ("SQLTEST_ORDERS_URL".to_owned(), pg),
        ("SQLTEST_STOCK_URL".to_owned(), my),
        ("SQLTEST_STOCK_POOL_MAX_SIZE".to_owned(), "2".to_owned()),
    ]);
    let dbs = Databases::load_config_from(sources)
        .unwrap()
        .connect()
        .await
        .unwrap();
    assert_eq!(
        dbs.orders().postgres().unwrap().options().get_max_connections(),
        3
    );
    assert_eq!(dbs.stock().mysql().unwrap().options().get_max_connections(), 2);
    assert_eq!(dbs.stock().retry().unwrap().max_attempts(), 2);
    let (one,): (i32,) = sqlx::query_as("SELECT 1")
        .fetch_one(&dbs.orders().postgres().unwrap())
        .await
        .unwrap();
    let (two,): (i64,) = sqlx::query_as("SELECT 2")
        .fetch_one(&dbs.stock().mysql().unwrap())
        .await
        .unwrap();
    assert_eq!((one, two), (1, 2));

    let report = dbs.health().await;
    assert_eq!(report.worst(), HealthState::Ready, "{report}");
    let same: SqlConnection = dbs.registry().get("stock").unwrap();
    assert_eq!(same.backend(), SqlBackend::MySql);
    dbs.close().await;
    assert_eq!(
        dbs.health().await.get("orders").unwrap().health.state,
        HealthState::Unknown
    );
}

#[tokio::test]
async fn registry_targets_build_postgres_and_mysql_connections() {
    let Some(pg) = services::postgres("registry_targets_build_postgres_and_mysql_connections") else {
        return;
    };
    let Some(my) = services::mysql("registry_targets_build_postgres_and_mysql_connections") else {
        return;
    };
    let down = format!("postgres://app:down-secret@127.0.0.1:{}/x", closed_port());
    let config = RegistryConfig::load(Sources::new().env_map([
        ("CONN_TARGETS_LEDGER_PROTOCOL".to_owned(), "sql".to_owned()),
        ("CONN_TARGETS_LEDGER_URL".to_owned(), pg),
        ("CONN_TARGETS_LEDGER_TIMEOUT".to_owned(), "4s".to_owned()),
        ("CONN_TARGETS_STOCK_PROTOCOL".to_owned(), "sql".to_owned()),
        ("CONN_TARGETS_STOCK_DSN".to_owned(), my),
        (
            "CONN_TARGETS_STOCK_PROPERTIES_POOL_MAX_SIZE".to_owned(),
            "2".to_owned(),
        ),
        ("CONN_TARGETS_SPARE_PROTOCOL".to_owned(), "sql".to_owned()),
        ("CONN_TARGETS_SPARE_URL".to_owned(), down),
        (
            "CONN_TARGETS_SPARE_PROPERTIES_HEALTH_TIMEOUT".to_owned(),
            "1s".to_owned(),
        ),
    ]))
    .unwrap();
    // The spare database is down: connecting still works, health says why.
    let registry = config.connect().await.unwrap();
    let ledger: SqlConnection = registry.get("ledger").unwrap();
    assert_eq!(ledger.config().timeout.total, Duration::from_secs(4));
    let stock: SqlConnection = registry.get("stock").unwrap();
    assert_eq!(stock.mysql().unwrap().options().get_max_connections(), 2);
    let (n,): (i64,) = sqlx::query_as("SELECT 41 + 1")
        .fetch_one(&stock.mysql().unwrap())
        .await
        .unwrap();
    assert_eq!(n, 42);

    let report = registry.health().await;
    let state = |name| report.get(name).unwrap().health.state;
    assert_eq!(
        (state("ledger"), state("stock")),
        (HealthState::Ready, HealthState::Ready),
        "{report}"
    );
    let spare = &report.get("spare").unwrap().health;
    assert_eq!(spare.state, HealthState::Error, "{report}");
    assert!(spare.message.contains("connection refused"), "{report}");
    assert!(!report.to_string().contains("down-secret"), "{report}");
    registry.close().await;
}
