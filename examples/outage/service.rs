//! The service under load: an axum app on 127.0.0.1 whose one route calls the upstream through
//! the derived connection, so every policy of `conns.rs` applies. It counts the requests it
//! receives, the load actually offered to it (a stalled machine sends late ones together).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use connfx::CallError;

use crate::conns::Conns;
use crate::timeline::Timeline;

/// Starts the service; its address.
pub async fn start(conns: Arc<Conns>, timeline: Arc<Timeline>) -> std::io::Result<SocketAddr> {
    let app = Router::new()
        .route("/work", get(work))
        .with_state((conns, timeline));
    crate::upstream::serve(app).await
}

/// `GET /work`: the upstream's item, or the status a gateway would give for the failure.
async fn work(State((conns, timeline)): State<(Arc<Conns>, Arc<Timeline>)>) -> (StatusCode, String) {
    if let Some(t) = timeline.now() {
        timeline.service_received(t);
    }
    let answer = match conns.upstream().get("/item").send().await {
        Ok(response) => response.text().await,
        Err(e) => Err(e),
    };
    match answer {
        Ok(body) => (StatusCode::OK, body),
        Err(e) => (status_for(&e), e.to_string()),
    }
}

/// The breaker's fast rejection is a 503 (come back later); a timeout a 504; the rest 502.
fn status_for(error: &CallError) -> StatusCode {
    match error {
        CallError::CircuitOpen { .. } => StatusCode::SERVICE_UNAVAILABLE,
        CallError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
        _ => StatusCode::BAD_GATEWAY,
    }
}
