//! [`SqlPool`]: the typed sqlx pool of a connection, built lazily from its settings.

use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::pool::PoolOptions;

use super::{SqlBackend, SqlConfig, SqlDatabase};
use crate::config::group::Problem;

/// The sqlx pool of a [`SqlConnection`](super::SqlConnection), typed by backend: match on it,
/// or ask the connection for the one you expect (`db.postgres()`, `db.typed::<Postgres>()`).
/// Cheap to clone (an `Arc` inside); clones share the pool.
///
/// A variant exists when its cargo feature is on (`postgres`, `mysql`; SQLite always).
///
/// ```no_run
/// # async fn run(db: connfx::SqlConnection) -> Result<(), connfx::sqlx::Error> {
/// use connfx::protocol::sql::SqlPool;
/// let tables: i64 = match &db.pool() {
///     # #[cfg(feature = "postgres")]
///     SqlPool::Postgres(pool) => {
///         connfx::sqlx::query_scalar("SELECT count(*) FROM pg_tables").fetch_one(pool).await?
///     }
///     SqlPool::Sqlite(pool) => {
///         connfx::sqlx::query_scalar("SELECT count(*) FROM sqlite_master").fetch_one(pool).await?
///     }
///     _ => 0,
/// };
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum SqlPool {
    /// A PostgreSQL pool.
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
    /// A MySQL/MariaDB pool.
    #[cfg(feature = "mysql")]
    MySql(sqlx::MySqlPool),
    /// A SQLite pool.
    Sqlite(sqlx::SqlitePool),
}

/// Runs the same expression on whichever typed pool `$pool` holds, bound as `$p`.
macro_rules! each_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            #[cfg(feature = "postgres")]
            SqlPool::Postgres($p) => $body,
            #[cfg(feature = "mysql")]
            SqlPool::MySql($p) => $body,
            SqlPool::Sqlite($p) => $body,
        }
    };
}
pub(super) use each_pool;

impl SqlPool {
    /// The backend of this pool.
    ///
    /// ```no_run
    /// # fn run(db: connfx::SqlConnection) {
    /// println!("talking to {}", db.pool().backend());
    /// # }
    /// ```
    pub fn backend(&self) -> SqlBackend {
        each_pool!(self, p => backend_of(p))
    }

    /// The pool of database type `DB`, if this is one.
    ///
    /// ```no_run
    /// # fn run(db: connfx::SqlConnection) {
    /// let sqlite = db.pool().typed::<connfx::sqlx::Sqlite>();
    /// # }
    /// ```
    pub fn typed<DB: SqlDatabase>(&self) -> Option<&sqlx::Pool<DB>> {
        DB::pool_of(self)
    }

    /// Connections open now, idle or in use.
    ///
    /// ```no_run
    /// # fn run(db: connfx::SqlConnection) {
    /// println!("{} open, {} idle", db.pool().size(), db.pool().num_idle());
    /// # }
    /// ```
    pub fn size(&self) -> u32 {
        each_pool!(self, p => p.size())
    }

    /// Idle connections now.
    pub fn num_idle(&self) -> usize {
        each_pool!(self, p => p.num_idle())
    }

    /// Whether the pool was closed.
    pub fn is_closed(&self) -> bool {
        each_pool!(self, p => p.is_closed())
    }

    /// Closes the pool: new acquires fail at once; waits for connections in use to come back.
    pub async fn close(&self) {
        each_pool!(self, p => p.close().await)
    }
}

fn backend_of<DB: SqlDatabase>(_: &sqlx::Pool<DB>) -> SqlBackend {
    DB::BACKEND
}

/// The connect options a URL gives, for its backend.
enum Options {
    #[cfg(feature = "postgres")]
    Postgres(sqlx::postgres::PgConnectOptions),
    #[cfg(feature = "mysql")]
    MySql(sqlx::mysql::MySqlConnectOptions),
    Sqlite(sqlx::sqlite::SqliteConnectOptions),
}

/// The backend `config`'s URL names and the connect options sqlx reads from it: a backend whose
/// cargo feature is on, and a URL (with its options) sqlx accepts. No I/O: what the loader runs
/// as the protocol's declared check ([`check_sql`]) and `connect` runs again to build the pool.
///
/// # Errors
/// The problem at `url`, never quoting the URL.
fn options(config: &SqlConfig) -> Result<(SqlBackend, Options), Problem> {
    let url = config.url.expose();
    let backend = SqlBackend::from_scheme(url.scheme()).ok_or_else(|| {
        Problem::at(
            "url",
            format!(
                "URL scheme `{}` is not a SQL database: expected `postgres`, `postgresql`, `mysql`, `mariadb` or `sqlite`",
                url.scheme()
            ),
        )
    })?;
    let invalid = |_: sqlx::Error| Problem::at("url", format!("invalid {backend} URL or options"));
    let options = match backend {
        #[cfg(feature = "postgres")]
        SqlBackend::Postgres => {
            Options::Postgres(sqlx::postgres::PgConnectOptions::from_url(url).map_err(invalid)?)
        }
        // sqlx reads host, user, database and options from the URL and ignores its scheme, so
        // `mariadb://` needs no rewriting.
        #[cfg(feature = "mysql")]
        SqlBackend::MySql => {
            Options::MySql(sqlx::mysql::MySqlConnectOptions::from_url(url).map_err(invalid)?)
        }
        SqlBackend::Sqlite => {
            Options::Sqlite(sqlx::sqlite::SqliteConnectOptions::from_url(url).map_err(invalid)?)
        }
        #[allow(unreachable_patterns)] // every backend compiled in
        other => {
            return Err(Problem::at(
                "url",
                format!(
                    "`{}://` needs connfx's `{other}` cargo feature, which is not enabled",
                    url.scheme()
                ),
            ));
        }
    };
    Ok((backend, options))
}

/// The protocol's declared check (`check [check_sql]` in `connfx-spec`): [`options`].
pub(super) fn check_sql(config: &SqlConfig) -> Result<(), Problem> {
    options(config).map(drop)
}

/// A lazy pool for `config`: no connection is opened until the first use.
///
/// # Errors
/// A message (never the URL) when the scheme is no SQL database, its backend is not compiled in
/// or the URL's options are invalid.
pub(super) fn build(config: &SqlConfig) -> Result<(SqlBackend, SqlPool), String> {
    let (backend, options) = options(config).map_err(|problem| problem.message)?;
    let pool = match options {
        #[cfg(feature = "postgres")]
        Options::Postgres(options) => SqlPool::Postgres(pool_options(config).connect_lazy_with(options)),
        #[cfg(feature = "mysql")]
        Options::MySql(options) => SqlPool::MySql(pool_options(config).connect_lazy_with(options)),
        Options::Sqlite(options) => SqlPool::Sqlite(pool_options(config).connect_lazy_with(options)),
    };
    Ok((backend, pool))
}

/// The pool settings of `config`, for any backend.
fn pool_options<DB: sqlx::Database>(config: &SqlConfig) -> PoolOptions<DB> {
    let pool = &config.pool;
    PoolOptions::new()
        .max_connections(pool.max_size)
        .min_connections(pool.min_idle)
        .acquire_timeout(acquire_timeout(config))
        .idle_timeout(pool.idle_timeout)
        .max_lifetime(pool.max_lifetime)
}

/// sqlx opens a pool's connections inside `acquire` and has no connect timeout of its own:
/// `timeout.connect`, when set and shorter, caps the whole acquire wait.
pub(super) fn acquire_timeout(config: &SqlConfig) -> Duration {
    let acquire = config.pool.acquire_timeout;
    config
        .timeout
        .connect
        .map_or(acquire, |connect| connect.min(acquire))
}

/// Checks the pool sizes sqlx would otherwise panic on or ignore, for a config built in code
/// (the loader has run the same checks: the key table's bounds and `pool`'s own check).
///
/// # Errors
/// What is wrong, in the loader's words.
pub(super) fn check_sizes(config: &SqlConfig) -> Result<(), String> {
    let pool = &config.pool;
    if pool.max_size == 0 {
        return Err("`pool.max_size` must be at least 1".to_owned());
    }
    crate::settings::pool::min_idle_fits(pool).map_err(|problem| format!("`pool`: {problem}"))
}
