//! The built-in retry rules: `retry_on`, the idempotency rules and an optional custom predicate.

use std::fmt;
use std::sync::Arc;

use super::{Decision, Outcome, RequestInfo, RetryConfig, RetryOn, may_replay};

type Predicate = Arc<dyn Fn(&Outcome) -> bool + Send + Sync>;

/// Decides, from a request and how an attempt ended, whether to try again. Protocol layers
/// describe the attempt as an [`Outcome`]; the classifier applies `retry_on` (or a custom
/// predicate), then the idempotency rules of [`may_replay`], then picks up `Retry-After`.
///
/// ```
/// use connfx::resilience::retry::{Classifier, Decision, Outcome, RequestInfo, RetryOn};
/// let rules = Classifier::new(RetryOn::default());
/// let get = RequestInfo::new("GET");
/// let post = RequestInfo::new("POST");
/// let busy = Outcome::Status { code: 503, retry_after: None };
/// assert!(rules.decide(&get, &busy).is_retry());
/// assert_eq!(rules.decide(&post, &busy), Decision::Done, "a POST may have been applied");
/// assert!(rules.decide(&post, &Outcome::Connect).is_retry(), "nothing was sent");
/// assert_eq!(rules.decide(&get, &Outcome::Status { code: 404, retry_after: None }), Decision::Done);
///
/// let custom = rules.retry_if(|o| matches!(o, Outcome::Status { code: 409, .. }));
/// assert!(custom.decide(&get, &Outcome::Status { code: 409, retry_after: None }).is_retry());
/// ```
#[derive(Clone, Default)]
pub struct Classifier {
    retry_on: RetryOn,
    non_idempotent: bool,
    predicate: Option<Predicate>,
}

impl Classifier {
    /// Retries what `retry_on` names, for requests that may be replayed.
    pub fn new(retry_on: RetryOn) -> Self {
        Classifier {
            retry_on,
            non_idempotent: false,
            predicate: None,
        }
    }

    /// The rules of a `retry(...)` config; an unreadable `retry_on` falls back to the default
    /// (`RetryConfig::validate` reports it).
    pub fn from_config(config: &RetryConfig) -> Self {
        let retry_on = RetryOn::parse(&config.retry_on).unwrap_or_default();
        Classifier::new(retry_on).non_idempotent(config.non_idempotent)
    }

    /// Also retries non-idempotent requests (POST, PATCH) that may have reached the server.
    #[must_use]
    pub fn non_idempotent(mut self, yes: bool) -> Self {
        self.non_idempotent = yes;
        self
    }

    /// Replaces `retry_on` by a predicate of its own; the idempotency rules still apply.
    #[must_use]
    pub fn retry_if(mut self, predicate: impl Fn(&Outcome) -> bool + Send + Sync + 'static) -> Self {
        self.predicate = Some(Arc::new(predicate));
        self
    }

    /// The failures retried when no predicate is set.
    pub fn retry_on(&self) -> &RetryOn {
        &self.retry_on
    }

    /// Whether the outcome is a failure worth another try, idempotency aside: what the
    /// predicate says, or else what `retry_on` names, and [`Outcome::Failed`] (a failure that
    /// says nothing more, as [`ErrIsFailure`](crate::resilience::ErrIsFailure) reports any `Err`).
    pub fn is_retryable(&self, outcome: &Outcome) -> bool {
        match (&self.predicate, outcome) {
            (_, Outcome::Success) => false,
            (Some(predicate), _) => predicate(outcome),
            (None, Outcome::Failed) => true,
            (None, _) => self.retry_on.matches(outcome),
        }
    }

    /// Retry or not: retryable, replayable, with the server's `Retry-After` if it sent one.
    pub fn decide(&self, request: &RequestInfo<'_>, outcome: &Outcome) -> Decision {
        let replayable = may_replay(request, outcome.reached_server(), self.non_idempotent);
        match replayable {
            true => self.decide_any(outcome),
            false => Decision::Done,
        }
    }

    /// Retry or not where the request is unknown (a tower layer's, a
    /// [`RetryCall::classify`](super::RetryCall::classify)'s): retryable, with the server's
    /// `Retry-After` if it sent one. Whether the request may be sent again is the caller's to
    /// know: its classifier says [`Outcome::Other`] for one that may not.
    ///
    /// ```
    /// use connfx::resilience::retry::{Classifier, Outcome, RetryOn};
    /// let rules = Classifier::new(RetryOn::default());
    /// assert!(rules.decide_any(&Outcome::Failed).is_retry());
    /// assert!(!rules.decide_any(&Outcome::Other).is_retry());
    /// ```
    pub fn decide_any(&self, outcome: &Outcome) -> Decision {
        if !self.is_retryable(outcome) {
            return Decision::Done;
        }
        Decision::Retry {
            after: outcome.retry_after().map(|r| r.delay()),
        }
    }
}

impl fmt::Debug for Classifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Classifier")
            .field("retry_on", &self.retry_on)
            .field("non_idempotent", &self.non_idempotent)
            .field("custom_predicate", &self.predicate.is_some())
            .finish()
    }
}
