//! Secrets end to end: configs full of known secret values (URL user-info, passwords, bearer and
//! API-key tokens, credential headers, OTLP headers, a `file:` secret, attribute defaults) go
//! through every output connfx has — `Debug` of configs and connections, the schema, the env
//! listing, `explain`, config errors, connect and call errors, health reports (text and JSON),
//! the readiness probe's answer, the health monitor's events,
//! log lines and spans at TRACE level, and what the collector receives — and none shows up.

use std::io::Write;
use std::sync::{Arc, Mutex};

use connfx::Sources;
use connfx::prelude::*;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Layer as _, SubscriberExt};

use crate::otlp_receiver::Receiver;
use crate::telemetry::upstream;

/// Every secret used below; each must never appear in any output.
const SECRETS: &[&str] = &[
    "attr-S3CRET-default",
    "url-S3CRET-http",
    "tok-S3CRET-bearer",
    "hdr-S3CRET-apikey",
    "pg-S3CRET-pass",
    "rd-S3CRET-url",
    "rd-S3CRET-key",
    "otlp-S3CRET-hdr",
    "file-S3CRET-token",
    "bad-S3CRET-url",
];

#[derive(Connections)]
#[connections(env_prefix = "SEC")]
struct Conns {
    #[connection(
        protocol = "http",
        auth(bearer = "attr-S3CRET-default"),
        retry(max_attempts = 2, initial_interval = "1ms")
    )]
    api: HttpConnection,
    #[connection(protocol = "http", timeout = "2s")]
    partner: HttpConnection,
    #[connection(protocol = "sql", timeout = "500ms")]
    db: SqlConnection,
    #[connection(protocol = "redis", timeout = "300ms")]
    cache: RedisConnection,
    #[connection(protocol = "otlp", service_name = "secrets-test")]
    otel: OtlpConnection,
}

/// Log lines, as the application's fmt layer would write them.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} shows `{secret}`:\n{text}");
    }
}

#[tokio::test]
async fn no_secret_value_reaches_any_output() {
    let receiver = Receiver::http().await.unwrap();
    let upstream = upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "file-S3CRET-token\n").unwrap();
    let host = upstream.url.trim_start_matches("http://").to_owned();
    let env = vec![
        ("SEC_API_URL", format!("http://svc:url-S3CRET-http@{host}")),
        (
            "SEC_API_HEADERS",
            r#"{"X-Api-Key": "hdr-S3CRET-apikey", "X-Client": "scan"}"#.to_owned(),
        ),
        ("SEC_PARTNER_URL", upstream.url.clone()),
        (
            "SEC_PARTNER_AUTH_BEARER",
            format!("file:{}", token_file.display()),
        ),
        // Nothing listens on port 9: the failures' messages are scanned too.
        (
            "SEC_DB_URL",
            "postgres://app:pg-S3CRET-pass@127.0.0.1:9/db".to_owned(),
        ),
        ("SEC_CACHE_URL", "redis://:rd-S3CRET-url@127.0.0.1:9".to_owned()),
        ("SEC_CACHE_PASSWORD", "rd-S3CRET-key".to_owned()),
        ("SEC_OTEL_URL", receiver.url()),
        ("SEC_OTEL_HEADERS", r#"{"x-token": "otlp-S3CRET-hdr"}"#.to_owned()),
    ];
    let sources = || Sources::new().env_map(env.clone());
    let mut seen = String::new();

    // Config: Debug, schema, env listing, explain.
    let config = Conns::load_config_from(sources()).unwrap();
    seen += &format!("{config:?}\n{:#}\n", Conns::json_schema());
    seen += &format!("{:?}\n", Conns::env_vars());
    seen += &format!("{:?}\n", connfx::config::explain::<Conns>(sources()).unwrap());
    // A config error on a value that holds a password.
    let mut broken = env.clone();
    broken.push((
        "SEC_DB_URL",
        "postgres://app:bad-S3CRET-url@127.0.0.1:notaport/db".to_owned(),
    ));
    let error = Conns::load_config_from(Sources::new().env_map(broken)).unwrap_err();
    seen += &format!("{error}\n{error:?}\n");

    // Logs and spans of connecting, calling, checking and closing, at TRACE.
    let logs = Captured::default();
    let log_buffer = logs.clone();
    let writer = logs.clone();
    let conns = {
        let fmt = tracing_subscriber::fmt::layer()
            .with_writer(move || writer.clone())
            .with_ansi(false);
        let subscriber = tracing_subscriber::registry().with(fmt.with_filter(LevelFilter::TRACE));
        let _guard = tracing::subscriber::set_default(subscriber);
        config.connect().await.unwrap()
    };
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(move || logs.clone())
        .with_ansi(false);
    let subscriber = tracing_subscriber::registry()
        .with(fmt.with_filter(LevelFilter::TRACE))
        .with(conns.otel().tracing_layer());
    let guard = tracing::subscriber::set_default(subscriber);
    seen += &format!("{:?}\n{:?}\n", conns.api(), conns.registry());
    let answers = [
        conns.api().get("/ok").send().await.map(|r| r.status()),
        conns.api().get("/down").send().await.map(|r| r.status()),
        conns.partner().get("/down").send().await.map(|r| r.status()),
    ];
    seen += &format!("{answers:?}\n");
    for answer in answers.iter().filter_map(|a| a.as_ref().err()) {
        seen += &format!("{answer}\n");
    }
    let db = conns
        .db()
        .run(|pool: connfx::sqlx::PgPool| async move { connfx::sqlx::query("SELECT 1").execute(&pool).await })
        .await;
    let cache = conns
        .cache()
        .cmd(&connfx::redis::cmd("PING"))
        .query::<String>()
        .await;
    seen += &format!("{db:?}\n{cache:?}\n");
    for error in [db.err(), cache.err()].into_iter().flatten() {
        seen += &format!("{error}\n");
    }
    let health = conns.health().await;
    seen += &format!(
        "{health}\n{health:?}\n{}\n",
        serde_json::to_string(&health).unwrap()
    );
    // What `/health/ready` answers, and the health monitor's events.
    let readiness = connfx::probe::ProbeSource::from(conns.registry())
        .readiness()
        .await;
    seen += &format!("{}\n", serde_json::to_string(&readiness).unwrap());
    let monitor = conns.registry().monitor(std::time::Duration::from_millis(10));
    let mut events = monitor.subscribe();
    for _ in 0..5 {
        let event = tokio::time::timeout(std::time::Duration::from_secs(5), events.recv())
            .await
            .unwrap()
            .unwrap();
        seen += &format!("{event:?}\n");
    }
    monitor.stop();
    drop(guard);
    conns.close().await;

    let got = receiver.received();
    seen += &format!("{:?}\n{:?}\n{:?}\n", got.traces, got.logs, got.metrics);
    assert!(
        got.spans().iter().any(|(name, _, _)| name == "GET"),
        "the spans were exported"
    );
    seen += &String::from_utf8_lossy(&log_buffer.0.lock().unwrap());
    assert!(seen.contains("connfx"), "the logs were captured");
    assert_no_secret("an output", &seen);
}
