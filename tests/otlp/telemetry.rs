//! Telemetry of the other connections, exported through the app's OTLP connection: metrics with
//! their names and attributes, one span per call with the HTTP client semantic conventions, and
//! W3C `traceparent` reaching the upstream server.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use connfx::prelude::*;
use connfx::{Connection, HealthState, Sources};
use tracing::Instrument;
use tracing_subscriber::layer::SubscriberExt;

use crate::otlp_receiver::Receiver;

/// An HTTP API and the collector its telemetry goes to.
#[derive(Connections)]
#[connections(env_prefix = "TELE")]
struct Conns {
    #[connection(
        protocol = "http",
        retry(max_attempts = 3, initial_interval = "1ms"),
        circuit_breaker(failure_threshold = 10)
    )]
    api: HttpConnection,
    #[connection(protocol = "otlp", service_name = "telemetry-test")]
    otel: OtlpConnection,
}

/// An upstream that records each request's `traceparent`: `/ok` answers 200, `/flaky` 503 once
/// then 200, `/down` always 503.
pub(crate) struct Upstream {
    pub(crate) url: String,
    traceparents: Arc<Mutex<Vec<String>>>,
}

pub(crate) async fn upstream() -> Upstream {
    let traceparents = Arc::new(Mutex::new(Vec::new()));
    let flaky = Arc::new(Mutex::new(0_u32));
    let seen = traceparents.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri, headers: HeaderMap| {
        let (seen, flaky) = (seen.clone(), flaky.clone());
        async move {
            if let Some(tp) = headers.get("traceparent").and_then(|v| v.to_str().ok()) {
                seen.lock().unwrap().push(tp.to_owned());
            }
            match uri.path() {
                "/flaky" => {
                    let mut n = flaky.lock().unwrap();
                    *n += 1;
                    if *n == 1 {
                        StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        StatusCode::OK
                    }
                }
                "/down" => StatusCode::SERVICE_UNAVAILABLE,
                "/slow" => {
                    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                    StatusCode::OK
                }
                _ => StatusCode::OK,
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Upstream { url, traceparents }
}

async fn connect(upstream: &Upstream, receiver: &Receiver) -> Conns {
    let mut env = collector_env("TELE", receiver);
    env.push(("TELE_API_URL".into(), upstream.url.clone()));
    env.push(("TELE_OTEL_TIMEOUT_TOTAL".into(), "2s".into()));
    Conns::load_config_from(Sources::new().env_map(env))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

/// The variables of the `<prefix>_OTEL` connection, sending to `receiver` and exporting nothing
/// before `close` or a flush: what arrives came from them.
pub(crate) fn collector_env(prefix: &str, receiver: &Receiver) -> Vec<(String, String)> {
    vec![
        (format!("{prefix}_OTEL_URL"), receiver.url()),
        (format!("{prefix}_OTEL_BATCH_TIMEOUT"), "1h".into()),
        (format!("{prefix}_OTEL_EXPORT_INTERVAL"), "1h".into()),
    ]
}

/// `otel`'s `tracing` layer as this thread's subscriber, until the guard drops.
pub(crate) fn trace_into(otel: &OtlpConnection) -> tracing::subscriber::DefaultGuard {
    tracing::subscriber::set_default(tracing_subscriber::registry().with(otel.tracing_layer()))
}

/// Exports the metrics now, off the runtime's thread (the receiver answers on it).
pub(crate) async fn flush_metrics(otel: &OtlpConnection) {
    let provider = otel.meter_provider().clone();
    tokio::task::spawn_blocking(move || provider.force_flush())
        .await
        .unwrap()
        .unwrap();
}

/// The value of the points matching `filter`: counters are cumulative and may be exported more
/// than once (flush, then shutdown), so the largest is the latest.
pub(crate) fn latest(
    points: &[(BTreeMap<String, String>, f64)],
    filter: impl Fn(&BTreeMap<String, String>) -> bool,
) -> f64 {
    points
        .iter()
        .filter(|(a, _)| filter(a))
        .map(|(_, v)| *v)
        .fold(0.0, f64::max)
}

pub(crate) fn with(pairs: &[(&str, &str)]) -> impl Fn(&BTreeMap<String, String>) -> bool {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |attributes| pairs.iter().all(|(k, v)| attributes.get(k) == Some(v))
}

#[tokio::test]
async fn calls_are_counted_timed_traced_and_propagated() {
    let receiver = Receiver::http().await.unwrap();
    let upstream = upstream().await;
    let conns = connect(&upstream, &receiver).await;
    let api = conns.api();
    assert!(
        Connection::telemetry(api).unwrap().is_exported(),
        "bound to the OTLP connection"
    );

    let subscriber = tracing_subscriber::registry().with(conns.otel().tracing_layer());
    let guard = tracing::subscriber::set_default(subscriber);
    let checkout = tracing::info_span!("checkout");
    async {
        api.get("/ok").send().await.unwrap();
        api.get("/flaky").send().await.unwrap();
        let err = api.get("/down").send().await.unwrap_err();
        assert_eq!(err.kind(), "retries_exhausted");
    }
    .instrument(checkout)
    .await;
    drop(guard);
    conns.close().await;
    let got = receiver.received();

    // Metrics.
    let requests = got.points("connfx.client.requests");
    let ok = with(&[
        ("connfx.connection", "api"),
        ("connfx.protocol", "http"),
        ("connfx.operation", "GET"),
        ("connfx.outcome", "ok"),
    ]);
    let failed = with(&[
        ("connfx.connection", "api"),
        ("connfx.outcome", "retries_exhausted"),
    ]);
    assert_eq!(latest(&requests, ok), 2.0, "{requests:?}");
    assert_eq!(latest(&requests, failed), 1.0, "{requests:?}");
    let durations = got.points("connfx.client.request.duration");
    let outcome = |o: &'static str| {
        move |a: &BTreeMap<String, String>| a.get("connfx.outcome").map(String::as_str) == Some(o)
    };
    assert_eq!(
        latest(&durations, outcome("ok")) + latest(&durations, outcome("retries_exhausted")),
        3.0,
        "{durations:?}"
    );
    let errors = got.points("connfx.client.errors");
    assert_eq!(
        latest(&errors, with(&[("error.type", "retries_exhausted")])),
        1.0,
        "{errors:?}"
    );
    let retries = got.points("connfx.client.retries");
    assert_eq!(
        latest(&retries, with(&[("connfx.connection", "api")])),
        3.0,
        "one for /flaky, two for /down: {retries:?}"
    );

    let breaker = got.points("connfx.circuit_breaker.state");
    assert!(
        breaker
            .iter()
            .any(|(a, v)| with(&[("connfx.connection", "api")])(a) && *v == 0.0),
        "closed: {breaker:?}"
    );

    // Spans: one per call, HTTP client conventions, all in the caller's trace.
    let spans = got.spans();
    let (_, _, trace) = spans
        .iter()
        .find(|(name, _, _)| name == "checkout")
        .expect("the caller's span");
    let calls: Vec<_> = spans.iter().filter(|(name, _, _)| name == "GET").collect();
    assert_eq!(calls.len(), 3, "{spans:?}");
    let port = upstream.url.rsplit(':').next().unwrap();
    for (_, attributes, trace_id) in &calls {
        assert_eq!(trace_id, trace, "a call's span is a child of the caller's");
        assert!(
            with(&[
                ("http.request.method", "GET"),
                ("server.address", "127.0.0.1"),
                ("server.port", port),
                ("connfx.connection", "api")
            ])(attributes),
            "{attributes:?}"
        );
    }
    let flaky = calls
        .iter()
        .find(|(_, a, _)| a["url.full"].ends_with("/flaky"))
        .unwrap();
    assert_eq!(
        (
            flaky.1["http.response.status_code"].as_str(),
            flaky.1["http.request.resend_count"].as_str()
        ),
        ("200", "1")
    );
    let down = calls
        .iter()
        .find(|(_, a, _)| a["url.full"].ends_with("/down"))
        .unwrap();
    assert_eq!(
        (
            down.1["http.response.status_code"].as_str(),
            down.1["error.type"].as_str()
        ),
        ("503", "retries_exhausted")
    );

    // traceparent: every request, retries included, carried the caller's trace.
    let traceparents = upstream.traceparents.lock().unwrap().clone();
    assert_eq!(traceparents.len(), 6, "1 + 2 + 3 requests: {traceparents:?}");
    for tp in &traceparents {
        let parts: Vec<&str> = tp.split('-').collect();
        assert_eq!(
            (parts.len(), parts[0], parts[1]),
            (4, "00", trace.as_str()),
            "{tp}"
        );
    }
}

#[tokio::test]
async fn without_an_otlp_connection_nothing_is_recorded_or_sent() {
    let upstream = upstream().await;
    let config = serde_json::from_value(serde_json::json!({ "url": upstream.url })).unwrap();
    let api = HttpConnection::connect("api", config).await.unwrap();
    let registry = connfx::Registry::new();
    registry.insert("api", api.clone());
    api.get("/ok").send().await.unwrap();
    assert!(!Connection::telemetry(&api).unwrap().is_exported());
    assert!(
        upstream.traceparents.lock().unwrap().is_empty(),
        "no trace, no traceparent"
    );
}

/// Policies that turn calls away, and a SQL pool.
#[derive(Connections)]
#[connections(env_prefix = "POL")]
struct Guarded {
    #[connection(
        protocol = "http",
        circuit_breaker(failure_threshold = 1, reset_timeout = "1h"),
        rate_limit(requests = 2, per = "1h", burst = 2, mode = "reject")
    )]
    limited: HttpConnection,
    #[connection(protocol = "http", bulkhead(max_concurrent = 1, max_wait = "0s"))]
    narrow: HttpConnection,
    #[connection(protocol = "sql", url = "sqlite::memory:")]
    db: SqlConnection,
    #[connection(protocol = "otlp", service_name = "telemetry-test")]
    otel: OtlpConnection,
}

#[tokio::test]
async fn rejections_breaker_changes_and_pools_are_measured() {
    let receiver = Receiver::http().await.unwrap();
    let upstream = upstream().await;
    let mut env = collector_env("POL", &receiver);
    env.push(("POL_LIMITED_URL".into(), upstream.url.clone()));
    env.push(("POL_NARROW_URL".into(), upstream.url.clone()));
    let conns = Guarded::load_config_from(Sources::new().env_map(env))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let guard = trace_into(conns.otel());

    // A 503 opens the breaker (threshold 1); the next call is refused by it; the third by the
    // rate limit (2 per hour).
    let limited = conns.limited();
    assert_eq!(limited.get("/down").send().await.unwrap_err().kind(), "status");
    assert_eq!(
        limited.get("/ok").send().await.unwrap_err().kind(),
        "circuit_open"
    );
    assert_eq!(
        limited.get("/ok").send().await.unwrap_err().kind(),
        "rate_limited"
    );
    // Two calls at once through a bulkhead of one that does not wait.
    let narrow = conns.narrow();
    let (a, b) = tokio::join!(narrow.get("/slow").send(), narrow.get("/slow").send());
    let kinds = [a.err().map(|e| e.kind()), b.err().map(|e| e.kind())];
    assert!(
        kinds.contains(&Some("bulkhead_full")) && kinds.contains(&None),
        "{kinds:?}"
    );
    // A query through the SQL pool.
    let one: i64 = conns
        .db()
        .run(|pool: connfx::sqlx::SqlitePool| async move {
            connfx::sqlx::query_scalar("SELECT 1").fetch_one(&pool).await
        })
        .await
        .unwrap();
    assert_eq!(one, 1);
    // Exported while the pool is open (after `close` it has no connection).
    drop(guard);
    flush_metrics(conns.otel()).await;
    conns.close().await;
    let got = receiver.received();

    let limited = with(&[("connfx.connection", "limited")]);
    let transitions = got.points("connfx.circuit_breaker.transitions");
    let opened = with(&[
        ("connfx.connection", "limited"),
        ("connfx.from", "closed"),
        ("connfx.to", "open"),
    ]);
    assert_eq!(latest(&transitions, opened), 1.0, "{transitions:?}");
    let state = got.points("connfx.circuit_breaker.state");
    assert_eq!(latest(&state, &limited), 2.0, "open: {state:?}");
    assert_eq!(latest(&got.points("connfx.rate_limit.rejections"), &limited), 1.0);
    let narrow = with(&[("connfx.connection", "narrow")]);
    assert_eq!(latest(&got.points("connfx.bulkhead.rejections"), &narrow), 1.0);
    let errors = got.points("connfx.client.errors");
    assert_eq!(
        latest(
            &errors,
            with(&[("connfx.connection", "limited"), ("error.type", "circuit_open")])
        ),
        1.0,
        "{errors:?}"
    );

    let db = with(&[("connfx.connection", "db"), ("connfx.protocol", "sql")]);
    let requests = got.points("connfx.client.requests");
    assert_eq!(
        latest(
            &requests,
            with(&[
                ("connfx.connection", "db"),
                ("connfx.operation", "query"),
                ("connfx.outcome", "ok")
            ])
        ),
        1.0,
        "{requests:?}"
    );
    let size = got.points("connfx.pool.size");
    assert!(latest(&size, &db) >= 1.0, "{size:?}");
    for gauge in ["connfx.pool.in_use", "connfx.pool.waiters"] {
        let points = got.points(gauge);
        assert!(
            points.iter().any(|(a, v)| db(a) && *v == 0.0),
            "{gauge}: {points:?}"
        );
    }
    let spans = got.spans();
    assert!(
        spans
            .iter()
            .any(|(name, a, _)| name == "sqlite"
                && a.get("db.system.name").map(String::as_str) == Some("sqlite")),
        "{spans:?}"
    );
}

#[tokio::test]
async fn the_health_monitor_records_states_and_changes() {
    let receiver = Receiver::http().await.unwrap();
    let upstream = upstream().await;
    let conns = connect(&upstream, &receiver).await;
    let monitor = conns.registry().monitor(std::time::Duration::from_millis(20));
    let mut events = monitor.subscribe();
    let first = tokio::time::timeout(std::time::Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((first.connection.as_str(), first.to), ("api", HealthState::Ready));
    monitor.stop();
    conns.close().await;
    let got = receiver.received();
    let api = with(&[("connfx.connection", "api"), ("connfx.protocol", "http")]);
    let state = got.points("connfx.health.state");
    assert!(
        state.iter().any(|(a, v)| api(a) && *v == 0.0),
        "ready is 0: {state:?}"
    );
    let changes = got.points("connfx.health.transitions");
    let became_ready = with(&[
        ("connfx.connection", "api"),
        ("connfx.from", "unknown"),
        ("connfx.to", "ready"),
    ]);
    assert_eq!(latest(&changes, became_ready), 1.0, "{changes:?}");
}

/// A Redis connection next to the collector.
#[derive(Connections)]
#[connections(env_prefix = "RTEL")]
struct Cached {
    #[connection(protocol = "redis", timeout = "2s")]
    cache: RedisConnection,
    #[connection(protocol = "otlp", service_name = "telemetry-test")]
    otel: OtlpConnection,
}

#[tokio::test]
async fn redis_commands_are_measured_and_traced() {
    let Some(url) = crate::services::redis("otlp::telemetry::redis_commands_are_measured_and_traced") else {
        return;
    };
    let receiver = Receiver::http().await.unwrap();
    let mut env = collector_env("RTEL", &receiver);
    env.push(("RTEL_CACHE_URL".into(), url.clone()));
    let conns = Cached::load_config_from(Sources::new().env_map(env))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let guard = trace_into(conns.otel());
    let cache = conns.cache();
    let key = format!("connfx:telemetry:{}", std::process::id());
    cache
        .cmd(connfx::redis::cmd("SET").arg(&key).arg("1"))
        .exec()
        .await
        .unwrap();
    let value: String = cache
        .cmd(connfx::redis::cmd("GET").arg(&key))
        .query()
        .await
        .unwrap();
    assert_eq!(value, "1");
    cache
        .cmd(connfx::redis::cmd("DEL").arg(&key))
        .exec()
        .await
        .unwrap();
    drop(guard);
    // Exported while the connection is open, then closed.
    flush_metrics(conns.otel()).await;
    conns.close().await;
    let got = receiver.received();

    let cache = with(&[("connfx.connection", "cache"), ("connfx.protocol", "redis")]);
    let requests = got.points("connfx.client.requests");
    let commands = with(&[
        ("connfx.connection", "cache"),
        ("connfx.operation", "command"),
        ("connfx.outcome", "ok"),
    ]);
    assert_eq!(latest(&requests, commands), 3.0, "{requests:?}");
    let size = got.points("connfx.pool.size");
    assert_eq!(latest(&size, &cache), 1.0, "one multiplexed connection: {size:?}");
    let in_use = got.points("connfx.pool.in_use");
    assert!(
        in_use.iter().any(|(a, v)| cache(a) && *v == 0.0),
        "nothing in flight: {in_use:?}"
    );
    // The semantic conventions' view of the same commands.
    let url = url::Url::parse(&url).unwrap();
    let port = url.port().unwrap_or(6379).to_string();
    let durations = got.points("db.client.operation.duration");
    for command in ["SET", "GET", "DEL"] {
        let pairs = [
            ("db.system.name", "redis"),
            ("db.operation.name", command),
            ("server.address", url.host_str().unwrap()),
            ("server.port", &port),
        ];
        let this = with(&pairs);
        assert_eq!(latest(&durations, this), 1.0, "{command}: {durations:?}");
    }
    let spans = got.spans();
    for command in ["SET", "GET", "DEL"] {
        let span = spans
            .iter()
            .find(|(name, _, _)| name == command)
            .unwrap_or_else(|| panic!("{command}: {spans:?}"));
        assert_eq!(span.1.get("db.system.name").map(String::as_str), Some("redis"));
        assert_eq!(span.1.get("db.operation.name").map(String::as_str), Some(command));
    }
}

/// An API whose rate limit and breaker are kept across a fleet, in a Redis store.
#[derive(Connections)]
#[connections(env_prefix = "FTEL")]
struct FleetTelemetry {
    #[connection(
        protocol = "http",
        rate_limit(requests = 1000, per = "1s", scope = "fleet", store = "cache"),
        circuit_breaker(scope = "fleet", store = "cache", quorum = 2)
    )]
    fleet_telemetry_api: HttpConnection,
    #[connection(protocol = "redis", timeout(per_attempt = "300ms"))]
    cache: RedisConnection,
    #[connection(protocol = "otlp", service_name = "telemetry-test")]
    otel: OtlpConnection,
}

/// The last value exported for `name` on the connection `connection` (a gauge's latest reading).
fn last(got: &crate::otlp_receiver::Received, name: &str, connection: &str) -> Option<f64> {
    let points = got.points(name).into_iter();
    let on =
        |a: &BTreeMap<String, String>| a.get("connfx.connection").map(String::as_str) == Some(connection);
    points.rev().find(|(a, _)| on(a)).map(|(_, v)| v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_policys_store_shows_in_gauges_and_health() {
    let test = "otlp::telemetry::a_fleet_policys_store_shows_in_gauges_and_health";
    let Some(redis) = crate::services::redis(test) else {
        return;
    };
    let receiver = Receiver::http().await.unwrap();
    let upstream = upstream().await;
    let mut env = collector_env("FTEL", &receiver);
    env.push(("FTEL_FLEET_TELEMETRY_API_URL".into(), upstream.url.clone()));
    env.push(("FTEL_CACHE_URL".into(), redis));
    let conns = FleetTelemetry::load_config_from(Sources::new().env_map(env))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let api = conns.fleet_telemetry_api();
    api.get("/ok").send().await.unwrap();
    // A few votes (one every 250 ms) for the breaker's store to have answered.
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    flush_metrics(conns.otel()).await;
    let got = receiver.received();
    let on = "fleet_telemetry_api";
    assert_eq!(last(&got, "connfx.rate_limit.store.up", on), Some(1.0));
    assert_eq!(last(&got, "connfx.circuit_breaker.store.up", on), Some(1.0));
    assert_eq!(last(&got, "connfx.circuit_breaker.fleet.state", on), Some(0.0));
    let health = conns.health().await;
    assert_eq!(
        health.get(on).unwrap().health.state,
        HealthState::Ready,
        "{health}"
    );

    // The store goes away: the limit falls back (the call still goes), the gauges say so, and
    // the API's health names the store while readiness holds.
    conns.cache().close().await;
    api.get("/ok").send().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    flush_metrics(conns.otel()).await;
    let got = receiver.received();
    assert_eq!(last(&got, "connfx.rate_limit.store.up", on), Some(0.0));
    assert_eq!(last(&got, "connfx.circuit_breaker.store.up", on), Some(0.0));
    let health = conns.health().await;
    let entry = &health.get(on).unwrap().health;
    assert_eq!(entry.state, HealthState::Live, "{health}");
    assert!(
        entry.message.contains("rate_limit.store `cache`")
            && entry.message.contains("circuit_breaker.store `cache`"),
        "{health}"
    );
    conns.close().await;
}

/// Two collectors in one registry (seed 000's "multiple OTLP environments"): the one the
/// configuration names receives connfx's metrics, here by seed 000's own variable; the other
/// receives none. A name that is not an OTLP target is a load error naming the variable.
#[tokio::test]
async fn the_registry_exports_to_the_otlp_target_it_names() {
    let (business, ops) = (Receiver::http().await.unwrap(), Receiver::http().await.unwrap());
    let api = upstream().await;
    let otlp = |name: &str, receiver: &Receiver| {
        let var = |key: &str| format!("CONN_TARGETS_{name}_{key}");
        vec![
            (var("PROTOCOL"), "otlp".to_owned()),
            (var("URL"), receiver.url()),
            (var("PROPERTIES_EXPORT_INTERVAL"), "1h".to_owned()),
        ]
    };
    let mut env = vec![
        ("CONN_TARGETS_API_PROTOCOL".to_owned(), "http".to_owned()),
        ("CONN_TARGETS_API_URL".to_owned(), api.url.clone()),
        ("METRICS_OTLP_CONNECTION_NAME".to_owned(), "otel_ops".to_owned()),
    ];
    env.extend(otlp("OTEL_BUSINESS", &business));
    env.extend(otlp("OTEL_OPS", &ops));
    let load =
        |env: Vec<(String, String)>| connfx::registry::RegistryConfig::load(Sources::new().env_map(env));
    let config = load(env.clone()).unwrap();
    assert_eq!(config.telemetry.as_deref(), Some("otel_ops"));
    let registry = config.connect().await.unwrap();
    let client: HttpConnection = registry.get("api").unwrap();
    client.get("/ok").send().await.unwrap();
    for name in ["otel_business", "otel_ops"] {
        flush_metrics(&registry.get::<OtlpConnection>(name).unwrap()).await;
    }
    let requests = |got: crate::otlp_receiver::Received| got.points("connfx.client.requests").len();
    assert!(
        requests(ops.received()) > 0,
        "the named collector has the metrics"
    );
    assert_eq!(requests(business.received()), 0, "the other has none");
    registry.close().await;

    env.push(("CONN_TELEMETRY".to_owned(), "api".to_owned()));
    let err = load(env).unwrap_err().to_string();
    assert!(
        err.contains("CONN_TELEMETRY") && err.contains("`http` target"),
        "{err}"
    );
}
