//! `RetryCall`: one call under a retry policy, as a future.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::time::Sleep;
use tracing::debug;

use super::{Decision, Retry, RetryError, RetryEvent, StopReason};
use crate::resilience::timeout::Deadline;

type ClassifyFn<'a, T, E> = Box<dyn Fn(&Result<T, E>) -> Decision + Send + 'a>;
type Predicate<'a, V> = Box<dyn Fn(&V) -> bool + Send + 'a>;
type OnRetry<'a, T, E> = Box<dyn FnMut(u32, &Result<T, E>, Duration) + Send + 'a>;

/// One call under a [`Retry`] policy, made by [`Retry::call`]; await it for the result. Before
/// awaiting, narrow what is retried (every `Err` by default) and set a deadline:
///
/// ```
/// use std::time::Duration;
/// use connfx::resilience::retry::{Retry, RetryError, StopReason};
/// use connfx::resilience::timeout::{Deadline, Limit};
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let retry = Retry::new(connfx::RetryConfig { initial_interval: Duration::from_millis(1), ..Default::default() });
///
/// // Retry with result: an `Ok` the predicate rejects is tried again; the last one is returned.
/// let status = retry.call(|attempt| async move { Ok::<_, ()>(if attempt < 3 { 503 } else { 200 }) })
///     .retry_if_ok(|status| *status == 503)
///     .await;
/// assert_eq!(status, Ok(200));
///
/// // Only some errors are retried.
/// let err = retry.call(|_| async { Err::<(), _>("bad request") })
///     .retry_if(|e| *e != "bad request")
///     .await
///     .unwrap_err();
/// assert_eq!((err.attempts, err.reason), (1, StopReason::NotRetryable));
///
/// // No try starts if its wait would outlast the deadline.
/// let soon = Deadline::after(Duration::from_millis(50), Limit::Caller);
/// let slow = Retry::new(connfx::RetryConfig { initial_interval: Duration::from_secs(5), ..Default::default() });
/// let err = slow.call(|_| async { Err::<(), _>("busy") }).deadline(soon).await.unwrap_err();
/// assert!(matches!(err.reason, StopReason::Deadline { .. }));
/// # });
/// ```
#[must_use = "a retry call does nothing unless awaited"]
pub struct RetryCall<'a, F, Fut, T, E> {
    retry: Retry,
    op: F,
    deadline: Option<Deadline>,
    retry_if: Option<Predicate<'a, E>>,
    retry_if_ok: Option<Predicate<'a, T>>,
    classify: Option<ClassifyFn<'a, T, E>>,
    on_retry: Option<OnRetry<'a, T, E>>,
    attempt: u32,
    state: State<Fut>,
}

enum State<Fut> {
    Start,
    Running(Pin<Box<Fut>>),
    Sleeping(Pin<Box<Sleep>>),
    Done,
}

// Every pinned part is boxed, so the call itself may move.
impl<F, Fut, T, E> Unpin for RetryCall<'_, F, Fut, T, E> {}

impl<'a, F, Fut, T, E> RetryCall<'a, F, Fut, T, E>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    pub(super) fn new(retry: Retry, op: F) -> Self {
        RetryCall {
            retry,
            op,
            deadline: None,
            retry_if: None,
            retry_if_ok: None,
            classify: None,
            on_retry: None,
            attempt: 0,
            state: State::Start,
        }
    }

    /// No try starts whose wait would outlast `deadline` (nor the current one of
    /// [`Deadline::current`], which applies anyway): the call fails at once instead.
    pub fn deadline(mut self, deadline: Deadline) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Retries only the errors `predicate` accepts (by default every error is retried).
    pub fn retry_if<'b>(self, predicate: impl Fn(&E) -> bool + Send + 'b) -> RetryCall<'b, F, Fut, T, E>
    where
        'a: 'b,
    {
        let this: RetryCall<'b, F, Fut, T, E> = self;
        RetryCall {
            retry_if: Some(Box::new(predicate)),
            ..this
        }
    }

    /// Retry with result: also retries the successes `predicate` flags (a 503 returned as a
    /// value, say). When tries run out on a flagged success, that success is returned.
    pub fn retry_if_ok<'b>(self, predicate: impl Fn(&T) -> bool + Send + 'b) -> RetryCall<'b, F, Fut, T, E>
    where
        'a: 'b,
    {
        let this: RetryCall<'b, F, Fut, T, E> = self;
        RetryCall {
            retry_if_ok: Some(Box::new(predicate)),
            ..this
        }
    }

    /// Decides about every result with `classify`, overriding `retry_if` and `retry_if_ok`; a
    /// [`Decision::Retry`] may carry the server's `Retry-After`.
    pub fn classify<'b>(
        self,
        classify: impl Fn(&Result<T, E>) -> Decision + Send + 'b,
    ) -> RetryCall<'b, F, Fut, T, E>
    where
        'a: 'b,
    {
        let this: RetryCall<'b, F, Fut, T, E> = self;
        RetryCall {
            classify: Some(Box::new(classify)),
            ..this
        }
    }

    /// Calls `hook(attempt, result, delay)` before each retry with the failed try's result.
    pub fn on_retry<'b>(
        self,
        hook: impl FnMut(u32, &Result<T, E>, Duration) + Send + 'b,
    ) -> RetryCall<'b, F, Fut, T, E>
    where
        'a: 'b,
    {
        let this: RetryCall<'b, F, Fut, T, E> = self;
        RetryCall {
            on_retry: Some(Box::new(hook)),
            ..this
        }
    }

    fn start_attempt(&mut self) {
        self.attempt += 1;
        self.retry.counters().attempt(self.attempt == 1);
        self.state = State::Running(Box::pin((self.op)(self.attempt)));
    }

    fn decide(&self, result: &Result<T, E>) -> Decision {
        let retry = match (&self.classify, result) {
            (Some(classify), _) => return classify(result),
            (None, Ok(value)) => self.retry_if_ok.as_ref().is_some_and(|p| p(value)),
            (None, Err(error)) => self.retry_if.as_ref().is_none_or(|p| p(error)),
        };
        if retry {
            Decision::Retry { after: None }
        } else {
            Decision::Done
        }
    }

    /// After a try: the final output, or `None` with the next try scheduled.
    fn settle(&mut self, result: Result<T, E>) -> Option<Result<T, RetryError<E>>> {
        let Decision::Retry { after } = self.decide(&result) else {
            return Some(self.finish(result, StopReason::NotRetryable));
        };
        let deadline = Deadline::earliest(self.deadline, Deadline::current());
        match self.retry.plan(self.attempt, after, deadline) {
            Ok((delay, server_asked)) => {
                self.schedule(&result, delay, server_asked);
                None
            }
            Err(reason) => Some(self.finish(result, reason)),
        }
    }

    fn schedule(&mut self, result: &Result<T, E>, delay: Duration, server_asked: bool) {
        let attempt = self.attempt;
        debug!(attempt, ?delay, server_asked, "retrying");
        if let Some(hook) = &mut self.on_retry {
            hook(attempt, result, delay);
        }
        self.retry.emit(RetryEvent::Retrying {
            attempt,
            delay,
            server_asked,
        });
        self.state = State::Sleeping(Box::pin(tokio::time::sleep(delay)));
    }

    fn finish(&mut self, result: Result<T, E>, reason: StopReason) -> Result<T, RetryError<E>> {
        self.state = State::Done;
        let attempts = self.attempt;
        if reason != StopReason::NotRetryable {
            debug!(attempts, %reason, "gave up retrying");
            self.retry.counters().gave_up(&reason);
            self.retry.emit(RetryEvent::GaveUp { attempts, reason });
        }
        result.map_err(|last| RetryError {
            attempts,
            reason,
            last,
        })
    }
}

impl<F, Fut, T, E> Future for RetryCall<'_, F, Fut, T, E>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    type Output = Result<T, RetryError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                State::Start => {
                    this.retry.counters().call();
                    this.retry.deposit();
                    this.start_attempt();
                }
                State::Running(attempt) => {
                    let result = ready!(attempt.as_mut().poll(cx));
                    if let Some(output) = this.settle(result) {
                        return Poll::Ready(output);
                    }
                }
                State::Sleeping(sleep) => {
                    ready!(sleep.as_mut().poll(cx));
                    this.start_attempt();
                }
                State::Done => panic!("`RetryCall` polled after it completed"),
            }
        }
    }
}
