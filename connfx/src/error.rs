//! The errors of connecting and calling; configuration errors live in [`crate::config`].

use std::fmt;
use std::time::Duration;

use crate::ConfigError;

/// Any connfx error, so `?` works in `main`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Loading or checking the configuration failed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Building a connection failed.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// A call through a connection failed.
    #[error(transparent)]
    Call(#[from] CallError),
}

/// One connection that could not be built.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ConnectFailure {
    /// The connection's name.
    pub connection: String,
    /// What went wrong (never a secret).
    pub message: String,
}

/// Building one or more connections failed; every failure of one `connect` is listed.
///
/// ```
/// let err = connfx::ConnectError::new("orders", "connection refused");
/// assert_eq!(err.to_string(), "connection `orders` could not be set up: connection refused");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConnectError {
    failures: Vec<ConnectFailure>,
}

impl ConnectError {
    /// The failure of the connection called `connection`.
    pub fn new(connection: impl Into<String>, message: impl Into<String>) -> Self {
        ConnectError {
            failures: vec![ConnectFailure {
                connection: connection.into(),
                message: message.into(),
            }],
        }
    }

    /// Every connection that failed.
    pub fn failures(&self) -> &[ConnectFailure] {
        &self.failures
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.failures.as_slice() {
            [one] => write!(
                f,
                "connection `{}` could not be set up: {}",
                one.connection, one.message
            ),
            many => {
                write!(f, "{} connections could not be set up:", many.len())?;
                many.iter()
                    .try_for_each(|x| write!(f, "\n  {}: {}", x.connection, x.message))
            }
        }
    }
}

/// Collects the connect errors of a whole set; used by generated code.
#[derive(Debug, Default)]
pub struct ConnectErrors {
    failures: Vec<ConnectFailure>,
}

impl ConnectErrors {
    /// Keeps the error of `result`, if any, and gives back its value.
    pub fn check<T>(&mut self, result: Result<T, ConnectError>) -> Option<T> {
        result.map_err(|e| self.failures.extend(e.failures)).ok()
    }

    /// The collected errors as one [`ConnectError`].
    pub fn into_error(self) -> ConnectError {
        ConnectError {
            failures: self.failures,
        }
    }
}

/// A call through a connection failed. Every variant names the connection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The circuit breaker is open: the call was not attempted.
    #[error("`{connection}`: circuit open, call not attempted")]
    CircuitOpen {
        /// The connection's name.
        connection: String,
    },
    /// The rate limit rejected the call.
    #[error("`{connection}`: rate limited")]
    RateLimited {
        /// The connection's name.
        connection: String,
    },
    /// The bulkhead had no free slot in time.
    #[error("`{connection}`: too many calls in flight")]
    BulkheadFull {
        /// The connection's name.
        connection: String,
    },
    /// The call took longer than allowed.
    #[error("`{connection}`: timed out after {after:?}")]
    Timeout {
        /// The connection's name.
        connection: String,
        /// The limit that was hit.
        after: Duration,
    },
    /// The retry policy gave up; `last` is the last failure and `reason` why no further try
    /// was made (attempts used up, budget spent, or a wait that would outlast the deadline).
    #[error("`{connection}`: gave up after {attempts} attempt(s) ({reason}): {last}")]
    RetriesExhausted {
        /// The connection's name.
        connection: String,
        /// Tries made.
        attempts: u32,
        /// Why no further try was made.
        reason: String,
        /// The last failure, also its [`source`](std::error::Error::source).
        #[source]
        last: Box<CallError>,
    },
    /// The server answered with an error status.
    #[error("`{connection}`: server answered {code}")]
    Status {
        /// The connection's name.
        connection: String,
        /// The HTTP status code.
        code: u16,
        /// The start of the response body (at most 4 KiB).
        body: String,
    },
    /// The server answered with an error reply (Redis `WRONGTYPE`, `NOSCRIPT`, `BUSYGROUP` …):
    /// the call reached it and was refused.
    #[error("`{connection}`: server error {code}: {message}")]
    Server {
        /// The connection's name.
        connection: String,
        /// The reply's error code, e.g. `WRONGTYPE` or `ERR`.
        code: String,
        /// The rest of the reply.
        message: String,
    },
    /// The request could not be sent or the response not read.
    #[error("`{connection}`: {message}")]
    Transport {
        /// The connection's name.
        connection: String,
        /// What failed (never a secret).
        message: String,
    },
    /// The response arrived but is not what the caller asked for (e.g. not the expected JSON).
    /// Not a failure of the dependency: the circuit breaker does not count it.
    #[error("`{connection}`: cannot decode the response: {message}")]
    Decode {
        /// The connection's name.
        connection: String,
        /// What did not fit.
        message: String,
    },
    /// The service answered and rejected the call, or its answer did not fit: a SQL error
    /// (constraint violation, syntax, permission), no row, a column that does not decode. The
    /// dependency itself is fine: the circuit breaker does not count it and it is not retried.
    /// `source` is the client library's error (`sqlx::Error` for SQL, see
    /// `CallError::sqlx_error`).
    #[error("`{connection}`: {message}")]
    Query {
        /// The connection's name.
        connection: String,
        /// What the service said (never a secret).
        message: String,
        /// The client library's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// A GraphQL server answered with `errors`. The answer arrived, so this is not a failure of
    /// the dependency: the circuit breaker does not count it and the retry policy does not
    /// retry it. `Display` lists the messages.
    ///
    /// ```
    /// let err = connfx::CallError::Graphql {
    ///     connection: "catalog".into(),
    ///     errors: vec![connfx::GraphqlError::new("unknown field `nmae`")],
    /// };
    /// assert_eq!(err.to_string(), "`catalog`: GraphQL errors: unknown field `nmae`");
    /// ```
    #[cfg(feature = "graphql")]
    #[error("`{connection}`: GraphQL errors: {}", crate::protocol::graphql::error::messages(.errors))]
    Graphql {
        /// The connection's name.
        connection: String,
        /// The errors, in the server's order (at least one).
        errors: Vec<crate::GraphqlError>,
    },
    /// The request was not valid (bad path, header or body).
    #[error("`{connection}`: invalid request: {message}")]
    InvalidRequest {
        /// The connection's name.
        connection: String,
        /// What is wrong with it.
        message: String,
    },
    /// The connection was closed.
    #[error("`{connection}`: connection closed")]
    Closed {
        /// The connection's name.
        connection: String,
    },
}

impl CallError {
    /// A short, stable name of the variant, for metrics and logs (OpenTelemetry's `error.type`):
    /// `circuit_open`, `rate_limited`, `bulkhead_full`, `timeout`, `retries_exhausted`, `status`,
    /// `server`, `transport`, `decode`, `query`, `graphql`, `invalid_request`, `closed`.
    ///
    /// ```
    /// let err = connfx::CallError::Closed { connection: "api".into() };
    /// assert_eq!(err.kind(), "closed");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            CallError::CircuitOpen { .. } => "circuit_open",
            CallError::RateLimited { .. } => "rate_limited",
            CallError::BulkheadFull { .. } => "bulkhead_full",
            CallError::Timeout { .. } => "timeout",
            CallError::RetriesExhausted { .. } => "retries_exhausted",
            CallError::Status { .. } => "status",
            CallError::Server { .. } => "server",
            CallError::Transport { .. } => "transport",
            CallError::Decode { .. } => "decode",
            CallError::Query { .. } => "query",
            #[cfg(feature = "graphql")]
            CallError::Graphql { .. } => "graphql",
            CallError::InvalidRequest { .. } => "invalid_request",
            CallError::Closed { .. } => "closed",
        }
    }

    /// The HTTP status of the failure, found through any wrapping: a
    /// [`Status`](CallError::Status) error's code, or that of the last try of
    /// [`RetriesExhausted`](CallError::RetriesExhausted).
    ///
    /// ```
    /// use connfx::CallError;
    /// let last = CallError::Status { connection: "api".into(), code: 503, body: String::new() };
    /// let err = CallError::RetriesExhausted {
    ///     connection: "api".into(), attempts: 3, reason: "attempts used up".into(), last: Box::new(last),
    /// };
    /// assert_eq!(err.status(), Some(503));
    /// assert!(std::error::Error::source(&err).is_some());
    /// ```
    pub fn status(&self) -> Option<u16> {
        match self {
            CallError::Status { code, .. } => Some(*code),
            CallError::RetriesExhausted { last, .. } => last.status(),
            _ => None,
        }
    }

    /// Whether the failure is transient, so the same call may succeed later: a timeout, a
    /// transport failure (refused, reset, DNS, TLS), a status among `retry_on`'s default
    /// (429, 502, 503, 504) or 500, a call turned away by an open breaker, the rate limit or
    /// the bulkhead, or retries that ended on one of these. Not: other 4xx, a server's error
    /// reply, a query the database rejected, an answer that does not decode, GraphQL errors, an
    /// invalid request, a closed connection. Seed 001's `IsRetryable`, for a caller's own
    /// retry or its `retry_if`.
    ///
    /// ```
    /// use connfx::CallError;
    /// let status = |code| CallError::Status { connection: "api".into(), code, body: String::new() };
    /// assert!(status(503).is_retryable());
    /// assert!(!status(404).is_retryable());
    /// assert!(CallError::Timeout { connection: "api".into(), after: std::time::Duration::from_secs(1) }.is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            CallError::Timeout { .. }
            | CallError::Transport { .. }
            | CallError::CircuitOpen { .. }
            | CallError::RateLimited { .. }
            | CallError::BulkheadFull { .. } => true,
            CallError::Status { code, .. } => {
                *code == 500 || crate::resilience::retry::RetryOn::default().contains_status(*code)
            }
            CallError::RetriesExhausted { last, .. } => last.is_retryable(),
            _ => false,
        }
    }

    /// The error of a call whose retry loop ended after `attempts` tries for `reason`: the
    /// last error itself when it was not worth retrying, else [`CallError::RetriesExhausted`].
    /// Shared by every protocol that runs its tries through a [`Retry`](crate::Retry).
    pub(crate) fn retries_ended(
        connection: &str,
        attempts: u32,
        reason: crate::resilience::retry::StopReason,
        last: CallError,
    ) -> CallError {
        match reason {
            crate::resilience::retry::StopReason::NotRetryable => last,
            reason => CallError::RetriesExhausted {
                connection: connection.to_owned(),
                attempts,
                reason: reason.to_string(),
                last: Box::new(last),
            },
        }
    }
}
