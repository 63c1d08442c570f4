//! SQL connections on sqlx: PostgreSQL, MySQL/MariaDB and SQLite, one typed pool per
//! connection, `SELECT 1` health that names the real cause of a failure.
//!
//! ```no_run
//! # #[cfg(feature = "postgres")]
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use connfx::{Connection, SqlConfig, SqlConnection};
//! use connfx::sqlx::PgPool;
//!
//! let config: SqlConfig = serde_json::from_value(serde_json::json!({
//!     "url": "postgres://app:secret@127.0.0.1:5432/shop",
//!     "pool": { "max_size": 20, "acquire_timeout": "3s" },
//!     "retry": { "max_attempts": 3 },
//! }))?;
//! let db = SqlConnection::connect("orders", config).await?; // no I/O yet: the pool is lazy
//!
//! // The typed pool, for sqlx with native types.
//! let pool: &PgPool = db.postgres().ok_or("not a PostgreSQL URL")?;
//! let unpaid: Vec<(i64, String)> = connfx::sqlx::query_as("SELECT id, item FROM orders WHERE NOT paid")
//!     .fetch_all(pool)
//!     .await?;
//!
//! // The same through the connection's retry, circuit breaker and timeouts.
//! let unpaid: Vec<(i64, String)> = db
//!     .run_idempotent(|pool: PgPool| async move {
//!         connfx::sqlx::query_as("SELECT id, item FROM orders WHERE NOT paid").fetch_all(&pool).await
//!     })
//!     .await?;
//! println!("{}", db.health().await.message); // "SELECT 1 ok", or why not
//! # Ok(()) }
//! ```
//!
//! # Backends
//!
//! | URL | backend | cargo feature | typed pool |
//! |---|---|---|---|
//! | `postgres://…`, `postgresql://…` | PostgreSQL | `postgres` | [`SqlConnection::postgres`] → `&PgPool` |
//! | `mysql://…`, `mariadb://…` | MySQL, MariaDB (one driver) | `mysql` | [`SqlConnection::mysql`] → `&MySqlPool` |
//! | `sqlite::memory:`, `sqlite://path.db`, `sqlite:path.db?mode=rwc` | SQLite | `sql` (default) | [`SqlConnection::sqlite`] → `&SqlitePool` |
//!
//! Driver options stay in the URL, as sqlx reads them: `?sslmode=verify-full&sslrootcert=…`
//! (PostgreSQL), `?ssl-mode=required` (MySQL), `?mode=rwc` (SQLite: create the file).
//!
//! # How the settings map onto sqlx
//!
//! | setting | effect |
//! |---|---|
//! | `pool.max_size`, `pool.min_idle` | `max_connections`, `min_connections`; `min_idle` connections are opened in the background right after `connect` (sqlx's lazy pool would wait for its first idle reap), then kept by sqlx |
//! | `pool.max_lifetime`, `pool.idle_timeout` | the same sqlx settings; `max_lifetime` unset means never (sqlx's own default is 30 min) |
//! | `pool.acquire_timeout` | the longest wait for a connection from the pool, opening one included |
//! | `timeout.connect` | caps that wait when shorter (sqlx opens connections inside the acquire wait), and bounds the health check's diagnostic connection |
//! | `timeout.per_attempt`, `timeout.total` | bound each try and the whole of a [`SqlConnection::run`] (the total: 30 s unless set) |
//! | `retry`, `circuit_breaker` | applied by [`SqlConnection::run`] and [`SqlConnection::run_idempotent`]; queries made on the pool directly bypass them |
//! | `health.timeout` | how long [`Connection::health`] may take |
//!
//! # Health
//!
//! `SELECT 1` on a pooled connection: `Ready` when it answers. When the pool gives no connection
//! within half of `health.timeout`, the check opens one plain connection itself, because sqlx's
//! pool only says "pool timed out", and reports what that connection met:
//!
//! | state | message |
//! |---|---|
//! | `Error` | `cannot connect to 127.0.0.1:5432: connection refused` |
//! | `Error` | `authentication failed: password authentication failed for user "app"` |
//! | `Error` | `unknown database: database "shop" does not exist` (MySQL: `Unknown database 'shop'`) |
//! | `Live` | `a new connection answers SELECT 1, but the pool gave none within 2s 500ms (20 open, 0 idle)` |
//! | `Unknown` | `closed` |
//!
//! Messages are the server's own words after a short label; they may name the user or the
//! database, never the password (the URL is never printed).
//!
//! # Decisions
//!
//! - **Typed pools, no `AnyPool`**: the connection holds one [`SqlPool`] — `PgPool`,
//!   `MySqlPool` or `SqlitePool` — picked by the URL's scheme. sqlx's typed pools decode every
//!   native type (`Uuid`, `chrono`, `JSONB`, arrays …) and work with `query_as!`, which `Any`
//!   cannot; keeping an `AnyPool` as well would open a second pool with its own `max_size` to
//!   the same database. Code that must work on any backend matches on [`SqlPool`].
//! - **Connecting does no network I/O**: the pool is lazy (`connect_lazy_with`), so a service
//!   boots while its database is down and health says why. Only a malformed URL, a backend
//!   whose cargo feature is off, or contradictory pool sizes fail `connect`.
//! - **`mariadb://` is MySQL**: sqlx's MySQL driver serves both.
//! - **Health finds the cause itself**: see above; the diagnostic connection is closed at once.
//!   A server that answers while the pool is exhausted is `Live`, not `Error`: the database is
//!   fine, this service is saturating its pool.
//! - **Policies wrap closures, not statements**: [`SqlConnection::run`] runs a closure on the
//!   typed pool under the retry, breaker and timeouts, since a unit of work is often several
//!   statements or a transaction. A plain `run` is retried only when nothing reached the
//!   database; [`SqlConnection::run_idempotent`] also after timeouts and broken connections.
//!   Left at its default (an HTTP list), `retry_on` reads `connect,timeout,transport` for SQL.
//!   A try is bounded by `timeout.per_attempt` or the time left before `timeout.total`,
//!   whichever ends first, so a query the total timeout cuts short is a breaker failure too.
//!   Rejected statements (constraint, syntax, no row) are
//!   [`CallError::Query`](crate::CallError::Query), never retried
//!   and never counted by the breaker: the database answered.
//! - **`timeout.connect` caps `pool.acquire_timeout`**: sqlx has no separate connect timeout.
//! - **`close` closes the pool** and waits (at most 30 s) for connections in use to come back.

mod attempt;
mod backend;
mod cause;
mod config;
mod health;
mod pool;
mod run;
mod warm;

pub use backend::{SqlBackend, SqlDatabase};
pub use config::SqlConfig;
pub use pool::SqlPool;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::lifecycle::Lifecycle;
use crate::registry::RegistrySlot;
use crate::telemetry::Telemetry;
use crate::{ConnUrl, ConnectError, Connection};

/// How long `close` waits for connections in use to come back to the pool.
const CLOSE_LIMIT: Duration = Duration::from_secs(30);

/// A live SQL connection: a typed sqlx pool, the policies of its config, and its health check.
///
/// Cheap to clone (an `Arc` inside); clones share the pool. `Debug` shows the name, backend and
/// URL with its password redacted.
///
/// ```
/// use connfx::{Connection, SqlConfig, SqlConnection};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let config: SqlConfig = serde_json::from_value(serde_json::json!({ "url": "sqlite::memory:" }))?;
/// let db = SqlConnection::connect("orders", config).await?;
/// let one: (i32,) = connfx::sqlx::query_as("SELECT 1").fetch_one(db.sqlite().unwrap()).await?;
/// assert_eq!(one.0, 1);
/// assert_eq!(db.health().await.state, connfx::HealthState::Ready);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SqlConnection {
    inner: Arc<Inner>,
    /// The derived struct's registry, when this handle is one of its fields.
    slot: RegistrySlot,
}

struct Inner {
    name: String,
    config: SqlConfig,
    pool: SqlPool,
    /// `host:port` (or the SQLite file), for messages: never the user-info.
    target: String,
    policies: crate::resilience::stack::Policies,
    lifecycle: Lifecycle,
    telemetry: Telemetry,
}

impl SqlConnection {
    /// The connection's name (the field or registry name).
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The database URL; its `Display` and `Debug` redact the password.
    pub fn url(&self) -> &ConnUrl {
        &self.inner.config.url
    }

    /// The settings it was built from.
    pub fn config(&self) -> &SqlConfig {
        &self.inner.config
    }

    /// The backend, from the URL's scheme.
    ///
    /// ```no_run
    /// # fn run(db: connfx::SqlConnection) {
    /// use connfx::protocol::sql::SqlBackend;
    /// if db.backend() == SqlBackend::Postgres { /* use RETURNING */ }
    /// # }
    /// ```
    pub fn backend(&self) -> SqlBackend {
        self.inner.pool.backend()
    }

    /// The typed sqlx pool, whichever the backend. Queries made on it directly bypass the
    /// connection's retry, breaker and timeouts (see [`run`](SqlConnection::run)).
    ///
    /// ```no_run
    /// # fn run(db: connfx::SqlConnection) {
    /// println!("{} connections open", db.pool().size());
    /// # }
    /// ```
    pub fn pool(&self) -> &SqlPool {
        &self.inner.pool
    }

    /// The pool of database type `DB` (`sqlx::Postgres`, `sqlx::MySql`, `sqlx::Sqlite`), if the
    /// connection is of that backend.
    ///
    /// ```no_run
    /// # fn run(db: connfx::SqlConnection) {
    /// let pool: Option<&connfx::sqlx::SqlitePool> = db.typed::<connfx::sqlx::Sqlite>();
    /// # }
    /// ```
    pub fn typed<DB: SqlDatabase>(&self) -> Option<&sqlx::Pool<DB>> {
        DB::pool_of(&self.inner.pool)
    }

    /// The PostgreSQL pool, if the URL is `postgres://` or `postgresql://`.
    ///
    /// ```no_run
    /// # async fn run(db: connfx::SqlConnection) -> Result<(), connfx::sqlx::Error> {
    /// let pool = db.postgres().expect("a PostgreSQL connection");
    /// let now: (String,) = connfx::sqlx::query_as("SELECT now()::text").fetch_one(pool).await?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "postgres")]
    pub fn postgres(&self) -> Option<&sqlx::PgPool> {
        self.typed()
    }

    /// The MySQL/MariaDB pool, if the URL is `mysql://` or `mariadb://`.
    ///
    /// ```no_run
    /// # async fn run(db: connfx::SqlConnection) -> Result<(), connfx::sqlx::Error> {
    /// let pool = db.mysql().expect("a MySQL connection");
    /// let version: (String,) = connfx::sqlx::query_as("SELECT VERSION()").fetch_one(pool).await?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "mysql")]
    pub fn mysql(&self) -> Option<&sqlx::MySqlPool> {
        self.typed()
    }

    /// The SQLite pool, if the URL is `sqlite:`.
    ///
    /// ```no_run
    /// # async fn run(db: connfx::SqlConnection) -> Result<(), connfx::sqlx::Error> {
    /// let pool = db.sqlite().expect("a SQLite connection");
    /// connfx::sqlx::query("CREATE TABLE IF NOT EXISTS t (x INTEGER)").execute(pool).await?;
    /// # Ok(()) }
    /// ```
    pub fn sqlite(&self) -> Option<&sqlx::SqlitePool> {
        self.typed()
    }

    /// Whether [`Connection::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.inner.pool.is_closed()
    }

    /// The live circuit breaker (`circuit_breaker(...)` in the config) used by
    /// [`run`](SqlConnection::run), if any.
    ///
    /// ```no_run
    /// # fn run(db: connfx::SqlConnection) {
    /// if let Some(breaker) = db.breaker() {
    ///     println!("{:?}", breaker.state());
    /// }
    /// # }
    /// ```
    pub fn breaker(&self) -> Option<&crate::CircuitBreaker> {
        self.inner.policies.breaker.as_ref()?.one()
    }

    /// The live retry policy used by [`run`](SqlConnection::run), if any.
    pub fn retry(&self) -> Option<&crate::Retry> {
        self.inner.policies.retry.as_ref()
    }

    /// The live rate limit (`rate_limit(...)` in the config), if any.
    ///
    /// ```no_run
    /// # fn run(c: connfx::SqlConnection) {
    /// let turned_away = c.rate_limit().map_or(0, |l| l.stats().rejected);
    /// # }
    /// ```
    pub fn rate_limit(&self) -> Option<&crate::RateLimit> {
        self.inner.policies.rate_limit.as_ref()?.one()
    }

    /// The live bulkhead (`bulkhead(...)` in the config), if any.
    ///
    /// ```no_run
    /// # fn run(c: connfx::SqlConnection) {
    /// let in_flight = c.bulkhead().map_or(0, |b| b.stats().in_flight);
    /// # }
    /// ```
    pub fn bulkhead(&self) -> Option<&crate::Bulkhead> {
        self.inner.policies.bulkhead.as_ref()
    }

    pub(crate) fn lifecycle(&self) -> &Lifecycle {
        &self.inner.lifecycle
    }

    pub(crate) fn telemetry_handle(&self) -> &Telemetry {
        &self.inner.telemetry
    }

    pub(crate) fn target(&self) -> &str {
        &self.inner.target
    }

    fn policies(&self) -> &crate::resilience::stack::Policies {
        &self.inner.policies
    }
}

impl Connection for SqlConnection {
    // Name and schemes from the protocol's one declaration in `connfx-spec`.
    const PROTOCOL: &'static str = connfx_spec::protocols::SQL.name;
    const URL_SCHEMES: &'static [&'static str] = connfx_spec::protocols::SQL.schemes;
    type Config = SqlConfig;

    async fn connect(name: &str, config: SqlConfig) -> Result<Self, ConnectError> {
        let fail = |message: String| ConnectError::new(name, message);
        pool::check_sizes(&config).map_err(fail)?;
        let (backend, pool) = pool::build(&config).map_err(fail)?;
        tracing::debug!(connection = name, %backend, url = %config.url, "sql pool set up (lazy)");
        let inner = Inner {
            name: name.to_owned(),
            target: target_of(backend, &config.url),
            policies: crate::resilience::stack::Policies::new(name, config.policies()),
            config,
            pool,
            lifecycle: Lifecycle::default(),
            telemetry: Telemetry::new(name, "sql"),
        };
        let inner = Arc::new(inner);
        offer_gauges(&inner);
        if inner.config.pool.min_idle > 0 {
            warm::spawn(Arc::downgrade(&inner), inner.config.pool.min_idle);
        }
        Ok(SqlConnection {
            inner,
            slot: RegistrySlot::new(),
        })
    }

    /// Closes the pool: new queries fail at once (through [`run`](SqlConnection::run) with
    /// [`CallError::Closed`](crate::CallError::Closed)), idle connections are closed, and connections in use are closed
    /// as they come back; waits for them at most 30 s.
    async fn close(&self) {
        // Calls through `run` first (they may still need a connection), then the pool.
        self.inner.lifecycle.close(CLOSE_LIMIT).await;
        if tokio::time::timeout(CLOSE_LIMIT, self.inner.pool.close())
            .await
            .is_err()
        {
            tracing::warn!(
                connection = self.name(),
                "sql pool close gave up waiting for connections in use"
            );
        }
        tracing::debug!(connection = self.name(), "sql pool closed");
    }

    super::handle::handle_methods!(check = health::check, telemetry);
}

impl fmt::Debug for SqlConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlConnection")
            .field("name", &self.inner.name)
            .field("backend", &self.backend())
            .field("url", &self.inner.config.url)
            .finish_non_exhaustive()
    }
}

/// Retries and breaker transitions, and the pool gauges: `connfx.pool.size` (connections open),
/// `connfx.pool.in_use` (open and not idle) and `connfx.pool.waiters`: calls through `run` in
/// flight beyond the connections in use, i.e. about those waiting for a connection (sqlx does
/// not tell its own count).
fn offer_gauges(inner: &Arc<Inner>) {
    let telemetry = &inner.telemetry;
    inner.policies.watch(telemetry);
    let in_use = |i: &Inner| i64::from(i.pool.size()) - i64::try_from(i.pool.num_idle()).unwrap_or(0);
    telemetry.gauge_of("connfx.pool.size", "Connections of the pool", inner, |i| {
        i64::from(i.pool.size())
    });
    telemetry.gauge_of("connfx.pool.in_use", "Connections in use", inner, move |i| {
        in_use(i).max(0)
    });
    telemetry.gauge_of(
        "connfx.pool.waiters",
        "Calls waiting for a connection",
        inner,
        move |i| (i.lifecycle.in_flight() - in_use(i)).max(0),
    );
}

/// Where the database is, for messages: `host:port`, or SQLite's file; never the user-info.
fn target_of(backend: SqlBackend, url: &ConnUrl) -> String {
    let url = url.expose();
    match backend.default_port() {
        Some(default) => {
            let host = url.host_str().unwrap_or("localhost");
            format!("{host}:{}", url.port().unwrap_or(default))
        }
        None => {
            let file = url
                .as_str()
                .trim_start_matches("sqlite:")
                .trim_start_matches("//");
            file.split('?').next().unwrap_or_default().to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_name_host_and_port_without_credentials() {
        let target = |backend, url: &str| target_of(backend, &url.parse().unwrap());
        assert_eq!(
            target(SqlBackend::Postgres, "postgres://app:pw@db.internal/shop"),
            "db.internal:5432"
        );
        assert_eq!(
            target(SqlBackend::MySql, "mariadb://root@127.0.0.1:3307/x"),
            "127.0.0.1:3307"
        );
        assert_eq!(target(SqlBackend::Sqlite, "sqlite::memory:"), ":memory:");
        assert_eq!(
            target(SqlBackend::Sqlite, "sqlite://data/app.db?mode=rwc"),
            "data/app.db"
        );
    }
}
