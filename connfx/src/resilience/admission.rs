//! One tower layer for every policy that admits a call before it runs: [`RateLimit`],
//! [`KeyedRateLimit`] (with a key function) and [`Bulkhead`].
//!
//! Each policy implements [`Admission`] with the same acquire code the policy stack calls
//! (`RateLimit::acquire`, `Bulkhead::acquire`): a call that can be decided at once (a free permit,
//! or a rejection) is decided without allocating; only a call that must wait (a rate limit in
//! `wait` mode past its rate, a full bulkhead with a `max_wait`) boxes that wait, once, which is
//! small next to the sleep it stands for.
//!
//! Semantics of [`AdmissionService`]:
//! - `poll_ready` is the inner service's readiness only; it never waits on the policy, so a
//!   rejection never surfaces from `poll_ready`.
//! - Admission happens when the response future is first polled (inside the caller's
//!   [`Deadline`](crate::resilience::timeout::Deadline) scope, so an outer timeout bounds the
//!   wait), and a rejection is the response future's error, through `From` into the service's
//!   error type (as `tower::BoxError` takes it).
//! - A rejected call never reaches the inner service; an admitted call holds its permit (a
//!   bulkhead slot) until its response is ready or the future is dropped.
//!
//! [`RateLimit`]: crate::resilience::rate_limit::RateLimit
//! [`KeyedRateLimit`]: crate::resilience::rate_limit::KeyedRateLimit
//! [`Bulkhead`]: crate::resilience::bulkhead::Bulkhead

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

/// A policy that admits or turns away each call before it runs.
///
/// ```
/// use connfx::resilience::admission::{Admission, Admit};
/// use connfx::resilience::bulkhead::Bulkhead;
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let bulkhead = Bulkhead::new(connfx::BulkheadConfig { max_concurrent: 1, ..Default::default() });
/// let slot = Admission::<()>::admit(&bulkhead, &()).await.unwrap();
/// assert!(Admission::<()>::admit(&bulkhead, &()).await.is_err(), "the one slot is held");
/// drop(slot);
/// # });
/// ```
pub trait Admission<Req> {
    /// What an admitted call holds until its response is ready (a bulkhead slot, or `()`).
    type Permit;
    /// Why a call was turned away.
    type Rejected;

    /// Admits the call of `request`, at once or after a wait.
    fn admit(&self, request: &Req) -> Admit<Self::Permit, Self::Rejected>;
}

/// The decision of an [`Admission`]: made at once (no allocation) or after a boxed wait.
///
/// ```
/// use connfx::resilience::admission::Admit;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// assert_eq!(Admit::<(), &str>::now(Err("full")).await, Err("full"));
/// assert_eq!(Admit::<u8, ()>::after(async { Ok(1) }).await, Ok(1));
/// # });
/// ```
#[must_use = "an admission does nothing unless awaited"]
pub struct Admit<P, E> {
    state: Decision<P, E>,
}

type Wait<P, E> = Pin<Box<dyn Future<Output = Result<P, E>> + Send>>;

enum Decision<P, E> {
    Now(Option<Result<P, E>>),
    After(Wait<P, E>),
}

impl<P, E> Admit<P, E> {
    /// A decision made already.
    pub fn now(result: Result<P, E>) -> Self {
        Admit {
            state: Decision::Now(Some(result)),
        }
    }

    /// A decision `wait` makes.
    pub fn after(wait: impl Future<Output = Result<P, E>> + Send + 'static) -> Self {
        Admit {
            state: Decision::After(Box::pin(wait)),
        }
    }
}

// The decided result is only moved out, never pinned; the wait is boxed.
impl<P, E> Unpin for Admit<P, E> {}

impl<P, E> Future for Admit<P, E> {
    type Output = Result<P, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().state {
            Decision::Now(result) => match result.take() {
                Some(result) => Poll::Ready(result),
                None => panic!("`Admit` polled after it completed"),
            },
            Decision::After(wait) => wait.as_mut().poll(cx),
        }
    }
}

impl<P, E> fmt::Debug for Admit<P, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let waiting = matches!(self.state, Decision::After(_));
        f.debug_struct("Admit").field("waiting", &waiting).finish()
    }
}

/// Admits each call of the wrapped service through `A` (see the [module docs](self)).
///
/// ```
/// use tower_layer::Layer;
/// use tower_service::Service;
/// use connfx::resilience::admission::AdmissionLayer;
/// use connfx::resilience::bulkhead::{Bulkhead, BulkheadFull};
/// # type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// # #[derive(Clone)] struct Echo;
/// # impl Service<u32> for Echo {
/// #     type Response = u32;
/// #     type Error = BoxError;
/// #     type Future = std::future::Ready<Result<u32, BoxError>>;
/// #     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), BoxError>> {
/// #         std::task::Poll::Ready(Ok(()))
/// #     }
/// #     fn call(&mut self, x: u32) -> Self::Future { std::future::ready(Ok(x)) }
/// # }
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let bulkhead = Bulkhead::new(connfx::BulkheadConfig { max_concurrent: 1, ..Default::default() });
/// let mut service = AdmissionLayer::new(bulkhead.clone()).layer(Echo);
/// assert_eq!(service.call(1).await.unwrap(), 1);
/// let held = bulkhead.try_acquire().unwrap();
/// assert!(service.call(2).await.unwrap_err().is::<BulkheadFull>());
/// # drop(held);
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct AdmissionLayer<A> {
    admission: A,
}

impl<A> AdmissionLayer<A> {
    /// Admits calls with `admission`.
    pub fn new(admission: A) -> Self {
        AdmissionLayer { admission }
    }
}

impl<S, A: Clone> Layer<S> for AdmissionLayer<A> {
    type Service = AdmissionService<S, A>;

    fn layer(&self, inner: S) -> Self::Service {
        AdmissionService {
            inner,
            admission: self.admission.clone(),
        }
    }
}

/// The service made by [`AdmissionLayer`].
#[derive(Clone, Debug)]
pub struct AdmissionService<S, A> {
    inner: S,
    admission: A,
}

impl<S, A> AdmissionService<S, A> {
    /// Admits calls of `inner` with `admission`.
    ///
    /// ```
    /// use connfx::resilience::admission::AdmissionService;
    /// use connfx::resilience::bulkhead::Bulkhead;
    /// let service = AdmissionService::new((), Bulkhead::new(Default::default()));
    /// # let _ = service;
    /// ```
    pub fn new(inner: S, admission: A) -> Self {
        AdmissionService { inner, admission }
    }
}

impl<S, A, Req> Service<Req> for AdmissionService<S, A>
where
    S: Service<Req> + Clone,
    S::Error: From<A::Rejected>,
    A: Admission<Req> + Clone,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S, A, Req>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        // The service made ready by `poll_ready` goes with the call; a clone takes its place.
        let clone = self.inner.clone();
        let ready = std::mem::replace(&mut self.inner, clone);
        ResponseFuture {
            state: State::Start {
                admission: Some(self.admission.clone()),
                pending: Some((ready, request)),
            },
        }
    }
}

pin_project! {
    /// The future of [`AdmissionService`]: admits the call on first poll, then runs it holding
    /// the permit; no allocation unless the admission must wait.
    #[must_use = "a call does nothing unless awaited"]
    pub struct ResponseFuture<S, A, Req>
    where
        S: Service<Req>,
        A: Admission<Req>,
    {
        #[pin]
        state: State<S, A, Req>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, A, Req>
    where
        S: Service<Req>,
        A: Admission<Req>,
    {
        Start { admission: Option<A>, pending: Option<(S, Req)> },
        Admitting { admit: Admit<A::Permit, A::Rejected>, pending: Option<(S, Req)> },
        Calling { permit: Option<A::Permit>, #[pin] call: S::Future },
        Done,
    }
}

impl<S, A, Req> Future for ResponseFuture<S, A, Req>
where
    S: Service<Req>,
    S::Error: From<A::Rejected>,
    A: Admission<Req>,
{
    type Output = Result<S::Response, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        loop {
            match state.as_mut().project() {
                StateProj::Start { admission, pending } => {
                    let (Some(admission), Some(taken)) = (admission.take(), pending.take()) else {
                        panic!("admission `ResponseFuture` polled after it completed");
                    };
                    let admit = admission.admit(&taken.1);
                    state.set(State::Admitting {
                        admit,
                        pending: Some(taken),
                    });
                }
                StateProj::Admitting { admit, pending } => {
                    let decided = ready!(Pin::new(admit).poll(cx));
                    let (permit, Some((mut service, request))) = (decided, pending.take()) else {
                        panic!("admission `ResponseFuture` polled after it completed");
                    };
                    match permit {
                        Ok(permit) => {
                            let call = service.call(request);
                            state.set(State::Calling {
                                permit: Some(permit),
                                call,
                            });
                        }
                        Err(rejected) => {
                            state.set(State::Done);
                            return Poll::Ready(Err(rejected.into()));
                        }
                    }
                }
                StateProj::Calling { permit, call } => {
                    let response = ready!(call.poll(cx));
                    drop(permit.take());
                    state.set(State::Done);
                    return Poll::Ready(response);
                }
                StateProj::Done => panic!("admission `ResponseFuture` polled after it completed"),
            }
        }
    }
}

impl<S: Service<Req>, A: Admission<Req>, Req> fmt::Debug for ResponseFuture<S, A, Req> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::future::{Pending, Ready};
    use std::time::Duration;

    use super::*;
    use crate::resilience::bulkhead::{Bulkhead, BulkheadFull};
    use crate::resilience::rate_limit::{RateLimit, RateLimitMode, RateLimited};
    use crate::resilience::timeout::{Deadline, Limit};
    use crate::{BulkheadConfig, RateLimitConfig};

    type BoxError = Box<dyn std::error::Error + Send + Sync>;

    /// Answers at once.
    #[derive(Clone)]
    struct Echo;

    impl Service<u32> for Echo {
        type Response = u32;
        type Error = BoxError;
        type Future = Ready<Result<u32, BoxError>>;
        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
            Poll::Ready(Ok(()))
        }
        fn call(&mut self, x: u32) -> Self::Future {
            std::future::ready(Ok(x))
        }
    }

    /// Never answers.
    #[derive(Clone)]
    struct Hang;

    impl Service<u32> for Hang {
        type Response = u32;
        type Error = BoxError;
        type Future = Pending<Result<u32, BoxError>>;
        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
            Poll::Ready(Ok(()))
        }
        fn call(&mut self, _: u32) -> Self::Future {
            std::future::pending()
        }
    }

    fn one_per_minute(mode: RateLimitMode, max_wait: Duration) -> RateLimit {
        RateLimit::new(RateLimitConfig {
            requests: 1,
            per: Duration::from_secs(60),
            mode,
            max_wait,
            ..Default::default()
        })
    }

    #[tokio::test]
    async fn a_slot_is_held_from_admission_until_the_response() {
        let bulkhead = Bulkhead::new(BulkheadConfig {
            max_concurrent: 1,
            ..Default::default()
        });
        let mut service = AdmissionLayer::new(bulkhead.clone()).layer(Hang);
        let mut call = std::pin::pin!(service.call(1));
        assert_eq!(
            bulkhead.stats().in_flight,
            0,
            "nothing taken before the first poll"
        );
        assert!(futures_util::poll!(call.as_mut()).is_pending());
        assert_eq!(bulkhead.stats().in_flight, 1);
        let mut echo = AdmissionLayer::new(bulkhead.clone()).layer(Echo);
        assert!(echo.call(2).await.unwrap_err().is::<BulkheadFull>());
    }

    #[tokio::test]
    async fn a_dropped_call_frees_its_slot() {
        let bulkhead = Bulkhead::new(BulkheadConfig::default());
        let mut service = AdmissionLayer::new(bulkhead.clone()).layer(Hang);
        {
            let mut call = std::pin::pin!(service.call(1));
            assert!(futures_util::poll!(call.as_mut()).is_pending());
            assert_eq!(bulkhead.stats().in_flight, 1);
        }
        assert_eq!(bulkhead.stats().in_flight, 0);
    }

    /// Admission happens at the first poll, so it sees the deadline of the scope the response
    /// future runs in, not of where it was made: a wait past the deadline is refused at once.
    #[tokio::test]
    async fn admission_sees_the_deadline_of_the_scope_it_is_polled_in() {
        let limit = one_per_minute(RateLimitMode::Wait, Duration::from_secs(120));
        assert!(limit.try_acquire().is_ok());
        let mut service = AdmissionLayer::new(limit.clone()).layer(Echo);
        let call = service.call(1);
        let soon = Deadline::after(Duration::from_millis(50), Limit::Caller);
        let started = tokio::time::Instant::now();
        let err = soon.scope(call).await.unwrap_err();
        let limited = err.downcast_ref::<RateLimited>().copied();
        assert!(
            started.elapsed() < Duration::from_millis(40),
            "refused without waiting"
        );
        assert!(limited.is_some_and(|l| l.max_wait <= Duration::from_millis(50)));
        assert_eq!(limit.stats().rejected, 1);
    }

    #[tokio::test]
    async fn a_call_past_the_rate_waits_for_its_turn() {
        let limit = RateLimit::new(RateLimitConfig {
            requests: 50,
            per: Duration::from_secs(1),
            burst: Some(1),
            mode: RateLimitMode::Wait,
            max_wait: Duration::from_secs(1),
            ..RateLimitConfig::default()
        });
        let mut service = AdmissionLayer::new(limit.clone()).layer(Echo);
        assert_eq!(service.call(1).await.unwrap(), 1);
        let started = std::time::Instant::now();
        assert_eq!(service.call(2).await.unwrap(), 2);
        assert!(
            started.elapsed() >= Duration::from_millis(5),
            "waited for the next permit"
        );
        assert_eq!(
            (
                limit.stats().permitted,
                limit.stats().waited,
                limit.stats().rejected
            ),
            (2, 1, 0)
        );
    }

    #[tokio::test]
    async fn reject_mode_refuses_without_reaching_the_service() {
        let limit = one_per_minute(RateLimitMode::Reject, Duration::ZERO);
        let mut service = AdmissionLayer::new(limit).layer(Hang);
        let mut first = std::pin::pin!(service.call(1));
        assert!(
            futures_util::poll!(first.as_mut()).is_pending(),
            "admitted, in the service"
        );
        assert!(service.call(2).await.unwrap_err().is::<RateLimited>());
    }
}
