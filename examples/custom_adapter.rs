//! A protocol connfx does not ship, written outside the crate: `cargo run --example custom_adapter`.
//!
//! `TcpConnection` checks that a TCP service answers on its port. It implements
//! `connfx::Connection`, so the derive takes it as a field (its keys come from its own config type,
//! checked at boot, listed by `env_vars()` and described in the schema), and the dynamic registry
//! builds it from `CONN_TARGETS_<NAME>_PROTOCOL=tcp`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use connfx::prelude::*;
use connfx::registry::{RegistryConfig, TargetConfig};
use connfx::{ConnectError, Health, HumanDuration, Sources};
use serde::{Deserialize, Serialize};

/// Settings of a TCP service.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct TcpConfig {
    /// `tcp://host:port` of the service.
    pub url: url::Url,
    /// How long opening the connection may take.
    #[serde(default = "default_connect_timeout", with = "humantime_serde")]
    #[schemars(with = "HumanDuration")]
    pub connect_timeout: Duration,
}

fn default_connect_timeout() -> Duration {
    Duration::from_secs(2)
}

/// A TCP service, checked by opening a connection.
#[derive(Clone)]
pub struct TcpConnection {
    address: Arc<String>,
    timeout: Duration,
}

impl Connection for TcpConnection {
    const PROTOCOL: &'static str = "tcp";
    const URL_SCHEMES: &'static [&'static str] = &["tcp"];
    type Config = TcpConfig;

    async fn connect(name: &str, config: TcpConfig) -> Result<Self, ConnectError> {
        let host = config
            .url
            .host_str()
            .ok_or_else(|| ConnectError::new(name, "the URL has no host"))?;
        let port = config
            .url
            .port()
            .ok_or_else(|| ConnectError::new(name, "the URL has no port"))?;
        Ok(TcpConnection {
            address: Arc::new(format!("{host}:{port}")),
            timeout: config.connect_timeout,
        })
    }

    async fn health(&self) -> Health {
        let started = Instant::now();
        match tokio::time::timeout(
            self.timeout,
            tokio::net::TcpStream::connect(self.address.as_str()),
        )
        .await
        {
            Ok(Ok(_)) => Health::ready(started.elapsed(), format!("{} accepts connections", self.address)),
            Ok(Err(e)) => Health::error(started.elapsed(), e.to_string()),
            Err(_) => Health::error(started.elapsed(), format!("no answer within {:?}", self.timeout)),
        }
    }

    async fn close(&self) {}
}

/// Connections of the example.
#[derive(Connections)]
#[connections(env_prefix = "ADAPTER")]
pub struct Conns {
    /// The ledger's raw TCP port.
    #[connection(connect_timeout = "500ms")]
    ledger: TcpConnection,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| ConnectError::new("ledger", e.to_string()))?;
    let url = format!(
        "tcp://{}",
        listener
            .local_addr()
            .map_err(|e| ConnectError::new("ledger", e.to_string()))?
    );

    println!("== through the derive");
    for var in Conns::env_vars() {
        println!(
            "{:<32} {:<9} default {}",
            var.name,
            var.kind.name(),
            var.default.as_deref().unwrap_or("-")
        );
    }
    let conns = Conns::load_config_from(Sources::new().env_map([("ADAPTER_LEDGER_URL", url.clone())]))?
        .connect()
        .await?;
    print!("{}", conns.health().await);

    println!("\n== through the dynamic registry");
    let config = RegistryConfig::load(Sources::new().env_map([
        ("CONN_TARGETS_LEDGER_PROTOCOL", "tcp".to_owned()),
        ("CONN_TARGETS_LEDGER_URL", url),
    ]))?;
    let registry = Registry::new();
    // Any factory from a target's settings to a live connection; for a type that implements
    // `Connection`, `registry.register_connection_type::<TcpConnection>()` is the short form.
    registry.register_adapter("tcp", |name: String, target: TargetConfig| async move {
        let config: TcpConfig = serde_json::from_value(target.to_protocol_json())
            .map_err(|e| ConnectError::new(&name, format!("`tcp` settings: {e}")))?;
        TcpConnection::connect(&name, config).await
    });
    for (name, target) in config.targets {
        registry.add(name, target).await?;
    }
    print!("{}", registry.health().await);
    Ok(())
}
