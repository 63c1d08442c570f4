//! No secret value in any output: a bearer token, credential headers (from the attribute and
//! from the environment), and passwords in a SQL and a Redis URL, through every command in both
//! formats, with a valid config, a probe of unreachable servers, and a config that is broken.

use connfx::Sources;
use connfx::cli::Outcome;
use connfx::prelude::*;

use crate::{cli, unreachable};

/// Connections that carry credentials.
#[derive(Connections)]
#[connections(env_prefix = "VAULT")]
pub struct Vault {
    /// An API with a bearer token and credential headers.
    #[connection(
        protocol = "http",
        url = "http://127.0.0.1:9/api",
        headers("Authorization" = "Bearer attr-hdr-secret", "X-Client" = "vault")
    )]
    api: HttpConnection,

    /// A PostgreSQL database with a password in its URL.
    #[connection(protocol = "sql")]
    db: SqlConnection,

    /// A Redis cache with a password in its URL.
    #[connection(protocol = "redis")]
    cache: RedisConnection,
}

const SECRETS: [&str; 5] = [
    "attr-hdr-secret",
    "tok-bearer-1",
    "hdr-key-2",
    "pg-pass-3",
    "redis-pass-4",
];

fn sources() -> Sources {
    let (api, db, cache) = (unreachable(), unreachable(), unreachable());
    Sources::new().env_map([
        ("VAULT_API_URL", format!("http://{api}/api")),
        ("VAULT_API_AUTH_BEARER", "tok-bearer-1".to_owned()),
        (
            "VAULT_API_HEADERS",
            r#"{"X-Api-Key":"hdr-key-2","X-Client":"vault"}"#.to_owned(),
        ),
        ("VAULT_DB_URL", format!("postgres://app:pg-pass-3@{db}/orders")),
        // The probe of a database that is down waits this long for the pool.
        ("VAULT_DB_POOL_ACQUIRE_TIMEOUT", "200ms".to_owned()),
        ("VAULT_CACHE_URL", format!("redis://:redis-pass-4@{cache}/0")),
    ])
}

async fn assert_no_secret(args: &[&str], sources: Sources, expected: Outcome) -> String {
    let (outcome, out) = cli::<Vault>(args, sources).await;
    assert_eq!(outcome, expected, "{args:?}: {out}");
    for secret in SECRETS {
        assert!(
            !out.contains(secret),
            "`{secret}` in the output of {args:?}:\n{out}"
        );
    }
    out
}

#[tokio::test]
async fn no_command_prints_a_secret_in_either_format() {
    for format in ["human", "json"] {
        let with = |command: &'static str| [command, "--format", format];
        let explained = assert_no_secret(&with("explain"), sources(), Outcome::Ok).await;
        // The secrets were loaded, and shown masked.
        assert!(explained.contains("[redacted]"), "{explained}");
        assert!(explained.contains("X-Client"), "{explained}");
        assert_no_secret(&with("check"), sources(), Outcome::Ok).await;
        assert_no_secret(&with("env"), sources(), Outcome::Ok).await;
        assert_no_secret(&with("schema"), sources(), Outcome::Ok).await;
        let probed = assert_no_secret(
            &["check", "--probe", "--format", format],
            sources(),
            Outcome::Unhealthy,
        )
        .await;
        assert!(probed.contains("cache") && probed.contains("db"), "{probed}");
    }
}

#[tokio::test]
async fn a_broken_config_with_secrets_prints_none_of_them() {
    let broken = sources().env_map([
        (
            "VAULT_DB_URL",
            "postgres://app:pg-pass-3@127.0.0.1:notaport/orders",
        ),
        ("VAULT_CACHE_URL", "redis://:redis-pass-4@127.0.0.1:1/0 trailing"),
        ("VAULT_API_AUTH_BEARER", "tok-bearer-1"),
        ("VAULT_API_AUTH_USERNAME", "both"),
    ]);
    for format in ["human", "json"] {
        for command in ["check", "explain"] {
            let out =
                assert_no_secret(&[command, "--format", format], broken.clone(), Outcome::Invalid).await;
            assert!(out.contains("db.url"), "{out}");
        }
    }
}

#[tokio::test]
async fn no_command_prints_an_oauth2_client_secret() {
    const OAUTH2_SECRET: &str = "oauth-secret-5";
    let api = unreachable();
    let sources = Sources::new().env_map([
        ("VAULT_API_URL", format!("http://{api}/api")),
        ("VAULT_API_AUTH_OAUTH2_TOKEN_URL", format!("http://{api}/token")),
        ("VAULT_API_AUTH_OAUTH2_CLIENT_ID", "vault".to_owned()),
        ("VAULT_API_AUTH_OAUTH2_CLIENT_SECRET", OAUTH2_SECRET.to_owned()),
        ("VAULT_DB_URL", "sqlite::memory:".to_owned()),
        ("VAULT_CACHE_URL", format!("redis://{}/0", unreachable())),
    ]);
    for (command, out) in every_command_hides(&sources, OAUTH2_SECRET).await {
        if command == "explain" {
            assert!(out.contains("api.auth.oauth2.client_secret"), "{out}");
        }
    }
}

/// The output of `explain`, `check`, `env` and `schema` in both formats with `sources`, each
/// checked to succeed without `secret`.
async fn every_command_hides(sources: &Sources, secret: &str) -> Vec<(&'static str, String)> {
    let mut outputs = Vec::new();
    for format in ["human", "json"] {
        for command in ["explain", "check", "env", "schema"] {
            let (outcome, out) = cli::<Vault>(&[command, "--format", format], sources.clone()).await;
            assert_eq!(outcome, Outcome::Ok, "{command}: {out}");
            assert!(!out.contains(secret), "`{command}` printed the secret:\n{out}");
            outputs.push((command, out));
        }
    }
    outputs
}

#[tokio::test]
async fn no_command_prints_a_hosts_header_secret() {
    const HOST_SECRET: &str = "host-key-6";
    let api = unreachable();
    let hosts = format!(
        r#"{{"api.anthropic.example": {{"headers": {{"x-api-key": "{HOST_SECRET}", "anthropic-version": "2024-01-01"}}}}}}"#
    );
    let sources = Sources::new().env_map([
        ("VAULT_API_URL", format!("http://{api}/api")),
        ("VAULT_API_PER_HOST", "true".to_owned()),
        ("VAULT_API_HOSTS", hosts),
        ("VAULT_DB_URL", "sqlite::memory:".to_owned()),
        ("VAULT_CACHE_URL", format!("redis://{}/0", unreachable())),
    ]);
    for (command, out) in every_command_hides(&sources, HOST_SECRET).await {
        match command {
            "explain" => assert!(out.contains("api.hosts") && out.contains("2024-01-01"), "{out}"),
            "env" => assert!(out.contains("VAULT_API_HOSTS"), "{out}"),
            _ => {}
        }
    }
}
