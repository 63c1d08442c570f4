//! The breaker as a tower [`Layer`] and [`Service`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use super::permit::OwnedPermit;
use super::{BreakerError, CircuitBreaker, Rejected};
use crate::resilience::{Classify, ErrIsFailure};

/// Wraps a service in a [`CircuitBreaker`]; every service it makes shares the one breaker.
///
/// ```
/// use tower_service::Service;
/// use connfx::resilience::circuit_breaker::{CircuitBreaker, CircuitBreakerLayer};
/// use tower_layer::Layer;
/// # #[derive(Clone)] struct Echo;
/// # impl Service<u32> for Echo {
/// #     type Response = u32; type Error = std::convert::Infallible;
/// #     type Future = std::future::Ready<Result<u32, Self::Error>>;
/// #     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> { std::task::Poll::Ready(Ok(())) }
/// #     fn call(&mut self, n: u32) -> Self::Future { std::future::ready(Ok(n)) }
/// # }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let breaker = CircuitBreaker::new(Default::default());
/// let mut svc = CircuitBreakerLayer::new(breaker.clone()).layer(Echo);
/// assert_eq!(svc.call(7).await.unwrap(), 7);
/// breaker.force_open();
/// assert!(svc.call(7).await.unwrap_err().is_rejected());
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct CircuitBreakerLayer<C = ErrIsFailure> {
    breaker: CircuitBreaker,
    classify: C,
}

impl CircuitBreakerLayer {
    /// A layer counting `Err` as failure.
    ///
    /// ```
    /// let layer = connfx::resilience::circuit_breaker::CircuitBreakerLayer::new(connfx::resilience::circuit_breaker::CircuitBreaker::new(Default::default()));
    /// # let _ = layer;
    /// ```
    pub fn new(breaker: CircuitBreaker) -> CircuitBreakerLayer {
        CircuitBreakerLayer {
            breaker,
            classify: ErrIsFailure,
        }
    }
}

impl<C> CircuitBreakerLayer<C> {
    /// The same layer with `classify` deciding what each result counts as.
    ///
    /// ```
    /// use connfx::resilience::circuit_breaker::{CircuitBreaker, CircuitBreakerLayer, Outcome};
    /// let layer = CircuitBreakerLayer::new(CircuitBreaker::new(Default::default()))
    ///     .classify(|r: &Result<u16, std::io::Error>| match r {
    ///         Ok(code) => Outcome::Status { code: *code, retry_after: None },
    ///         Err(_) => Outcome::Failed,
    ///     });
    /// # let _ = layer;
    /// ```
    pub fn classify<C2>(self, classify: C2) -> CircuitBreakerLayer<C2> {
        CircuitBreakerLayer {
            breaker: self.breaker,
            classify,
        }
    }
}

impl<S, C: Clone> Layer<S> for CircuitBreakerLayer<C> {
    type Service = CircuitBreakerService<S, C>;

    fn layer(&self, inner: S) -> Self::Service {
        CircuitBreakerService {
            inner,
            breaker: self.breaker.clone(),
            classify: self.classify.clone(),
        }
    }
}

/// A service behind a circuit breaker; made by [`CircuitBreakerLayer`].
///
/// A rejected request never reaches the inner service (it is rejected by the response future,
/// never by `poll_ready`). The response future pins the inner future in place (pin-project-lite,
/// no `unsafe` here): no allocation per call, and the breaker itself allocates nothing.
///
/// ```
/// use connfx::resilience::circuit_breaker::{CircuitBreaker, CircuitBreakerLayer, CircuitBreakerService};
/// use tower_layer::Layer;
/// let svc: CircuitBreakerService<(), _> = CircuitBreakerLayer::new(CircuitBreaker::new(Default::default())).layer(());
/// assert_eq!(svc.breaker().state(), connfx::resilience::circuit_breaker::CircuitState::Closed);
/// ```
#[derive(Clone, Debug)]
pub struct CircuitBreakerService<S, C = ErrIsFailure> {
    inner: S,
    breaker: CircuitBreaker,
    classify: C,
}

impl<S, C> CircuitBreakerService<S, C> {
    /// The breaker guarding this service.
    pub fn breaker(&self) -> &CircuitBreaker {
        &self.breaker
    }
}

impl<S, C, Req> Service<Req> for CircuitBreakerService<S, C>
where
    S: Service<Req>,
    C: Classify<S::Response, S::Error> + Clone,
{
    type Response = S::Response;
    type Error = BreakerError<S::Error>;
    type Future = ResponseFuture<S::Future, C>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(BreakerError::Inner)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        let state = match self.breaker.try_acquire_owned() {
            Ok(permit) => State::Admitted {
                call: self.inner.call(request),
                permit: Some(permit),
                classify: self.classify.clone(),
            },
            Err(rejected) => State::Rejection {
                rejected: Some(rejected),
            },
        };
        ResponseFuture { state }
    }
}

pin_project! {
    /// The future of [`CircuitBreakerService`]: resolves to the inner service's response, its error
    /// as [`BreakerError::Inner`], or [`BreakerError::Rejected`] at once.
    ///
    /// ```
    /// use connfx::resilience::circuit_breaker::{BreakerError, CircuitBreaker, CircuitBreakerLayer};
    /// use tower_layer::Layer;
    /// use tower_service::Service;
    /// # #[derive(Clone)] struct Ok1;
    /// # impl Service<()> for Ok1 {
    /// #     type Response = u8; type Error = ();
    /// #     type Future = std::future::Ready<Result<u8, ()>>;
    /// #     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), ()>> { std::task::Poll::Ready(Ok(())) }
    /// #     fn call(&mut self, _: ()) -> Self::Future { std::future::ready(Ok(1)) }
    /// # }
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let cb = CircuitBreaker::new(Default::default());
    /// let mut svc = CircuitBreakerLayer::new(cb.clone()).layer(Ok1);
    /// cb.force_open();
    /// let future = svc.call(());
    /// assert!(matches!(future.await, Err(BreakerError::Rejected(_))));
    /// # });
    /// ```
    #[must_use = "a call does nothing unless awaited"]
    pub struct ResponseFuture<F, C> {
        #[pin]
        state: State<F, C>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, C> {
        Admitted { #[pin] call: F, permit: Option<OwnedPermit>, classify: C },
        Rejection { rejected: Option<Rejected> },
    }
}

impl<F, C, T, E> Future for ResponseFuture<F, C>
where
    F: Future<Output = Result<T, E>>,
    C: Classify<T, E>,
{
    type Output = Result<T, BreakerError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Rejection { rejected } => match rejected.take() {
                Some(r) => Poll::Ready(Err(BreakerError::Rejected(r))),
                None => panic!("circuit breaker `ResponseFuture` polled after it completed"),
            },
            StateProj::Admitted {
                call,
                permit,
                classify,
            } => {
                let result = std::task::ready!(call.poll(cx));
                if let Some(permit) = permit.take() {
                    permit.record(classify.classify(&result));
                }
                Poll::Ready(result.map_err(BreakerError::Inner))
            }
        }
    }
}

impl<F, C> fmt::Debug for ResponseFuture<F, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let admitted = matches!(self.state, State::Admitted { .. });
        f.debug_struct("ResponseFuture")
            .field("admitted", &admitted)
            .finish()
    }
}
