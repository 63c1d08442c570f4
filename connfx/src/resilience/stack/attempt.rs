//! The seam between the stack and a protocol: one try, its time bound, and what its failure means.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::CallError;
use crate::resilience::Outcome;
use crate::resilience::timeout::Deadline;

/// How a protocol makes one try of a call. Everything around the try — limits, deadline, retry,
/// breaker — is the stack's. No `Send` bound: a call is `Send` exactly when its protocol's try
/// is (HTTP's always; SQL's when the caller's closure is), as the compiler sees at each use.
pub(crate) trait Attempt {
    /// What a successful try gives the caller.
    type Output;

    /// The connection's name, for errors.
    fn connection(&self) -> &str;

    /// Makes one try, ended by the bound ([`Bound::run`], or [`Bound::run_until`] with
    /// [`Bound::end`] kept for what follows the try, as HTTP's body read). A failure says what
    /// it means to retry and breaker.
    fn once(&self, bound: &Bound) -> impl Future<Output = Result<Self::Output, Failure>>;

    /// What a successful try means to the breaker: HTTP counts an answer by its status (a
    /// status at or above `server_error_threshold` is a failure, whatever `Ok` means here).
    fn answered(&self, _output: &Self::Output) -> Outcome {
        Outcome::Success
    }
}

/// One failed try: what the caller sees, and what retry and breaker read of it.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) error: CallError,
    pub(crate) outcome: Outcome,
    /// The call's deadline ended this try: no further try can be made, and the timeout is the
    /// call's error.
    pub(crate) deadline_passed: bool,
}

impl Failure {
    pub(crate) fn new(error: CallError, outcome: Outcome) -> Self {
        Failure {
            error,
            outcome,
            deadline_passed: false,
        }
    }

    /// The deadline had passed before the try could start.
    pub(super) fn deadline(connection: &str, deadline: Deadline) -> Self {
        let error = CallError::Timeout {
            connection: connection.to_owned(),
            after: deadline.length(),
        };
        Failure {
            deadline_passed: true,
            ..Failure::new(error, Outcome::Timeout { sent: false })
        }
    }

    /// The breaker turned the try away: not retried, not counted.
    pub(super) fn circuit_open(connection: &str) -> Self {
        let error = CallError::CircuitOpen {
            connection: connection.to_owned(),
        };
        Failure::new(error, Outcome::Other)
    }
}

/// What ends one try: the shorter of `timeout.per_attempt` and the time left before the call's
/// deadline.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bound {
    limit: Option<Duration>,
    /// The call's deadline, when it ends the try before `per_attempt` would.
    deadline: Option<Deadline>,
}

impl Bound {
    pub(super) fn new(per_attempt: Option<Duration>, deadline: Option<Deadline>) -> Bound {
        let Some(deadline) = deadline else {
            return Bound {
                limit: per_attempt,
                deadline: None,
            };
        };
        let left = deadline.remaining();
        match per_attempt {
            Some(limit) if limit < left => Bound {
                limit: Some(limit),
                deadline: None,
            },
            _ => Bound {
                limit: Some(left),
                deadline: Some(deadline),
            },
        }
    }

    /// The limit as configured, to name in an error: the deadline's length when it binds.
    pub(crate) fn named(&self) -> Option<Duration> {
        self.deadline.map(|d| d.length()).or(self.limit)
    }

    /// Whether the call's deadline, not `per_attempt`, ends this try.
    pub(crate) fn deadline_binds(&self) -> bool {
        self.deadline.is_some()
    }

    /// The deadline, if it has passed already.
    pub(super) fn expired(&self) -> Option<Deadline> {
        self.deadline.filter(|_| self.limit.is_some_and(|l| l.is_zero()))
    }

    /// The failure of a try that ran out of this bound after it was sent.
    pub(crate) fn timed_out(&self, connection: &str) -> Failure {
        let error = CallError::Timeout {
            connection: connection.to_owned(),
            after: self.named().unwrap_or_default(),
        };
        Failure {
            deadline_passed: self.deadline_binds(),
            ..Failure::new(error, Outcome::Timeout { sent: true })
        }
    }

    /// When a try starting now must end (`None`: no limit).
    pub(crate) fn end(&self) -> Option<Instant> {
        self.limit.map(|limit| Instant::now() + limit)
    }

    /// Runs `try_` within the bound; `Err(Elapsed)` when it ran out first.
    #[cfg_attr(not(any(feature = "sql", feature = "redis")), allow(dead_code))]
    pub(crate) async fn run<F: Future>(&self, try_: F) -> Result<F::Output, Elapsed> {
        Bound::run_until(self.end(), try_).await
    }

    /// Runs `try_` until `end` (from [`Bound::end`]; HTTP keeps it to bound the body read that
    /// follows). tokio's timer sits in the returned future: no allocation.
    pub(crate) async fn run_until<F: Future>(end: Option<Instant>, try_: F) -> Result<F::Output, Elapsed> {
        match end {
            Some(end) => tokio::time::timeout_at(end, try_).await.map_err(|_| Elapsed),
            None => Ok(try_.await),
        }
    }
}

/// A try ran out of its [`Bound`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Elapsed;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resilience::timeout::Limit;

    #[tokio::test]
    async fn the_deadline_bounds_a_try_when_it_comes_first() {
        let ms = Duration::from_millis;
        let none = Bound::new(None, None);
        assert_eq!((none.limit, none.deadline_binds()), (None, false));
        let own = Bound::new(Some(ms(300)), None);
        assert_eq!((own.limit, own.named()), (Some(ms(300)), Some(ms(300))));
        let far = Deadline::after(Duration::from_secs(10), Limit::Total);
        assert!(!Bound::new(Some(ms(300)), Some(far)).deadline_binds());
        let near = Deadline::after(ms(100), Limit::Total);
        let cut = Bound::new(Some(ms(300)), Some(near));
        assert!(cut.limit.is_some_and(|l| l <= ms(100)));
        assert_eq!(cut.named(), Some(ms(100)), "the error names the deadline");
        assert!(
            Bound::new(None, Some(near)).deadline_binds(),
            "total alone bounds the try"
        );
    }

    #[tokio::test]
    async fn a_passed_deadline_is_seen_before_the_try() {
        let deadline = Deadline::after(Duration::ZERO, Limit::Total);
        let bound = Bound::new(None, Some(deadline));
        assert_eq!(bound.expired(), Some(deadline));
        let failure = bound.timed_out("api");
        assert!(failure.deadline_passed);
    }
}
