//! What a sqlx error means for the people reading a health report or an error, for the retry
//! rules and for the circuit breaker. Messages never hold the URL (it may carry a password).

use std::io::ErrorKind as IoKind;

use sqlx::error::DatabaseError;

use crate::CallError;
use crate::resilience::Outcome;

/// How a failure bears on the dependency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// Nothing reached the database: refused, unreachable, TLS, or a server starting up or full.
    Unreachable,
    /// No connection could be had in time (the pool timed out): no statement was sent.
    NoConnection,
    /// The connection broke during the call, or the server was shut down under it.
    Broken,
    /// The server turned the connection down: authentication, unknown database, bad options.
    Refused,
    /// The server answered and rejected the statement, or its answer did not fit (no row, a
    /// column that does not decode): the database itself is fine.
    Answer,
    /// The pool was closed.
    Closed,
}

impl Kind {
    /// What the retry rules see.
    pub(super) fn outcome(self) -> Outcome {
        match self {
            Kind::Unreachable => Outcome::Connect,
            Kind::NoConnection => Outcome::Timeout { sent: false },
            Kind::Broken => Outcome::Transport,
            // The server turned us down: every call would fail alike, so the breaker counts it.
            Kind::Refused => Outcome::Refused,
            // The database is fine (or the pool was closed by us): not retried, not counted.
            Kind::Answer | Kind::Closed => Outcome::Other,
        }
    }
}

/// The kind of `error`.
pub(super) fn kind(error: &sqlx::Error) -> Kind {
    match error {
        sqlx::Error::Database(db) => database_kind(db.as_ref()),
        sqlx::Error::Io(io) if unreachable_io(io.kind()) => Kind::Unreachable,
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::WorkerCrashed => Kind::Broken,
        sqlx::Error::Tls(_) => Kind::Unreachable,
        sqlx::Error::PoolTimedOut => Kind::NoConnection,
        sqlx::Error::PoolClosed => Kind::Closed,
        sqlx::Error::Configuration(_) => Kind::Refused,
        _ => Kind::Answer,
    }
}

fn unreachable_io(kind: IoKind) -> bool {
    matches!(
        kind,
        IoKind::ConnectionRefused
            | IoKind::HostUnreachable
            | IoKind::NetworkUnreachable
            | IoKind::AddrNotAvailable
            | IoKind::NotFound
    )
}

fn database_kind(db: &dyn DatabaseError) -> Kind {
    if db.is_transient_in_connect_phase() {
        return Kind::Unreachable;
    }
    if is_auth(db) || is_unknown_database(db) {
        return Kind::Refused;
    }
    let code = db.code();
    match (code.as_deref(), mysql_number(db)) {
        // PostgreSQL admin_shutdown, crash_shutdown; MySQL server shutdown, connection killed.
        (Some("57P01" | "57P02"), _) | (_, Some(1053 | 1927)) => Kind::Broken,
        // MySQL too many connections (PostgreSQL's is transient above).
        (_, Some(1040)) => Kind::Unreachable,
        _ => Kind::Answer,
    }
}

/// SQLSTATE class 28, invalid authorization: PostgreSQL's bad password or unknown role, MySQL's
/// and MariaDB's "access denied" (1045, 1698); and MySQL's access denied to a database (1044).
fn is_auth(db: &dyn DatabaseError) -> bool {
    db.code().is_some_and(|c| c.starts_with("28")) || mysql_number(db) == Some(1044)
}

/// PostgreSQL's `3D000`, MySQL's 1049, SQLite's "unable to open database file".
fn is_unknown_database(db: &dyn DatabaseError) -> bool {
    matches!(db.code().as_deref(), Some("3D000")) || mysql_number(db) == Some(1049) || sqlite_cannot_open(db)
}

/// SQLITE_CANTOPEN, extended codes included (the primary code is the low byte).
fn sqlite_cannot_open(db: &dyn DatabaseError) -> bool {
    const SQLITE_CANTOPEN: i32 = 14;
    db.try_downcast_ref::<sqlx::sqlite::SqliteError>()
        .and_then(|e| e.code()?.parse::<i32>().ok())
        .is_some_and(|code| code & 0xff == SQLITE_CANTOPEN)
}

#[cfg(feature = "mysql")]
fn mysql_number(db: &dyn DatabaseError) -> Option<u16> {
    db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
        .map(sqlx::mysql::MySqlDatabaseError::number)
}

#[cfg(not(feature = "mysql"))]
fn mysql_number(_: &dyn DatabaseError) -> Option<u16> {
    None
}

/// What went wrong, for people. `target` (`127.0.0.1:5432`) opens the message of a failure to
/// reach the server. The server's own words are kept: they name the user or the database, never
/// a password.
pub(super) fn describe(error: &sqlx::Error, target: &str) -> String {
    let text = match error {
        sqlx::Error::Database(db) => describe_database(db.as_ref()),
        sqlx::Error::Io(io) if io.kind() == IoKind::ConnectionRefused => "connection refused".to_owned(),
        sqlx::Error::Io(io) => format!("I/O error: {io}"),
        sqlx::Error::Tls(e) => format!("TLS error: {e}"),
        // What sqlx says when the server closes the connection before its first answer (or is
        // not PostgreSQL): its words name a message few people know.
        sqlx::Error::Protocol(e) if e.contains("SSLRequest") => {
            format!("the server closed the connection or did not answer as PostgreSQL at its start ({e})")
        }
        sqlx::Error::Protocol(e) => format!("protocol error: {e}"),
        sqlx::Error::Configuration(_) => "invalid database URL or options".to_owned(),
        sqlx::Error::PoolTimedOut => "no connection from the pool in time (pool timed out)".to_owned(),
        sqlx::Error::PoolClosed => "closed".to_owned(),
        other => other.to_string(),
    };
    match kind(error) {
        Kind::Unreachable if !target.is_empty() => format!("cannot connect to {target}: {text}"),
        _ => text,
    }
}

fn describe_database(db: &dyn DatabaseError) -> String {
    let message = db.message();
    if is_auth(db) {
        format!("authentication failed: {message}")
    } else if is_unknown_database(db) {
        format!("unknown database: {message}")
    } else {
        match db.code() {
            Some(code) => format!("database error {code}: {message}"),
            None => format!("database error: {message}"),
        }
    }
}

/// `error` as the [`CallError`] of a call through the connection called `connection`.
pub(super) fn call_error(connection: &str, error: sqlx::Error, target: &str) -> CallError {
    let connection = connection.to_owned();
    match kind(&error) {
        Kind::Closed => CallError::Closed { connection },
        Kind::Answer => CallError::Query {
            connection,
            message: describe(&error, target),
            source: Box::new(error),
        },
        _ => CallError::Transport {
            connection,
            message: describe(&error, target),
        },
    }
}

impl CallError {
    /// The [`sqlx::Error`] behind a [`CallError::Query`] of a SQL connection, to tell a unique
    /// violation or a missing row from other failures.
    ///
    /// ```no_run
    /// # async fn run(db: connfx::SqlConnection) {
    /// use connfx::sqlx::SqlitePool;
    /// let inserted = db
    ///     .run(|pool: SqlitePool| async move {
    ///         connfx::sqlx::query("INSERT INTO users (email) VALUES ('a@example.com')").execute(&pool).await
    ///     })
    ///     .await;
    /// if let Err(e) = inserted {
    ///     let duplicate = e
    ///         .sqlx_error()
    ///         .and_then(|e| e.as_database_error())
    ///         .is_some_and(|db| db.is_unique_violation());
    ///     println!("duplicate: {duplicate}");
    /// }
    /// # }
    /// ```
    pub fn sqlx_error(&self) -> Option<&sqlx::Error> {
        match self {
            CallError::Query { source, .. } => source.downcast_ref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_and_pool_errors_have_kinds_and_words() {
        let refused = sqlx::Error::Io(std::io::Error::from(IoKind::ConnectionRefused));
        assert_eq!(kind(&refused), Kind::Unreachable);
        assert_eq!(
            describe(&refused, "127.0.0.1:1"),
            "cannot connect to 127.0.0.1:1: connection refused"
        );
        assert_eq!(kind(&sqlx::Error::PoolTimedOut), Kind::NoConnection);
        assert_eq!(kind(&sqlx::Error::RowNotFound), Kind::Answer);
        assert_eq!(
            (Kind::Answer.outcome(), Kind::Refused.outcome()),
            (Outcome::Other, Outcome::Refused)
        );
        assert_eq!(Kind::NoConnection.outcome(), Outcome::Timeout { sent: false });
    }

    /// The chaos suite's "close after 0 bytes" fault showed only sqlx's words.
    #[test]
    fn a_connection_closed_at_its_start_says_so() {
        let closed = sqlx::Error::Protocol("unexpected response from SSLRequest: 0x00".into());
        let text = describe(&closed, "127.0.0.1:5432");
        assert!(text.starts_with("the server closed the connection"), "{text}");
        assert!(text.contains("SSLRequest: 0x00"), "{text}");
    }

    #[test]
    fn call_errors_keep_the_sqlx_error_of_an_answer() {
        let err = call_error("db", sqlx::Error::RowNotFound, "");
        assert!(matches!(err.sqlx_error(), Some(sqlx::Error::RowNotFound)));
        let err = call_error("db", sqlx::Error::PoolClosed, "");
        assert!(matches!(err, CallError::Closed { .. }));
    }
}
