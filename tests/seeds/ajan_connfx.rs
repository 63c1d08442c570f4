//! Seed 000, ajan's connfx (`docs/migrating-from-ajan-connfx.md`): its `CONN_TARGETS_*` env
//! blocks (copied verbatim) and its Go `ConfigTarget` examples, written as registry files key
//! for key (a Go duration `30 * time.Second` is `"30s"`).

use std::sync::atomic::Ordering;
use std::time::Duration;

use connfx::opentelemetry::trace::{Span as _, Tracer as _};
use connfx::protocol::otlp::OtlpTransport;
use connfx::registry::RegistryConfig;
use connfx::{CallError, HttpConnection, OtlpConnection, Sources};

use crate::support::{env_block, failing_upstream, file, guide, shows};

/// "Environment-Based OTLP Configuration", verbatim.
const OTLP_ENV: &str = r#"# OTLP connection configuration
CONN_TARGETS_OTEL_PROTOCOL=otlp
CONN_TARGETS_OTEL_DSN=otel-collector:4318
CONN_TARGETS_OTEL_TLS=false

# Service identification
CONN_TARGETS_OTEL_PROPERTIES_SERVICE_NAME=my-service
CONN_TARGETS_OTEL_PROPERTIES_SERVICE_VERSION=1.0.0
CONN_TARGETS_OTEL_PROPERTIES_ENVIRONMENT=production

# Connection settings
CONN_TARGETS_OTEL_PROPERTIES_INSECURE=true
CONN_TARGETS_OTEL_PROPERTIES_TIMEOUT=30s

# Export configuration
CONN_TARGETS_OTEL_PROPERTIES_EXPORT_INTERVAL=30s
CONN_TARGETS_OTEL_PROPERTIES_BATCH_TIMEOUT=5s
CONN_TARGETS_OTEL_PROPERTIES_BATCH_SIZE=512
CONN_TARGETS_OTEL_PROPERTIES_SAMPLE_RATIO=1.0

# Package configuration (references the connection)
LOG_OTLP_CONNECTION_NAME=otel
METRICS_OTLP_CONNECTION_NAME=otel
TRACES_OTLP_CONNECTION_NAME=otel
"#;

/// "Resilient HTTP Connections" → "Environment Configuration", verbatim.
const HTTP_ENV: &str = r#"# Connection configuration
CONN_TARGETS_API_PROTOCOL=http
CONN_TARGETS_API_URL=https://api.example.com
CONN_TARGETS_API_TIMEOUT=30s
CONN_TARGETS_API_TLS=true

# Circuit breaker configuration
CONN_TARGETS_API_PROPERTIES_CIRCUIT_BREAKER_ENABLED=true
CONN_TARGETS_API_PROPERTIES_CIRCUIT_BREAKER_FAILURE_THRESHOLD=5
CONN_TARGETS_API_PROPERTIES_CIRCUIT_BREAKER_RESET_TIMEOUT=60s
CONN_TARGETS_API_PROPERTIES_CIRCUIT_BREAKER_HALF_OPEN_SUCCESS_NEEDED=2

# Retry strategy configuration
CONN_TARGETS_API_PROPERTIES_RETRY_STRATEGY_ENABLED=true
CONN_TARGETS_API_PROPERTIES_RETRY_STRATEGY_MAX_ATTEMPTS=3
CONN_TARGETS_API_PROPERTIES_RETRY_STRATEGY_INITIAL_INTERVAL=100ms
CONN_TARGETS_API_PROPERTIES_RETRY_STRATEGY_MAX_INTERVAL=10s
CONN_TARGETS_API_PROPERTIES_RETRY_STRATEGY_MULTIPLIER=2.0
CONN_TARGETS_API_PROPERTIES_RETRY_STRATEGY_RANDOM_FACTOR=0.1

# Error threshold
CONN_TARGETS_API_PROPERTIES_SERVER_ERROR_THRESHOLD=500
"#;

const GUIDE: &str = "migrating-from-ajan-connfx.md";

const CLIENT_CERT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/http/fixtures/client-cert.pem");
const CLIENT_KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/http/fixtures/client-key.pem");

fn load(sources: Sources) -> RegistryConfig {
    RegistryConfig::load(sources).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_guide_shows_the_seed_env_blocks() {
    let guide = guide(GUIDE);
    shows(&guide, OTLP_ENV);
    shows(&guide, HTTP_ENV);
}

#[tokio::test]
async fn the_http_env_block_loads_with_its_documented_meaning() {
    let config = load(Sources::new().env_map(env_block(HTTP_ENV)));
    let target = &config.targets["api"];
    assert_eq!(target.protocol, "http");
    assert_eq!(target.tls, Some(true));
    let registry = config.connect().await.unwrap();
    let api: HttpConnection = registry.get("api").unwrap();
    let c = api.config();
    assert_eq!(c.url.to_string(), "https://api.example.com/");
    assert_eq!(c.timeout.total, Duration::from_secs(30));
    let breaker = c.circuit_breaker.as_ref().unwrap();
    assert!(breaker.enabled);
    assert_eq!(breaker.failure_threshold, 5);
    assert_eq!(breaker.reset_timeout, Duration::from_secs(60));
    assert_eq!(breaker.half_open_success_needed, 2);
    assert_eq!(
        breaker.server_error_threshold, 500,
        "the top-level SERVER_ERROR_THRESHOLD"
    );
    let retry = c.retry.as_ref().unwrap();
    assert!(retry.enabled);
    assert_eq!(retry.max_attempts, 3, "MAX_ATTEMPTS counts the first try in both");
    assert_eq!(retry.initial_interval, Duration::from_millis(100));
    assert_eq!(retry.max_interval, Duration::from_secs(10));
    assert_eq!(retry.multiplier, 2.0);
    assert_eq!(retry.jitter, 0.1, "RANDOM_FACTOR is the ± jitter");
    assert!(api.breaker().is_some() && api.retry().is_some());
    registry.close().await;
}

/// The block's policies act as documented: three tries per call, the breaker open after five
/// consecutive failures (503 is at or above `SERVER_ERROR_THRESHOLD=500`), then calls refused.
#[tokio::test]
async fn the_http_env_block_retries_and_breaks_as_documented() {
    let (url, hits) = failing_upstream().await;
    let mut env = env_block(HTTP_ENV);
    env.push(("CONN_TARGETS_API_URL".into(), url));
    env.push(("CONN_TARGETS_API_TLS".into(), "false".into()));
    let registry = load(Sources::new().env_map(env)).connect().await.unwrap();
    let api: HttpConnection = registry.get("api").unwrap();
    assert!(api.get("/").send().await.is_err());
    assert_eq!(hits.load(Ordering::SeqCst), 3, "MAX_ATTEMPTS=3");
    assert!(api.get("/").send().await.is_err());
    assert_eq!(
        hits.load(Ordering::SeqCst),
        5,
        "FAILURE_THRESHOLD=5 opened the breaker"
    );
    let refused = api.get("/").send().await.unwrap_err();
    assert!(matches!(refused, CallError::CircuitOpen { .. }), "{refused:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 5);
    registry.close().await;
}

#[tokio::test]
async fn the_otlp_env_block_loads_and_connects_with_no_collector() {
    let config = load(Sources::new().env_map(env_block(OTLP_ENV)));
    let target = &config.targets["otel"];
    assert_eq!(target.tls, Some(false));
    let registry = config.connect().await.unwrap();
    let otel: OtlpConnection = registry.get("otel").unwrap();
    let c = otel.config();
    assert_eq!(
        c.url.to_string(),
        "http://otel-collector:4318/",
        "INSECURE=true: plain http"
    );
    assert_eq!(c.transport, OtlpTransport::Http, "port 4318");
    assert_eq!(c.service_name.as_deref(), Some("my-service"));
    assert_eq!(c.service_version.as_deref(), Some("1.0.0"));
    assert_eq!(c.environment.as_deref(), Some("production"));
    assert_eq!(c.timeout.total, Some(Duration::from_secs(30)));
    assert_eq!(c.export_interval, Duration::from_secs(30));
    assert_eq!(c.batch_timeout, Duration::from_secs(5));
    assert_eq!(c.batch_size, 512);
    assert_eq!(c.sample_ratio, 1.0);
    tokio::time::timeout(Duration::from_secs(20), registry.close())
        .await
        .expect("closes with no collector");
}

/// The collector's `host:port`: scheme from `TLS`/`INSECURE` (insecure unless told otherwise, as
/// in ajan), transport from the `PROTOCOL` property or the port.
#[test]
fn an_otlp_address_takes_its_scheme_and_transport_from_the_block() {
    let target = |extra: &[(&str, &str)]| {
        let mut env = vec![
            ("CONN_TARGETS_OTEL_PROTOCOL", "otlp"),
            ("CONN_TARGETS_OTEL_DSN", "otel-collector:4318"),
        ];
        env.extend_from_slice(extra);
        RegistryConfig::load(Sources::new().env_map(env)).map(|mut c| c.targets.remove("otel").unwrap())
    };
    let url = |t: &connfx::registry::TargetConfig| t.dsn.as_ref().unwrap().to_string();
    let transport = |t: &connfx::registry::TargetConfig| t.properties.get("transport").cloned();
    let plain = target(&[]).unwrap();
    assert_eq!(url(&plain), "http://otel-collector:4318/");
    assert_eq!(transport(&plain), None, "http, the default");
    let tls = target(&[("CONN_TARGETS_OTEL_TLS", "true")]).unwrap();
    assert_eq!(url(&tls), "https://otel-collector:4318/");
    let secure = target(&[("CONN_TARGETS_OTEL_PROPERTIES_INSECURE", "false")]).unwrap();
    assert_eq!(url(&secure), "https://otel-collector:4318/");
    let grpc = target(&[("CONN_TARGETS_OTEL_DSN", "otel-collector:4317")]).unwrap();
    assert_eq!(transport(&grpc), Some("grpc".into()));
    let named = target(&[("CONN_TARGETS_OTEL_PROPERTIES_PROTOCOL", "grpc")]).unwrap();
    assert_eq!(transport(&named), Some("grpc".into()));
    let err = target(&[
        ("CONN_TARGETS_OTEL_DSN", "https://otel-collector:4318"),
        ("CONN_TARGETS_OTEL_PROPERTIES_INSECURE", "true"),
    ])
    .unwrap_err();
    let [issue] = err.issues() else { panic!("{err}") };
    assert_eq!(issue.path(), "targets.otel");
    assert_eq!(issue.message(), "`insecure` is true but the URL is `https`");
}

/// `SAMPLE_RATIO` keeps that share of new traces.
#[tokio::test]
async fn sample_ratio_samples_that_share_of_traces() {
    let sampled = |ratio: &'static str| async move {
        let env = [
            ("CONN_TARGETS_OTEL_PROTOCOL", "otlp"),
            // Nothing listens there: spans are made, not delivered.
            ("CONN_TARGETS_OTEL_DSN", "127.0.0.1:1"),
            ("CONN_TARGETS_OTEL_PROPERTIES_SAMPLE_RATIO", ratio),
            ("CONN_TARGETS_OTEL_PROPERTIES_TIMEOUT", "100ms"),
        ];
        let registry = load(Sources::new().env_map(env)).connect().await.unwrap();
        let otel: OtlpConnection = registry.get("otel").unwrap();
        let tracer = otel.tracer("seed");
        let kept = (0..4000)
            .filter(|_| {
                let mut span = tracer.start("root");
                let kept = span.span_context().is_sampled();
                span.end();
                kept
            })
            .count();
        registry.close().await;
        kept
    };
    assert_eq!(sampled("0").await, 0);
    assert_eq!(sampled("1.0").await, 4000);
    let quarter = sampled("0.25").await;
    // 1000 expected; the binomial's standard deviation is about 27.
    assert!((850..=1150).contains(&quarter), "{quarter} of 4000 sampled");
}

/// A property that is no key is named as the variable was written, with at most three near
/// variables, in the form written (`RETRY_STRATEGY_…` suggests `RETRY_STRATEGY_…`).
#[test]
fn an_unknown_property_is_named_as_written() {
    let load = |name: &str| {
        let env = [
            ("CONN_TARGETS_API_PROTOCOL", "http"),
            ("CONN_TARGETS_API_URL", "https://api.example.com"),
            (name, "3"),
        ];
        RegistryConfig::load(Sources::new().env_map(env)).unwrap_err()
    };
    let err = load("CONN_TARGETS_API_PROPERTIES_RETRY_STRATEGY_MAX_ATEMPTS");
    let [issue] = err.issues() else { panic!("{err}") };
    assert_eq!(
        issue.message(),
        "`CONN_TARGETS_API_PROPERTIES_RETRY_STRATEGY_MAX_ATEMPTS` is not a setting; \
         did you mean `CONN_TARGETS_API_PROPERTIES_RETRY_STRATEGY_MAX_ATTEMPTS`?"
    );
    let err = load("CONN_TARGETS_API_PROPERTIES_RETRY_STRATEGY_MAX_RETRIES");
    let message = err.issues()[0].message();
    assert!(
        message.starts_with(
            "`CONN_TARGETS_API_PROPERTIES_RETRY_STRATEGY_MAX_RETRIES` is not a setting; did you mean one of "
        ),
        "{message}"
    );
    assert!(
        message.matches("`CONN_TARGETS_").count() <= 4,
        "at most three names: {message}"
    );
}

/// The Go `ConfigTarget` examples of the seed's OTLP sections, as a registry file.
const OTLP_FILE: &str = r#"
# "Basic OTLP Connection Setup"
[targets.otel]
protocol = "otlp"
dsn = "otel-collector:4318"
[targets.otel.properties]
service_name = "my-service"
service_version = "1.0.0"
insecure = true

# "OTLP Configuration Options"
[targets.complete]
protocol = "otlp"
dsn = "otel-collector:4318"
tls = false
[targets.complete.properties]
service_name = "my-service"
service_version = "1.0.0"
environment = "production"
insecure = true
timeout = "30s"
export_interval = "30s"
batch_timeout = "5s"
batch_size = 512
sample_ratio = 1.0
"deployment.environment" = "production"
"service.namespace" = "ecommerce"
"service.instance.id" = "pod-123"

# "Multiple OTLP Environments"
[targets.otel-prod]
protocol = "otlp"
url = "https://prod-collector:4317"
tls = true
[targets.otel-prod.properties]
service_name = "my-service"
environment = "production"
sample_ratio = 0.1

[targets.otel-dev]
protocol = "otlp"
url = "http://dev-collector:4318"
[targets.otel-dev.properties]
service_name = "my-service-dev"
environment = "development"
sample_ratio = 1.0

[targets.otel-business]
protocol = "otlp"
url = "http://business-metrics:4318"
[targets.otel-business.properties]
service_name = "my-service"
export_interval = "60s"
"#;

#[tokio::test]
async fn the_otlp_examples_load_from_a_file() {
    shows(&guide(GUIDE), OTLP_FILE);
    let dir = tempfile::tempdir().unwrap();
    let path = file(&dir, "otlp.toml", OTLP_FILE);
    let registry = load(Sources::new().file(&path)).connect().await.unwrap();
    let otel = |name: &str| registry.get::<OtlpConnection>(name).unwrap();
    let basic = otel("otel");
    assert_eq!(basic.config().url.to_string(), "http://otel-collector:4318/");
    assert_eq!(basic.config().service_version.as_deref(), Some("1.0.0"));
    let complete = otel("complete");
    let c = complete.config();
    assert_eq!(c.timeout.total, Some(Duration::from_secs(30)));
    assert_eq!((c.batch_size, c.sample_ratio), (512, 1.0));
    assert_eq!(c.resource["service.namespace"], "ecommerce");
    assert_eq!(c.resource["deployment.environment"], "production");
    assert_eq!(c.resource["service.instance.id"], "pod-123");
    let prod = otel("otel-prod");
    assert_eq!(prod.config().url.to_string(), "https://prod-collector:4317/");
    assert_eq!(prod.config().transport, OtlpTransport::Grpc, "port 4317");
    assert_eq!(prod.config().sample_ratio, 0.1);
    assert_eq!(otel("otel-dev").config().transport, OtlpTransport::Http);
    let business = otel("otel-business");
    assert_eq!(business.config().export_interval, Duration::from_secs(60));
    tokio::time::timeout(Duration::from_secs(30), registry.close())
        .await
        .unwrap();
}

/// "Configuration Validation": the seed's invalid URL is refused at load, naming the target.
#[test]
fn the_validation_example_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bad = "[targets.otel]\nprotocol = \"otlp\"\nurl = \"invalid-url\"\n";
    let err = RegistryConfig::load(Sources::new().file(file(&dir, "bad.toml", bad))).unwrap_err();
    assert!(err.to_string().contains("targets.otel"), "{err}");
    assert!(err.to_string().contains("absolute URL"), "{err}");
}

/// The Go `ConfigTarget` examples of the seed's HTTP sections, as a registry file.
const HTTP_FILE: &str = r#"
# "HTTP Connections"
[targets.api]
protocol = "http"
url = "https://api.external.com"
[targets.api.properties]
timeout = "30s"
max_connections = 100
[targets.api.properties.headers]
Authorization = "Bearer token"
User-Agent = "my-service/1.0.0"

# "Circuit Breaker Configuration"
[targets.api-resilient]
protocol = "http"
url = "https://api.example.com"
[targets.api-resilient.properties]
server_error_threshold = 500
[targets.api-resilient.properties.circuit_breaker]
enabled = true
failure_threshold = 5
reset_timeout = "30s"
half_open_success_needed = 2

# "Retry Strategy Configuration"
[targets.api-retry]
protocol = "http"
url = "https://api.example.com"
[targets.api-retry.properties.retry_strategy]
enabled = true
max_attempts = 3
initial_interval = "100ms"
max_interval = "10s"
multiplier = 2.0
random_factor = 0.1

# "Advanced HTTP Configuration"
[targets.api-advanced]
protocol = "http"
url = "https://api.example.com"
timeout = "30s"
tls = true
cert_file = "/path/to/client.crt"
key_file = "/path/to/client.key"
[targets.api-advanced.properties]
server_error_threshold = 500
[targets.api-advanced.properties.headers]
User-Agent = "my-service/1.0"
Accept = "application/json"
Content-Type = "application/json"
Authorization = "Bearer token"
[targets.api-advanced.properties.circuit_breaker]
enabled = true
failure_threshold = 5
reset_timeout = "60s"
half_open_success_needed = 3
[targets.api-advanced.properties.retry_strategy]
enabled = true
max_attempts = 4
initial_interval = "250ms"
max_interval = "30s"
multiplier = 2.5
random_factor = 0.2

# "Performance Optimization": high throughput
[targets.api-high-throughput]
protocol = "http"
url = "https://api.example.com"
[targets.api-high-throughput.properties]
server_error_threshold = 503
[targets.api-high-throughput.properties.circuit_breaker]
enabled = false
[targets.api-high-throughput.properties.retry_strategy]
enabled = true
max_attempts = 2
initial_interval = "50ms"
multiplier = 1.5

# "Performance Optimization": fault tolerant
[targets.api-fault-tolerant]
protocol = "http"
url = "https://unreliable-api.example.com"
[targets.api-fault-tolerant.properties]
server_error_threshold = 400
[targets.api-fault-tolerant.properties.circuit_breaker]
enabled = true
failure_threshold = 3
reset_timeout = "10s"
half_open_success_needed = 1
[targets.api-fault-tolerant.properties.retry_strategy]
enabled = true
max_attempts = 5
initial_interval = "500ms"
max_interval = "60s"
multiplier = 3.0
random_factor = 0.3
"#;

#[test]
fn the_http_examples_load_from_a_file() {
    shows(&guide(GUIDE), HTTP_FILE);
    let dir = tempfile::tempdir().unwrap();
    // The seed's client certificate paths are placeholders; TLS files are read at load, so the
    // test points them at real PEM files (the only change to the seed's text).
    let text = HTTP_FILE
        .replace("/path/to/client.crt", CLIENT_CERT)
        .replace("/path/to/client.key", CLIENT_KEY);
    let config = load(Sources::new().file(file(&dir, "http.toml", &text)));
    let http = |name: &str| -> connfx::HttpConfig {
        serde_json::from_value(config.targets[name].to_protocol_json()).unwrap()
    };
    let api = http("api");
    assert_eq!(api.timeout.total, Duration::from_secs(30));
    assert_eq!(
        api.bulkhead.as_ref().unwrap().max_concurrent,
        100,
        "max_connections"
    );
    assert_eq!(api.headers.0["User-Agent"], "my-service/1.0.0");
    let resilient = http("api-resilient");
    let breaker = resilient.circuit_breaker.unwrap();
    assert_eq!(
        (breaker.failure_threshold, breaker.half_open_success_needed),
        (5, 2)
    );
    assert_eq!(breaker.reset_timeout, Duration::from_secs(30));
    assert_eq!(breaker.server_error_threshold, 500);
    let retry = http("api-retry").retry.unwrap();
    assert_eq!((retry.max_attempts, retry.jitter), (3, 0.1));
    let advanced = http("api-advanced");
    assert_eq!(advanced.tls.cert_file.as_deref(), Some(CLIENT_CERT));
    assert_eq!(advanced.tls.key_file.as_deref(), Some(CLIENT_KEY));
    assert_eq!(advanced.timeout.total, Duration::from_secs(30));
    assert_eq!(advanced.circuit_breaker.unwrap().half_open_success_needed, 3);
    let retry = advanced.retry.unwrap();
    assert_eq!(
        (retry.max_attempts, retry.multiplier, retry.jitter),
        (4, 2.5, 0.2)
    );
    assert_eq!(retry.max_interval, Duration::from_secs(30));
    let fast = http("api-high-throughput");
    let breaker = fast.circuit_breaker.unwrap();
    assert!(!breaker.enabled, "switched off");
    assert_eq!(breaker.server_error_threshold, 503);
    let retry = fast.retry.unwrap();
    assert_eq!((retry.max_attempts, retry.multiplier), (2, 1.5));
    assert_eq!(retry.initial_interval, Duration::from_millis(50));
    let tolerant = http("api-fault-tolerant");
    assert_eq!(tolerant.circuit_breaker.unwrap().server_error_threshold, 400);
    let retry = tolerant.retry.unwrap();
    assert_eq!(
        (retry.max_attempts, retry.multiplier, retry.jitter),
        (5, 3.0, 0.3)
    );
}

/// The Go `ConfigTarget` examples of the seed's Redis, SQL and stack sections, as a file.
const STORES_FILE: &str = r#"
# "Redis Connections"
[targets.cache]
protocol = "redis"
url = "redis://localhost:6379/0"
[targets.cache.properties]
max_idle = 10
max_active = 100
idle_timeout = "240s"
password = "secret"

# "SQL Database Connections"
[targets.db]
protocol = "sql"
url = "postgres://user:pass@localhost/mydb?sslmode=disable"
[targets.db.properties]
max_open_connections = 25
max_idle_connections = 10
connection_max_lifetime = "5m"
"#;

#[test]
fn the_redis_and_sql_examples_load_from_a_file() {
    shows(&guide(GUIDE), STORES_FILE);
    let dir = tempfile::tempdir().unwrap();
    let config = load(Sources::new().file(file(&dir, "stores.toml", STORES_FILE)));
    let cache: connfx::RedisConfig =
        serde_json::from_value(config.targets["cache"].to_protocol_json()).unwrap();
    let pool = cache.pool.unwrap();
    assert_eq!(pool.max_size, 100, "max_active");
    assert_eq!(pool.idle_timeout, Duration::from_secs(240));
    assert_eq!(cache.password.unwrap().expose(), "secret");
    let db: connfx::SqlConfig = serde_json::from_value(config.targets["db"].to_protocol_json()).unwrap();
    assert_eq!(db.pool.max_size, 25, "max_open_connections");
    assert_eq!(db.pool.max_lifetime, Some(Duration::from_secs(300)));
    assert!(
        !config.targets["db"]
            .properties
            .contains_key("max_idle_connections")
    );
}
