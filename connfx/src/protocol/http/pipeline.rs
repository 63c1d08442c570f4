//! The policy stack every request goes through, outermost first:
//!
//! rate limit → bulkhead → total timeout → retry (with budget) → circuit breaker →
//! per-attempt timeout → reqwest.
//!
//! Why this order:
//! - The rate limit comes first, so a call it turns away holds no bulkhead slot and uses none of
//!   its time.
//! - The bulkhead bounds whole calls in flight, retries included: however often each call
//!   retries, a slow dependency holds at most `max_concurrent` of the caller's tasks.
//! - The total timeout (and a caller's shorter `.timeout()`) bounds everything under it, waits
//!   between tries included; the retry loop sees the deadline and never starts a wait it cannot
//!   finish. It costs no timer of its own: each try hands reqwest the shorter of
//!   `per_attempt` and the time left (one timer per try, as with reqwest alone; a second
//!   timer cost ~4 % of loopback throughput, see BENCHMARKS.md), and a try that starts after the
//!   deadline fails at once.
//! - The retry loop wraps the breaker, so every try is counted by the breaker, and an open
//!   breaker ends the retries at once (its rejection is not retried).
//! - The per-attempt timeout sits inside the breaker, so a try that times out is a breaker
//!   failure.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, Response};
use url::Url;

use super::HttpConnection;
use super::policies::Scoped;
use super::target;
use super::transport::{self, Limits};
use crate::CallError;
use crate::resilience::circuit_breaker::CircuitBreaker;
use crate::resilience::retry::{BodyKind, Outcome, RequestInfo, RetryAfter};
use crate::resilience::timeout::{Deadline, Limit};
use crate::resilience::{CircuitBreakerGroup, Retry};

/// One request, ready to be tried as often as the policies allow. It borrows the connection:
/// cloning it would touch the handle's shared reference count on every call, a cache line all
/// cores fight over when many calls run at once.
pub(super) struct Call<'c> {
    pub(super) connection: &'c HttpConnection,
    pub(super) method: Method,
    pub(super) url: Url,
    pub(super) headers: HeaderMap,
    pub(super) body: Option<reqwest::Body>,
    /// The caller's own limit on the whole call (`.timeout()`).
    pub(super) timeout: Option<Duration>,
    /// The caller's say; `None` leaves it to the method and `retry.non_idempotent`.
    pub(super) idempotent: Option<bool>,
}

/// How one try ended when it did not produce a response: the error, and what the retry rules
/// need to know about it.
struct Failed {
    error: CallError,
    outcome: Outcome,
    /// The call's deadline ended this try: no further try can be made.
    deadline_passed: bool,
}

impl Call<'_> {
    /// Runs the call through the whole stack; `Ok` holds a response with a status below 400.
    /// `tries` ends up holding the number of tries made.
    pub(super) async fn run(self, tries: &AtomicU32) -> Result<(Response, Limits), CallError> {
        let connection = self.connection;
        let policies = connection.policies();
        let name = connection.name();
        if let Some(limit) = &policies.rate_limit {
            limit
                .acquire(&self.url)
                .await
                .map_err(|_| CallError::RateLimited {
                    connection: name.to_owned(),
                })?;
        }
        let _slot = match &policies.bulkhead {
            Some(bulkhead) => Some(bulkhead.acquire().await.map_err(|_| CallError::BulkheadFull {
                connection: name.to_owned(),
            })?),
            None => None,
        };
        // The call's deadline, or an enclosing caller's earlier one, handed to the retry loop
        // and to every try. Passed along rather than set in a task-local scope: the scope's
        // wrapper would swap the value in and out on every poll and copy the whole loop once
        // more before it starts.
        let deadline = Deadline::earliest(self.deadline(), Deadline::current());
        self.tries(
            policies.retry.as_ref(),
            policies.breaker.as_ref(),
            tries,
            deadline,
        )
        .await
    }

    /// The earliest of `timeout.total` and the caller's `.timeout()`.
    fn deadline(&self) -> Option<Deadline> {
        let total = self
            .connection
            .config()
            .timeout
            .total
            .map(|d| Deadline::after(d, Limit::Total));
        let caller = self.timeout.map(|d| Deadline::after(d, Limit::Caller));
        Deadline::earliest(total, caller)
    }

    /// The retry loop around single tries (or one try without a retry policy).
    async fn tries(
        self,
        retry: Option<&Retry>,
        breaker: Option<&Scoped<CircuitBreaker, std::sync::Arc<CircuitBreakerGroup>>>,
        tries: &AtomicU32,
        deadline: Option<Deadline>,
    ) -> Result<(Response, Limits), CallError> {
        let mut body = Body::new(self.body);
        let mut info = RequestInfo::new(self.method.as_str()).body(body.kind());
        info.idempotent = self.idempotent;
        let attempt = Attempt {
            connection: self.connection,
            method: &self.method,
            url: &self.url,
            headers: &self.headers,
            breaker: breaker.map(|b| b.for_url(&self.url)),
            deadline,
            credentials: Some(self.connection.origin_credentials())
                .filter(|c| !c.is_empty() && target::same_origin(self.connection.base(), &self.url)),
        };
        tries.store(1, Relaxed);
        let Some(retry) = retry else {
            return attempt.once(body.take()).await.map_err(|f| f.error);
        };
        let body = std::sync::Mutex::new(body);
        let mut call = retry
            .call(|n| {
                tries.store(n, Relaxed);
                let body = body.lock().map(|mut b| b.take()).unwrap_or(None);
                // Boxed, so the retry loop around it stays small: the loop's future is moved
                // a few times before it runs, and each move copies all of it.
                Box::pin(attempt.once(body))
            })
            .classify(|result| retry.decide(&info, &outcome_of(result)));
        if let Some(deadline) = deadline {
            call = call.deadline(deadline);
        }
        let result = call.await;
        result.map_err(|e| {
            if e.last.deadline_passed {
                // The call's deadline passed: that is the error, however many tries were made.
                return e.last.error;
            }
            CallError::retries_ended(self.connection.name(), e.attempts, e.reason, e.last.error)
        })
    }
}

/// What one try needs; shared by every try of a call.
struct Attempt<'a> {
    connection: &'a HttpConnection,
    method: &'a Method,
    url: &'a Url,
    headers: &'a HeaderMap,
    breaker: Option<Cow<'a, CircuitBreaker>>,
    /// The call's deadline: no try outlasts it.
    deadline: Option<Deadline>,
    /// Credentials for a `per_host` connection's requests to its base URL's origin.
    credentials: Option<&'a HeaderMap>,
}

impl Attempt<'_> {
    /// One try: through the breaker, bounded by the per-attempt limit and the time left.
    async fn once(&self, body: Option<reqwest::Body>) -> Result<(Response, Limits), Failed> {
        let name = self.connection.name();
        let bound = self.bound(self.deadline);
        if let Some(deadline) = bound.expired {
            return Err(Failed {
                error: CallError::Timeout {
                    connection: name.to_owned(),
                    after: deadline.length(),
                },
                outcome: Outcome::Timeout { sent: false },
                deadline_passed: true,
            });
        }
        let permit = match &self.breaker {
            Some(breaker) => Some(breaker.try_acquire().map_err(|_| Failed {
                error: CallError::CircuitOpen {
                    connection: name.to_owned(),
                },
                outcome: Outcome::Other,
                deadline_passed: false,
            })?),
            None => None,
        };
        let limits = bound.named;
        let mut request = self
            .connection
            .client()
            .request(self.method.clone(), self.url.clone());
        if let Some(credentials) = self.credentials {
            // Before the request's own headers, which win over a default of the same name.
            request = request.headers(credentials.clone());
        }
        request = request.headers(self.headers.clone());
        if let Some(limit) = bound.reqwest {
            request = request.timeout(limit);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        match self.connection.send_raw(request).await {
            Ok(response) => {
                let code = response.status().as_u16();
                if let Some(permit) = permit {
                    permit.record_status(code);
                }
                if code < 400 {
                    return Ok((response, limits));
                }
                let outcome = Outcome::Status {
                    code,
                    retry_after: retry_after(response.headers()),
                };
                Err(Failed {
                    error: super::response::status_error(name, response).await,
                    outcome,
                    deadline_passed: false,
                })
            }
            Err(err) => {
                if let Some(permit) = permit {
                    permit.failure();
                }
                let outcome = if err.is_connect() {
                    Outcome::Connect
                } else if err.is_timeout() {
                    Outcome::Timeout { sent: true }
                } else {
                    Outcome::Transport
                };
                Err(Failed {
                    deadline_passed: err.is_timeout() && bound.deadline_binds,
                    error: transport::call_error(name, err, limits),
                    outcome,
                })
            }
        }
    }

    /// What bounds this try: the shorter of `timeout.per_attempt` and the time left before
    /// `deadline`. reqwest gets the time left; errors name the limit as configured.
    fn bound(&self, deadline: Option<Deadline>) -> Bound {
        let configured = &self.connection.config().timeout;
        let per_attempt = configured.per_attempt;
        let left = deadline.map(|d| (d, d.remaining()));
        let deadline_binds = left.is_some_and(|(_, left)| per_attempt.is_none_or(|p| left <= p));
        let (reqwest, request) = match left {
            Some((deadline, left)) if deadline_binds => (Some(left), Some(deadline.length())),
            _ => (per_attempt, per_attempt),
        };
        Bound {
            reqwest,
            named: Limits {
                connect: configured.connect,
                request,
            },
            deadline_binds,
            expired: left.filter(|(_, left)| left.is_zero()).map(|(d, _)| d),
        }
    }
}

/// The limits of one try.
struct Bound {
    /// What reqwest is told.
    reqwest: Option<Duration>,
    /// The limits as configured, to name in an error.
    named: Limits,
    /// Whether the call's deadline, not `per_attempt`, ends this try.
    deadline_binds: bool,
    /// The deadline, if it has passed already.
    expired: Option<Deadline>,
}

/// What the retry rules see of a try's result.
fn outcome_of(result: &Result<(Response, Limits), Failed>) -> Outcome {
    match result {
        Ok(_) => Outcome::Success,
        Err(failed) => failed.outcome,
    }
}

fn retry_after(headers: &HeaderMap) -> Option<RetryAfter> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()
        .and_then(RetryAfter::parse)
}

/// A request body as the retry loop keeps it: bytes can be sent again, a stream only once.
enum Body {
    Empty,
    Bytes(Bytes),
    Stream(Option<reqwest::Body>),
}

impl Body {
    fn new(body: Option<reqwest::Body>) -> Self {
        match body {
            None => Body::Empty,
            Some(body) => match body.as_bytes() {
                Some(bytes) => Body::Bytes(Bytes::copy_from_slice(bytes)),
                None => Body::Stream(Some(body)),
            },
        }
    }

    fn kind(&self) -> BodyKind {
        match self {
            Body::Empty => BodyKind::Empty,
            Body::Bytes(_) => BodyKind::Replayable,
            Body::Stream(_) => BodyKind::Streaming,
        }
    }

    /// The body for the next try (a stream is handed out once).
    fn take(&mut self) -> Option<reqwest::Body> {
        match self {
            Body::Empty => None,
            Body::Bytes(bytes) => Some(bytes.clone().into()),
            Body::Stream(stream) => stream.take(),
        }
    }
}
