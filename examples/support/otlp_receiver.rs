//! An in-process OTLP receiver for the examples and tests: a real collector front end on
//! 127.0.0.1 that decodes the official protobuf and keeps what arrives.
//!
//! - `Receiver::http()`: an axum server accepting `POST /v1/traces`, `/v1/metrics`, `/v1/logs`
//!   with `application/x-protobuf` bodies, decoded with prost.
//! - `Receiver::grpc()`: a tonic server implementing the trace, metrics and logs collector
//!   services.
//!
//! Both record every request (health probes' empty ones too) with its headers or metadata.

#![allow(dead_code)] // each user takes what it needs

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{LogsService, LogsServiceServer};
use opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsServiceRequest, ExportLogsServiceResponse};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use tokio::sync::{oneshot, watch};

/// Everything a receiver got, in arrival order.
#[derive(Clone, Debug, Default)]
pub struct Received {
    pub traces: Vec<ExportTraceServiceRequest>,
    pub metrics: Vec<ExportMetricsServiceRequest>,
    pub logs: Vec<ExportLogsServiceRequest>,
    /// The headers (HTTP) or metadata (gRPC) of every request, names in lower case.
    pub headers: Vec<BTreeMap<String, String>>,
}

impl Received {
    /// Names of every span received.
    pub fn span_names(&self) -> Vec<String> {
        let spans = self.traces.iter().flat_map(|r| &r.resource_spans);
        let spans = spans.flat_map(|r| &r.scope_spans).flat_map(|s| &s.spans);
        spans.map(|s| s.name.clone()).collect()
    }

    /// Names of every metric received (once per export).
    pub fn metric_names(&self) -> Vec<String> {
        let metrics = self.metrics.iter().flat_map(|r| &r.resource_metrics);
        let metrics = metrics.flat_map(|r| &r.scope_metrics).flat_map(|s| &s.metrics);
        metrics.map(|m| m.name.clone()).collect()
    }

    /// The value of the last data point of the last sum (counter) called `name`.
    pub fn last_sum(&self, name: &str) -> Option<f64> {
        let metrics = self.metrics.iter().flat_map(|r| &r.resource_metrics);
        let metrics = metrics.flat_map(|r| &r.scope_metrics).flat_map(|s| &s.metrics);
        let sum = metrics
            .filter(|m| m.name == name)
            .filter_map(|m| match &m.data {
                Some(metric::Data::Sum(sum)) => sum.data_points.last(),
                _ => None,
            })
            .next_back()?;
        match sum.value? {
            number_data_point::Value::AsInt(i) => Some(i as f64),
            number_data_point::Value::AsDouble(d) => Some(d),
        }
    }

    /// Every span received: name, attributes as text, and trace id in hex.
    pub fn spans(&self) -> Vec<(String, BTreeMap<String, String>, String)> {
        let spans = self.traces.iter().flat_map(|r| &r.resource_spans);
        let spans = spans.flat_map(|r| &r.scope_spans).flat_map(|s| &s.spans);
        spans
            .map(|s| {
                let attributes = s
                    .attributes
                    .iter()
                    .map(|kv| (kv.key.clone(), kv.value.as_ref().map(text).unwrap_or_default()));
                let trace_id: String = s.trace_id.iter().map(|b| format!("{b:02x}")).collect();
                (s.name.clone(), attributes.collect(), trace_id)
            })
            .collect()
    }

    /// The data points of every metric called `name` (sums, gauges and histograms): attributes
    /// as text, and the value (a histogram's count).
    pub fn points(&self, name: &str) -> Vec<(BTreeMap<String, String>, f64)> {
        let metrics = self.metrics.iter().flat_map(|r| &r.resource_metrics);
        let metrics = metrics.flat_map(|r| &r.scope_metrics).flat_map(|s| &s.metrics);
        let number = |p: &opentelemetry_proto::tonic::metrics::v1::NumberDataPoint| {
            let value = match p.value {
                Some(number_data_point::Value::AsInt(i)) => i as f64,
                Some(number_data_point::Value::AsDouble(d)) => d,
                None => f64::NAN,
            };
            (point_attributes(&p.attributes), value)
        };
        metrics
            .filter(|m| m.name == name)
            .flat_map(|m| match &m.data {
                Some(metric::Data::Sum(sum)) => sum.data_points.iter().map(number).collect(),
                Some(metric::Data::Gauge(gauge)) => gauge.data_points.iter().map(number).collect(),
                Some(metric::Data::Histogram(h)) => h
                    .data_points
                    .iter()
                    .map(|p| (point_attributes(&p.attributes), p.count as f64))
                    .collect(),
                _ => Vec::new(),
            })
            .collect()
    }

    /// The unit and the kind of the last metric called `name`: `histogram`, `gauge`,
    /// `counter` (a monotonic sum) or `updowncounter` (a sum that may go down).
    pub fn shape(&self, name: &str) -> Option<(String, &'static str)> {
        let metrics = self.metrics.iter().flat_map(|r| &r.resource_metrics);
        let mut metrics = metrics.flat_map(|r| &r.scope_metrics).flat_map(|s| &s.metrics);
        let metric = metrics.rfind(|m| m.name == name)?;
        let kind = match &metric.data {
            Some(metric::Data::Histogram(_)) => "histogram",
            Some(metric::Data::Gauge(_)) => "gauge",
            Some(metric::Data::Sum(sum)) if sum.is_monotonic => "counter",
            Some(metric::Data::Sum(_)) => "updowncounter",
            _ => "other",
        };
        Some((metric.unit.clone(), kind))
    }

    /// Bodies of every log record received.
    pub fn log_bodies(&self) -> Vec<String> {
        let records = self.logs.iter().flat_map(|r| &r.resource_logs);
        let records = records.flat_map(|r| &r.scope_logs).flat_map(|s| &s.log_records);
        records
            .map(|l| l.body.as_ref().map(text).unwrap_or_default())
            .collect()
    }

    /// The resource attributes of every batch, per signal: `("traces", attributes)` …
    pub fn resources(&self) -> Vec<(&'static str, BTreeMap<String, String>)> {
        let traces = self
            .traces
            .iter()
            .flat_map(|r| &r.resource_spans)
            .map(|r| ("traces", &r.resource));
        let metrics = self
            .metrics
            .iter()
            .flat_map(|r| &r.resource_metrics)
            .map(|r| ("metrics", &r.resource));
        let logs = self
            .logs
            .iter()
            .flat_map(|r| &r.resource_logs)
            .map(|r| ("logs", &r.resource));
        traces
            .chain(metrics)
            .chain(logs)
            .map(|(signal, resource)| (signal, attributes(resource.as_ref())))
            .collect()
    }

    /// The resource attributes of the first batch received, whatever its signal.
    pub fn resource_attributes(&self) -> BTreeMap<String, String> {
        self.resources()
            .into_iter()
            .next()
            .map(|(_, attributes)| attributes)
            .unwrap_or_default()
    }
}

/// A data point's attributes as text.
pub fn point_attributes(attributes: &[KeyValue]) -> BTreeMap<String, String> {
    let pairs = attributes
        .iter()
        .map(|kv| (kv.key.clone(), kv.value.as_ref().map(text).unwrap_or_default()));
    pairs.collect()
}

/// A resource's attributes as text.
pub fn attributes(resource: Option<&Resource>) -> BTreeMap<String, String> {
    let pairs = resource.map(|r| r.attributes.as_slice()).unwrap_or_default();
    pairs
        .iter()
        .map(|kv: &KeyValue| (kv.key.clone(), kv.value.as_ref().map(text).unwrap_or_default()))
        .collect()
}

/// An attribute or body value as text.
pub fn text(value: &AnyValue) -> String {
    match &value.value {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

/// What the servers share: what arrived, and a version bumped at each arrival.
struct Store {
    received: Mutex<Received>,
    version: watch::Sender<u64>,
}

impl Store {
    fn record(&self, headers: BTreeMap<String, String>, add: impl FnOnce(&mut Received)) {
        let mut received = self.received.lock().unwrap_or_else(|e| e.into_inner());
        received.headers.push(headers);
        add(&mut received);
        drop(received);
        self.version.send_modify(|v| *v += 1);
    }
}

/// The store and the stop signal's two ends.
type Parts = (Arc<Store>, oneshot::Sender<()>, oneshot::Receiver<()>);

/// A running receiver; dropped or stopped, it stops serving.
pub struct Receiver {
    /// `"http"` or `"grpc"`.
    pub transport: &'static str,
    scheme: &'static str,
    addr: SocketAddr,
    store: Arc<Store>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Receiver {
    /// An OTLP http/protobuf receiver on a free port of 127.0.0.1.
    pub async fn http() -> std::io::Result<Receiver> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        Self::http_on(listener, "http")
    }

    /// An OTLP http/protobuf receiver on `listener` (a TLS one, say), whose URLs start with
    /// `scheme`.
    pub fn http_on<L>(listener: L, scheme: &'static str) -> std::io::Result<Receiver>
    where
        L: axum::serve::Listener<Addr = SocketAddr>,
    {
        let addr = listener.local_addr()?;
        let (store, stop, stopped) = Self::parts();
        let app = Router::new()
            .route("/v1/traces", post(http_traces))
            .route("/v1/metrics", post(http_metrics))
            .route("/v1/logs", post(http_logs))
            .with_state(store.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Receiver::new(("http", scheme), addr, store, stop, task))
    }

    /// An OTLP gRPC receiver on a free port of 127.0.0.1.
    pub async fn grpc() -> std::io::Result<Receiver> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (store, stop, stopped) = Self::parts();
        let service = Grpc(store.clone());
        let incoming = tonic::transport::server::TcpIncoming::from(listener);
        let task = tokio::spawn(async move {
            let _ = tonic::transport::Server::builder()
                .add_service(TraceServiceServer::new(service.clone()))
                .add_service(MetricsServiceServer::new(service.clone()))
                .add_service(LogsServiceServer::new(service))
                .serve_with_incoming_shutdown(incoming, async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Receiver::new(("grpc", "http"), addr, store, stop, task))
    }

    fn parts() -> Parts {
        let store = Arc::new(Store {
            received: Mutex::new(Received::default()),
            version: watch::channel(0).0,
        });
        let (stop, stopped) = oneshot::channel();
        (store, stop, stopped)
    }

    fn new(
        (transport, scheme): (&'static str, &'static str),
        addr: SocketAddr,
        store: Arc<Store>,
        stop: oneshot::Sender<()>,
        task: tokio::task::JoinHandle<()>,
    ) -> Receiver {
        Receiver {
            transport,
            scheme,
            addr,
            store,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The collector URL to configure: `http://127.0.0.1:<port>` (`https` behind TLS).
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// What arrived so far.
    pub fn received(&self) -> Received {
        self.store
            .received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits until `done` holds for what arrived, or `limit` passes; gives what arrived then.
    pub async fn wait_until(&self, limit: Duration, done: impl Fn(&Received) -> bool) -> Received {
        let deadline = Instant::now() + limit;
        let mut changes = self.store.version.subscribe();
        loop {
            let received = self.received();
            let left = deadline.saturating_duration_since(Instant::now());
            if done(&received) || left.is_zero() {
                return received;
            }
            if tokio::time::timeout(left, changes.changed()).await.is_err() {
                return self.received();
            }
        }
    }

    /// Stops serving and waits (boundedly) for the server task to end.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            // Keep-alive connections may hold a graceful shutdown open: bounded, then aborted.
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(2), task).await.is_err() {
                abort.abort();
            }
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

fn header_text(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Decodes an OTLP http/protobuf body, records it, answers with an empty protobuf response.
fn accept<T: Message + Default>(
    store: &Store,
    headers: &HeaderMap,
    body: &Bytes,
    add: impl FnOnce(&mut Received, T),
) -> Response {
    let protobuf = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/x-protobuf"));
    if !protobuf {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected application/x-protobuf",
        )
            .into_response();
    }
    let Ok(request) = T::decode(body.clone()) else {
        return (StatusCode::BAD_REQUEST, "not an OTLP protobuf request").into_response();
    };
    store.record(header_text(headers), |received| add(received, request));
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/x-protobuf")],
        Vec::<u8>::new(),
    )
        .into_response()
}

async fn http_traces(State(store): State<Arc<Store>>, headers: HeaderMap, body: Bytes) -> Response {
    accept(&store, &headers, &body, |r, req: ExportTraceServiceRequest| {
        r.traces.push(req)
    })
}

async fn http_metrics(State(store): State<Arc<Store>>, headers: HeaderMap, body: Bytes) -> Response {
    accept(&store, &headers, &body, |r, req: ExportMetricsServiceRequest| {
        r.metrics.push(req)
    })
}

async fn http_logs(State(store): State<Arc<Store>>, headers: HeaderMap, body: Bytes) -> Response {
    accept(&store, &headers, &body, |r, req: ExportLogsServiceRequest| {
        r.logs.push(req)
    })
}

/// The gRPC collector services.
#[derive(Clone)]
struct Grpc(Arc<Store>);

impl Grpc {
    fn record<T>(&self, request: tonic::Request<T>, add: impl FnOnce(&mut Received, T)) {
        let headers = request.metadata().clone().into_headers();
        self.0.record(header_text(&headers), |received| {
            add(received, request.into_inner())
        });
    }
}

#[tonic::async_trait]
impl TraceService for Grpc {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.record(request, |r, req| r.traces.push(req));
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Grpc {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        self.record(request, |r, req| r.metrics.push(req));
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl LogsService for Grpc {
    async fn export(
        &self,
        request: tonic::Request<ExportLogsServiceRequest>,
    ) -> Result<tonic::Response<ExportLogsServiceResponse>, tonic::Status> {
        self.record(request, |r, req| r.logs.push(req));
        Ok(tonic::Response::new(ExportLogsServiceResponse::default()))
    }
}
