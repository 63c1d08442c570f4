//! SQL connections on sqlx: a pool per connection, `SELECT 1` health.

mod config;

pub use config::SqlConfig;

use std::sync::Arc;
use std::time::Instant;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

use crate::{ConnUrl, ConnectError, Connection, Health, HealthState};

/// A pool of SQL connections (SQLite here; PostgreSQL and MySQL through the same type).
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use connfx::{Connection, SqlConnection, SqlConfig};
/// let config: SqlConfig = serde_json::from_value(serde_json::json!({ "url": "sqlite::memory:" }))?;
/// let db = SqlConnection::connect("orders", config).await?;
/// let one: (i32,) = sqlx::query_as("SELECT 1").fetch_one(db.pool()).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SqlConnection {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    config: SqlConfig,
    pool: AnyPool,
}

impl SqlConnection {
    /// The connection's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The database URL (its password hidden when displayed).
    pub fn url(&self) -> &ConnUrl {
        &self.inner.config.url
    }

    /// The settings it was built from.
    pub fn config(&self) -> &SqlConfig {
        &self.inner.config
    }

    /// The sqlx pool, for queries.
    pub fn pool(&self) -> &AnyPool {
        &self.inner.pool
    }
}

impl std::fmt::Debug for SqlConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlConnection")
            .field("name", &self.inner.name)
            .field("url", &self.inner.config.url)
            .finish()
    }
}

impl Connection for SqlConnection {
    const PROTOCOL: &'static str = "sql";
    const URL_SCHEMES: &'static [&'static str] = &["sqlite", "postgres", "postgresql", "mysql", "mariadb"];
    type Config = SqlConfig;

    async fn connect(name: &str, config: SqlConfig) -> Result<Self, ConnectError> {
        sqlx::any::install_default_drivers();
        let pool = &config.pool;
        let mut options = AnyPoolOptions::new()
            .max_connections(pool.max_size)
            .min_connections(pool.min_idle)
            .acquire_timeout(config.timeout.connect.unwrap_or(pool.acquire_timeout))
            .idle_timeout(Some(pool.idle_timeout));
        if let Some(lifetime) = pool.max_lifetime {
            options = options.max_lifetime(lifetime);
        }
        let url = config.url.expose().as_str().replacen("mariadb:", "mysql:", 1);
        let pool = options
            .connect(&url)
            .await
            .map_err(|e| ConnectError::new(name, describe(&e)))?;
        tracing::debug!(connection = name, url = %config.url, "sql pool ready");
        Ok(SqlConnection {
            inner: Arc::new(Inner {
                name: name.to_owned(),
                config,
                pool,
            }),
        })
    }

    async fn health(&self) -> Health {
        if self.inner.pool.is_closed() {
            return Health::new(HealthState::Unknown, std::time::Duration::ZERO, "closed");
        }
        let started = Instant::now();
        match sqlx::query("SELECT 1").execute(&self.inner.pool).await {
            Ok(_) => Health::ready(started.elapsed(), "SELECT 1 ok"),
            Err(e) => Health::error(started.elapsed(), describe(&e)),
        }
    }

    async fn close(&self) {
        self.inner.pool.close().await;
    }

    fn health_timeout(&self) -> std::time::Duration {
        self.inner.config.health.timeout
    }
}

/// A database error without the URL (which may hold a password).
fn describe(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => format!("database error: {}", db.message()),
        sqlx::Error::Io(io) => format!("I/O error: {io}"),
        sqlx::Error::Configuration(_) => "invalid database URL or options".to_owned(),
        sqlx::Error::PoolTimedOut => "no connection could be had in time (pool timed out)".to_owned(),
        sqlx::Error::PoolClosed => "pool closed".to_owned(),
        other => other.to_string(),
    }
}
