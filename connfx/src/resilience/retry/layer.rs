//! `Retry` as a tower `Layer`.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};

use tower_layer::Layer;
use tower_service::Service;

use super::{Decision, Retry, RetryError};

/// Decides from a service's result whether to try the request again.
pub trait Classify<T, E> {
    /// Retry or not.
    fn classify(&self, result: &Result<T, E>) -> Decision;
}

impl<T, E, F: Fn(&Result<T, E>) -> Decision> Classify<T, E> for F {
    fn classify(&self, result: &Result<T, E>) -> Decision {
        self(result)
    }
}

/// The default of [`RetryLayer`]: every error is retried, no success is.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllErrors;

impl<T, E> Classify<T, E> for AllErrors {
    fn classify(&self, result: &Result<T, E>) -> Decision {
        match result {
            Ok(_) => Decision::Done,
            Err(_) => Decision::Retry { after: None },
        }
    }
}

/// Retries the wrapped service's calls with a [`Retry`] policy. Requests must be `Clone` (each
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
/// use connfx::resilience::retry::{Decision, Retry};
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
///     Err(e) if *e == "timeout" => Decision::Retry { after: None },
///     _ => Decision::Done,
/// });
/// let mut service = only_timeouts.layer(Flaky(Arc::new(AtomicU32::new(0))));
/// assert_eq!(service.call(1).await, Err("busy"), "not retried");
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct RetryLayer<C = AllErrors> {
    retry: Retry,
    classify: C,
}

impl RetryLayer {
    /// Retries every error with `retry`.
    pub fn new(retry: Retry) -> Self {
        RetryLayer {
            retry,
            classify: AllErrors,
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
pub struct RetryService<S, C = AllErrors> {
    inner: S,
    retry: Retry,
    classify: C,
}

impl<S, C, Req> Service<Req> for RetryService<S, C>
where
    S: Service<Req> + Clone + Send + 'static,
    S::Future: Send,
    S::Response: Send + 'static,
    S::Error: Send + 'static,
    Req: Clone + Send + 'static,
    C: Classify<S::Response, S::Error> + Clone + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        // The first try uses the service made ready by `poll_ready`; later ones use clones.
        let template = self.inner.clone();
        let mut ready = Some(std::mem::replace(&mut self.inner, template.clone()));
        let (retry, classify) = (self.retry.clone(), self.classify.clone());
        let op = move |_attempt| {
            let mut service = ready.take().unwrap_or_else(|| template.clone());
            let req = req.clone();
            async move {
                poll_fn(|cx| service.poll_ready(cx)).await?;
                service.call(req).await
            }
        };
        Box::pin(async move {
            let call = retry.call(op).classify(move |result| classify.classify(result));
            call.await.map_err(RetryError::into_last)
        })
    }
}
