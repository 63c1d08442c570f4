//! `Retry`: a retry policy built from a `retry(...)` config, shared by every call through it.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::stats::Counters;
use super::{
    Backoff, Classifier, Decision, Outcome, RequestInfo, RetryCall, RetryConfig, RetryEvent, RetryLayer,
    RetryStats, StopReason,
};
use crate::resilience::Emitter;
use crate::resilience::budget::RetryBudget;
use crate::resilience::timeout::Deadline;

/// A retry policy: how many tries, how long between them, what is retried, and the retry
/// budget. Cheap to clone; clones share counters, events and budget.
///
/// ```
/// use std::time::Duration;
/// use connfx::RetryConfig;
/// use connfx::resilience::retry::Retry;
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let retry = Retry::new(RetryConfig { initial_interval: Duration::from_millis(1), ..Default::default() });
/// let mut failures = 2;
/// let value = retry
///     .call(|_attempt| {
///         let fail = failures > 0;
///         failures -= 1;
///         async move { if fail { Err("busy") } else { Ok(42) } }
///     })
///     .await
///     .unwrap();
/// assert_eq!(value, 42);
/// assert_eq!(retry.stats().retries, 2);
/// # });
/// ```
#[derive(Clone)]
pub struct Retry {
    policy: Arc<Policy>,
    shared: Arc<Shared>,
}

#[derive(Clone)]
struct Policy {
    max_attempts: u32,
    backoff: Backoff,
    classifier: Classifier,
    budget: Option<Arc<RetryBudget>>,
}

struct Shared {
    counters: Counters,
    events: Emitter<RetryEvent>,
}

impl Retry {
    /// The policy of `config`. Out-of-range numbers are brought to their nearest bound and an
    /// unreadable `retry_on` falls back to the default; [`try_new`](Retry::try_new) reports them.
    pub fn new(config: RetryConfig) -> Self {
        let policy = Policy {
            max_attempts: config.max_attempts.max(1),
            backoff: Backoff::from_config(&config),
            classifier: Classifier::from_config(&config),
            budget: RetryBudget::from_config(&config).map(Arc::new),
        };
        let shared = Shared {
            counters: Counters::default(),
            events: Emitter::new(),
        };
        Retry {
            policy: Arc::new(policy),
            shared: Arc::new(shared),
        }
    }

    /// The same policy with another retry budget (`None`: no budget), e.g. one shared by several
    /// policies of a connection.
    #[must_use]
    pub fn with_budget(mut self, budget: Option<Arc<RetryBudget>>) -> Self {
        Arc::make_mut(&mut self.policy).budget = budget;
        self
    }

    /// The same policy with other retry rules (a custom predicate, say).
    #[must_use]
    pub fn with_classifier(mut self, classifier: Classifier) -> Self {
        Arc::make_mut(&mut self.policy).classifier = classifier;
        self
    }

    /// The same policy with another backoff.
    #[must_use]
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        Arc::make_mut(&mut self.policy).backoff = backoff;
        self
    }

    /// A policy of `config`, built as [`try_new`](Retry::try_new) builds it, that carries on
    /// from this one: the same counters and listeners, and this one's budget with its balance
    /// kept ([`RetryBudget::reconfigure`]) when both have one kept in the same place (this
    /// instance, or the same fleet store; a budget that moves starts afresh). A retry policy holds no other
    /// state, so this is how a reload changes one: calls already running finish under the
    /// policy they started with, and later calls use the new one.
    ///
    /// ```
    /// use connfx::RetryConfig;
    /// use connfx::resilience::retry::Retry;
    /// let retry = Retry::new(RetryConfig::default());
    /// retry.on_retry(|attempt, _| tracing::info!(attempt, "retrying"));
    /// let reloaded = retry.reconfigured(RetryConfig { max_attempts: 5, ..Default::default() }).unwrap();
    /// assert_eq!(reloaded.max_attempts(), 5);
    /// assert!(std::sync::Arc::ptr_eq(reloaded.budget().unwrap(), retry.budget().unwrap()));
    /// ```
    ///
    /// # Errors
    /// [`InvalidConfig`](crate::resilience::InvalidConfig) listing each value out of bounds.
    pub fn reconfigured(&self, config: RetryConfig) -> Result<Retry, crate::resilience::InvalidConfig> {
        Ok(Retry::try_new(config)?.carrying_on(self))
    }

    /// This policy with `earlier`'s counters, listeners and budget (see
    /// [`reconfigured`](Retry::reconfigured)).
    pub(crate) fn carrying_on(mut self, earlier: &Retry) -> Retry {
        self.shared = Arc::clone(&earlier.shared);
        if let (Some(kept), Some(new)) = (&earlier.policy.budget, &self.policy.budget)
            && kept.is_kept_like(new)
        {
            kept.reconfigure(new.ratio(), new.min_retries_per_sec());
            let kept = Some(Arc::clone(kept));
            return self.with_budget(kept);
        }
        self
    }

    /// Tries in all, the first included.
    pub fn max_attempts(&self) -> u32 {
        self.policy.max_attempts
    }

    /// The delays between tries.
    pub fn backoff(&self) -> &Backoff {
        &self.policy.backoff
    }

    /// The rules deciding what is retried.
    pub fn classifier(&self) -> &Classifier {
        &self.policy.classifier
    }

    /// The retry budget, if any.
    pub fn budget(&self) -> Option<&Arc<RetryBudget>> {
        self.policy.budget.as_ref()
    }

    /// The policy's rules applied to one attempt: see [`Classifier::decide`].
    pub fn decide(&self, request: &RequestInfo<'_>, outcome: &Outcome) -> Decision {
        self.policy.classifier.decide(request, outcome)
    }

    /// Runs `op(attempt)` (attempt 1, 2, …) until it succeeds, its failure is not retried, or a
    /// limit is reached. By default every `Err` is retried; the returned [`RetryCall`] narrows
    /// that (`retry_if`, `retry_if_ok`, `classify`), sets a `deadline` and an `on_retry` hook.
    pub fn call<F, Fut, T, E>(&self, op: F) -> RetryCall<'_, F, Fut, T, E>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        RetryCall::new(self, op)
    }

    /// A tower layer retrying the wrapped service's errors with this policy.
    pub fn layer(&self) -> RetryLayer {
        RetryLayer::new(self.clone())
    }

    /// Counters since the policy was built.
    pub fn stats(&self) -> RetryStats {
        self.shared.counters.snapshot()
    }

    /// Calls `hook(attempt, delay)` whenever try `attempt` failed and another follows after `delay`.
    pub fn on_retry(&self, hook: impl Fn(u32, Duration) + Send + Sync + 'static) {
        self.on_event(move |event| {
            if let RetryEvent::Retrying { attempt, delay, .. } = event {
                hook(*attempt, *delay);
            }
        });
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.shared.counters
    }

    pub(crate) fn emit(&self, event: RetryEvent) {
        self.shared.events.emit(event);
    }

    /// The wait before the try after `attempt`, or why there is none. `after` is the server's
    /// `Retry-After`. The budget is asked last, so a retry refused for other reasons costs none.
    pub(crate) fn plan(
        &self,
        attempt: u32,
        after: Option<Duration>,
        deadline: Option<Deadline>,
    ) -> Result<(Duration, bool), StopReason> {
        let policy = &self.policy;
        if attempt >= policy.max_attempts {
            return Err(StopReason::Exhausted);
        }
        let (wait, server_asked) = match after {
            Some(asked) => (asked.min(policy.backoff.max_interval()), true),
            None => (policy.backoff.delay(attempt), false),
        };
        if let Some(remaining) = deadline.map(|d| d.remaining())
            && wait >= remaining
        {
            return Err(StopReason::Deadline {
                wait,
                remaining,
                server_asked,
            });
        }
        if policy.budget.as_ref().is_some_and(|b| !b.withdraw()) {
            return Err(StopReason::BudgetExhausted);
        }
        Ok((wait, server_asked))
    }

    pub(crate) fn deposit(&self) {
        if let Some(budget) = &self.policy.budget {
            budget.deposit();
        }
    }
}

impl fmt::Debug for Retry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retry")
            .field("max_attempts", &self.policy.max_attempts)
            .field("backoff", &self.policy.backoff)
            .field("classifier", &self.policy.classifier)
            .field("budget", &self.policy.budget)
            .finish()
    }
}

crate::resilience::face::policy_face!(Retry, RetryConfig, RetryEvent, shared);
