//! SQL connections: `cargo run --example sql`.
//!
//! Uses an in-memory SQLite database, or PostgreSQL when `CONNFX_TEST_POSTGRES_URL` is set
//! (`postgres://postgres@127.0.0.1:5432/test` in CI). It connects, shows the typed pool and a
//! call through the connection's retry and circuit breaker, prints the health, then shows what
//! health says about a database that is down — with the password of its URL nowhere in sight.

use connfx::protocol::sql::SqlPool;
use connfx::sqlx::{self, PgPool, SqlitePool};
use connfx::{Connection, SqlConfig, SqlConnection};

type Failure = Box<dyn std::error::Error>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let url = std::env::var("CONNFX_TEST_POSTGRES_URL").unwrap_or_else(|_| "sqlite::memory:".to_owned());
    let db = SqlConnection::connect("orders", settings(&url)?).await?;
    println!(
        "== connected `{}` to {} ({}), no I/O yet",
        db.name(),
        db.url(),
        db.backend()
    );

    let table = format!("connfx_example_{}", std::process::id());
    match db.pool() {
        SqlPool::Postgres(_) => postgres(&db, &table).await?,
        SqlPool::Sqlite(_) => sqlite(&db, &table).await?,
        _ => println!("this example knows PostgreSQL and SQLite"),
    }

    let health = db.health().await;
    println!(
        "\n== health: {} in {:.1?}: {}",
        health.state, health.latency, health.message
    );
    println!(
        "   pool: {} open, {} idle",
        db.pool().size(),
        db.pool().num_idle()
    );
    db.close().await;

    // Nothing listens on port 1: connecting still works (the pool is lazy), health says why.
    let down = SqlConnection::connect(
        "reports",
        settings("postgres://report:s3cret@127.0.0.1:1/reports")?,
    )
    .await?;
    let health = down.health().await;
    println!(
        "\n== a database that is down: {} ({})",
        down.url(),
        down.backend()
    );
    println!("   health: {}: {}", health.state, health.message);
    down.close().await;
    Ok(())
}

fn settings(url: &str) -> Result<SqlConfig, serde_json::Error> {
    serde_json::from_value(serde_json::json!({
        "url": url,
        "pool": { "max_size": 4, "min_idle": 1, "acquire_timeout": "2s" },
        "retry": { "max_attempts": 3, "initial_interval": "50ms" },
        "circuit_breaker": { "failure_threshold": 5, "reset_timeout": "10s" },
        "health": { "timeout": "2s" },
    }))
}

async fn postgres(db: &SqlConnection, table: &str) -> Result<(), Failure> {
    let pool = &db.postgres().ok_or("not PostgreSQL")?;
    let create =
        format!("CREATE TABLE {table} (id BIGSERIAL PRIMARY KEY, item TEXT NOT NULL, tags TEXT[] NOT NULL)");
    sqlx::query(sqlx::AssertSqlSafe(create)).execute(pool).await?;
    let insert = format!("INSERT INTO {table} (item, tags) VALUES ($1, $2), ($3, $4)");
    // Through `run`: the closure's `PgPool` picks the typed pool; retry and breaker apply.
    let done = db
        .run(|pool: PgPool| {
            let insert = insert.clone();
            async move {
                sqlx::query(sqlx::AssertSqlSafe(insert))
                    .bind("pen")
                    .bind(vec!["office"])
                    .bind("ink")
                    .bind(vec!["office", "refill"])
                    .execute(&pool)
                    .await
            }
        })
        .await?;
    println!(
        "\n== PostgreSQL: inserted {} rows into {table}",
        done.rows_affected()
    );
    let select = format!("SELECT id, item, tags FROM {table} ORDER BY id");
    let rows: Vec<(i64, String, Vec<String>)> = sqlx::query_as(sqlx::AssertSqlSafe(select))
        .fetch_all(pool)
        .await?;
    for (id, item, tags) in rows {
        println!("   {id}: {item} {tags:?}");
    }
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE {table}")))
        .execute(pool)
        .await?;
    Ok(())
}

async fn sqlite(db: &SqlConnection, table: &str) -> Result<(), Failure> {
    let pool = &db.sqlite().ok_or("not SQLite")?;
    let create = format!("CREATE TABLE {table} (id INTEGER PRIMARY KEY, item TEXT NOT NULL UNIQUE)");
    sqlx::query(sqlx::AssertSqlSafe(create)).execute(pool).await?;
    let insert = format!("INSERT INTO {table} (item) VALUES ('pen'), ('ink')");
    let done = db
        .run(|pool: SqlitePool| {
            let insert = insert.clone();
            async move { sqlx::query(sqlx::AssertSqlSafe(insert)).execute(&pool).await }
        })
        .await?;
    println!("\n== SQLite: inserted {} rows into {table}", done.rows_affected());
    let select = format!("SELECT id, item FROM {table} ORDER BY id");
    let rows: Vec<(i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(select))
        .fetch_all(pool)
        .await?;
    for (id, item) in rows {
        println!("   {id}: {item}");
    }
    // The same insert again breaks the UNIQUE constraint: a `CallError::Query` holding sqlx's
    // error, neither retried nor counted by the breaker.
    let again = format!("INSERT INTO {table} (item) VALUES ('pen')");
    let err = db
        .run(|pool: SqlitePool| {
            let again = again.clone();
            async move { sqlx::query(sqlx::AssertSqlSafe(again)).execute(&pool).await }
        })
        .await
        .err()
        .ok_or("the duplicate was accepted")?;
    let unique = err
        .sqlx_error()
        .and_then(|e| e.as_database_error())
        .is_some_and(|e| e.is_unique_violation());
    println!("   duplicate insert: {err} (unique violation: {unique})");
    Ok(())
}
