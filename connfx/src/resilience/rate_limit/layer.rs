//! `RateLimit` and `KeyedRateLimit` as tower `Layer`s: the
//! [admission layer](crate::resilience::admission) with a limit as its policy.

use std::hash::Hash;

use tower_layer::Layer;

use super::{KeyedRateLimit, RateLimit, RateLimited};
use crate::resilience::admission::{Admission, AdmissionLayer, AdmissionService, Admit};

/// Takes a permit of a [`RateLimit`] before each call of the wrapped service (waiting in the
/// response future, so `poll_ready` never blocks on the limit; see
/// [`admission`](crate::resilience::admission)). The service's error type must take a
/// [`RateLimited`] (`From`), as `tower::BoxError` does.
///
/// ```
/// use std::time::Duration;
/// use tower_layer::Layer;
/// use tower_service::Service;
/// use connfx::resilience::rate_limit::{RateLimit, RateLimitMode, RateLimited};
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
/// let limit = RateLimit::new(connfx::RateLimitConfig {
///     requests: 1,
///     per: Duration::from_secs(60),
///     mode: RateLimitMode::Reject,
///     ..Default::default()
/// });
/// let mut service = limit.layer().layer(Echo);
/// assert_eq!(service.call(7).await.unwrap(), 7);
/// assert!(service.call(8).await.unwrap_err().is::<RateLimited>());
/// # });
/// ```
pub type RateLimitLayer = AdmissionLayer<RateLimit>;

/// The service made by [`RateLimitLayer`].
pub type RateLimitService<S> = AdmissionService<S, RateLimit>;

/// Takes a permit of a [`KeyedRateLimit`] for the key `key_of(&request)` (the host, say)
/// before each call of the wrapped service.
///
/// ```
/// use std::time::Duration;
/// use tower_layer::Layer;
/// use tower_service::Service;
/// use connfx::resilience::rate_limit::{KeyedRateLimit, KeyedRateLimitLayer, RateLimitMode, RateLimited};
/// # type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// # #[derive(Clone)] struct Echo;
/// # impl Service<&'static str> for Echo {
/// #     type Response = &'static str;
/// #     type Error = BoxError;
/// #     type Future = std::future::Ready<Result<&'static str, BoxError>>;
/// #     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), BoxError>> {
/// #         std::task::Poll::Ready(Ok(()))
/// #     }
/// #     fn call(&mut self, x: &'static str) -> Self::Future { std::future::ready(Ok(x)) }
/// # }
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let per_host = KeyedRateLimit::new(connfx::RateLimitConfig {
///     requests: 1,
///     per: Duration::from_secs(60),
///     mode: RateLimitMode::Reject,
///     ..Default::default()
/// });
/// let host = |url: &&'static str| url.split('/').next().unwrap_or_default().to_owned();
/// let mut service = KeyedRateLimitLayer::new(per_host, host).layer(Echo);
/// assert_eq!(service.call("a.example/x").await.unwrap(), "a.example/x");
/// assert!(service.call("a.example/y").await.unwrap_err().is::<RateLimited>());
/// assert!(service.call("b.example/x").await.is_ok(), "another host has its own limit");
/// # });
/// ```
#[derive(Clone)]
pub struct KeyedRateLimitLayer<K: Hash + Eq + Clone, F> {
    by_key: ByKey<K, F>,
}

impl<K: Hash + Eq + Clone, F> KeyedRateLimitLayer<K, F> {
    /// Limits each key `key_of` finds in a request with `limit`.
    pub fn new(limit: KeyedRateLimit<K>, key_of: F) -> Self {
        KeyedRateLimitLayer {
            by_key: ByKey { limit, key_of },
        }
    }
}

impl<S, K: Hash + Eq + Clone, F: Clone> Layer<S> for KeyedRateLimitLayer<K, F> {
    type Service = KeyedRateLimitService<S, K, F>;

    fn layer(&self, inner: S) -> Self::Service {
        AdmissionService::new(inner, self.by_key.clone())
    }
}

/// The service made by [`KeyedRateLimitLayer`].
pub type KeyedRateLimitService<S, K, F> = AdmissionService<S, ByKey<K, F>>;

/// A [`KeyedRateLimit`] with the function finding each request's key: the admission of
/// [`KeyedRateLimitLayer`].
#[derive(Clone)]
pub struct ByKey<K: Hash + Eq + Clone, F> {
    limit: KeyedRateLimit<K>,
    key_of: F,
}

impl<K, F, Req> Admission<Req> for ByKey<K, F>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    F: Fn(&Req) -> K,
{
    type Permit = ();
    type Rejected = RateLimited;

    fn admit(&self, request: &Req) -> Admit<(), RateLimited> {
        self.limit.admit((self.key_of)(request))
    }
}
