use std::collections::BTreeMap;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

use crate::{ConnUrl, HealthCheckConfig, SecretHeaders, TimeoutConfig, TlsConfig};

/// The export timeout when `timeout.total` is unset (the OTLP default).
pub(super) const DEFAULT_EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// Settings of an [`OtlpConnection`](super::OtlpConnection): one collector, one resource, three
/// signals.
///
/// ```
/// let c: connfx::OtlpConfig = serde_json::from_value(serde_json::json!({
///     "url": "http://127.0.0.1:4318", "service_name": "checkout", "headers": { "x-api-key": "k" }
/// })).unwrap();
/// assert_eq!(c.transport, connfx::protocol::otlp::OtlpTransport::Http);
/// assert_eq!(c.sample_ratio, 1.0);
/// assert!(!format!("{c:?}").contains("\"k\""));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "check_otlp"))]
pub struct OtlpConfig {
    /// Collector endpoint, `http://` (plain) or `https://` (TLS): usually port 4318 for `http`,
    /// 4317 for `grpc`. For `http` the signal paths `/v1/traces`, `/v1/metrics` and `/v1/logs` are
    /// appended to its path. Credentials go in `headers`, not in the URL.
    pub url: ConnUrl,
    /// `http` (OTLP http/protobuf) or `grpc` (OTLP over gRPC).
    #[serde(default)]
    pub transport: OtlpTransport,
    /// `service.name` of the resource; unset: `OTEL_SERVICE_NAME`, else `unknown_service`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    /// `service.version` of the resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_version: Option<String>,
    /// `deployment.environment.name` of the resource (`prod`, `staging` …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Extra resource attributes (`"team" = "payments"`); they override the ones above and
    /// `OTEL_RESOURCE_ATTRIBUTES`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resource: BTreeMap<String, String>,
    /// Headers sent with every export (API keys, tenant ids); every value is a secret.
    #[serde(default, skip_serializing_if = "SecretHeaders::is_empty")]
    pub headers: SecretHeaders,
    /// TLS trust roots and client certificate, used when the URL is `https`.
    #[serde(default)]
    #[validate(nested)]
    pub tls: TlsConfig,
    /// `total` (or `timeout = "5s"`): the longest one export may take, the exporter's own retries
    /// included (default 10s); `per_attempt`: one request; `connect`: opening a connection.
    #[serde(default)]
    #[validate(nested)]
    pub timeout: TimeoutConfig,
    /// How often metrics are collected and exported.
    #[serde(with = "humantime_serde", default = "default_export_interval")]
    #[schemars(with = "crate::HumanDuration")]
    pub export_interval: Duration,
    /// Most spans or log records sent in one export.
    #[serde(default = "default_batch_size")]
    pub batch_size: u32,
    /// Longest a span or log record waits in its batch before the batch is sent.
    #[serde(with = "humantime_serde", default = "default_batch_timeout")]
    #[schemars(with = "crate::HumanDuration")]
    pub batch_timeout: Duration,
    /// Share of new traces kept, 0 to 1; a trace whose parent was sampled follows its parent.
    #[serde(default = "default_sample_ratio")]
    pub sample_ratio: f64,
    /// Whether spans are exported.
    #[serde(default = "yes")]
    pub traces: bool,
    /// Whether metrics are exported.
    #[serde(default = "yes")]
    pub metrics: bool,
    /// Whether log records are exported.
    #[serde(default = "yes")]
    pub logs: bool,
    /// Health check: `timeout`, and for `http` the `path` probed instead of `/v1/traces`.
    #[serde(default)]
    #[validate(nested)]
    pub health: HealthCheckConfig,
}

impl OtlpConfig {
    /// A config with every default, exporting to `url`.
    ///
    /// ```
    /// let c = connfx::OtlpConfig::new("http://127.0.0.1:4318".parse().unwrap());
    /// assert_eq!(c.batch_size, 512);
    /// ```
    pub fn new(url: ConnUrl) -> Self {
        OtlpConfig {
            url,
            transport: OtlpTransport::default(),
            service_name: None,
            service_version: None,
            environment: None,
            resource: BTreeMap::new(),
            headers: SecretHeaders::default(),
            tls: TlsConfig::default(),
            timeout: TimeoutConfig::default(),
            export_interval: default_export_interval(),
            batch_size: default_batch_size(),
            batch_timeout: default_batch_timeout(),
            sample_ratio: default_sample_ratio(),
            traces: true,
            metrics: true,
            logs: true,
            health: HealthCheckConfig::default(),
        }
    }

    /// The longest one export may take: `timeout.total`, else 10 s.
    pub fn export_timeout(&self) -> Duration {
        self.timeout.total.unwrap_or(DEFAULT_EXPORT_TIMEOUT)
    }
}

fn default_export_interval() -> Duration {
    Duration::from_secs(60)
}

fn default_batch_size() -> u32 {
    512
}

fn default_batch_timeout() -> Duration {
    Duration::from_secs(5)
}

fn default_sample_ratio() -> f64 {
    1.0
}

fn yes() -> bool {
    true
}

crate::config::group::choice! {
    /// `transport = "http" | "grpc"`: how exports reach the collector.
    ///
    /// ```
    /// let t: connfx::protocol::otlp::OtlpTransport = serde_json::from_str("\"grpc\"").unwrap();
    /// assert_eq!(t, connfx::protocol::otlp::OtlpTransport::Grpc);
    /// ```
    pub enum OtlpTransport {
        /// OTLP http/protobuf: `POST <url>/v1/traces` etc. with protobuf bodies.
        #[default]
        Http = "http",
        /// OTLP over gRPC (HTTP/2).
        Grpc = "grpc",
    }
}

fn check_otlp(c: &OtlpConfig) -> Result<(), ValidationError> {
    check_bounds(&[
        ("batch_size", f64::from(c.batch_size)),
        ("sample_ratio", c.sample_ratio),
    ])?;
    check_headers(&c.headers)?;
    if c.url.expose().password().is_some() || !c.url.expose().username().is_empty() {
        return Err(invalid(
            "url",
            "the collector URL must not hold credentials; put them in `headers`",
        ));
    }
    Ok(())
}

/// The spec's bounds of the top-level numbers, in the spec's wording.
fn check_bounds(numbers: &[(&str, f64)]) -> Result<(), ValidationError> {
    let Some(spec) = connfx_spec::protocol("otlp") else {
        return Ok(());
    };
    for (name, value) in numbers {
        if let Some(key) = spec.key(name) {
            connfx_spec::check::in_range(key, *value).map_err(|message| invalid("range", &message))?;
        }
    }
    Ok(())
}

/// Header names and values must be sendable; the message names the header, never its value.
fn check_headers(headers: &SecretHeaders) -> Result<(), ValidationError> {
    for (name, value) in headers.exposed() {
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(invalid(
                "headers",
                &format!("`headers`: `{name}` is not a valid header name"),
            ));
        }
        if http::HeaderValue::from_str(value).is_err() {
            let message =
                format!("`headers`: the value of `{name}` holds a character a header value may not");
            return Err(invalid("headers", &message));
        }
    }
    Ok(())
}

fn invalid(code: &'static str, message: &str) -> ValidationError {
    ValidationError::new(code).with_message(message.to_owned().into())
}
