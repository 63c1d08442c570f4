//! The upstream: an axum server on 127.0.0.1 that answers 200 after a little work, except
//! during the plan's outage, when it answers 503 at once. It counts every request it receives.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use crate::timeline::Timeline;

/// The time a healthy upstream spends on a request, so latencies are not only loopback.
pub const WORK: Duration = Duration::from_millis(5);

/// Starts the upstream; its address.
pub async fn start(timeline: Arc<Timeline>) -> std::io::Result<SocketAddr> {
    let app = Router::new().route("/api/item", get(item)).with_state(timeline);
    serve(app).await
}

async fn item(State(timeline): State<Arc<Timeline>>) -> (StatusCode, &'static str) {
    // Before the run starts (nothing is sent then) the upstream is healthy and counts nothing.
    let Some(t) = timeline.now() else {
        return (StatusCode::OK, "item");
    };
    timeline.upstream_received(t);
    if timeline.plan().is_down(t) {
        return (StatusCode::SERVICE_UNAVAILABLE, "down");
    }
    tokio::time::sleep(WORK).await;
    (StatusCode::OK, "item")
}

/// Serves `app` on a free port of 127.0.0.1 in the background.
pub async fn serve(app: Router) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(address)
}
