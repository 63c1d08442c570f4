//! One command (or pipeline) through the connection's policies, outermost first:
//!
//! total timeout → retry → circuit breaker → per-attempt timeout → connection manager.
//!
//! - The total timeout (or the caller's shorter [`RedisCall::timeout`]) bounds everything
//!   under it, waits between tries included; the retry loop never starts a wait it cannot finish.
//! - The retry loop wraps the breaker, so every try is counted, and an open breaker ends the
//!   retries at once (its rejection is not retried).
//! - The per-attempt timeout sits inside the breaker, so a try that times out is a failure.
//! - The reply is decoded once, after the policies: a reply of the wrong type is the caller's
//!   mistake, never retried and never counted by the breaker.

use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{Cmd, FromRedisValue, Pipeline, Value};

use tracing::field::Empty;
use tracing::{Instrument, Span};

use super::failure::{self, Failure};
use super::managers::Slot;
use super::{RedisConnection, idempotency};
use crate::CallError;
use crate::resilience::circuit_breaker::{CircuitBreaker, Outcome as Counted};
use crate::resilience::retry::{Outcome, RequestInfo};
use crate::resilience::timeout::{Deadline, Limit};
use crate::telemetry::Measure;

/// The limit of one try when neither `timeout.per_attempt` nor any overall limit is set (the
/// redis crate's own default response timeout), so no call waits for ever on a hung server.
pub(super) const DEFAULT_PER_ATTEMPT: Duration = Duration::from_millis(500);

/// What a call sends.
#[derive(Clone, Copy)]
enum Request<'a> {
    Command(&'a Cmd),
    Pipeline(&'a Pipeline),
}

impl Request<'_> {
    async fn send(self, manager: &mut ConnectionManager) -> redis::RedisResult<Value> {
        match self {
            Request::Command(cmd) => cmd.query_async::<Value>(manager).await,
            Request::Pipeline(pipeline) => pipeline.query_async::<Value>(manager).await,
        }
    }

    fn is_idempotent(self) -> bool {
        match self {
            Request::Command(cmd) => idempotency::command(cmd),
            Request::Pipeline(pipeline) => idempotency::pipeline(pipeline),
        }
    }
}

/// A command (or pipeline) about to be sent through a [`RedisConnection`], made by
/// [`RedisConnection::cmd`] or [`RedisConnection::pipeline`]; finish it with
/// [`query`](RedisCall::query) or [`exec`](RedisCall::exec).
///
/// ```no_run
/// # async fn run(cache: connfx::RedisConnection) -> Result<(), connfx::CallError> {
/// use std::time::Duration;
/// let hits: i64 = cache
///     .cmd(redis::cmd("INCR").arg("hits"))
///     .timeout(Duration::from_millis(200))
///     .idempotent(false)
///     .query()
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "a call does nothing until `query` or `exec` is awaited"]
pub struct RedisCall<'a> {
    connection: &'a RedisConnection,
    request: Request<'a>,
    timeout: Option<Duration>,
    idempotent: Option<bool>,
}

impl<'a> RedisCall<'a> {
    pub(super) fn command(connection: &'a RedisConnection, cmd: &'a Cmd) -> Self {
        RedisCall::new(connection, Request::Command(cmd))
    }

    pub(super) fn pipeline(connection: &'a RedisConnection, pipeline: &'a Pipeline) -> Self {
        RedisCall::new(connection, Request::Pipeline(pipeline))
    }

    fn new(connection: &'a RedisConnection, request: Request<'a>) -> Self {
        RedisCall {
            connection,
            request,
            timeout: None,
            idempotent: None,
        }
    }

    /// Bounds the whole call, retries included; the shorter of this and `timeout.total` wins.
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// Says whether sending the command twice is harmless, overriding connfx's list (reads and
    /// plain writes such as `GET`, `SET`, `DEL` are; `INCR`, `LPUSH`, `SET … NX`, scripts are
    /// not). Only matters with a retry policy, after a try that may have reached the server.
    pub fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = Some(yes);
        self
    }

    /// Sends the command and decodes the reply as `T` (`String`, `Option<String>`, `i64`,
    /// `Vec<u8>`, `HashMap<String, String>`, tuples, `redis::Value` …).
    ///
    /// # Errors
    /// A [`CallError`] naming the connection: `Closed`, `CircuitOpen`, `Timeout`, `Transport`,
    /// `Server` (an error reply), `RetriesExhausted`, or `Decode` when the reply does not fit `T`.
    pub async fn query<T: FromRedisValue>(self) -> Result<T, CallError> {
        let connection = self.connection;
        let value = self.run().await?;
        T::from_redis_value(value).map_err(|e| CallError::Decode {
            connection: connection.name().to_owned(),
            message: e.to_string(),
        })
    }

    /// Sends the command and ignores the reply (an error reply is still an error).
    ///
    /// # Errors
    /// As [`query`](RedisCall::query), without `Decode`.
    pub async fn exec(self) -> Result<(), CallError> {
        self.run().await.map(drop)
    }

    /// The whole call, counted in flight (so `close` waits for it), in its span and measured.
    async fn run(self) -> Result<Value, CallError> {
        let connection = self.connection;
        let Some(_in_flight) = connection.enter() else {
            return Err(connection.closed_error());
        };
        let span = self.span();
        let operation = match self.request {
            Request::Command(_) => "command",
            Request::Pipeline(_) => "pipeline",
        };
        let measure = Measure::start(connection.telemetry_handle(), operation);
        let result = self.bounded().instrument(span.clone()).await;
        measure.end(&span, result.as_ref().err());
        result
    }

    /// The span of a call, with the database client conventions: `db.system.name` `redis`,
    /// `db.operation.name` the command (`PIPELINE` for a pipeline), the server's address.
    fn span(&self) -> Span {
        // Host and port only: never the user-info.
        let url = self.connection.url().expose();
        let span = tracing::info_span!(
            target: "connfx",
            "redis.client",
            otel.name = Empty,
            otel.kind = "client",
            otel.status_code = Empty,
            db.system.name = "redis",
            db.operation.name = Empty,
            server.address = url.host_str().unwrap_or_default(),
            server.port = url.port().unwrap_or(6379),
            error.type = Empty,
            connfx.connection = self.connection.name(),
        );
        if !span.is_disabled() {
            // Worked out only for a span someone records.
            let operation = self.operation_name();
            span.record("otel.name", operation.as_str());
            span.record("db.operation.name", operation.as_str());
        }
        span
    }

    /// The command's name in upper case, or `PIPELINE`.
    fn operation_name(&self) -> String {
        let Request::Command(cmd) = self.request else {
            return "PIPELINE".to_owned();
        };
        let name = cmd.args_iter().next().and_then(|arg| match arg {
            redis::Arg::Simple(bytes) => std::str::from_utf8(bytes).ok(),
            _ => None,
        });
        name.map(str::to_ascii_uppercase).unwrap_or_default()
    }

    /// The deadline around the tries.
    async fn bounded(self) -> Result<Value, CallError> {
        let connection = self.connection;
        let total = connection
            .config()
            .timeout
            .total
            .map(|d| Deadline::after(d, Limit::Total));
        let caller = self.timeout.map(|d| Deadline::after(d, Limit::Caller));
        let tries = self.tries();
        match Deadline::earliest(total, caller) {
            Some(deadline) => deadline.run(tries).await.unwrap_or_else(|e| {
                Err(CallError::Timeout {
                    connection: connection.name().to_owned(),
                    after: e.after,
                })
            }),
            None => tries.await,
        }
    }

    /// The retry loop around single tries (or one try without a retry policy).
    async fn tries(self) -> Result<Value, CallError> {
        let connection = self.connection;
        let attempt = Attempt {
            connection,
            request: self.request,
            breaker: connection.breaker(),
            limit: self.try_limit(),
        };
        let Some(retry) = connection.retry() else {
            return attempt.once().await.map_err(|f| f.error);
        };
        let info = match self.idempotent {
            Some(yes) => RequestInfo::new("REDIS").idempotent(yes),
            None if self.request.is_idempotent() => RequestInfo::new("REDIS").idempotent(true),
            // Neither the caller nor the list says so: the connection's `non_idempotent` decides.
            None => RequestInfo::new("REDIS"),
        };
        let result = retry
            .call(|_| attempt.once())
            // The deadline set by `run` reaches the loop through `Deadline::current()`.
            .classify(|result| retry.decide(&info, &outcome_of(result)))
            .await;
        result.map_err(|e| {
            if e.last.deadline_passed {
                // The call's deadline passed: that is the error, however many tries were made.
                return e.last.error;
            }
            CallError::retries_ended(connection.name(), e.attempts, e.reason, e.last.error)
        })
    }

    /// `timeout.per_attempt`; unset, the overall limits bound each try, and with none of them
    /// [`DEFAULT_PER_ATTEMPT`] does.
    fn try_limit(&self) -> Option<Duration> {
        let timeout = &self.connection.config().timeout;
        match (timeout.per_attempt, timeout.total, self.timeout) {
            (Some(limit), _, _) => Some(limit),
            (None, None, None) => Some(DEFAULT_PER_ATTEMPT),
            _ => None,
        }
    }
}

/// What one try needs; shared by every try of a call.
struct Attempt<'a> {
    connection: &'a RedisConnection,
    request: Request<'a>,
    breaker: Option<&'a CircuitBreaker>,
    limit: Option<Duration>,
}

impl Attempt<'_> {
    /// One try: through the breaker, bounded by the per-attempt limit.
    async fn once(&self) -> Result<Value, Failure> {
        let connection = self.connection;
        let permit = match self.breaker {
            Some(breaker) => Some(breaker.try_acquire().map_err(|_| {
                Failure::caller(CallError::CircuitOpen {
                    connection: connection.name().to_owned(),
                })
            })?),
            None => None,
        };
        let Some((slot, mut manager)) = connection.managers().pick() else {
            if let Some(permit) = permit {
                permit.ignore();
            }
            return Err(Failure::caller(connection.closed_error()));
        };
        let sent = self.request.send(&mut manager);
        // The try ends at its own limit or at the call's deadline, whichever comes first, so a
        // try the deadline cuts short is still a timeout the breaker counts (dropped by the
        // deadline's timer above, its permit would count as cancelled, and a hung server would
        // never open the breaker).
        let result = match bound(self.limit, Deadline::current()) {
            Some(bound) => match tokio::time::timeout(bound.limit, sent).await {
                Ok(result) => result.map_err(|e| connection.failure(&e, slot)),
                Err(_) => Err(connection.timed_out(slot, bound)),
            },
            None => sent.await.map_err(|e| connection.failure(&e, slot)),
        };
        if let Some(permit) = permit {
            permit.record(match &result {
                Ok(_) => Counted::Success,
                Err(failure) => failure.counted,
            });
        }
        result
    }
}

/// What ends one try.
#[derive(Clone, Copy)]
struct Bound {
    limit: Duration,
    /// The call's deadline, when it ends the try before the per-attempt limit would.
    deadline: Option<Deadline>,
}

/// The shorter of the per-attempt `limit` and the time left before `deadline`.
fn bound(limit: Option<Duration>, deadline: Option<Deadline>) -> Option<Bound> {
    let per_attempt = limit.map(|limit| Bound {
        limit,
        deadline: None,
    });
    let Some(deadline) = deadline else {
        return per_attempt;
    };
    let left = deadline.remaining();
    match per_attempt {
        Some(bound) if bound.limit < left => Some(bound),
        _ => Some(Bound {
            limit: left,
            deadline: Some(deadline),
        }),
    }
}

/// What the retry rules see of a try's result.
fn outcome_of(result: &Result<Value, Failure>) -> Outcome {
    match result {
        Ok(_) => Outcome::Success,
        Err(failure) => failure.outcome,
    }
}

impl RedisConnection {
    /// A try that got no answer within `bound`. The manager at `index` is renewed: a connection
    /// that left a command unanswered may be dead without knowing it (a half-open TCP
    /// connection, its peer or a middlebox gone), and a multiplexed connection that is never
    /// replaced would hang every later command until TCP gives up, minutes later. Commands in
    /// flight on the old connection keep it until they end.
    fn timed_out(&self, slot: Slot, bound: Bound) -> Failure {
        tracing::debug!(
            connection = self.name(),
            "redis command unanswered in time; the next call connects afresh"
        );
        self.managers().renew(slot);
        Failure {
            error: CallError::Timeout {
                connection: self.name().to_owned(),
                after: bound.deadline.map_or(bound.limit, |d| d.length()),
            },
            outcome: Outcome::Timeout { sent: true },
            counted: Counted::Failure,
            renew: false,
            deadline_passed: bound.deadline.is_some(),
        }
    }

    /// The meaning of `err`, met by the manager of `slot`; renews that manager when it would
    /// keep the failure.
    pub(super) fn failure(&self, err: &redis::RedisError, slot: Slot) -> Failure {
        let failure = failure::classify(self.name(), err, super::client::connect_timeout(self.config()));
        if failure.renew {
            tracing::debug!(connection = self.name(), error = %failure.error, "redis connection failed; the next call connects afresh");
            self.managers().renew(slot);
        }
        failure
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_deadline_bounds_a_try_when_it_comes_first() {
        let ms = Duration::from_millis;
        assert!(bound(None, None).is_none());
        let own = bound(Some(ms(300)), None).expect("a limit");
        assert_eq!((own.limit, own.deadline), (ms(300), None));
        let far = Deadline::after(Duration::from_secs(10), Limit::Total);
        assert_eq!(bound(Some(ms(300)), Some(far)).map(|b| b.deadline), Some(None));
        let near = Deadline::after(ms(100), Limit::Total);
        let cut = bound(Some(ms(300)), Some(near)).expect("a limit");
        assert!(cut.limit <= ms(100));
        assert_eq!(cut.deadline, Some(near), "the error names the deadline");
        let only = bound(None, Some(near)).expect("total alone bounds the try");
        assert_eq!(only.deadline, Some(near));
    }
}
