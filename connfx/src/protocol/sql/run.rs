//! Calls through the connection's policies, outermost first:
//!
//! total timeout → retry → circuit breaker → per-attempt timeout → the caller's closure on the
//! typed pool.
//!
//! The order is the HTTP connection's, for the same reasons: the total timeout bounds the waits
//! between tries, every try is counted by the breaker, an open breaker ends the retries at once,
//! and a try that times out is a breaker failure.

use std::future::Future;
use std::time::Duration;

use super::cause::{self, Kind};
use super::{SqlConfig, SqlConnection, SqlDatabase};
use tracing::field::Empty;
use tracing::{Instrument, Span};

use crate::CallError;
use crate::resilience::Retry;
use crate::resilience::circuit_breaker::{CircuitBreaker, Permit};
use crate::resilience::retry::{Classifier, Outcome, RequestInfo, RetryOn};
use crate::resilience::timeout::{Deadline, Limit};
use crate::telemetry::Measure;

/// The live policies of one connection, built from its config at connect.
#[derive(Clone, Debug)]
pub(super) struct Policies {
    pub(super) retry: Option<Retry>,
    pub(super) breaker: Option<CircuitBreaker>,
}

/// What `retry_on` means for SQL when it is left at its (HTTP) default: refusals, timeouts and
/// broken connections. Statuses mean nothing to a database; `transport` is what lets
/// [`SqlConnection::run_idempotent`] try again after a connection broke under it, as documented
/// (whether a try may be repeated is still the idempotency rules' call: a plain `run` is not).
const SQL_RETRY_ON: &str = "connect,timeout,transport";

/// The retry policy of `config`, with `retry_on` read the SQL way.
fn retry_policy(config: &crate::RetryConfig) -> Retry {
    let retry_on = match config.retry_on.as_str() {
        RetryOn::DEFAULT_TEXT => SQL_RETRY_ON,
        other => other,
    };
    let classifier =
        Classifier::new(RetryOn::parse(retry_on).unwrap_or_default()).non_idempotent(config.non_idempotent);
    Retry::new(config.clone()).with_classifier(classifier)
}

impl Policies {
    pub(super) fn new(name: &str, config: &SqlConfig) -> Self {
        Policies {
            retry: config.retry.as_ref().map(retry_policy),
            breaker: config
                .circuit_breaker
                .clone()
                .map(|c| CircuitBreaker::builder(c).name(name).build()),
        }
    }
}

impl SqlConnection {
    /// Runs `op` on the typed pool through the connection's policies (`timeout.total`, `retry`,
    /// `circuit_breaker`, `timeout.per_attempt`). The closure's parameter type picks the backend
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

    async fn call<DB, F, Fut, T>(&self, op: F, info: RequestInfo<'static>) -> Result<T, CallError>
    where
        DB: SqlDatabase,
        F: FnMut(sqlx::Pool<DB>) -> Fut,
        Fut: Future<Output = Result<T, sqlx::Error>>,
    {
        let Some(_in_flight) = self.lifecycle().enter().filter(|_| !self.pool().is_closed()) else {
            let connection = self.name().to_owned();
            return Err(CallError::Closed { connection });
        };
        let span = self.span();
        let measure = Measure::start(self.telemetry_handle(), "query");
        let result = self.bounded(op, info).instrument(span.clone()).await;
        measure.end(&span, result.as_ref().err());
        result
    }

    /// The span of a call, with the database client conventions.
    fn span(&self) -> Span {
        let system = match self.backend() {
            super::SqlBackend::Postgres => "postgresql",
            super::SqlBackend::MySql => "mysql",
            super::SqlBackend::Sqlite => "sqlite",
        };
        tracing::info_span!(
            target: "connfx",
            "sql.client",
            otel.name = system,
            otel.kind = "client",
            otel.status_code = Empty,
            db.system.name = system,
            server.address = self.target(),
            error.type = Empty,
            connfx.connection = self.name(),
        )
    }

    /// The deadline around the tries.
    async fn bounded<DB, F, Fut, T>(&self, op: F, info: RequestInfo<'static>) -> Result<T, CallError>
    where
        DB: SqlDatabase,
        F: FnMut(sqlx::Pool<DB>) -> Fut,
        Fut: Future<Output = Result<T, sqlx::Error>>,
    {
        let connection = self.name().to_owned();
        let Some(pool) = self.typed::<DB>().cloned() else {
            let message = format!(
                "the closure takes a {} pool, but this is a {} connection",
                DB::BACKEND,
                self.backend()
            );
            return Err(CallError::InvalidRequest { connection, message });
        };
        let tries = self.tries(pool, op, info);
        match self.config().timeout.total {
            Some(total) => {
                let deadline = Deadline::after(total, Limit::Total);
                deadline.run(tries).await.unwrap_or_else(|e| {
                    Err(CallError::Timeout {
                        connection,
                        after: e.after,
                    })
                })
            }
            None => tries.await,
        }
    }

    /// The retry loop around single tries (or one try without a retry policy).
    async fn tries<DB, F, Fut, T>(
        &self,
        pool: sqlx::Pool<DB>,
        mut op: F,
        info: RequestInfo<'static>,
    ) -> Result<T, CallError>
    where
        DB: SqlDatabase,
        F: FnMut(sqlx::Pool<DB>) -> Fut,
        Fut: Future<Output = Result<T, sqlx::Error>>,
    {
        let policies = self.policies();
        let attempt = Attempt {
            connection: self,
            breaker: policies.breaker.as_ref(),
            per_attempt: self.config().timeout.per_attempt,
        };
        let Some(retry) = &policies.retry else {
            return attempt.once(op(pool)).await.map_err(|f| f.error);
        };
        let result = retry
            .call(|_| attempt.once(op(pool.clone())))
            // The total timeout reaches the loop through `Deadline::current()`.
            .classify(|result| retry.decide(&info, &outcome_of(result)))
            .await;
        result.map_err(|e| {
            if e.last.deadline_passed {
                // The call's deadline passed: that is the error, however many tries were made.
                return e.last.error;
            }
            CallError::retries_ended(self.name(), e.attempts, e.reason, e.last.error)
        })
    }
}

/// How one try failed: the error, and what the retry rules need to know about it.
struct Failed {
    error: CallError,
    outcome: Outcome,
    /// The call's deadline ended this try: the timeout is the call's error.
    deadline_passed: bool,
}

/// What ends one try: the shorter of `per_attempt` and the time left before `deadline`, and
/// the deadline when it is the one that binds.
fn bound(per_attempt: Option<Duration>, deadline: Option<Deadline>) -> Option<(Duration, Option<Deadline>)> {
    let Some(deadline) = deadline else {
        return per_attempt.map(|limit| (limit, None));
    };
    let left = deadline.remaining();
    match per_attempt {
        Some(limit) if limit < left => Some((limit, None)),
        _ => Some((left, Some(deadline))),
    }
}

/// What one try needs; shared by every try of a call.
struct Attempt<'a> {
    connection: &'a SqlConnection,
    breaker: Option<&'a CircuitBreaker>,
    per_attempt: Option<Duration>,
}

impl Attempt<'_> {
    /// One try: through the breaker, bounded by the per-attempt limit.
    async fn once<T>(&self, op: impl Future<Output = Result<T, sqlx::Error>>) -> Result<T, Failed> {
        let name = self.connection.name();
        let permit = match self.breaker {
            Some(breaker) => Some(breaker.try_acquire().map_err(|_| Failed {
                error: CallError::CircuitOpen {
                    connection: name.to_owned(),
                },
                outcome: Outcome::Other,
                deadline_passed: false,
            })?),
            None => None,
        };
        // The try ends at its own limit or at the call's deadline, whichever comes first, so a
        // try the deadline cuts short is still a timeout the breaker counts (dropped by the
        // deadline's timer above, its permit would count as cancelled, and a hung database
        // would never open the breaker).
        let result = match bound(self.per_attempt, Deadline::current()) {
            Some((limit, deadline)) => match tokio::time::timeout(limit, op).await {
                Ok(result) => result,
                Err(_) => {
                    record(permit, Some(true));
                    return Err(Failed {
                        error: CallError::Timeout {
                            connection: name.to_owned(),
                            after: deadline.map_or(limit, |d| d.length()),
                        },
                        outcome: Outcome::Timeout { sent: true },
                        deadline_passed: deadline.is_some(),
                    });
                }
            },
            None => op.await,
        };
        match result {
            Ok(value) => {
                record(permit, Some(false));
                Ok(value)
            }
            Err(error) => {
                let kind = cause::kind(&error);
                record(permit, (kind != Kind::Closed).then(|| kind.is_failure()));
                Err(Failed {
                    outcome: kind.outcome(),
                    error: cause::call_error(name, error, self.connection.target()),
                    deadline_passed: false,
                })
            }
        }
    }
}

/// Tells the breaker how a try went: `Some(true)` a failure, `Some(false)` a success, `None`
/// not counted.
fn record(permit: Option<Permit<'_>>, failed: Option<bool>) {
    match (permit, failed) {
        (Some(permit), Some(true)) => permit.failure(),
        (Some(permit), Some(false)) => permit.success(),
        (Some(permit), None) => permit.ignore(),
        (None, _) => {}
    }
}

/// What the retry rules see of a try's result.
fn outcome_of<T>(result: &Result<T, Failed>) -> Outcome {
    match result {
        Ok(_) => Outcome::Success,
        Err(failed) => failed.outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_retry_on_repeats_only_idempotent_work_after_a_broken_connection() {
        let retry = retry_policy(&crate::RetryConfig::default());
        let idempotent = RequestInfo::new("SQL").idempotent(true);
        let plain = RequestInfo::new("SQL");
        assert!(retry.decide(&idempotent, &Outcome::Transport).is_retry());
        assert!(!retry.decide(&plain, &Outcome::Transport).is_retry());
        assert!(retry.decide(&plain, &Outcome::Connect).is_retry());
        let custom = crate::RetryConfig {
            retry_on: "connect".to_owned(),
            ..Default::default()
        };
        assert!(
            !retry_policy(&custom)
                .decide(&idempotent, &Outcome::Transport)
                .is_retry()
        );
    }

    #[tokio::test]
    async fn the_deadline_bounds_a_try_when_it_comes_first() {
        let ms = Duration::from_millis;
        assert_eq!(bound(None, None), None);
        assert_eq!(bound(Some(ms(300)), None), Some((ms(300), None)));
        let near = Deadline::after(ms(100), Limit::Total);
        let (limit, deadline) = bound(Some(ms(300)), Some(near)).expect("a limit");
        assert!(limit <= ms(100));
        assert_eq!(deadline, Some(near));
        assert_eq!(bound(None, Some(near)).map(|(_, d)| d), Some(Some(near)));
    }
}
