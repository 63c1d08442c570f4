//! `Retry` as a tower `Layer`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use super::call::{Attempts, Decide, Engine};
use super::{Classify, Decision, ErrIsFailure, Retry, RetryError};

/// Retries the wrapped service's calls with a [`Retry`] policy: every `Err` by default
/// ([`ErrIsFailure`]), or what the policy's rules retry of a [`Classify`]'s outcomes
/// ([`Classifier::decide_any`](super::Classifier::decide_any)). Requests must be `Clone` (each
/// try sends a clone) and so must the service (each try calls a clone, made ready first). When
/// the policy gives up, the service's last error is returned as is; the policy's stats and
/// events say why. For a typed account of why, use [`Retry::call`].
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
/// use tower_layer::Layer;
/// use tower_service::Service;
/// use connfx::resilience::retry::{Outcome, Retry};
/// # #[derive(Clone)] struct Flaky(Arc<AtomicU32>);
/// # impl Service<u32> for Flaky {
/// #     type Response = u32;
/// #     type Error = &'static str;
/// #     type Future = std::future::Ready<Result<u32, &'static str>>;
/// #     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
/// #         std::task::Poll::Ready(Ok(()))
/// #     }
/// #     fn call(&mut self, x: u32) -> Self::Future {
/// #         let n = self.0.fetch_add(1, Ordering::SeqCst);
/// #         std::future::ready(if n < 2 { Err("busy") } else { Ok(x * 2) })
/// #     }
/// # }
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let retry = Retry::new(connfx::RetryConfig { initial_interval: Duration::from_millis(1), ..Default::default() });
/// let calls = Arc::new(AtomicU32::new(0));
/// let mut service = retry.layer().layer(Flaky(calls.clone())); // `Flaky` fails twice, then doubles
/// assert_eq!(service.call(21).await, Ok(42));
/// assert_eq!(calls.load(Ordering::SeqCst), 3);
///
/// let only_timeouts = retry.layer().classify(|r: &Result<u32, &str>| match r {
///     Ok(_) => Outcome::Success,
///     Err(e) if *e == "timeout" => Outcome::Timeout { sent: true },
///     Err(_) => Outcome::Other,
/// });
/// let mut service = only_timeouts.layer(Flaky(Arc::new(AtomicU32::new(0))));
/// assert_eq!(service.call(1).await, Err("busy"), "not retried");
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct RetryLayer<C = ErrIsFailure> {
    retry: Retry,
    classify: C,
}

impl RetryLayer {
    /// Retries every error with `retry`.
    pub fn new(retry: Retry) -> Self {
        RetryLayer {
            retry,
            classify: ErrIsFailure,
        }
    }
}

impl<C> RetryLayer<C> {
    /// The same layer deciding with `classify` (a closure over the result, or a [`Classify`]).
    pub fn classify<D>(self, classify: D) -> RetryLayer<D> {
        RetryLayer {
            retry: self.retry,
            classify,
        }
    }
}

impl<S, C: Clone> Layer<S> for RetryLayer<C> {
    type Service = RetryService<S, C>;

    fn layer(&self, inner: S) -> Self::Service {
        RetryService {
            inner,
            retry: self.retry.clone(),
            classify: self.classify.clone(),
        }
    }
}

/// The service made by [`RetryLayer`].
#[derive(Clone, Debug)]
pub struct RetryService<S, C = ErrIsFailure> {
    inner: S,
    retry: Retry,
    classify: C,
}

impl<S, C, Req> Service<Req> for RetryService<S, C>
where
    S: Service<Req> + Clone,
    Req: Clone,
    C: Classify<S::Response, S::Error> + Clone,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S, Req, C>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        // The first try uses the service made ready by `poll_ready`; later ones use clones.
        let template = self.inner.clone();
        let ready = std::mem::replace(&mut self.inner, template.clone());
        let tries = Tries {
            template,
            ready: Some(ready),
            req,
        };
        ResponseFuture {
            engine: Engine::new(self.retry.clone(), tries, ByClassify(self.classify.clone())),
        }
    }
}

pin_project! {
    /// The future of [`RetryService`]: the same engine as [`Retry::call`]'s
    /// [`RetryCall`](super::RetryCall), owning the policy, each try and wait pinned in place (no
    /// allocation per call or per try). Resolves to the last try's result.
    #[must_use = "a call does nothing unless awaited"]
    pub struct ResponseFuture<S, Req, C>
    where
        S: Service<Req>,
    {
        #[pin]
        engine: Engine<Retry, Tries<S, Req>, Try<S, Req>, ByClassify<C>>,
    }
}

impl<S, Req, C> Future for ResponseFuture<S, Req, C>
where
    S: Service<Req> + Clone,
    Req: Clone,
    C: Classify<S::Response, S::Error>,
{
    type Output = Result<S::Response, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().engine.poll(cx).map_err(RetryError::into_last)
    }
}

impl<S: Service<Req>, Req, C> fmt::Debug for ResponseFuture<S, Req, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

/// A layer's [`Classify`] as the engine's rules.
struct ByClassify<C>(C);

impl<T, E, C: Classify<T, E>> Decide<T, E> for ByClassify<C> {
    fn decide(&self, retry: &Retry, result: &Result<T, E>) -> Decision {
        retry.classifier().decide_any(&self.0.classify(result))
    }
}

/// The tries of one call: the ready service first, then clones, each sent a clone of `req`.
struct Tries<S, Req> {
    template: S,
    ready: Option<S>,
    req: Req,
}

impl<S: Service<Req> + Clone, Req: Clone> Attempts<Try<S, Req>> for Tries<S, Req> {
    fn attempt(&mut self, _attempt: u32) -> Try<S, Req> {
        let service = self.ready.take().unwrap_or_else(|| self.template.clone());
        Try {
            state: TryState::Ready {
                service,
                req: Some(self.req.clone()),
            },
        }
    }
}

pin_project! {
    /// One try: wait until the service is ready, then call it.
    struct Try<S, Req>
    where
        S: Service<Req>,
    {
        #[pin]
        state: TryState<S, Req>,
    }
}

pin_project! {
    #[project = TryProj]
    enum TryState<S, Req>
    where
        S: Service<Req>,
    {
        Ready { service: S, req: Option<Req> },
        Calling { #[pin] call: S::Future },
    }
}

impl<S: Service<Req>, Req> Future for Try<S, Req> {
    type Output = Result<S::Response, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        loop {
            match state.as_mut().project() {
                TryProj::Ready { service, req } => {
                    ready!(service.poll_ready(cx))?;
                    let Some(req) = req.take() else {
                        panic!("retry try polled after it completed");
                    };
                    let call = service.call(req);
                    state.set(TryState::Calling { call });
                }
                TryProj::Calling { call } => return call.poll(cx),
            }
        }
    }
}
