//! The exporters of one connection, over http/protobuf or gRPC, and the probe its health check
//! uses. One HTTP client (or one gRPC channel) is shared by the three exporters.

use std::time::Duration;

use http::HeaderMap;
use opentelemetry_otlp::{
    LogExporter, MetricExporter, SpanExporter, WithExportConfig, WithHttpConfig, WithTonicConfig,
};
use tonic::metadata::MetadataMap;
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};

use super::{OtlpConfig, OtlpTransport, tls};
use crate::config::group::Problem;

/// The three exporters (those whose signal is on) and the health probe.
pub(super) struct Exporters {
    pub spans: Option<SpanExporter>,
    pub metrics: Option<MetricExporter>,
    pub logs: Option<LogExporter>,
    pub probe: Probe,
}

/// What the health check talks to: the same client or endpoint the exporters use.
#[derive(Clone)]
pub(super) enum Probe {
    /// `POST` an empty export request to `url` with `client` (its default headers included).
    Http {
        client: reqwest::blocking::Client,
        url: url::Url,
    },
    /// Open a fresh HTTP/2 connection to `endpoint` and send an empty trace export.
    Grpc {
        endpoint: Box<Endpoint>,
        metadata: MetadataMap,
    },
}

/// Builds the exporters. Must run inside a Tokio runtime (the gRPC channel's worker is spawned on
/// it); does no network I/O.
///
/// # Errors
/// A message naming the key at fault, never a header value.
pub(super) async fn build(config: &OtlpConfig) -> Result<Exporters, String> {
    match config.transport {
        OtlpTransport::Http => http(config).await,
        OtlpTransport::Grpc => grpc(config),
    }
}

/// How long one request may take: `timeout.per_attempt`, else the export timeout.
fn per_attempt(config: &OtlpConfig) -> Duration {
    config
        .timeout
        .per_attempt
        .unwrap_or_else(|| config.export_timeout())
}

/// The configured headers, values marked sensitive.
fn header_map(config: &OtlpConfig) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::with_capacity(config.headers.0.len());
    for (name, value) in config.headers.exposed() {
        let (header, value) = crate::protocol::header::parse(name, value, true)?;
        map.insert(header, value);
    }
    Ok(map)
}

async fn http(config: &OtlpConfig) -> Result<Exporters, String> {
    let client = http_client(config).await?;
    let spans = config
        .traces
        .then(|| over_http(SpanExporter::builder().with_http(), config, &client, "v1/traces").build());
    let metrics = config.metrics.then(|| {
        over_http(
            MetricExporter::builder().with_http(),
            config,
            &client,
            "v1/metrics",
        )
        .build()
    });
    let logs = config
        .logs
        .then(|| over_http(LogExporter::builder().with_http(), config, &client, "v1/logs").build());
    let health_path = config.health.path.as_deref().unwrap_or("v1/traces");
    let probe = Probe::Http {
        client,
        url: signal_url(config.url.expose(), health_path),
    };
    finish(spans, metrics, logs, probe)
}

/// An http/protobuf exporter's builder, whatever its signal, set up the same way: the
/// connection's one client, the signal's URL (`path`, e.g. `v1/traces`) and the export timeout.
fn over_http<B: WithExportConfig + WithHttpConfig>(
    builder: B,
    config: &OtlpConfig,
    client: &reqwest::blocking::Client,
    path: &str,
) -> B {
    builder
        .with_http_client(client.clone())
        .with_endpoint(signal_url(config.url.expose(), path).to_string())
        .with_timeout(config.export_timeout())
}

/// The blocking reqwest client the exporters run on their own threads (an async client there
/// panics with "no reactor running"). Built off the async threads: a blocking client may not be
/// built inside a runtime.
async fn http_client(config: &OtlpConfig) -> Result<reqwest::blocking::Client, String> {
    let headers = header_map(config)?;
    let material = tls::Material::load(&config.tls)?;
    let per_attempt = per_attempt(config);
    let connect = config.timeout.connect.unwrap_or(per_attempt);
    let build = move || {
        let builder = reqwest::blocking::Client::builder()
            .default_headers(headers)
            .timeout(per_attempt)
            .connect_timeout(connect);
        material
            .apply_blocking(builder)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {}", e.without_url()))
    };
    tokio::task::spawn_blocking(build)
        .await
        .map_err(|_| "building the HTTP client failed".to_owned())?
}

/// `http://h:4318/base` + `v1/traces` → `http://h:4318/base/v1/traces` (the base path kept, as
/// the OTLP spec asks for `OTEL_EXPORTER_OTLP_ENDPOINT`).
pub(super) fn signal_url(base: &url::Url, path: &str) -> url::Url {
    let mut url = base.clone();
    let joined = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    url.set_path(&joined);
    url
}

fn grpc(config: &OtlpConfig) -> Result<Exporters, String> {
    // The channel's worker is spawned on the current runtime; without one tonic would panic.
    if tokio::runtime::Handle::try_current().is_err() {
        return Err("`transport = \"grpc\"` must be connected inside a Tokio runtime".to_owned());
    }
    let endpoint = grpc_endpoint(config)?;
    let metadata = MetadataMap::from_headers(header_map(config)?);
    let channel: Channel = endpoint.connect_lazy();
    let timeout = config.export_timeout();
    let spans = config
        .traces
        .then(|| over_grpc(SpanExporter::builder().with_tonic(), &channel, &metadata, timeout).build());
    let metrics = config.metrics.then(|| {
        over_grpc(
            MetricExporter::builder().with_tonic(),
            &channel,
            &metadata,
            timeout,
        )
        .build()
    });
    let logs = config
        .logs
        .then(|| over_grpc(LogExporter::builder().with_tonic(), &channel, &metadata, timeout).build());
    let probe = Probe::Grpc {
        endpoint: Box::new(endpoint),
        metadata,
    };
    finish(spans, metrics, logs, probe)
}

/// A gRPC exporter's builder, whatever its signal, set up the same way: the connection's one
/// channel, its metadata and the export timeout.
fn over_grpc<B: WithExportConfig + WithTonicConfig>(
    builder: B,
    channel: &Channel,
    metadata: &MetadataMap,
    timeout: Duration,
) -> B {
    builder
        .with_channel(channel.clone())
        .with_metadata(metadata.clone())
        .with_timeout(timeout)
}

/// The gRPC endpoint: per-request and connect timeouts, TLS when the URL is `https`.
fn grpc_endpoint(config: &OtlpConfig) -> Result<Endpoint, String> {
    let endpoint = grpc_target(config).map_err(|problem| problem.message)?;
    if config.url.expose().scheme() != "https" {
        return Ok(endpoint);
    }
    tls::grpc_supports(config).map_err(|problem| problem.message)?;
    let material = tls::Material::load(&config.tls)?;
    let tls: ClientTlsConfig = material.grpc();
    endpoint.tls_config(tls).map_err(|e| {
        format!(
            "`tls`: cannot configure TLS for gRPC: {}",
            super::health::chain(&e)
        )
    })
}

/// The gRPC endpoint of `config`'s URL, with its timeouts; no I/O. The loader runs it (in the
/// protocol's declared check) and `connect` again.
///
/// # Errors
/// The problem at `url`, not quoting it.
pub(super) fn grpc_target(config: &OtlpConfig) -> Result<Endpoint, Problem> {
    let url = config.url.expose();
    let mut endpoint = Endpoint::from_shared(url.as_str().trim_end_matches('/').to_owned())
        .map_err(|_| Problem::at("url", "`url` is not a valid gRPC endpoint"))?
        .timeout(per_attempt(config));
    if let Some(connect) = config.timeout.connect {
        endpoint = endpoint.connect_timeout(connect);
    }
    Ok(endpoint)
}

fn finish(
    spans: Option<Result<SpanExporter, opentelemetry_otlp::ExporterBuildError>>,
    metrics: Option<Result<MetricExporter, opentelemetry_otlp::ExporterBuildError>>,
    logs: Option<Result<LogExporter, opentelemetry_otlp::ExporterBuildError>>,
    probe: Probe,
) -> Result<Exporters, String> {
    let failed = |e: opentelemetry_otlp::ExporterBuildError| format!("cannot build the OTLP exporter: {e}");
    Ok(Exporters {
        spans: spans.transpose().map_err(failed)?,
        metrics: metrics.transpose().map_err(failed)?,
        logs: logs.transpose().map_err(failed)?,
        probe,
    })
}
