//! The one policy stack every calling protocol runs, outermost first:
//!
//! rate limit → bulkhead → total timeout → retry (with budget) → circuit breaker →
//! per-attempt timeout → the protocol's try.
//!
//! Why this order:
//! - The rate limit comes first, so a call it turns away holds no bulkhead slot and uses none of
//!   its time.
//! - The bulkhead bounds whole calls in flight, retries included: however often each call
//!   retries, a slow dependency holds at most `max_concurrent` of the caller's tasks.
//! - The total timeout (and a caller's shorter `.timeout()`) bounds everything under it, waits
//!   between tries included; the retry loop sees the deadline and never starts a wait it cannot
//!   finish. It costs no timer of its own: each try is bounded by the shorter of `per_attempt`
//!   and the time left ([`Bound`]; one tokio timer per try, held in the try's future, for every
//!   protocol: HTTP no longer hands it to reqwest, whose per-request timeout allocates four
//!   times per call, see BENCHMARKS.md), and a try that would start after the deadline fails
//!   at once.
//! - The retry loop wraps the breaker, so every try is counted by the breaker, and an open
//!   breaker ends the retries at once (its rejection is not retried).
//! - The per-attempt timeout sits inside the breaker, so a try that times out is a breaker
//!   failure; a try the deadline cuts short is a timeout the breaker counts too (it is ended
//!   by its own bound, never dropped by an outer timer that would leave its permit uncounted).
//!
//! A protocol supplies only [`Attempt`]: how to make one try within a [`Bound`], and what its
//! failure means (a [`Failure`] holding the caller's [`CallError`] and the one
//! [`Outcome`](crate::resilience::retry::Outcome) that retry and breaker both read). The
//! deadline travels in the call, never in a task-local; [`Deadline::current`] is read once, as
//! a bridge for callers who wrap a call in a [`Deadline::scope`] of their own.

mod attempt;
mod hosts;
mod policies;

pub(crate) use attempt::{Attempt, Bound, Elapsed, Failure};
pub(crate) use hosts::{ByHost, HostPattern, HostPolicyConfig};
pub(crate) use policies::{Policies, PolicyConfig, policy_config};

use std::time::Duration;

use crate::CallError;
use crate::resilience::circuit_breaker::CircuitBreaker;
use crate::resilience::retry::{Decide, Decision, Engine, Outcome, RequestInfo, Retry};
use crate::resilience::timeout::{Deadline, Limit};

/// What the stack needs to know of one call besides its try.
pub(crate) struct CallFacts<'a> {
    /// The connection's name, for errors.
    pub(crate) connection: &'a str,
    /// What the retry rules need of the request (method, idempotency, body).
    pub(crate) request: RequestInfo<'a>,
    /// The caller's own limit on the whole call (`.timeout()`).
    pub(crate) timeout: Option<Duration>,
    /// The host a `per_host` connection keys its breaker and rate limit by.
    pub(crate) host: Option<&'a String>,
    /// What this call changes of its connection's policies.
    pub(crate) overrides: Overrides,
}

/// How one call changes its connection's policies (`HttpRequest::no_retry`, …): every policy
/// not named here applies as configured.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Overrides {
    /// One try, whatever the retry policy says; its budget is neither spent nor fed.
    pub(crate) no_retry: bool,
    /// The breaker neither guards nor counts this call.
    pub(crate) no_breaker: bool,
    /// Replaces `timeout.total` for this call, longer or shorter.
    pub(crate) total: Option<Duration>,
}

/// How a call through the stack ended, and how many tries it made.
pub(crate) struct Called<T> {
    pub(crate) result: Result<T, CallError>,
    pub(crate) tries: u32,
}

impl Policies {
    /// Runs one call through every policy, making tries with `attempt`.
    pub(crate) async fn call<A: Attempt>(&self, attempt: &A, facts: CallFacts<'_>) -> Called<A::Output> {
        let connection = facts.connection;
        let own = self.for_host(facts.host);
        if let Some(limit) = own.rate_limit
            && limit.acquire(facts.host).await.is_err()
        {
            let error = CallError::RateLimited {
                connection: connection.to_owned(),
            };
            return Called {
                result: Err(error),
                tries: 0,
            };
        }
        let _slot = match &self.bulkhead {
            Some(bulkhead) => match bulkhead.acquire().await {
                Ok(slot) => Some(slot),
                Err(_) => {
                    let error = CallError::BulkheadFull {
                        connection: connection.to_owned(),
                    };
                    return Called {
                        result: Err(error),
                        tries: 0,
                    };
                }
            },
            None => None,
        };
        let overrides = facts.overrides;
        let total = Some(match overrides.total {
            Some(replaced) => Deadline::after(replaced, Limit::Caller),
            None => Deadline::after(own.total, Limit::Total),
        });
        let caller = facts.timeout.map(|d| Deadline::after(d, Limit::Caller));
        let deadline = Deadline::earliest(Deadline::earliest(total, caller), Deadline::current());
        let breaker = match overrides.no_breaker {
            true => None,
            false => own.breaker.map(|b| b.for_host(facts.host)),
        };
        let tries = Tries {
            attempt,
            breaker: breaker.as_deref(),
            #[cfg(feature = "redis")]
            fleet: self.fleet_breaker.as_deref().filter(|_| !overrides.no_breaker),
            deadline,
            per_attempt: own.per_attempt,
        };
        let Some(retry) = self.retry.as_ref().filter(|_| !overrides.no_retry) else {
            let result = tries.once().await.map_err(|f| f.error);
            return Called { result, tries: 1 };
        };
        let mut made = 0;
        let tried = |n| {
            made = n;
            tries.once()
        };
        // The engine under `Retry::call`, decided by a type, not a boxed closure: no allocation.
        let rules = ByOutcome {
            request: &facts.request,
        };
        let call = Engine::new(retry, tried, rules).deadline(deadline);
        let result = call.await.map_err(|e| {
            if e.last.deadline_passed {
                // The call's deadline passed: that is the error, however many tries were made.
                return e.last.error;
            }
            CallError::retries_ended(connection, e.attempts, e.reason, e.last.error)
        });
        Called { result, tries: made }
    }
}

/// What every try of one call shares.
struct Tries<'a, A> {
    attempt: &'a A,
    breaker: Option<&'a CircuitBreaker>,
    /// The breaker's quorum half, which turns calls away while the fleet is open.
    #[cfg(feature = "redis")]
    fleet: Option<&'a crate::resilience::circuit_breaker::FleetBreaker>,
    deadline: Option<Deadline>,
    per_attempt: Option<Duration>,
}

impl<A: Attempt> Tries<'_, A> {
    /// One try: past the breaker, bounded by the per-attempt limit and the time left, counted.
    async fn once(&self) -> Result<A::Output, Failure> {
        let bound = Bound::new(self.per_attempt, self.deadline);
        if let Some(deadline) = bound.expired() {
            return Err(Failure::deadline(self.attempt.connection(), deadline));
        }
        #[cfg(feature = "redis")]
        if self.fleet.is_some_and(|fleet| fleet.blocks()) {
            return Err(Failure::circuit_open(self.attempt.connection()));
        }
        let permit = match self.breaker {
            Some(breaker) => match breaker.try_acquire() {
                Ok(permit) => Some(permit),
                Err(_) => return Err(Failure::circuit_open(self.attempt.connection())),
            },
            None => None,
        };
        let result = self.attempt.once(&bound).await;
        if let Some(permit) = permit {
            match &result {
                Ok(output) => permit.record(self.attempt.answered(output)),
                Err(failure) => permit.record(failure.outcome),
            }
        }
        result
    }
}

/// Decides a try's result by what its [`Outcome`] means to the connection's retry rules.
struct ByOutcome<'a> {
    request: &'a RequestInfo<'a>,
}

impl<T> Decide<T, Failure> for ByOutcome<'_> {
    fn decide(&self, retry: &Retry, result: &Result<T, Failure>) -> Decision {
        retry.decide(self.request, &outcome_of(result))
    }

    fn describe(&self, result: &Result<T, Failure>) -> Option<String> {
        result.as_ref().err().map(|failure| failure.error.to_string())
    }
}

/// What the retry rules see of a try's result.
fn outcome_of<T>(result: &Result<T, Failure>) -> Outcome {
    match result {
        Ok(_) => Outcome::Success,
        Err(failure) => failure.outcome,
    }
}
