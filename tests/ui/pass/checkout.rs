//! The design's example, with an optional field, an alias and a user's adapter, used through
//! every generated item; `main` loads it from explicit sources (no network I/O).
use connfx::prelude::*;
use connfx::{ConnectError, EnvVar, Health, Sources};
use serde::{Deserialize, Serialize};

/// Settings of the echo adapter.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct EchoConfig {
    /// What `health` reports.
    #[serde(default)]
    pub greeting: String,
}

/// A user's own adapter.
#[derive(Clone)]
pub struct EchoConnection(std::sync::Arc<EchoConfig>);

impl Connection for EchoConnection {
    const PROTOCOL: &'static str = "echo";
    type Config = EchoConfig;
    async fn connect(_name: &str, config: EchoConfig) -> Result<Self, ConnectError> {
        Ok(EchoConnection(std::sync::Arc::new(config)))
    }
    async fn health(&self) -> Health {
        Health::ready(std::time::Duration::ZERO, self.0.greeting.clone())
    }
    async fn close(&self) {}
}

type Api = HttpConnection;

/// Connections of the checkout service.
#[derive(Connections)]
#[connections(
    env_prefix = "CHECKOUT",
    file = "config/connections.toml",
    file = "config/local.yaml",
    deny_unknown_env = true
)]
pub struct Conns {
    /// Payment provider API.
    #[connection(protocol = "http", url = "https://api.pay.example/v1", timeout = "10s",
                 retry(max_attempts = 3, initial_interval = "100ms", multiplier = 2.0, jitter = 0.2),
                 circuit_breaker(failure_threshold = 5, reset_timeout = "30s", half_open_success_needed = 2),
                 headers("X-Client" = "checkout"))]
    payments: HttpConnection,
    /// Optional one.
    #[connection(protocol = "http")]
    audit: Option<HttpConnection>,
    /// Through an alias.
    #[connection(protocol = "http", url = "http://127.0.0.1:9")]
    alias: Api,
    /// A user's adapter, its keys checked at boot.
    #[connection(protocol = "echo", greeting = "hi")]
    echo: EchoConnection,
    /// A user's adapter with no protocol named.
    r#type: EchoConnection,
}

#[allow(dead_code)]
async fn use_everything() -> Result<(), connfx::Error> {
    let conns: Conns = Conns::connect().await?;
    let _: &HttpConnection = conns.payments();
    let _: Option<&HttpConnection> = conns.audit();
    let _: &Api = conns.alias();
    let _: &EchoConnection = conns.echo();
    let _: &EchoConnection = conns.r#type();
    let _: Registry = conns.registry();
    let _: HealthReport = conns.health().await;
    conns.close().await;
    let config: ConnsConfig = Conns::load_config()?;
    let _: Conns = config.connect().await?;
    Ok(())
}

fn main() {
    let vars: Vec<EnvVar> = Conns::env_vars();
    assert!(
        vars.iter()
            .any(|v| v.name == "CHECKOUT_PAYMENTS_RETRY_MAX_ATTEMPTS"),
        "{vars:?}"
    );
    let schema = Conns::json_schema();
    assert!(schema.is_object());
    let config = Conns::load_config_from(Sources::new()).unwrap();
    let json = serde_json::to_value(&config).unwrap();
    assert_eq!(json["payments"]["retry"]["max_attempts"], 3, "{json}");
    assert_eq!(json["echo"]["greeting"], "hi", "{json}");
    assert!(json.get("audit").is_none(), "{json}");
}
