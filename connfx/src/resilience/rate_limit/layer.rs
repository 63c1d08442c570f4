//! `RateLimit` and `KeyedRateLimit` as tower `Layer`s.

use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::task::{Context, Poll};

use tower_layer::Layer;
use tower_service::Service;

use super::{KeyedRateLimit, RateLimit, RateLimited};

type BoxFuture<R, E> = Pin<Box<dyn Future<Output = Result<R, E>> + Send>>;

/// Takes a permit of a [`RateLimit`] before each call of the wrapped service (waiting in the
/// response future, so `poll_ready` never blocks on the limit). The service's error type must
/// take a [`RateLimited`] (`From`), as `tower::BoxError` does.
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
#[derive(Clone, Debug)]
pub struct RateLimitLayer {
    limit: RateLimit,
}

impl RateLimitLayer {
    /// Limits calls with `limit`.
    pub fn new(limit: RateLimit) -> Self {
        RateLimitLayer { limit }
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimitService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimitService {
            inner,
            limit: self.limit.clone(),
        }
    }
}

/// The service made by [`RateLimitLayer`].
#[derive(Clone, Debug)]
pub struct RateLimitService<S> {
    inner: S,
    limit: RateLimit,
}

impl<S, Req> Service<Req> for RateLimitService<S>
where
    S: Service<Req> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: From<RateLimited>,
    Req: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<S::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        let mut ready = take_ready(&mut self.inner);
        let limit = self.limit.clone();
        Box::pin(async move {
            limit.acquire().await?;
            ready.call(req).await
        })
    }
}

/// Takes a permit of a [`KeyedRateLimit`] for the key `key_of(&request)` (the host, say)
/// before each call of the wrapped service.
#[derive(Clone)]
pub struct KeyedRateLimitLayer<K: Hash + Eq + Clone, F> {
    limit: KeyedRateLimit<K>,
    key_of: F,
}

impl<K: Hash + Eq + Clone, F> KeyedRateLimitLayer<K, F> {
    /// Limits each key `key_of` finds in a request with `limit`.
    pub fn new(limit: KeyedRateLimit<K>, key_of: F) -> Self {
        KeyedRateLimitLayer { limit, key_of }
    }
}

impl<S, K: Hash + Eq + Clone, F: Clone> Layer<S> for KeyedRateLimitLayer<K, F> {
    type Service = KeyedRateLimitService<S, K, F>;

    fn layer(&self, inner: S) -> Self::Service {
        KeyedRateLimitService {
            inner,
            limit: self.limit.clone(),
            key_of: self.key_of.clone(),
        }
    }
}

/// The service made by [`KeyedRateLimitLayer`].
#[derive(Clone)]
pub struct KeyedRateLimitService<S, K: Hash + Eq + Clone, F> {
    inner: S,
    limit: KeyedRateLimit<K>,
    key_of: F,
}

impl<S, K, F, Req> Service<Req> for KeyedRateLimitService<S, K, F>
where
    S: Service<Req> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: From<RateLimited>,
    K: Hash + Eq + Clone + Send + Sync + 'static,
    F: Fn(&Req) -> K,
    Req: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<S::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        let key = (self.key_of)(&req);
        let mut ready = take_ready(&mut self.inner);
        let limit = self.limit.clone();
        Box::pin(async move {
            limit.acquire(&key).await?;
            ready.call(req).await
        })
    }
}

/// The service `poll_ready` made ready, leaving a clone in its place for the next call.
fn take_ready<S: Clone>(inner: &mut S) -> S {
    let clone = inner.clone();
    std::mem::replace(inner, clone)
}
