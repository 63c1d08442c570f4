/// The declaration of `otlp` (see [`crate::declare`]).
#[macro_export]
#[doc(hidden)]
macro_rules! otlp_protocol {
    ($then:path) => {
        $then! {
            /// Settings of an [`OtlpConnection`](super::OtlpConnection): one collector, one
            /// resource, three signals.
            ///
            /// ```
            /// let c: connfx::OtlpConfig = serde_json::from_value(serde_json::json!({
            ///     "url": "http://127.0.0.1:4318", "service_name": "checkout", "headers": { "x-api-key": "k" }
            /// })).unwrap();
            /// assert_eq!(c.transport, connfx::protocol::otlp::OtlpTransport::Http);
            /// assert_eq!(c.sample_ratio, 1.0);
            /// assert!(!format!("{c:?}").contains("\"k\""));
            /// ```
            protocol OTLP = "otlp" for OtlpConfig as OtlpConnection;
            schemes ["http", "https"];
            required [url];
            check [check_otlp];
            fields {
                /// Collector endpoint, `http://` (plain) or `https://` (TLS): usually port 4318
                /// for `http`, 4317 for `grpc`. For `http` the signal paths `/v1/traces`,
                /// `/v1/metrics` and `/v1/logs` are appended to its path. Credentials go in
                /// `headers`, not in the URL.
                url: ConnUrl => Url;
                /// `http` (OTLP http/protobuf) or `grpc` (OTLP over gRPC).
                #[serde(default)]
                transport: OtlpTransport => OneOf["http", "grpc"];
                /// `service.name` of the resource; unset: `OTEL_SERVICE_NAME`, else
                /// `unknown_service`.
                #[serde(default, skip_serializing_if = "Option::is_none")]
                service_name: Option<String> => Str;
                /// `service.version` of the resource.
                #[serde(default, skip_serializing_if = "Option::is_none")]
                service_version: Option<String> => Str;
                /// `deployment.environment.name` of the resource (`prod`, `staging` …).
                #[serde(default, skip_serializing_if = "Option::is_none")]
                environment: Option<String> => Str;
                /// How often metrics are collected and exported.
                #[serde(with = "humantime_serde", default = "default_export_interval")]
                #[schemars(with = "crate::HumanDuration")]
                export_interval: Duration => Duration;
                /// Most spans or log records sent in one export.
                #[serde(default = "default_batch_size")]
                batch_size: u32 => Integer[1, 1_000_000];
                /// Longest a span or log record waits in its batch before the batch is sent.
                #[serde(with = "humantime_serde", default = "default_batch_timeout")]
                #[schemars(with = "crate::HumanDuration")]
                batch_timeout: Duration => Duration;
                /// Share of new traces kept, 0 to 1; a trace whose parent was sampled follows
                /// its parent.
                #[serde(default = "default_sample_ratio")]
                sample_ratio: f64 => Number[0, 1];
                /// Whether spans are exported.
                #[serde(default = "yes")]
                traces: bool => Bool;
                /// Whether metrics are exported.
                #[serde(default = "yes")]
                metrics: bool => Bool;
                /// Whether log records are exported.
                #[serde(default = "yes")]
                logs: bool => Bool;
                /// `total` (or `timeout = "5s"`): the longest one export may take, the
                /// exporter's own retries included (default 10s); `per_attempt`: one request;
                /// `connect`: opening a connection.
                timeout: TimeoutConfig => group TIMEOUT;
                /// TLS trust roots and client certificate, used when the URL is `https`.
                tls: TlsConfig => group TLS;
                /// Headers sent with every export (API keys, tenant ids); every value is a
                /// secret.
                headers: SecretHeaders => map HEADERS;
                /// Extra resource attributes (`"team" = "payments"`); they override the ones
                /// above and `OTEL_RESOURCE_ATTRIBUTES`.
                resource: BTreeMap<String, String> => map RESOURCE;
                /// Health check: `timeout`, and for `http` the `path` probed instead of
                /// `/v1/traces`.
                health: HealthCheckConfig => group HEALTH;
            }
        }
    };
}

crate::otlp_protocol!(crate::spec_protocol);
