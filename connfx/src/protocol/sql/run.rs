//! `run` and `run_idempotent`: a closure on the typed pool through the connection's policy
//! stack (`crate::resilience::stack`), its tries made by [`SqlAttempt`].

use std::future::Future;
use std::sync::Mutex;

use super::attempt::SqlAttempt;
use super::{Inner, SqlConnection, SqlDatabase};
use tracing::{Instrument, Span};

use crate::CallError;
use crate::resilience::retry::RequestInfo;
use crate::resilience::stack::CallFacts;
use crate::telemetry::{DbCall, Measure, Peer};

impl SqlConnection {
    /// Runs `op` on the typed pool through the connection's policies (`rate_limit`, `bulkhead`,
    /// `timeout.total`, `retry`, `circuit_breaker`, `timeout.per_attempt`). The closure's parameter type picks the backend
    /// (`PgPool`, `MySqlPool`, `SqlitePool`); a pool of another backend than the connection's
    /// is [`CallError::InvalidRequest`].
    ///
    /// `op` may run more than once, so the retry rules treat it like a non-idempotent request:
    /// it is tried again only when nothing reached the database (refused, no connection from the
    /// pool in time), unless `retry(non_idempotent = true)` is set. Use
    /// [`run_idempotent`](SqlConnection::run_idempotent) for reads and for work that is safe to
    /// repeat. Put statements that belong together in one transaction (`pool.begin()`), so a
    /// retried closure never repeats half of them.
    ///
    /// ```no_run
    /// # #[cfg(feature = "postgres")]
    /// # async fn demo(db: connfx::SqlConnection) -> Result<(), connfx::CallError> {
    /// use connfx::sqlx::PgPool;
    /// let id = 7_i64;
    /// db.run(|pool: PgPool| async move {
    ///     connfx::sqlx::query("UPDATE orders SET paid = true WHERE id = $1")
    ///         .bind(id)
    ///         .execute(&pool)
    ///         .await
    /// })
    /// .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// - [`CallError::Query`] when the database rejected the statement or its answer did not
    ///   fit (constraint violation, no row, a column that does not decode); its
    ///   [`sqlx_error`](CallError::sqlx_error) is sqlx's error. Not retried, not a breaker
    ///   failure.
    /// - [`CallError::Transport`] when the database could not be reached or used: the message
    ///   says why (`cannot connect to 127.0.0.1:5432: connection refused`, `authentication
    ///   failed: …`, `no connection from the pool in time`).
    /// - [`CallError::Timeout`], [`CallError::CircuitOpen`], [`CallError::RetriesExhausted`],
    ///   [`CallError::Closed`], [`CallError::InvalidRequest`].
    pub async fn run<DB, F, Fut, T>(&self, op: F) -> Result<T, CallError>
    where
        DB: SqlDatabase,
        F: FnMut(sqlx::Pool<DB>) -> Fut,
        Fut: Future<Output = Result<T, sqlx::Error>>,
    {
        self.call(op, RequestInfo::new("SQL")).await
    }

    /// As [`run`](SqlConnection::run), for work that is safe to repeat (reads, upserts): it is
    /// also tried again after timeouts and broken connections, as `retry.retry_on` allows.
    ///
    /// ```no_run
    /// # #[cfg(feature = "mysql")]
    /// # async fn demo(db: connfx::SqlConnection) -> Result<(), connfx::CallError> {
    /// use connfx::sqlx::MySqlPool;
    /// let names: Vec<String> = db
    ///     .run_idempotent(|pool: MySqlPool| async move {
    ///         connfx::sqlx::query_scalar("SELECT name FROM items").fetch_all(&pool).await
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`run`](SqlConnection::run).
    pub async fn run_idempotent<DB, F, Fut, T>(&self, op: F) -> Result<T, CallError>
    where
        DB: SqlDatabase,
        F: FnMut(sqlx::Pool<DB>) -> Fut,
        Fut: Future<Output = Result<T, sqlx::Error>>,
    {
        self.call(op, RequestInfo::new("SQL").idempotent(true)).await
    }

    async fn call<DB, F, Fut, T>(&self, op: F, request: RequestInfo<'static>) -> Result<T, CallError>
    where
        DB: SqlDatabase,
        F: FnMut(sqlx::Pool<DB>) -> Fut,
        Fut: Future<Output = Result<T, sqlx::Error>>,
    {
        // One generation for the whole call: a reload meanwhile applies to the next call.
        let live = self.live();
        let Some(_in_flight) = self.lifecycle().enter().filter(|_| !live.pool.is_closed()) else {
            let connection = self.name().to_owned();
            return Err(CallError::Closed { connection });
        };
        let system = db_system(&live);
        let span = self.span(&live, system);
        let url = live.config.url.expose();
        let db = DbCall {
            system,
            // The closure's statements are not seen here: no operation name.
            operation: None,
            peer: live
                .pool
                .backend()
                .default_port()
                .and_then(|port| Peer::of_url(url, Some(port))),
        };
        let measure = Measure::start_db(self.telemetry_handle(), "query", db);
        let result = self
            .through_policies(&live, op, request)
            .instrument(span.clone())
            .await;
        measure.end(&span, result.as_ref().err());
        result
    }

    /// The span of a call, with the database client conventions.
    fn span(&self, live: &Inner, system: &'static str) -> Span {
        crate::protocol::call_span::call_span!(
            "sql.client",
            otel.name = system,
            connection = self.name(),
            db.system.name = system,
            server.address = live.target.as_str(),
        )
    }

    async fn through_policies<DB, F, Fut, T>(
        &self,
        live: &Inner,
        op: F,
        request: RequestInfo<'static>,
    ) -> Result<T, CallError>
    where
        DB: SqlDatabase,
        F: FnMut(sqlx::Pool<DB>) -> Fut,
        Fut: Future<Output = Result<T, sqlx::Error>>,
    {
        let Some(pool) = DB::pool_of(&live.pool).cloned() else {
            let message = format!(
                "the closure takes a {} pool, but this is a {} connection",
                DB::BACKEND,
                live.pool.backend()
            );
            let connection = self.name().to_owned();
            return Err(CallError::InvalidRequest { connection, message });
        };
        let attempt = SqlAttempt {
            connection: self.name(),
            target: &live.target,
            pool,
            op: Mutex::new(op),
        };
        let facts = CallFacts {
            connection: self.name(),
            request,
            timeout: None,
            host: None,
            overrides: Default::default(),
        };
        live.policies.call(&attempt, facts).await.result
    }
}

/// `db.system.name` of the connection's database: MariaDB is told apart from MySQL by the URL's
/// scheme (`mariadb://`), as the two share a driver.
fn db_system(live: &Inner) -> &'static str {
    match live.pool.backend() {
        super::SqlBackend::Postgres => "postgresql",
        super::SqlBackend::MySql if live.config.url.expose().scheme() == "mariadb" => "mariadb",
        super::SqlBackend::MySql => "mysql",
        super::SqlBackend::Sqlite => "sqlite",
    }
}
