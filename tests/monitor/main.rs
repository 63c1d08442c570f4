//! The health monitor and the probe endpoint against real servers on loopback: an upstream
//! taken down and brought back on the same port, the monitor's events, and `/health/ready`
//! over real HTTP.

mod critical;
mod events;
mod lifecycle;
#[path = "../support/ports.rs"]
mod ports;
mod probes;
mod upstream;

use std::time::Duration;

use connfx::registry::HealthEvent;
use connfx::{Connection, HttpConfig, HttpConnection};
use serde_json::{Value, json};
use tokio::sync::broadcast;

/// Longest any single wait in these tests may take.
const PATIENCE: Duration = Duration::from_secs(10);

/// An HTTP connection called `name` to `url`, critical or not, checked within 1 s.
async fn http(name: &str, url: &str, critical: bool) -> HttpConnection {
    let config: HttpConfig = serde_json::from_value(json!({
        "url": url,
        "health": { "timeout": "1s", "critical": critical },
    }))
    .expect("a valid HttpConfig");
    HttpConnection::connect(name, config).await.expect("connects")
}

/// The next event of `events`, waiting at most [`PATIENCE`].
async fn next_event(events: &mut broadcast::Receiver<HealthEvent>) -> HealthEvent {
    tokio::time::timeout(PATIENCE, events.recv())
        .await
        .expect("an event in time")
        .expect("the monitor is running")
}

/// Serves `connfx::probe::router(source)` on a free loopback port; returns its origin.
async fn serve_probes(source: impl Into<connfx::probe::ProbeSource>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let origin = format!("http://{}", listener.local_addr().expect("bound address"));
    let app = connfx::probe::router(source);
    tokio::spawn(async move { axum::serve(listener, app).await });
    origin
}

/// GETs `origin` + `path`; the status and the JSON body.
async fn get_json(origin: &str, path: &str) -> (u16, Value) {
    let response = tokio::time::timeout(PATIENCE, reqwest::get(format!("{origin}{path}")))
        .await
        .expect("an answer in time")
        .expect("the probe server answers");
    let status = response.status().as_u16();
    let body = response.json().await.expect("a JSON body");
    (status, body)
}

/// `/health/live` answers 200 `{"status":"live"}`.
async fn assert_live(origin: &str) {
    assert_eq!(
        get_json(origin, "/health/live").await,
        (200, json!({ "status": "live" }))
    );
}

/// The entry of the connection called `name` in a readiness body.
fn connection<'a>(body: &'a Value, name: &str) -> &'a Value {
    body["connections"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no connection `{name}` in {body}"))
}

/// A loopback URL where nothing listens.
async fn dead_url() -> String {
    format!("http://127.0.0.1:{}", ports::closed_port())
}
