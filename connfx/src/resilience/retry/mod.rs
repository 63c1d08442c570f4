//! Retry: tries a failed call again, with backoff and jitter, within a budget and a deadline.
//!
//! The pieces are protocol-agnostic; a protocol layer (the HTTP connection) describes each
//! attempt as an [`Outcome`] and the request as a [`RequestInfo`], and the rules here decide.
//!
//! - [`RetryConfig`]: `retry(max_attempts = 3, backoff = "exponential", initial_interval = "100ms",
//!   max_interval = "10s", multiplier = 2.0, jitter = 0.2, retry_on = "connect,timeout,429,502,503,504",
//!   non_idempotent = false, budget = 0.2, min_retries_per_sec = 10)`.
//! - [`Backoff`]: the delay before each retry — exponential, linear or constant, capped at
//!   `max_interval`, ± `jitter`.
//! - [`RetryOn`], [`Classifier`], [`may_replay`]: what is retried. By default connect errors,
//!   timeouts, 429, 502, 503 and 504; requests that may have reached the server only if
//!   idempotent (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) or opted in; streaming bodies never.
//! - [`RetryAfter`]: the server's `Retry-After` (seconds or HTTP-date), honoured up to
//!   `max_interval`. When the wait before the next try would outlast the deadline (the caller's
//!   or the total timeout's, see [`Deadline`](crate::resilience::timeout::Deadline)), the call
//!   fails at once with [`StopReason::Deadline`] rather than sleeping into a certain timeout.
//! - [`Retry`]: the policy; [`Retry::call`] runs any async operation returning `Result`
//!   ([`RetryCall`]: `retry_if`, `retry_if_ok` for retry with result, `classify`, `on_retry`,
//!   `deadline`); [`Retry::layer`] wraps a tower service. Retries are limited by the
//!   [`RetryBudget`](crate::resilience::budget::RetryBudget): 20 % of requests unless `budget`
//!   says otherwise (`None`, in code, for none).
//! - [`RetryStats`] and [`RetryEvent`]s (`on_retry`, `on_event`, `subscribe`).
//!
//! ```
//! use connfx::resilience::retry::{Classifier, Outcome, RequestInfo, RetryAfter, RetryOn};
//! let rules = Classifier::new(RetryOn::default());
//! let busy = Outcome::Status { code: 503, retry_after: RetryAfter::parse("1") };
//! assert!(rules.decide(&RequestInfo::new("GET"), &busy).is_retry());
//! assert!(!rules.decide(&RequestInfo::new("POST"), &busy).is_retry());
//! ```

mod backoff;
mod call;
mod classify;
mod config;
mod decision;
mod error;
mod events;
mod idempotency;
mod layer;
mod policy;
mod retry_after;
mod retry_on;
mod stats;

pub use backoff::Backoff;
pub use call::RetryCall;
pub(crate) use call::{Decide, Engine};
pub use classify::Classifier;
pub use config::{BackoffKind, RetryConfig};
pub use decision::Decision;
pub use error::{RetryError, StopReason};
pub use events::RetryEvent;
pub use idempotency::{BodyKind, RequestInfo, is_idempotent_method, may_replay};
pub use layer::{ResponseFuture, RetryLayer, RetryService};
// The one vocabulary, also at retry's paths.
pub use crate::resilience::{Classify, ErrIsFailure, Outcome};
pub use policy::Retry;
pub use retry_after::RetryAfter;
pub use retry_on::RetryOn;
pub use stats::RetryStats;

// Plumbing the sibling policies share (config bounds, event delivery).
