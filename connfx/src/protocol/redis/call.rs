//! One command (or pipeline) through the policy stack (`crate::resilience::stack`, where the
//! order of the policies and its reasons are written down), its tries made by [`RedisAttempt`].
//! The reply is decoded once, after the policies: a reply of the wrong type is the caller's
//! mistake, never retried and never counted by the breaker.

use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{Cmd, FromRedisValue, Pipeline, Value};

use tracing::field::Empty;
use tracing::{Instrument, Span};

use super::attempt::RedisAttempt;
use super::{RedisConnection, idempotency};
use crate::CallError;
use crate::resilience::retry::RequestInfo;
use crate::resilience::stack::CallFacts;
use crate::telemetry::{DbCall, Measure, Peer};

/// What a call sends.
#[derive(Clone, Copy)]
pub(super) enum Request<'a> {
    Command(&'a Cmd),
    Pipeline(&'a Pipeline),
}

impl Request<'_> {
    pub(super) async fn send(self, manager: &mut ConnectionManager) -> redis::RedisResult<Value> {
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
        let telemetry = connection.telemetry_handle();
        // Looked up only for metrics that are recorded: the current settings cost a shared
        // reference count, the command's name a search of the known ones.
        let live = telemetry.is_exported().then(|| connection.live());
        let db = DbCall {
            system: "redis",
            operation: live.as_ref().and_then(|_| super::operation::name(self.request)),
            peer: live
                .as_ref()
                .and_then(|live| Peer::of_url(live.config.url.expose(), Some(6379))),
        };
        let measure = Measure::start_db(telemetry, operation, db);
        let result = self.through_policies().instrument(span.clone()).await;
        measure.end(&span, result.as_ref().err());
        result
    }

    /// The span of a call, with the database client conventions: `db.system.name` `redis`,
    /// `db.operation.name` the command (`PIPELINE` for a pipeline), the server's address.
    fn span(&self) -> Span {
        // Host and port only: never the user-info.
        let live = self.connection.live();
        let url = live.config.url.expose();
        let span = crate::protocol::call_span::call_span!(
            "redis.client",
            otel.name = Empty,
            connection = self.connection.name(),
            db.system.name = "redis",
            db.operation.name = Empty,
            server.address = url.host_str().unwrap_or_default(),
            server.port = url.port().unwrap_or(6379),
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
        // One generation for the whole call: a reload meanwhile applies to the next call.
        let live = connection.live();
        let attempt = RedisAttempt {
            connection,
            live: &live,
            request: self.request,
        };
        let facts = CallFacts {
            connection: connection.name(),
            request,
            timeout: self.timeout,
            host: None,
            overrides: Default::default(),
        };
        live.policies.call(&attempt, facts).await.result
    }
}
