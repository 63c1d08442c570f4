//! `/metrics` for Prometheus (feature `prometheus`): scraped over HTTP on 127.0.0.1 and read
//! by a Prometheus text-format parser no one here wrote (`prometheus-parse`).

use connfx::Sources;
use connfx::prelude::*;
use connfx::prometheus::PrometheusMetrics;
use prometheus_parse::{Sample, Scrape, Value};

use crate::telemetry::upstream;

/// An API and no OTLP connection: Prometheus is the only reader.
#[derive(Connections)]
#[connections(env_prefix = "PROM")]
struct Scraped {
    #[connection(protocol = "http", circuit_breaker(failure_threshold = 5))]
    api: HttpConnection,
}

fn find<'a>(scrape: &'a Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<&'a Sample> {
    scrape
        .samples
        .iter()
        .find(|sample| sample.metric == metric && labels.iter().all(|(k, v)| sample.labels.get(k) == Some(v)))
}

#[tokio::test]
async fn metrics_are_scraped_in_prometheus_text_format() {
    let api = upstream().await;
    let conns = Scraped::load_config_from(Sources::new().env_map([("PROM_API_URL", api.url.as_str())]))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let metrics = PrometheusMetrics::new().unwrap();
    metrics.watch(&conns.registry());
    for _ in 0..3 {
        conns.api().get("/ok").send().await.unwrap();
    }
    assert!(conns.api().get("/down").send().await.is_err());

    let app = connfx::probe::router(conns.registry()).merge(metrics.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let response = reqwest::get(format!("http://{address}{}", connfx::prometheus::METRICS_PATH))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    let scrape = Scrape::parse(text.lines().map(|line| Ok(line.to_owned()))).unwrap();

    let ok = [("connfx_connection", "api"), ("connfx_outcome", "ok")];
    let requests = find(&scrape, "connfx_client_requests_total", &ok).unwrap_or_else(|| panic!("{text}"));
    assert_eq!(requests.value, Value::Counter(3.0), "{text}");
    let duration = find(&scrape, "connfx_client_request_duration_seconds", &ok);
    match duration.map(|d| &d.value) {
        Some(Value::Histogram(buckets)) => {
            assert_eq!(buckets.last().map(|b| b.count), Some(3.0), "{text}");
        }
        other => panic!("a histogram of durations: {other:?}\n{text}"),
    }
    // The semantic conventions' histogram, its dots turned into underscores.
    let ok = [
        ("http_request_method", "GET"),
        ("http_response_status_code", "200"),
    ];
    let semconv = find(&scrape, "http_client_request_duration_seconds", &ok);
    match semconv.map(|d| &d.value) {
        Some(Value::Histogram(buckets)) => {
            assert_eq!(buckets.last().map(|b| b.count), Some(3.0), "{text}");
        }
        other => panic!("http.client.request.duration: {other:?}\n{text}"),
    }
    let state = find(
        &scrape,
        "connfx_circuit_breaker_state",
        &[("connfx_connection", "api")],
    );
    assert_eq!(
        state.map(|s| &s.value),
        Some(&Value::Gauge(0.0)),
        "closed: {text}"
    );
    assert!(
        scrape
            .samples
            .iter()
            .any(|s| s.metric == "connfx_client_errors_total"),
        "the 503 counted: {text}"
    );
    conns.close().await;
}
