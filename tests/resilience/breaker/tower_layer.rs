//! `CircuitBreakerLayer` around a `tower::service_fn`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use connfx::CircuitBreakerConfig;
use connfx::resilience::circuit_breaker::{
    BreakerError, CircuitBreaker, CircuitBreakerLayer, CircuitState, Outcome,
};
use tower::{Layer, ServiceBuilder, ServiceExt, service_fn};

fn breaker(failures: u32) -> CircuitBreaker {
    CircuitBreaker::new(CircuitBreakerConfig {
        failure_threshold: failures,
        ..Default::default()
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().build().unwrap()
}

#[test]
fn layer_counts_errors_and_rejects_without_reaching_the_service() {
    let cb = breaker(2);
    let reached = Arc::new(AtomicUsize::new(0));
    let seen = reached.clone();
    let svc = ServiceBuilder::new()
        .layer(CircuitBreakerLayer::new(cb.clone()))
        .service(service_fn(move |fail: bool| {
            seen.fetch_add(1, Ordering::Relaxed);
            async move { if fail { Err("boom") } else { Ok("ok") } }
        }));
    let rt = runtime();
    rt.block_on(async {
        assert_eq!(svc.clone().oneshot(false).await, Ok("ok"));
        assert_eq!(svc.clone().oneshot(true).await, Err(BreakerError::Inner("boom")));
        assert_eq!(svc.clone().oneshot(true).await, Err(BreakerError::Inner("boom")));
        assert_eq!(cb.state(), CircuitState::Open);
        let rejected = svc.clone().oneshot(false).await.unwrap_err();
        assert!(rejected.is_rejected());
    });
    assert_eq!(
        reached.load(Ordering::Relaxed),
        3,
        "the rejected request never reached the service"
    );
}

#[test]
fn layer_uses_a_custom_classifier() {
    let cb = breaker(1);
    let layer = CircuitBreakerLayer::new(cb.clone()).classify(|r: &Result<u16, ()>| match r {
        Ok(status) => Outcome::Status {
            code: *status,
            retry_after: None,
        },
        Err(()) => Outcome::Failed,
    });
    let svc = layer.layer(service_fn(|status: u16| async move { Ok::<_, ()>(status) }));
    let rt = runtime();
    rt.block_on(async {
        assert_eq!(svc.clone().oneshot(404).await, Ok(404));
        assert_eq!(cb.state(), CircuitState::Closed);
        assert_eq!(svc.clone().oneshot(503).await, Ok(503));
        assert_eq!(cb.state(), CircuitState::Open);
    });
}

#[test]
fn services_made_by_one_layer_share_the_breaker() {
    let cb = breaker(2);
    let layer = CircuitBreakerLayer::new(cb.clone());
    let failing = || layer.layer(service_fn(|()| async { Err::<(), _>("down") }));
    let rt = runtime();
    rt.block_on(async {
        let _ = failing().oneshot(()).await;
        let _ = failing().oneshot(()).await;
    });
    assert_eq!(cb.state(), CircuitState::Open);
    assert_eq!(failing().breaker().state(), CircuitState::Open);
}
