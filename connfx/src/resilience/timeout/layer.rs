//! `Timeout` as a tower `Layer`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tower_layer::Layer;
use tower_service::Service;

use super::{Limit, Timeout, TimeoutError};

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
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        let response = self.inner.call(req);
        let (timeout, limit) = (self.timeout.clone(), self.limit);
        Box::pin(async move { timeout.run_limit(limit, response).await? })
    }
}
