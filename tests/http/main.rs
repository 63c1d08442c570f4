//! The HTTP connection against real servers on loopback: URL joining, headers and auth, bodies,
//! errors and timeouts, health, close, TLS settings and redaction.

#[path = "../support/certificates.rs"]
mod certificates;
#[path = "../support/oauth2_server.rs"]
mod oauth2_server;
#[path = "../support/ports.rs"]
mod ports;
#[path = "../support/services.rs"]
mod services;
#[path = "../support/tls_server.rs"]
mod tls_server;

mod errors;
mod health;
mod hosts;
mod metrics;
mod oauth2;
mod per_host;
mod pipeline;
mod reload;
mod requests;
mod server;
mod set_reload;
mod setup;
mod streaming;
mod switches;
mod tls;

use connfx::{Connection, HttpConfig, HttpConnection};
use serde_json::Value;

/// The config `value` describes, as the loader would hand it over.
fn config(value: Value) -> HttpConfig {
    serde_json::from_value(value).expect("a valid HttpConfig")
}

/// A connection called `api` built from `value`.
async fn connect(value: Value) -> HttpConnection {
    HttpConnection::connect("api", config(value))
        .await
        .expect("connects")
}

/// GETs `path` from an echo server through `api` and returns the server's description.
async fn echoed(api: &HttpConnection, path: &str) -> Value {
    api.get(path)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON")
}
