use std::collections::BTreeMap;
use std::time::Duration;

use crate::config::group::Problem;
use crate::{ConnUrl, HealthCheckConfig, SecretHeaders, TimeoutConfig, TlsConfig};

/// The export timeout when `timeout.total` is unset (the OTLP default).
pub(super) const DEFAULT_EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

connfx_spec::otlp_protocol!(crate::config::group::config_protocol);

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

/// The collector URL holds no credential, every header is sendable, and for `grpc` the URL is
/// an endpoint tonic reads and `tls` asks nothing tonic cannot do: the checks `connect` would
/// otherwise be first to make (the spec's bounds are checked with every protocol's).
pub(super) fn check_otlp(c: &OtlpConfig) -> Vec<Problem> {
    let mut problems = Vec::new();
    problems.extend(check_headers(&c.headers).err().map(|m| Problem::at("headers", m)));
    if c.url.expose().password().is_some() || !c.url.expose().username().is_empty() {
        problems.push(Problem::at(
            "url",
            "the collector URL must not hold credentials; put them in `headers`",
        ));
    }
    if c.transport == OtlpTransport::Grpc {
        problems.extend(super::transport::grpc_target(c).err());
        problems.extend(super::tls::grpc_supports(c).err());
    }
    problems
}

/// Header names and values must be sendable (the rule every protocol's headers follow); the
/// message names the header, never its value.
fn check_headers(headers: &SecretHeaders) -> Result<(), String> {
    for (name, value) in headers.exposed() {
        crate::protocol::header::parse(name, value, true)?;
    }
    Ok(())
}
