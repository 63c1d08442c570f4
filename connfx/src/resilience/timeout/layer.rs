//! `Timeout` as a tower `Layer`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use super::deadline::Bounded;
use super::{Deadline, Limit, Timeout, TimeoutError};

/// Bounds each call of the wrapped service by one limit of a [`Timeout`] (and by the caller's
/// [`Deadline::current`](super::Deadline::current)). The response future runs in the deadline's
/// scope, so layers inside it (a retry) see the time left. The service's error type must take a
/// [`TimeoutError`] (`From`), as `tower::BoxError` does (or an error enum with a `From` impl).
///
/// ```
/// use std::time::Duration;
/// use tower_layer::Layer;
/// use tower_service::Service;
/// use connfx::resilience::timeout::{Limit, Timeout, TimeoutError};
/// # type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// # #[derive(Clone)] struct Slow;
/// # impl Service<()> for Slow {
/// #     type Response = &'static str;
/// #     type Error = BoxError;
/// #     type Future = std::pin::Pin<Box<dyn Future<Output = Result<&'static str, BoxError>> + Send>>;
/// #     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), BoxError>> {
/// #         std::task::Poll::Ready(Ok(()))
/// #     }
/// #     fn call(&mut self, _: ()) -> Self::Future {
/// #         Box::pin(async { tokio::time::sleep(Duration::from_secs(5)).await; Ok("late") })
/// #     }
/// # }
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let timeout = Timeout::new(connfx::TimeoutConfig { total: Some(Duration::from_millis(10)), ..Default::default() });
/// let mut service = timeout.layer().layer(Slow); // `Slow` answers after 5 s
/// let err = service.call(()).await.unwrap_err();
/// assert_eq!(err.downcast_ref::<TimeoutError>().unwrap().limit, Limit::Total);
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct TimeoutLayer {
    timeout: Timeout,
    limit: Limit,
}

impl TimeoutLayer {
    /// Bounds calls by `limit` of `timeout`.
    pub fn new(timeout: Timeout, limit: Limit) -> Self {
        TimeoutLayer { timeout, limit }
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = TimeoutService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        TimeoutService {
            inner,
            timeout: self.timeout.clone(),
            limit: self.limit,
        }
    }
}

/// The service made by [`TimeoutLayer`].
#[derive(Clone, Debug)]
pub struct TimeoutService<S> {
    inner: S,
    timeout: Timeout,
    limit: Limit,
}

impl<S, Req> Service<Req> for TimeoutService<S>
where
    S: Service<Req>,
    S::Error: From<TimeoutError>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        ResponseFuture {
            timeout: self.timeout.clone(),
            state: State::Start {
                limit: self.limit,
                call: Some(self.inner.call(req)),
            },
        }
    }
}

pin_project! {
    /// The future of [`TimeoutService`]: the inner call, bounded from its first poll (when the
    /// deadline is set and the caller's is read) and run in the deadline's scope; no allocation.
    #[must_use = "a call does nothing unless awaited"]
    pub struct ResponseFuture<F> {
        timeout: Timeout,
        #[pin]
        state: State<F>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        Start { limit: Limit, call: Option<F> },
        Unbounded { #[pin] call: F },
        Bounded { deadline: Deadline, #[pin] call: Bounded<F> },
    }
}

impl<F, T, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<T, E>>,
    E: From<TimeoutError>,
{
    type Output = Result<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut state = this.state;
        loop {
            match state.as_mut().project() {
                StateProj::Start { limit, call } => {
                    let Some(call) = call.take() else {
                        panic!("timeout `ResponseFuture` polled after it completed");
                    };
                    match this.timeout.start(*limit) {
                        None => state.set(State::Unbounded { call }),
                        Some(deadline) => {
                            let (deadline, call) = deadline.bounded(call);
                            state.set(State::Bounded { deadline, call });
                        }
                    }
                }
                StateProj::Unbounded { call } => return call.poll(cx),
                StateProj::Bounded { deadline, call } => {
                    let output = ready!(call.poll(cx)).map_err(|_| deadline.error());
                    return Poll::Ready(this.timeout.settle(output)?);
                }
            }
        }
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
