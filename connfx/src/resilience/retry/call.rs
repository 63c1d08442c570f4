//! `RetryCall`: one call under a retry policy, as a future.

use std::borrow::Borrow;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::Sleep;
use tracing::debug;

use super::{Classify, Decision, Outcome, Retry, RetryError, RetryEvent, StopReason};
use crate::resilience::timeout::Deadline;

type ClassifyFn<'a, T, E> = Box<dyn Fn(&Result<T, E>) -> Outcome + Send + 'a>;
type Predicate<'a, V> = Box<dyn Fn(&V) -> bool + Send + 'a>;
type OnRetry<'a, T, E> = Box<dyn FnMut(u32, &Result<T, E>, Duration) + Send + 'a>;

pin_project! {
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
    // The try and the wait are pinned in place, not boxed: no allocation per try (pin-project-lite
    // does the projection without `unsafe` in this crate).
    #[must_use = "a retry call does nothing unless awaited"]
    pub struct RetryCall<'a, F, Fut, T, E> {
        // The policy is borrowed: a clone per call would bump its shared reference counts, lines
        // every core writes when many calls run at once.
        #[pin]
        engine: Engine<&'a Retry, F, Fut, Rules<'a, T, E>>,
    }
}

/// Starts each try of a call: `Retry::call`'s closure, or the tower layer's named tries.
pub(crate) trait Attempts<Fut> {
    /// Try number `attempt` (1, 2, …).
    fn attempt(&mut self, attempt: u32) -> Fut;
}

impl<F: FnMut(u32) -> Fut, Fut> Attempts<Fut> for F {
    fn attempt(&mut self, attempt: u32) -> Fut {
        self(attempt)
    }
}

/// Decides whether a result is tried again, and hears of each retry.
pub(crate) trait Decide<T, E> {
    /// Retry or not, under `retry`'s rules.
    fn decide(&self, retry: &Retry, result: &Result<T, E>) -> Decision;

    /// Try `attempt` failed with `result`; the next follows after `delay`.
    fn on_retry(&mut self, _attempt: u32, _result: &Result<T, E>, _delay: Duration) {}

    /// The failed try's error as text, for [`RetryEvent::Retrying`]; `None` when the error
    /// type cannot be printed.
    fn describe(&self, _result: &Result<T, E>) -> Option<String> {
        None
    }
}

/// The rules [`RetryCall`]'s builder methods set.
struct Rules<'a, T, E> {
    retry_if: Option<Predicate<'a, E>>,
    retry_if_ok: Option<Predicate<'a, T>>,
    classify: Option<ClassifyFn<'a, T, E>>,
    on_retry: Option<OnRetry<'a, T, E>>,
}

impl<T, E> Decide<T, E> for Rules<'_, T, E> {
    fn decide(&self, retry: &Retry, result: &Result<T, E>) -> Decision {
        let retry = match (&self.classify, result) {
            (Some(classify), _) => return retry.classifier().decide_any(&classify(result)),
            (None, Ok(value)) => self.retry_if_ok.as_ref().is_some_and(|p| p(value)),
            (None, Err(error)) => self.retry_if.as_ref().is_none_or(|p| p(error)),
        };
        if retry {
            Decision::Retry { after: None }
        } else {
            Decision::Done
        }
    }

    fn on_retry(&mut self, attempt: u32, result: &Result<T, E>, delay: Duration) {
        if let Some(hook) = &mut self.on_retry {
            hook(attempt, result, delay);
        }
    }
}

pin_project! {
    /// A call under a retry policy `P` (borrowed or owned): the engine of [`RetryCall`] and of
    /// the tower layer's response future. The try and the wait are pinned in place.
    pub(crate) struct Engine<P, A, Fut, D> {
        driver: Driver<P, A, D>,
        #[pin]
        state: State<Fut>,
    }
}

impl<P, A, Fut, D> Engine<P, A, Fut, D> {
    /// A call of `op` under `retry`, decided by `rules`.
    pub(crate) fn new(retry: P, op: A, rules: D) -> Self {
        Engine {
            driver: Driver {
                retry,
                op,
                deadline: None,
                rules,
                attempt: 0,
            },
            state: State::Start,
        }
    }

    /// Bounds the retries by `deadline` too (besides [`Deadline::current`]).
    pub(crate) fn deadline(mut self, deadline: Option<Deadline>) -> Self {
        self.driver.deadline = deadline;
        self
    }
}

/// Everything of a call but the future in flight: the policy, the operation and the rules.
struct Driver<P, A, D> {
    retry: P,
    op: A,
    deadline: Option<Deadline>,
    rules: D,
    attempt: u32,
}

pin_project! {
    #[project = StateProj]
    enum State<Fut> {
        Start,
        Running { #[pin] attempt: Fut },
        Sleeping { #[pin] sleep: Sleep },
        Done,
    }
}

impl<'a, F, Fut, T, E> RetryCall<'a, F, Fut, T, E>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    pub(super) fn new(retry: &'a Retry, op: F) -> Self {
        let rules = Rules {
            retry_if: None,
            retry_if_ok: None,
            classify: None,
            on_retry: None,
        };
        RetryCall {
            engine: Engine::new(retry, op, rules),
        }
    }

    /// Bounds the retries by `deadline` (besides [`Deadline::current`]): no try starts whose
    /// wait would outlast it.
    pub fn deadline(self, deadline: Deadline) -> Self {
        RetryCall {
            engine: self.engine.deadline(Some(deadline)),
        }
    }

    /// Retries an `Err` only if `predicate` says so (by default every `Err` is retried).
    pub fn retry_if<'b>(self, predicate: impl Fn(&E) -> bool + Send + 'b) -> RetryCall<'b, F, Fut, T, E>
    where
        'a: 'b,
    {
        self.rebind(|rules| rules.retry_if = Some(Box::new(predicate)))
    }

    /// Also retries an `Ok` that `predicate` rejects ("retry with result"); when the tries run
    /// out, the last `Ok` is returned.
    pub fn retry_if_ok<'b>(self, predicate: impl Fn(&T) -> bool + Send + 'b) -> RetryCall<'b, F, Fut, T, E>
    where
        'a: 'b,
    {
        self.rebind(|rules| rules.retry_if_ok = Some(Box::new(predicate)))
    }

    /// Reads every result with `classify` (overriding `retry_if` and `retry_if_ok`) and retries
    /// what the policy's rules retry ([`Classifier::decide_any`](super::Classifier::decide_any)):
    /// what `retry_on` names and [`Outcome::Failed`], after the server's `Retry-After` if an
    /// [`Outcome::Status`] carries one.
    ///
    /// ```
    /// use std::time::Duration;
    /// use connfx::resilience::retry::{Outcome, Retry};
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// let retry = Retry::new(connfx::RetryConfig { initial_interval: Duration::from_millis(1), ..Default::default() });
    /// let status = retry.call(|attempt| async move { Ok::<u16, ()>(if attempt < 2 { 503 } else { 200 }) })
    ///     .classify(|r: &Result<u16, ()>| match r {
    ///         Ok(200) => Outcome::Success,
    ///         Ok(code) => Outcome::Status { code: *code, retry_after: None },
    ///         Err(()) => Outcome::Failed,
    ///     })
    ///     .await;
    /// assert_eq!(status, Ok(200), "503 is in the default `retry_on`");
    /// # });
    /// ```
    pub fn classify<'b>(self, classify: impl Classify<T, E> + Send + 'b) -> RetryCall<'b, F, Fut, T, E>
    where
        'a: 'b,
    {
        let classify = move |result: &Result<T, E>| classify.classify(result);
        self.rebind(|rules| rules.classify = Some(Box::new(classify)))
    }

    /// Calls `hook` before each wait with the attempt that failed, its result and the delay.
    pub fn on_retry<'b>(
        self,
        hook: impl FnMut(u32, &Result<T, E>, Duration) + Send + 'b,
    ) -> RetryCall<'b, F, Fut, T, E>
    where
        'a: 'b,
    {
        self.rebind(|rules| rules.on_retry = Some(Box::new(hook)))
    }
}

impl<'a, F, Fut, T, E> RetryCall<'a, F, Fut, T, E> {
    /// The same call with a shorter lifetime for its rules, after `set` adds one.
    fn rebind<'b>(self, set: impl FnOnce(&mut Rules<'b, T, E>)) -> RetryCall<'b, F, Fut, T, E>
    where
        'a: 'b,
    {
        let Engine { driver, state } = self.engine;
        let mut rules: Rules<'b, T, E> = driver.rules;
        set(&mut rules);
        let driver = Driver {
            retry: driver.retry,
            op: driver.op,
            deadline: driver.deadline,
            rules,
            attempt: driver.attempt,
        };
        RetryCall {
            engine: Engine { driver, state },
        }
    }
}

impl<P, A, D> Driver<P, A, D>
where
    P: Borrow<Retry>,
{
    fn next_attempt<Fut>(&mut self) -> Fut
    where
        A: Attempts<Fut>,
    {
        self.attempt += 1;
        if self.attempt > 1 {
            self.retry.borrow().counters().retry();
        }
        self.op.attempt(self.attempt)
    }

    /// After a try: `Ok(delay)` to wait and try again, or `Err(output)` to finish with.
    fn settle<T, E>(&mut self, result: Result<T, E>) -> Result<Duration, Result<T, RetryError<E>>>
    where
        D: Decide<T, E>,
    {
        let Decision::Retry { after } = self.rules.decide(self.retry.borrow(), &result) else {
            return Err(self.finish(result, StopReason::NotRetryable));
        };
        let deadline = Deadline::earliest(self.deadline, Deadline::current());
        match self.retry.borrow().plan(self.attempt, after, deadline) {
            Ok((delay, server_asked)) => {
                self.announce(&result, delay, server_asked);
                Ok(delay)
            }
            Err(reason) => Err(self.finish(result, reason)),
        }
    }

    fn announce<T, E>(&mut self, result: &Result<T, E>, delay: Duration, server_asked: bool)
    where
        D: Decide<T, E>,
    {
        let attempt = self.attempt;
        debug!(attempt, ?delay, server_asked, "retrying");
        self.rules.on_retry(attempt, result, delay);
        self.retry.borrow().emit(RetryEvent::Retrying {
            attempt,
            delay,
            server_asked,
            error: self.rules.describe(result),
        });
    }

    fn finish<T, E>(&mut self, result: Result<T, E>, reason: StopReason) -> Result<T, RetryError<E>> {
        let attempts = self.attempt;
        if reason != StopReason::NotRetryable {
            debug!(attempts, %reason, "gave up retrying");
            self.retry.borrow().counters().gave_up(&reason);
            self.retry.borrow().emit(RetryEvent::GaveUp { attempts, reason });
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
        self.project().engine.poll(cx)
    }
}

impl<P, A, Fut, D, T, E> Future for Engine<P, A, Fut, D>
where
    P: Borrow<Retry>,
    A: Attempts<Fut>,
    Fut: Future<Output = Result<T, E>>,
    D: Decide<T, E>,
{
    type Output = Result<T, RetryError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                StateProj::Start => {
                    let retry = this.driver.retry.borrow();
                    retry.counters().call();
                    retry.deposit();
                    let attempt = this.driver.next_attempt();
                    this.state.set(State::Running { attempt });
                }
                StateProj::Running { attempt } => {
                    let result = ready!(attempt.poll(cx));
                    match this.driver.settle(result) {
                        Ok(delay) => this.state.set(State::Sleeping {
                            sleep: tokio::time::sleep(delay),
                        }),
                        Err(output) => {
                            this.state.set(State::Done);
                            return Poll::Ready(output);
                        }
                    }
                }
                StateProj::Sleeping { sleep } => {
                    ready!(sleep.poll(cx));
                    let attempt = this.driver.next_attempt();
                    this.state.set(State::Running { attempt });
                }
                StateProj::Done => panic!("`RetryCall` polled after it completed"),
            }
        }
    }
}
