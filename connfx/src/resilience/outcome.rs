//! The one vocabulary of the policies: what a try came to ([`Outcome`]), and the one trait that
//! reads it off a result ([`Classify`]). Retry and circuit breaker both read an `Outcome`, each
//! by its own documented rule, so one classifier serves both, in the connections' stack and in
//! the tower layers alike.

use super::retry::RetryAfter;

/// How one try ended, described without any protocol. The connections map their clients'
/// errors and answers to these (HTTP: reqwest's errors and statuses; SQL and Redis: their
/// drivers' errors); a tower user's [`Classify`] does the same for any service.
///
/// What each policy makes of it:
/// - **retry** retries what `retry_on` names (plus [`Outcome::Failed`], which says no more),
///   within the idempotency rules where the request is known
///   ([`Classifier`](super::retry::Classifier));
/// - **circuit breaker** counts [`Outcome::Success`] and a status below
///   `server_error_threshold` as successes, [`Outcome::Other`] not at all, anything else as a
///   failure.
///
/// ```
/// use connfx::resilience::{Outcome, retry::RetryAfter};
/// let busy = Outcome::Status { code: 503, retry_after: RetryAfter::parse("2") };
/// assert!(busy.reached_server());
/// assert!(!Outcome::Connect.reached_server());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The attempt succeeded.
    Success,
    /// The request never left: connection refused, DNS or TLS failure, or the connection broke
    /// before any byte of the request was written. Safe to send again whatever the method.
    Connect,
    /// The attempt ran out of time; `sent` says whether any of the request may have been written.
    Timeout {
        /// Whether the request may have reached the server (false for a connect timeout).
        sent: bool,
    },
    /// The connection broke after (part of) the request was written: reset, closed early.
    Transport,
    /// The server answered with a status the caller treats as a failure.
    Status {
        /// The status code.
        code: u16,
        /// The server's `Retry-After`, if it sent one.
        retry_after: Option<RetryAfter>,
    },
    /// The dependency turned the connection down (authentication, an unknown database, bad
    /// options): every call would fail alike, so the circuit breaker counts it, and the built-in
    /// rules never retry it.
    Refused,
    /// Any other failure, not the dependency's doing (a caller's mistake, an answer it gave on
    /// purpose such as a rejected query): the built-in rules never retry it (a custom predicate
    /// may) and the circuit breaker does not count it.
    Other,
    /// A failure that says no more about itself: what [`ErrIsFailure`] makes of any `Err`. The
    /// circuit breaker counts it and retry tries it again (within the idempotency rules where the
    /// request is known); the connections never report it, they say what happened.
    Failed,
}

impl Outcome {
    /// Whether the request may have reached the server, so that sending it again could repeat
    /// its effect.
    pub fn reached_server(&self) -> bool {
        !matches!(self, Outcome::Connect | Outcome::Timeout { sent: false })
    }

    /// The server's `Retry-After`, if the outcome carries one.
    pub fn retry_after(&self) -> Option<RetryAfter> {
        match self {
            Outcome::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Reads a call's result as an [`Outcome`]: the one classifier of retry and circuit breaker
/// (their tower layers, [`CircuitBreaker::call_with`](super::CircuitBreaker::call_with) and
/// [`RetryCall::classify`](super::retry::RetryCall::classify)).
///
/// Any `Fn(&Result<T, E>) -> Outcome` is one; [`ErrIsFailure`] is the default.
///
/// ```
/// use connfx::resilience::{Classify, Outcome};
/// // A "not found" is an answer, not a sign of an unhealthy dependency: neither retried nor counted.
/// let classify = |r: &Result<u32, std::io::Error>| match r {
///     Ok(_) => Outcome::Success,
///     Err(e) if e.kind() == std::io::ErrorKind::NotFound => Outcome::Other,
///     Err(e) if e.kind() == std::io::ErrorKind::TimedOut => Outcome::Timeout { sent: true },
///     Err(_) => Outcome::Failed,
/// };
/// assert_eq!(classify.classify(&Ok(1)), Outcome::Success);
/// ```
pub trait Classify<T, E> {
    /// The outcome of `result`.
    fn classify(&self, result: &Result<T, E>) -> Outcome;
}

impl<T, E, F: Fn(&Result<T, E>) -> Outcome> Classify<T, E> for F {
    #[inline]
    fn classify(&self, result: &Result<T, E>) -> Outcome {
        self(result)
    }
}

/// The default classifier: `Ok` is [`Outcome::Success`], `Err` is [`Outcome::Failed`] (counted
/// by the breaker, retried by retry).
///
/// ```
/// use connfx::resilience::{Classify, ErrIsFailure, Outcome};
/// assert_eq!(ErrIsFailure.classify(&Err::<(), _>(())), Outcome::Failed);
/// assert_eq!(ErrIsFailure.classify(&Ok::<_, ()>(())), Outcome::Success);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ErrIsFailure;

impl<T, E> Classify<T, E> for ErrIsFailure {
    #[inline]
    fn classify(&self, result: &Result<T, E>) -> Outcome {
        match result {
            Ok(_) => Outcome::Success,
            Err(_) => Outcome::Failed,
        }
    }
}
