//! A user's own adapter, written outside connfx: the derive and the registry take it like a
//! built-in protocol.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use connfx::{ConnectError, Connection, Health, HealthState};
use serde::{Deserialize, Serialize};

/// Settings of the echo adapter.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct EchoConfig {
    /// What the echo says.
    #[serde(default)]
    pub greeting: String,
}

#[derive(Clone)]
pub struct EchoConnection {
    config: Arc<EchoConfig>,
    closed: Arc<AtomicBool>,
}

impl EchoConnection {
    pub fn greeting(&self) -> &str {
        &self.config.greeting
    }

    /// A weak reference to the shared state: dead once every handle is dropped.
    #[allow(dead_code)] // used by tests/derive; tests/registry shares this file without it
    pub fn shared(&self) -> std::sync::Weak<EchoConfig> {
        Arc::downgrade(&self.config)
    }
}

impl Connection for EchoConnection {
    const PROTOCOL: &'static str = "echo";
    type Config = EchoConfig;

    async fn connect(_name: &str, config: EchoConfig) -> Result<Self, ConnectError> {
        Ok(EchoConnection {
            config: Arc::new(config),
            closed: Arc::default(),
        })
    }

    async fn health(&self) -> Health {
        if self.closed.load(Ordering::Relaxed) {
            return Health::new(HealthState::Unknown, Duration::ZERO, "closed");
        }
        Health::ready(Duration::ZERO, self.config.greeting.clone())
    }

    async fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
    }
}
