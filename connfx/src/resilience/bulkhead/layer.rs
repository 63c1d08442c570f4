//! `Bulkhead` as a tower `Layer`: the [admission layer](crate::resilience::admission) with a
//! bulkhead as its policy.

use crate::resilience::admission::{AdmissionLayer, AdmissionService};

use super::Bulkhead;

/// Holds a [`Bulkhead`] slot for each call of the wrapped service, from before the call until
/// its response (see [`admission`](crate::resilience::admission) for when it is taken). The
/// service's error type must take a [`BulkheadFull`](super::BulkheadFull) (`From`), as
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
pub type BulkheadLayer = AdmissionLayer<Bulkhead>;

/// The service made by [`BulkheadLayer`].
pub type BulkheadService<S> = AdmissionService<S, Bulkhead>;
