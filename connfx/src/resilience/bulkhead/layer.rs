//! `Bulkhead` as a tower `Layer`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tower_layer::Layer;
use tower_service::Service;

use super::{Bulkhead, BulkheadFull};

/// Holds a [`Bulkhead`] slot for each call of the wrapped service, from before the call until
/// its response. The service's error type must take a [`BulkheadFull`] (`From`), as
/// `tower::BoxError` does.
///
/// ```
/// use std::time::Duration;
/// use tower_layer::Layer;
/// use tower_service::Service;
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
/// let mut service = bulkhead.layer().layer(Echo);
/// assert_eq!(service.call(1).await.unwrap(), 1);
/// let held = bulkhead.acquire().await.unwrap();
/// assert!(service.call(2).await.unwrap_err().is::<BulkheadFull>());
/// # drop(held);
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct BulkheadLayer {
    bulkhead: Bulkhead,
}

impl BulkheadLayer {
    /// Bounds calls with `bulkhead`.
    pub fn new(bulkhead: Bulkhead) -> Self {
        BulkheadLayer { bulkhead }
    }
}

impl<S> Layer<S> for BulkheadLayer {
    type Service = BulkheadService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BulkheadService {
            inner,
            bulkhead: self.bulkhead.clone(),
        }
    }
}

/// The service made by [`BulkheadLayer`].
#[derive(Clone, Debug)]
pub struct BulkheadService<S> {
    inner: S,
    bulkhead: Bulkhead,
}

impl<S, Req> Service<Req> for BulkheadService<S>
where
    S: Service<Req> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: From<BulkheadFull>,
    Req: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        // The service made ready by `poll_ready` goes with the call; a clone takes its place.
        let clone = self.inner.clone();
        let mut ready = std::mem::replace(&mut self.inner, clone);
        let bulkhead = self.bulkhead.clone();
        Box::pin(async move {
            let _slot = bulkhead.acquire().await?;
            ready.call(req).await
        })
    }
}
