//! The GraphQL connection against a real server on loopback: typed data, variables, operation
//! names, errors, partial data, retries of queries and not of mutations, health, and the
//! connection used through the derive and the dynamic registry.

mod calls;
#[cfg(feature = "websocket")]
mod independent;
mod oauth2;
#[path = "../support/oauth2_server.rs"]
mod oauth2_server;
#[path = "../support/ports.rs"]
mod ports;
mod resilience;
mod server;
#[path = "../support/services.rs"]
#[cfg(feature = "websocket")]
mod services;
#[cfg(feature = "websocket")]
mod subscriptions;
mod wiring;
#[cfg(feature = "websocket")]
mod ws_server;

use connfx::{Connection, GraphqlConfig, GraphqlConnection};
use serde_json::{Value, json};

/// A connection called `api` to `url`, with the extra settings of `extra` (a JSON object).
async fn connect(url: &str, extra: Value) -> GraphqlConnection {
    let mut config = json!({ "url": url });
    if let (Some(config), Value::Object(extra)) = (config.as_object_mut(), extra) {
        config.extend(extra);
    }
    let config: GraphqlConfig = serde_json::from_value(config).expect("a valid GraphqlConfig");
    GraphqlConnection::connect("api", config).await.expect("connects")
}
