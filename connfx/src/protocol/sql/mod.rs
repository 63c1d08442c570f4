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
//! let pool: PgPool = db.postgres().ok_or("not a PostgreSQL URL")?;
//! let unpaid: Vec<(i64, String)> = connfx::sqlx::query_as("SELECT id, item FROM orders WHERE NOT paid")
//!     .fetch_all(&pool)
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
//! | `postgres://…`, `postgresql://…` | PostgreSQL | `postgres` | [`SqlConnection::postgres`] → `PgPool` |
//! | `mysql://…`, `mariadb://…` | MySQL, MariaDB (one driver) | `mysql` | [`SqlConnection::mysql`] → `MySqlPool` |
//! | `sqlite::memory:`, `sqlite://path.db`, `sqlite:path.db?mode=rwc` | SQLite | `sql` (default) | [`SqlConnection::sqlite`] → `SqlitePool` |
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

use super::generations::Generations;
use crate::lifecycle::Lifecycle;
use crate::registry::RegistrySlot;
use crate::reload::Prepared;
use crate::telemetry::{Connections, Telemetry};
use crate::{Applied, ConnUrl, ConnectError, Connection};

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
/// let one: (i32,) = connfx::sqlx::query_as("SELECT 1").fetch_one(&db.sqlite().unwrap()).await?;
/// assert_eq!(one.0, 1);
/// assert_eq!(db.health().await.state, connfx::HealthState::Ready);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SqlConnection {
    /// Its life and its generations: [`SqlConnection::reload`] swaps them whole (a call loads
    /// one once and keeps it to its end).
    handle: Arc<Generations<Inner>>,
    /// The derived struct's registry, when this handle is one of its fields.
    slot: RegistrySlot,
}

/// One generation: a pool and the settings it was built from.
struct Inner {
    config: Arc<SqlConfig>,
    /// Shared with the next generation when a reload keeps the pool.
    pool: Arc<OwnedPool>,
    /// `host:port` (or the SQLite file), for messages: never the user-info.
    target: String,
    policies: crate::resilience::stack::Policies,
}
crate::reload::current::cached!(Inner);

/// A pool that closes itself, gracefully and bounded, once no generation holds it: the last
/// call on a pool a reload replaced has ended. (A pool closed by `close` is closed already.)
struct OwnedPool(SqlPool);

impl std::ops::Deref for OwnedPool {
    type Target = SqlPool;

    fn deref(&self) -> &SqlPool {
        &self.0
    }
}

impl Drop for OwnedPool {
    fn drop(&mut self) {
        if self.0.is_closed() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // No runtime (a test's end, a blocking context): dropping the pool closes its
            // idle connections without the goodbye.
            return;
        };
        let pool = self.0.clone();
        runtime.spawn(async move {
            let _ = tokio::time::timeout(CLOSE_LIMIT, pool.close()).await;
        });
    }
}

impl SqlConnection {
    super::generations::live_accessors!(SqlConnection, SqlConfig, "db");

    /// The backend, from the URL's scheme.
    ///
    /// ```no_run
    /// # fn run(db: connfx::SqlConnection) {
    /// use connfx::protocol::sql::SqlBackend;
    /// if db.backend() == SqlBackend::Postgres { /* use RETURNING */ }
    /// # }
    /// ```
    pub fn backend(&self) -> SqlBackend {
        self.live().pool.backend()
    }

    /// The typed sqlx pool (the current one, after a [`reload`](SqlConnection::reload)),
    /// whichever the backend; a cheap handle. Queries made on it directly bypass the
    /// connection's retry, breaker and timeouts (see [`run`](SqlConnection::run)).
    ///
    /// ```no_run
    /// # fn run(db: connfx::SqlConnection) {
    /// println!("{} connections open", db.pool().size());
    /// # }
    /// ```
    pub fn pool(&self) -> SqlPool {
        SqlPool::clone(&self.live().pool)
    }

    /// The pool of database type `DB` (`sqlx::Postgres`, `sqlx::MySql`, `sqlx::Sqlite`), if the
    /// connection is of that backend.
    ///
    /// ```no_run
    /// # fn run(db: connfx::SqlConnection) {
    /// let pool: Option<connfx::sqlx::SqlitePool> = db.typed::<connfx::sqlx::Sqlite>();
    /// # }
    /// ```
    pub fn typed<DB: SqlDatabase>(&self) -> Option<sqlx::Pool<DB>> {
        DB::pool_of(&self.live().pool).cloned()
    }

    /// The PostgreSQL pool, if the URL is `postgres://` or `postgresql://`.
    ///
    /// ```no_run
    /// # async fn run(db: connfx::SqlConnection) -> Result<(), connfx::sqlx::Error> {
    /// let pool = db.postgres().expect("a PostgreSQL connection");
    /// let now: (String,) = connfx::sqlx::query_as("SELECT now()::text").fetch_one(&pool).await?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "postgres")]
    pub fn postgres(&self) -> Option<sqlx::PgPool> {
        self.typed()
    }

    /// The MySQL/MariaDB pool, if the URL is `mysql://` or `mariadb://`.
    ///
    /// ```no_run
    /// # async fn run(db: connfx::SqlConnection) -> Result<(), connfx::sqlx::Error> {
    /// let pool = db.mysql().expect("a MySQL connection");
    /// let version: (String,) = connfx::sqlx::query_as("SELECT VERSION()").fetch_one(&pool).await?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "mysql")]
    pub fn mysql(&self) -> Option<sqlx::MySqlPool> {
        self.typed()
    }

    /// The SQLite pool, if the URL is `sqlite:`.
    ///
    /// ```no_run
    /// # async fn run(db: connfx::SqlConnection) -> Result<(), connfx::sqlx::Error> {
    /// let pool = db.sqlite().expect("a SQLite connection");
    /// connfx::sqlx::query("CREATE TABLE IF NOT EXISTS t (x INTEGER)").execute(&pool).await?;
    /// # Ok(()) }
    /// ```
    pub fn sqlite(&self) -> Option<sqlx::SqlitePool> {
        self.typed()
    }

    /// Whether [`Connection::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.handle.lifecycle.is_closed() || self.live().pool.is_closed()
    }

    /// Applies `config` to this live connection, checked as [`Connection::connect`] checks it,
    /// and says how ([`Applied`]). Policies change in place keeping their state (an open
    /// breaker stays open, a limit keeps its tokens) and `timeout.total` and `health` apply as
    /// they are ([`Applied::Live`]). Any other key (the URL, `pool`, the other timeouts) builds
    /// a new pool beside the old one ([`Applied::Reconnected`]): calls already started finish
    /// on the old pool, which is closed when the last of them ends; later calls use the new
    /// one. The backend cannot change (a PostgreSQL connection stays PostgreSQL): pool handles
    /// given out are typed by it. A pool handle taken earlier with [`pool`](Self::pool) or
    /// [`postgres`](Self::postgres) is the old pool, closed with it: take one per use, or go
    /// through [`run`](Self::run), which always uses the current pool.
    ///
    /// # Errors
    /// A [`ConnectError`] when `config` cannot make a pool, changes the backend, or a policy
    /// refuses it; the connection then keeps running as it was.
    ///
    /// ```
    /// use connfx::{Applied, Connection, SqlConfig, SqlConnection};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), connfx::ConnectError> {
    /// let config = |json| serde_json::from_value::<SqlConfig>(json).expect("valid");
    /// let db = SqlConnection::connect("orders", config(serde_json::json!({ "url": "sqlite::memory:" }))).await?;
    /// let patient = config(serde_json::json!({ "url": "sqlite::memory:", "timeout": { "total": "45s" } }));
    /// assert_eq!(db.reload(patient).await?, Applied::Live);
    /// let bigger = config(serde_json::json!({ "url": "sqlite::memory:", "pool": { "max_size": 4 } }));
    /// assert_eq!(db.reload(bigger).await?, Applied::Reconnected);
    /// # Ok(()) }
    /// ```
    pub async fn reload(&self, config: SqlConfig) -> Result<Applied, ConnectError> {
        Ok(self.prepare(config).await?.apply())
    }

    /// The checks and, when needed, the new pool of a reload to `config`; applying it changes
    /// the policies in place and swaps. The reload's turn is held until it is applied or
    /// dropped.
    async fn prepare(&self, config: SqlConfig) -> Result<Prepared, ConnectError> {
        let turn = self.handle.reload_turn().await?;
        let name = self.name();
        let fail = |message: String| ConnectError::new(name, message);
        crate::resilience::stack::Policies::check(config.policies()).map_err(|e| fail(e.to_string()))?;
        let now = self.live();
        let applied = crate::reload::applied::<Self>(&now.config, &config);
        let pool = match applied {
            Applied::Live => None,
            Applied::Reconnected => {
                pool::check_sizes(&config).map_err(fail)?;
                let (backend, pool) = pool::build(&config).map_err(fail)?;
                if backend != now.pool.backend() {
                    return Err(fail(format!(
                        "the backend cannot change on a running connection ({} to {backend}): restart to apply this",
                        now.pool.backend()
                    )));
                }
                Some(pool)
            }
        };
        let handle = Arc::clone(&self.handle);
        Ok(Prepared::new(applied, move || {
            let _turn = turn;
            let now = handle.live();
            let Some(policies) = now
                .policies
                .carried_on(&handle.name, config.policies(), &handle.telemetry)
            else {
                return;
            };
            let (pool, target) = match pool {
                Some(pool) => {
                    let target = target_of(pool.backend(), &config.url);
                    (Arc::new(OwnedPool(pool)), target)
                }
                None => (Arc::clone(&now.pool), now.target.clone()),
            };
            let min_idle = config.pool.min_idle;
            let inner = Arc::new(Inner {
                config: Arc::new(config),
                pool,
                target,
                policies,
            });
            if applied == Applied::Reconnected && min_idle > 0 {
                warm::spawn(Arc::downgrade(&inner), min_idle);
            }
            handle.swap_in(inner);
            tracing::info!(connection = %handle.name, ?applied, "sql connection reloaded");
        }))
    }

    /// The pool and settings a call started now runs with.
    fn live(&self) -> Arc<Inner> {
        self.handle.live()
    }

    pub(crate) fn lifecycle(&self) -> &Lifecycle {
        &self.handle.lifecycle
    }

    pub(crate) fn telemetry_handle(&self) -> &Telemetry {
        &self.handle.telemetry
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
        let inner = Arc::new(Inner {
            target: target_of(backend, &config.url),
            policies: crate::resilience::stack::Policies::new(name, config.policies()),
            config: Arc::new(config),
            pool: Arc::new(OwnedPool(pool)),
        });
        if inner.config.pool.min_idle > 0 {
            warm::spawn(Arc::downgrade(&inner), inner.config.pool.min_idle);
        }
        let handle = Arc::new(Generations::new(name, "sql", inner));
        offer_gauges(&handle);
        Ok(SqlConnection {
            handle,
            slot: RegistrySlot::new(),
        })
    }

    /// Closes the pool: new queries fail at once (through [`run`](SqlConnection::run) with
    /// [`CallError::Closed`](crate::CallError::Closed)), idle connections are closed, and connections in use are closed
    /// as they come back; waits for them at most 30 s.
    async fn close(&self) {
        let _turn = self.handle.close_turn().await;
        // Calls through `run` first (they may still need a connection), then the pool.
        self.handle.lifecycle.close(CLOSE_LIMIT).await;
        let pool = self.pool();
        if tokio::time::timeout(CLOSE_LIMIT, pool.close()).await.is_err() {
            tracing::warn!(
                connection = self.name(),
                "sql pool close gave up waiting for connections in use"
            );
        }
        tracing::debug!(connection = self.name(), "sql pool closed");
    }

    super::handle::handle_methods!(
        health = health::check,
        telemetry = handle.telemetry,
        reload,
        fleet
    );

    #[cfg(feature = "redis")]
    fn fleet_breaker(&self) -> Option<Arc<crate::resilience::circuit_breaker::FleetBreaker>> {
        self.live().policies.fleet_breaker.clone()
    }
}

impl fmt::Debug for SqlConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlConnection")
            .field("name", &self.handle.name)
            .field("backend", &self.backend())
            .field("url", &self.live().config.url)
            .finish_non_exhaustive()
    }
}

/// Retries and breaker transitions, and the pool gauges: `connfx.pool.size` (connections open),
/// `connfx.pool.in_use` (open and not idle) and `connfx.pool.waiters`: calls through `run` in
/// flight beyond the connections in use, i.e. about those waiting for a connection (sqlx does
/// not tell its own count). And the semantic conventions' `db.client.connection.count`, by
/// state (`idle`, `used`).
fn offer_gauges(handle: &Arc<Generations<Inner>>) {
    let telemetry = &handle.telemetry;
    handle.live().policies.watch(telemetry);
    let in_use = |p: &SqlPool| i64::from(p.size()) - i64::try_from(p.num_idle()).unwrap_or(0);
    // Each reads the current pool, whichever generation it is.
    telemetry.gauge_of("connfx.pool.size", "Connections of the pool", handle, |h| {
        i64::from(h.live().pool.size())
    });
    telemetry.gauge_of("connfx.pool.in_use", "Connections in use", handle, move |h| {
        in_use(&h.live().pool).max(0)
    });
    telemetry.gauge_of(
        "connfx.pool.waiters",
        "Calls waiting for a connection",
        handle,
        move |h| (h.lifecycle.in_flight() - in_use(&h.live().pool)).max(0),
    );
    telemetry.connections_of(handle, move |h| {
        let pool = &h.live().pool;
        Connections {
            idle: i64::try_from(pool.num_idle()).unwrap_or(i64::MAX),
            used: in_use(pool).max(0),
        }
    });
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
