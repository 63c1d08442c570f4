//! What a `RedisError` means: the [`CallError`] the caller sees, whether the retry rules may try
//! again, and whether the circuit breaker counts it.
//!
//! The last column follows from the retry outcome (the one `Outcome` both policies read):
//! `refused` counts, `other` does not, a status counts by `server_error_threshold`.
//!
//! | error | `CallError` | retry outcome | breaker |
//! |---|---|---|---|
//! | connection refused | `Transport` ("cannot connect") | `connect` | failure |
//! | connect timed out | `Timeout` (`timeout.connect`) | `timeout`, nothing sent | failure |
//! | connection lost (reset, broken pipe, EOF), other I/O, protocol error | `Transport` | `transport` | failure |
//! | `BUSY`, `LOADING`, `TRYAGAIN`, `MASTERDOWN`, `CLUSTERDOWN` | `Server` | status `503` | failure (below the default threshold of 500) |
//! | authentication failed, database refused | `Transport` | `refused`, not retried | failure |
//! | `NOAUTH`, `WRONGPASS` | `Server` | `refused`, not retried | failure |
//! | any other error reply (`WRONGTYPE`, `ERR syntax error`, `NOSCRIPT`, `NOPERM` …) | `Server` | not retried | not counted |
//! | reply of an unexpected type | `Decode` | not retried | not counted |
//! | invalid command (empty, bad client settings) | `InvalidRequest` | not retried | not counted |

use std::time::Duration;

use redis::{ErrorKind, RedisError};

use crate::CallError;
use crate::resilience::Outcome;
use crate::resilience::stack::Failure;

/// Error replies that mean "not now": the server is alive but cannot serve the command yet.
const BUSY_CODES: [&str; 5] = ["BUSY", "LOADING", "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN"];

/// Error replies that mean the connection is not authenticated: every call will fail alike, so
/// the breaker counts them although the server answered.
const AUTH_CODES: [&str; 2] = ["NOAUTH", "WRONGPASS"];

/// One failed try, described for the caller and for the policies: the stack's [`Failure`], and
/// whether the manager that met it must be replaced.
#[derive(Debug)]
pub(super) struct Classified {
    pub(super) failure: Failure,
    /// The connection manager keeps this failure for every later call (a failed connection
    /// setup that is not an I/O error): replace it so the next call connects afresh.
    pub(super) renew: bool,
}

impl Classified {
    fn new(error: CallError, outcome: Outcome) -> Self {
        Classified {
            failure: Failure::new(error, outcome),
            renew: false,
        }
    }

    /// A failure that is not the dependency's doing: not retried, not counted.
    fn caller(error: CallError) -> Self {
        Classified::new(error, Outcome::Other)
    }

    fn renewing(self) -> Self {
        Classified { renew: true, ..self }
    }
}

/// The meaning of `err`, from the connection called `name`.
pub(super) fn classify(name: &str, err: &RedisError, connect_timeout: Duration) -> Classified {
    let connection = name.to_owned();
    match err.kind() {
        ErrorKind::Io => io(connection, err, connect_timeout),
        ErrorKind::AuthenticationFailed => Classified::new(
            CallError::Transport {
                connection,
                message: "authentication failed (wrong user name or password)".to_owned(),
            },
            Outcome::Refused,
        )
        .renewing(),
        ErrorKind::Server(_) | ErrorKind::Extension => server(connection, err),
        ErrorKind::Parse => Classified::new(
            CallError::Transport {
                connection,
                message: format!("protocol error: {}", detail(err)),
            },
            Outcome::Transport,
        ),
        ErrorKind::UnexpectedReturnType => Classified::caller(CallError::Decode {
            connection,
            message: detail(err),
        }),
        ErrorKind::Client | ErrorKind::InvalidClientConfig => Classified::caller(CallError::InvalidRequest {
            connection,
            message: detail(err),
        }),
        _ => Classified::new(
            CallError::Transport {
                connection,
                message: detail(err),
            },
            Outcome::Other,
        ),
    }
}

/// An I/O failure renews the manager: the redis crate's manager keeps the outcome of the
/// reconnect it starts on an I/O error, and when that reconnect fails too (the server still
/// down) it hands the stale failure to the next command, even once the server is back. Behind
/// a circuit breaker that next command is the half-open probe: it would fail for nothing and
/// keep the circuit open one more `reset_timeout`.
fn io(connection: String, err: &RedisError, connect_timeout: Duration) -> Classified {
    io_failure(connection, err, connect_timeout).renewing()
}

fn io_failure(connection: String, err: &RedisError, connect_timeout: Duration) -> Classified {
    // No response timeout is set on the connection (the per-attempt limit wraps each try), so
    // an I/O timeout is the connect timeout: nothing was sent.
    if err.is_timeout() {
        let error = CallError::Timeout {
            connection,
            after: connect_timeout,
        };
        return Classified::new(error, Outcome::Timeout { sent: false });
    }
    let (outcome, what) = if err.is_connection_refusal() {
        (Outcome::Connect, "cannot connect")
    } else if err.is_connection_dropped() {
        (Outcome::Transport, "connection lost")
    } else {
        (Outcome::Transport, "I/O error")
    };
    let error = CallError::Transport {
        connection,
        message: format!("{what}: {err}"),
    };
    Classified::new(error, outcome)
}

fn server(connection: String, err: &RedisError) -> Classified {
    let code = err.code().unwrap_or("ERR").to_owned();
    let message = detail(err);
    if err.to_string().contains("refused to switch database") {
        return Classified::new(
            CallError::Transport {
                connection,
                message: format!("cannot select the database: {message}"),
            },
            Outcome::Refused,
        )
        .renewing();
    }
    let busy = BUSY_CODES.contains(&code.as_str());
    let unauthenticated = AUTH_CODES.contains(&code.as_str());
    let error = CallError::Server {
        connection,
        code,
        message,
    };
    match (busy, unauthenticated) {
        (true, _) => Classified::new(
            error,
            Outcome::Status {
                code: 503,
                retry_after: None,
            },
        ),
        (false, true) => Classified::new(error, Outcome::Refused),
        (false, false) => Classified::caller(error),
    }
}

/// The error's own words: the server's text for an error reply, else the whole message.
fn detail(err: &RedisError) -> String {
    match err.detail() {
        Some(detail) if !detail.is_empty() => detail.to_owned(),
        _ => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify_io(kind: std::io::ErrorKind) -> Failure {
        let err = RedisError::from(std::io::Error::from(kind));
        let classified = classify("cache", &err, Duration::from_secs(1));
        assert!(classified.renew, "an I/O failure renews the manager");
        classified.failure
    }

    #[test]
    fn refused_is_a_connect_failure() {
        let failure = classify_io(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(failure.outcome, Outcome::Connect);
        assert!(failure.error.to_string().starts_with("`cache`: cannot connect"));
    }

    #[test]
    fn a_dropped_connection_may_have_reached_the_server() {
        let failure = classify_io(std::io::ErrorKind::BrokenPipe);
        assert_eq!(failure.outcome, Outcome::Transport);
        assert!(failure.error.to_string().contains("connection lost"));
    }

    #[test]
    fn an_io_timeout_is_the_connect_timeout() {
        let failure = classify_io(std::io::ErrorKind::TimedOut);
        assert_eq!(failure.outcome, Outcome::Timeout { sent: false });
        assert!(matches!(failure.error, CallError::Timeout { after, .. } if after == Duration::from_secs(1)));
    }

    #[test]
    fn busy_replies_are_retried_as_503_and_others_are_neither_retried_nor_counted() {
        let loading = redis::make_extension_error("LOADING".into(), Some("loading the dataset".into()));
        let failure = classify("cache", &loading, Duration::ZERO).failure;
        assert!(matches!(failure.outcome, Outcome::Status { code: 503, .. }));

        let wrongtype = redis::make_extension_error("WRONGTYPE".into(), Some("wrong kind of value".into()));
        let failure = classify("cache", &wrongtype, Duration::ZERO).failure;
        assert_eq!(failure.outcome, Outcome::Other, "neither retried nor counted");
        assert_eq!(
            failure.error.to_string(),
            "`cache`: server error WRONGTYPE: wrong kind of value"
        );
    }
}
