//! One command (or pipeline) through the policy stack (`crate::resilience::stack`, where the
//! order of the policies and its reasons are written down), and its one try: the command sent
//! on one of the connection's managers, bounded by the stack's [`Bound`], and what its failure
//! means ([`failure`]). The reply is decoded once, after the policies: a reply of the wrong
//! type is the caller's mistake, never retried and never counted by the breaker.

use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{Cmd, FromRedisValue, Pipeline, Value};

use tracing::field::Empty;
use tracing::{Instrument, Span};

use super::failure;
use super::managers::Slot;
use super::{RedisConnection, idempotency};
use crate::CallError;
use crate::resilience::retry::{Outcome, RequestInfo};
use crate::resilience::stack::{Attempt, Bound, CallFacts, Failure};
use crate::telemetry::Measure;

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
        let result = self.through_policies().instrument(span.clone()).await;
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

    /// The call through the connection's policies.
    async fn through_policies(self) -> Result<Value, CallError> {
        let connection = self.connection;
        let mut request = RequestInfo::new("REDIS");
        // Neither the caller nor the list says so (`None`): the connection's `non_idempotent`
        // decides.
        request.idempotent = self.idempotent.or(self.request.is_idempotent().then_some(true));
        let attempt = RedisAttempt {
            connection,
            request: self.request,
        };
        let facts = CallFacts {
            connection: connection.name(),
            request,
            timeout: self.timeout,
            host: None,
        };
        connection.policies().call(&attempt, facts).await.result
    }
}

/// What one try needs; shared by every try of a call.
struct RedisAttempt<'a> {
    connection: &'a RedisConnection,
    request: Request<'a>,
}

impl Attempt for RedisAttempt<'_> {
    type Output = Value;

    /// The redis crate's own default response timeout, so no call waits for ever on a hung
    /// server when neither `timeout.per_attempt` nor an overall limit is set.
    const FALLBACK_LIMIT: Option<Duration> = Some(Duration::from_millis(500));

    fn connection(&self) -> &str {
        self.connection.name()
    }

    async fn once(&self, bound: &Bound) -> Result<Value, Failure> {
        let connection = self.connection;
        let Some((slot, mut manager)) = connection.managers().pick() else {
            return Err(Failure::new(connection.closed_error(), Outcome::Other));
        };
        match bound.run(self.request.send(&mut manager)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(connection.failure(&e, slot)),
            Err(_) => {
                connection.unanswered(slot);
                Err(bound.timed_out(connection.name()))
            }
        }
    }
}

impl RedisConnection {
    /// A try got no answer within its bound. The manager at `slot` is renewed: a connection
    /// that left a command unanswered may be dead without knowing it (a half-open TCP
    /// connection, its peer or a middlebox gone), and a multiplexed connection that is never
    /// replaced would hang every later command until TCP gives up, minutes later. Commands in
    /// flight on the old connection keep it until they end.
    fn unanswered(&self, slot: Slot) {
        tracing::debug!(
            connection = self.name(),
            "redis command unanswered in time; the next call connects afresh"
        );
        self.managers().renew(slot);
    }

    /// The meaning of `err`, met by the manager of `slot`; renews that manager when it would
    /// keep the failure.
    pub(super) fn failure(&self, err: &redis::RedisError, slot: Slot) -> Failure {
        let classified = failure::classify(self.name(), err, super::client::connect_timeout(self.config()));
        if classified.renew {
            let error = &classified.failure.error;
            tracing::debug!(connection = self.name(), %error, "redis connection failed; the next call connects afresh");
            self.managers().renew(slot);
        }
        classified.failure
    }
}
