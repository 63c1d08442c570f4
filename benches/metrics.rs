//! `cargo bench --bench metrics`: what one call costs to record when Prometheus reads the metrics
//! (issue 17 item 4: opentelemetry-prometheus, or a Prometheus crate directly — which costs less
//! per call).
//!
//! Each contender records what connfx records for one finished call: one request counted and its
//! duration observed, under the same three labels (connection, operation, outcome), each on its
//! crate's defaults and in its documented way of use:
//!
//! - `connfx record (otel → prometheus)`: `Telemetry::record`, connfx's own per-call path (its
//!   instruments bound per (operation, outcome) pair), exported through opentelemetry-prometheus
//!   as `connfx::prometheus` does;
//! - `otel bound (→ prometheus)`: the OpenTelemetry SDK's bound counter and histogram alone;
//! - `prometheus bound`: the `prometheus` crate (0.14), `IntCounterVec` and `HistogramVec` bound
//!   once with `with_label_values`;
//! - `prometheus-client family`: `prometheus-client` (0.26), `Family::get_or_create` per call,
//!   as its documentation uses it; and `prometheus-client bound`, the metrics taken out of the
//!   family once;
//! - `connfx conn.metrics()`: the in-process counters every HTTP call also keeps (issue 16
//!   item 7, always on), a start and an end with their two clock reads; and per host.
//!
//! After criterion's groups, a summary measures every contender again in one process (7 rounds,
//! interleaved; the median of each) and prints ns/call, so the figures in `BENCHMARKS.md` come from
//! one run. `cargo bench --bench metrics -- summary` prints the summary alone.

use std::hint::black_box;
use std::time::{Duration, Instant};

use connfx::opentelemetry::KeyValue;
use connfx::opentelemetry::metrics::Meter;
use connfx::prometheus::PrometheusMetrics;
use connfx::telemetry::{CallMetrics, Telemetry};
use criterion::Criterion;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter as PcCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram as PcHistogram, exponential_buckets};

/// The seconds one call took, varied a little so a histogram's bucket search is not constant.
fn elapsed(i: u64) -> Duration {
    Duration::from_micros(200 + (i % 64) * 37)
}

/// A meter read by a Prometheus registry: connfx's own (`connfx::prometheus`), each contender
/// on a registry of its own.
fn prometheus_meter() -> (PrometheusMetrics, Meter) {
    let metrics = PrometheusMetrics::new().expect("exporter");
    let meter = metrics.meter();
    (metrics, meter)
}

type Record = Box<dyn FnMut(u64)>;

/// Every contender, built on its defaults, as `(name, record one call)`.
fn contenders() -> Vec<(&'static str, Record)> {
    let (_metrics, meter) = prometheus_meter();
    let telemetry = Telemetry::new("api", "http");
    assert!(telemetry.export_to(&meter));
    let connfx: Record = Box::new(move |i| telemetry.record("GET", elapsed(i), None));

    let attributes = [
        KeyValue::new("connfx.connection", "api"),
        KeyValue::new("connfx.operation", "GET"),
        KeyValue::new("connfx.outcome", "ok"),
    ];
    let (metrics2, meter) = prometheus_meter();
    let requests = meter.u64_counter("requests").build().bind(&attributes);
    let duration = meter
        .f64_histogram("duration")
        .with_unit("s")
        .build()
        .bind(&attributes);
    let otel: Record = Box::new(move |i| {
        requests.add(1);
        duration.record(elapsed(i).as_secs_f64());
        let _keep = &metrics2;
    });

    let registry = prometheus::Registry::new();
    let labels = ["connection", "operation", "outcome"];
    let counter =
        prometheus::IntCounterVec::new(prometheus::Opts::new("requests", "calls"), &labels).expect("counter");
    let histogram = prometheus::HistogramVec::new(
        prometheus::HistogramOpts::new("duration_seconds", "time"),
        &labels,
    )
    .expect("histogram");
    registry.register(Box::new(counter.clone())).expect("register");
    registry.register(Box::new(histogram.clone())).expect("register");
    let counter = counter.with_label_values(&["api", "GET", "ok"]);
    let histogram = histogram.with_label_values(&["api", "GET", "ok"]);
    let prometheus: Record = Box::new(move |i| {
        counter.inc();
        histogram.observe(elapsed(i).as_secs_f64());
    });

    let (family_counter, family_histogram) = client_families();
    let call = CallLabels {
        connection: "api".into(),
        operation: "GET".into(),
        outcome: "ok".into(),
    };
    let client_family: Record = Box::new(move |i| {
        family_counter.get_or_create(&call).inc();
        family_histogram
            .get_or_create(&call)
            .observe(elapsed(i).as_secs_f64());
    });

    let (family_counter, family_histogram) = client_families();
    let call = CallLabels {
        connection: "api".into(),
        operation: "GET".into(),
        outcome: "ok".into(),
    };
    let counter = family_counter.get_or_create(&call).clone();
    let histogram = family_histogram.get_or_create(&call).clone();
    let client_bound: Record = Box::new(move |i| {
        counter.inc();
        histogram.observe(elapsed(i).as_secs_f64());
        let _keep = (&family_counter, &family_histogram);
    });

    // What every HTTP call also pays for `conn.metrics()` (always on): a start and an end,
    // two clock reads included; and for a `per_host` connection, its host's entry found too.
    let local = CallMetrics::new();
    let in_process: Record = Box::new(move |i| {
        let call = local.start(None);
        local.end(call, black_box(i) % 10 == 0);
    });
    let hosts = CallMetrics::new();
    hosts.keep_hosts(connfx::resilience::recent::Bounds {
        max: 10_000,
        idle: Duration::from_secs(600),
    });
    let per_host: Record = Box::new(move |i| {
        let call = hosts.start(Some("api.example:443"));
        hosts.end(call, black_box(i) % 10 == 0);
    });

    vec![
        ("connfx record (otel → prometheus)", connfx),
        ("otel bound (→ prometheus)", otel),
        ("prometheus bound", prometheus),
        ("prometheus-client family", client_family),
        ("prometheus-client bound", client_bound),
        ("connfx conn.metrics() (in process)", in_process),
        ("connfx conn.metrics(), per host", per_host),
    ]
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    connection: String,
    operation: String,
    outcome: String,
}

type Families = (
    Family<CallLabels, PcCounter>,
    Family<CallLabels, PcHistogram, fn() -> PcHistogram>,
);

fn client_families() -> Families {
    let mut registry = prometheus_client::registry::Registry::default();
    let counter = Family::<CallLabels, PcCounter>::default();
    let histogram: Family<CallLabels, PcHistogram, fn() -> PcHistogram> =
        Family::new_with_constructor(|| PcHistogram::new(exponential_buckets(0.001, 2.0, 14)));
    registry.register("requests", "calls", counter.clone());
    registry.register("duration_seconds", "time", histogram.clone());
    (counter, histogram)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("record one call");
    for (name, mut record) in contenders() {
        let mut i = 0u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                i += 1;
                record(black_box(i));
            });
        });
    }
    group.finish();
}

/// ns per call of `record` over `n` calls.
fn time(record: &mut Record, n: u64) -> f64 {
    let start = Instant::now();
    for i in 0..n {
        record(black_box(i));
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

fn summary() {
    let mut contenders = contenders();
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); contenders.len()];
    for (_, record) in &mut contenders {
        time(record, 100_000);
    }
    for _ in 0..7 {
        for (i, (_, record)) in contenders.iter_mut().enumerate() {
            samples[i].push(time(record, 1_000_000));
        }
    }
    println!("\nsummary: one call recorded (median of 7 rounds of 1,000,000, interleaved)");
    let median = |s: &mut Vec<f64>| {
        s.sort_by(f64::total_cmp);
        s[s.len() / 2]
    };
    let base = median(&mut samples[0].clone());
    for ((name, _), s) in contenders.iter().zip(&mut samples) {
        let m = median(s);
        println!("  {name:<36} {m:>7.1} ns/call  ({:.2}x connfx)", m / base);
    }
}

fn main() {
    let only_summary = std::env::args().any(|a| a == "summary");
    if !only_summary {
        let mut criterion = Criterion::default().configure_from_args();
        bench(&mut criterion);
        criterion.final_summary();
    }
    summary();
}
