//! `rediss://` against a private TLS `redis-server`, with a CA and certificates made by the
//! `openssl` command for the test (skipped when either is missing or the server has no TLS).

use connfx::prelude::*;

use crate::certificates::certificates;
use crate::server::{self, PrivateRedis};

/// A TLS-only server that asks clients for a certificate when `mutual`; `None` when it cannot
/// be had here (the reason printed).
fn tls_server(test: &str, mutual: bool) -> Option<PrivateRedis> {
    let binary = server::binary(test)?;
    let scratch = tempfile::tempdir().expect("temp dir");
    if let Err(why) = certificates(scratch.path()) {
        crate::services::skipped(test, &why);
        return None;
    }
    let port = server::free_port().to_string();
    let file = |name: &str| scratch.path().join(name).to_string_lossy().into_owned();
    let (cert, key, ca) = (file("server.crt"), file("server.key"), file("ca.crt"));
    let auth_clients = if mutual { "yes" } else { "no" };
    let args = [
        "--port",
        "0",
        "--tls-port",
        &port,
        "--tls-cert-file",
        &cert,
        "--tls-key-file",
        &key,
        "--tls-ca-cert-file",
        &ca,
        "--tls-auth-clients",
        auth_clients,
    ];
    let mut redis = PrivateRedis::new(binary, port.parse().expect("port"), &args);
    for name in ["ca.crt", "client.crt", "client.key"] {
        std::fs::copy(scratch.path().join(name), redis.dir().join(name)).expect("copy certificate");
    }
    if let Err(why) = redis.try_start() {
        crate::services::skipped(test, &format!("no TLS redis-server: {why}"));
        return None;
    }
    Some(redis)
}

async fn connect(redis: &PrivateRedis, tls: serde_json::Value) -> RedisConnection {
    let config: RedisConfig = serde_json::from_value(serde_json::json!({
        "url": format!("rediss://127.0.0.1:{}", redis.port()),
        "timeout": { "connect": "2s", "per_attempt": "2s" },
        "tls": tls,
    }))
    .unwrap();
    RedisConnection::connect("secure", config).await.unwrap()
}

fn path(redis: &PrivateRedis, name: &str) -> String {
    redis.dir().join(name).to_string_lossy().into_owned()
}

#[tokio::test]
async fn rediss_with_a_private_ca() {
    let Some(redis) = tls_server("rediss_with_a_private_ca", false) else {
        return;
    };
    let trusted = connect(&redis, serde_json::json!({ "ca_file": path(&redis, "ca.crt") })).await;
    let health = trusted.health().await;
    assert_eq!(health.state, HealthState::Ready, "{health:?}");
    trusted.set("k", "over tls").await.unwrap();
    assert_eq!(trusted.get::<String>("k").await.unwrap(), "over tls");

    // The system's roots do not know the test CA.
    let untrusted = connect(&redis, serde_json::json!({})).await;
    let health = untrusted.health().await;
    assert_eq!(health.state, HealthState::Error, "{health:?}");
    assert!(
        health.message.to_lowercase().contains("certificate"),
        "{health:?}"
    );

    let careless = connect(&redis, serde_json::json!({ "accept_invalid_certs": true })).await;
    assert_eq!(careless.get::<String>("k").await.unwrap(), "over tls");
}

#[tokio::test]
async fn rediss_with_a_client_certificate() {
    let Some(redis) = tls_server("rediss_with_a_client_certificate", true) else {
        return;
    };
    let with_cert = connect(
        &redis,
        serde_json::json!({
            "ca_file": path(&redis, "ca.crt"),
            "cert_file": path(&redis, "client.crt"),
            "key_file": path(&redis, "client.key"),
        }),
    )
    .await;
    let health = with_cert.health().await;
    assert_eq!(health.state, HealthState::Ready, "{health:?}");

    let without = connect(&redis, serde_json::json!({ "ca_file": path(&redis, "ca.crt") })).await;
    assert_eq!(without.health().await.state, HealthState::Error);
}

#[tokio::test]
async fn tls_settings_are_checked_at_connect() {
    let config: RedisConfig = serde_json::from_value(serde_json::json!({
        "url": "redis://127.0.0.1:6379",
        "tls": { "ca_file": "ca.pem" },
    }))
    .unwrap();
    let err = RedisConnection::connect("plain", config).await.unwrap_err();
    assert!(err.to_string().contains("need a `rediss://` URL"), "{err}");

    let config: RedisConfig = serde_json::from_value(serde_json::json!({
        "url": "rediss://127.0.0.1:6379",
        "tls": { "ca_file": "/nonexistent/ca.pem" },
    }))
    .unwrap();
    let err = RedisConnection::connect("secure", config).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("`tls.ca_file` /nonexistent/ca.pem: cannot read it"),
        "{err}"
    );
}
