//! Which database a URL names ([`SqlBackend`]), and the sqlx database types a connection can
//! hand out a typed pool of ([`SqlDatabase`]).

use std::fmt;

use futures_util::future::BoxFuture;

use super::SqlPool;

/// The database behind a [`SqlConnection`](super::SqlConnection), chosen by the URL's scheme.
///
/// ```
/// use connfx::protocol::sql::SqlBackend;
/// assert_eq!(SqlBackend::from_scheme("postgresql"), Some(SqlBackend::Postgres));
/// assert_eq!(SqlBackend::from_scheme("mariadb"), Some(SqlBackend::MySql));
/// assert_eq!(SqlBackend::MySql.to_string(), "mysql");
/// assert_eq!(SqlBackend::from_scheme("oracle"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SqlBackend {
    /// PostgreSQL: `postgres://`, `postgresql://` (cargo feature `postgres`).
    Postgres,
    /// MySQL or MariaDB: `mysql://`, `mariadb://` (cargo feature `mysql`).
    MySql,
    /// SQLite: `sqlite:` (built into the `sql` feature).
    Sqlite,
}

impl SqlBackend {
    /// The backend a URL scheme names, whether or not its cargo feature is on.
    pub fn from_scheme(scheme: &str) -> Option<SqlBackend> {
        match scheme {
            "postgres" | "postgresql" => Some(SqlBackend::Postgres),
            "mysql" | "mariadb" => Some(SqlBackend::MySql),
            "sqlite" => Some(SqlBackend::Sqlite),
            _ => None,
        }
    }

    /// The short name: `postgres`, `mysql`, `sqlite`.
    pub fn name(self) -> &'static str {
        match self {
            SqlBackend::Postgres => "postgres",
            SqlBackend::MySql => "mysql",
            SqlBackend::Sqlite => "sqlite",
        }
    }

    /// The port the server listens on when the URL names none.
    pub(super) fn default_port(self) -> Option<u16> {
        match self {
            SqlBackend::Postgres => Some(5432),
            SqlBackend::MySql => Some(3306),
            SqlBackend::Sqlite => None,
        }
    }
}

impl fmt::Display for SqlBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A sqlx database type a [`SqlConnection`](super::SqlConnection) can hold a pool of:
/// [`sqlx::Postgres`], [`sqlx::MySql`], [`sqlx::Sqlite`]. It names the typed pool in
/// [`SqlConnection::typed`](super::SqlConnection::typed) and
/// [`SqlConnection::run`](super::SqlConnection::run). Sealed: implemented by connfx only.
///
/// ```
/// use connfx::protocol::sql::{SqlBackend, SqlDatabase};
/// assert_eq!(<connfx::sqlx::Sqlite as SqlDatabase>::BACKEND, SqlBackend::Sqlite);
/// ```
pub trait SqlDatabase: sqlx::Database + sealed::Sealed {
    /// The backend this database type serves.
    const BACKEND: SqlBackend;

    /// This type's pool inside `pool`, if `pool` is of this backend.
    fn pool_of(pool: &SqlPool) -> Option<&sqlx::Pool<Self>>;

    /// Runs `SELECT 1` on one connection (the health check).
    #[doc(hidden)]
    fn select_one(connection: &mut Self::Connection) -> BoxFuture<'_, Result<(), sqlx::Error>>;
}

/// Implements [`SqlDatabase`] for one sqlx database type and its [`SqlPool`] variant.
macro_rules! sql_database {
    ($(#[$cfg:meta])* $db:ty, $variant:ident) => {
        $(#[$cfg])*
        impl sealed::Sealed for $db {}

        $(#[$cfg])*
        impl SqlDatabase for $db {
            const BACKEND: SqlBackend = SqlBackend::$variant;

            fn pool_of(pool: &SqlPool) -> Option<&sqlx::Pool<Self>> {
                #[allow(unreachable_patterns)] // with one backend compiled in, the match is total
                match pool {
                    SqlPool::$variant(pool) => Some(pool),
                    _ => None,
                }
            }

            fn select_one(connection: &mut Self::Connection) -> BoxFuture<'_, Result<(), sqlx::Error>> {
                Box::pin(async move { sqlx::query("SELECT 1").execute(connection).await.map(|_| ()) })
            }
        }
    };
}

sql_database!(
    #[cfg(feature = "postgres")]
    sqlx::Postgres,
    Postgres
);
sql_database!(
    #[cfg(feature = "mysql")]
    sqlx::MySql,
    MySql
);
sql_database!(sqlx::Sqlite, Sqlite);
