//! `check --probe`: connect, check every connection's health against a real upstream on
//! 127.0.0.1 (and an address where nothing listens), print the table, close.

use connfx::Sources;
use connfx::cli::Outcome;

use crate::{json, orders_in_memory, shop, unreachable, upstream};

/// The cells of a health table row other than the latency, which varies.
fn row_without_latency(line: &str) -> Vec<&str> {
    let cells: Vec<&str> = line.split_whitespace().collect();
    [&cells[..4], &cells[5..]].concat()
}

#[tokio::test]
async fn every_connection_up_is_exit_0_with_the_table() {
    let catalog = format!("http://{}/api", upstream().await);
    let sources = orders_in_memory().env_map([("SHOP_CATALOG_URL", catalog)]);
    let (outcome, out) = shop(&["check", "--probe"], sources).await;
    assert_eq!(outcome, Outcome::Ok, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 7, "{out}");
    assert_eq!(
        lines[0],
        "valid: the configuration of `Shop` has no problems; not configured (optional): audit"
    );
    assert_eq!(lines[1], "");
    assert_eq!(
        lines[2],
        "CONNECTION  PROTOCOL  CRITICAL  STATE  LATENCY  MESSAGE"
    );
    assert_eq!(
        row_without_latency(lines[3]),
        ["catalog", "http", "yes", "ready", "HEAD", "/api", "200", "OK"]
    );
    assert_eq!(
        row_without_latency(lines[4]),
        ["orders", "sql", "yes", "ready", "SELECT", "1", "ok"]
    );
    assert_eq!(lines[3].find("ready"), lines[2].find("STATE"), "aligned: {out}");
    assert_eq!(&lines[5..], ["", "healthy: 2 of 2 connections up"]);
}

#[tokio::test]
async fn an_unreachable_connection_is_exit_1_and_named() {
    let catalog = format!("http://{}/api", upstream().await);
    let audit = format!("http://{}/audit", unreachable());
    let sources = orders_in_memory().env_map([("SHOP_CATALOG_URL", catalog), ("SHOP_AUDIT_URL", audit)]);
    let (outcome, out) = shop(&["check", "--probe"], sources.clone()).await;
    assert_eq!(outcome, Outcome::Unhealthy, "{out}");
    assert_eq!(outcome.code(), 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "valid: the configuration of `Shop` has no problems");
    let audit_row = lines.iter().find(|l| l.starts_with("audit ")).expect("audit row");
    assert_eq!(
        &audit_row.split_whitespace().collect::<Vec<_>>()[..4],
        ["audit", "http", "yes", "error"]
    );
    assert_eq!(lines.last(), Some(&"unhealthy: 1 of 3 connections down: audit"));

    let (outcome, out) = shop(&["check", "--probe", "--format", "json"], sources).await;
    assert_eq!(outcome, Outcome::Unhealthy);
    let report = json(&out);
    assert_eq!(report["valid"], true);
    assert_eq!(report["healthy"], false);
    let states: Vec<(&str, &str)> = report["health"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [("catalog", "ready"), ("orders", "ready"), ("audit", "error")]
    );
}

/// A CA file that cannot be read was found only when the probe built the client; it is now
/// refused at load (issue 14: every check that needs no network runs there), so `check`
/// answers "invalid" with the key and its source, with or without `--probe`, and probes nothing.
#[tokio::test]
async fn an_unreadable_ca_file_is_refused_before_any_probe() {
    let sources = orders_in_memory().env_map([("SHOP_CATALOG_TLS_CA_FILE", "/nonexistent/ca.pem")]);
    for args in [&["check"][..], &["check", "--probe"][..]] {
        let (outcome, out) = shop(args, sources.clone()).await;
        assert_eq!(outcome, Outcome::Invalid, "{out}");
        assert!(
            out.contains("catalog.tls.ca_file (env SHOP_CATALOG_TLS_CA_FILE)")
                && out.contains("/nonexistent/ca.pem"),
            "{out}"
        );
        assert!(!out.contains("CONNECTION"), "{out}");
    }
}

#[tokio::test]
async fn an_invalid_config_is_not_probed() {
    let sources = Sources::new().env_map([
        ("SHOP_ORDERS_URL", "sqlite::memory:"),
        ("SHOP_CATALOG_URL", "not a url"),
    ]);
    let (outcome, out) = shop(&["check", "--probe"], sources).await;
    assert_eq!(outcome, Outcome::Invalid);
    assert!(!out.contains("CONNECTION"), "{out}");
}

/// A user's adapter whose `connect` fails (the built-in protocols check everything local at
/// load and connect lazily, so only an adapter can): `check --probe` names it, exit 1.
mod refusing {
    use std::time::Duration;

    use connfx::{ConnectError, Connection, Health};
    use serde::{Deserialize, Serialize};

    /// Settings of the refusing adapter: why it refuses.
    #[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema, validator::Validate)]
    #[serde(deny_unknown_fields)]
    pub struct RefusingConfig {
        /// The reason given.
        #[serde(default)]
        pub reason: String,
    }

    #[derive(Clone)]
    pub struct Refusing;

    impl Connection for Refusing {
        const PROTOCOL: &'static str = "refusing";
        type Config = RefusingConfig;

        async fn connect(name: &str, config: RefusingConfig) -> Result<Self, ConnectError> {
            Err(ConnectError::new(name, config.reason))
        }

        async fn health(&self) -> Health {
            Health::ready(Duration::ZERO, "unreachable: never connected")
        }

        async fn close(&self) {}
    }
}

#[derive(connfx::Connections)]
#[connections(env_prefix = "GATE")]
pub struct Gate {
    #[connection(reason = "the licence server said no")]
    licence: refusing::Refusing,
}

#[tokio::test]
async fn a_connection_that_cannot_be_set_up_is_exit_1_and_named() {
    let (outcome, out) = crate::cli::<Gate>(&["check", "--probe"], Sources::new()).await;
    assert_eq!(outcome, Outcome::Unhealthy, "{out}");
    assert_eq!(outcome.code(), 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "valid: the configuration of `Gate` has no problems",
            "",
            "licence: the licence server said no",
            "unhealthy: 1 of 1 connections could not be set up",
        ]
    );
}
