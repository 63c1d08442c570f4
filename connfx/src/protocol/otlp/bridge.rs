//! The `tracing` bridge: spans become OTLP spans (tracing-opentelemetry), events become OTLP log
//! records (opentelemetry-appender-tracing), and `monotonic_counter.*` / `counter.*` /
//! `histogram.*` event fields become metric points (tracing-opentelemetry's metrics layer).

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge;
use tracing::Subscriber;
use tracing_opentelemetry::MetricsLayer;
use tracing_subscriber::Layer;
use tracing_subscriber::registry::LookupSpan;

use super::OtlpConnection;

/// Targets whose spans and events the bridge leaves out: the exporters' own HTTP and gRPC stacks
/// and the OpenTelemetry SDK. Exporting them would export the exports, without end.
const EXPORTER_TARGETS: &[&str] = &["opentelemetry", "hyper", "h2", "tonic", "tower", "reqwest"];

/// The instrumentation scope of spans made from `tracing` spans.
const SCOPE: &str = "tracing";

/// Whether `target` belongs to the exporter's own stack (`hyper`, `hyper_util::client`, …).
fn is_exporter_internal(target: &str) -> bool {
    EXPORTER_TARGETS.iter().any(|prefix| {
        target.strip_prefix(prefix).is_some_and(|rest| {
            rest.is_empty() || rest.starts_with("::") || rest.starts_with('_') || rest.starts_with('-')
        })
    })
}

impl OtlpConnection {
    /// A [`tracing_subscriber::Layer`] that sends `tracing` spans, events and metric fields out
    /// through this connection; add it to the application's subscriber. It is the application's
    /// to install: several connections may each have their own layer, with their own filters.
    ///
    /// ```no_run
    /// use tracing_subscriber::layer::SubscriberExt;
    /// use tracing_subscriber::util::SubscriberInitExt;
    /// # fn demo(otel: &connfx::OtlpConnection) {
    /// tracing_subscriber::registry().with(otel.tracing_layer()).init();
    /// tracing::info_span!("checkout").in_scope(|| {
    ///     tracing::info!(order = 42, "order placed");              // a log record
    ///     tracing::info!(monotonic_counter.orders_placed = 1_u64); // a metric point
    /// });
    /// # }
    /// ```
    ///
    /// Spans and events of the exporters' own stack (`hyper`, `h2`, `tonic`, `tower`, `reqwest`,
    /// `opentelemetry*`) are left out. Spans carry their fields, name and timing, not the
    /// thread, code location or target they came from, nor busy/idle times: each of those costs
    /// on every span, and a span's name and fields already say what it was.
    pub fn tracing_layer<S>(&self) -> impl Layer<S> + Send + Sync + 'static
    where
        S: Subscriber + for<'span> LookupSpan<'span> + Send + Sync,
    {
        let providers = &self.inner.providers;
        // No busy/idle timing per poll and no thread, code-location or target attributes: each
        // costs on every span (the timing on every poll of an instrumented future; each
        // attribute once when the span is made and again when it is exported) and tells little
        // about a call.
        let spans = tracing_opentelemetry::layer()
            .with_tracer(providers.tracer.tracer(SCOPE))
            .with_tracked_inactivity(false)
            .with_threads(false)
            .with_location(false)
            .with_target(false);
        let events = OpenTelemetryTracingBridge::new(&providers.logger);
        let metrics = MetricsLayer::new(providers.meter.clone());
        spans
            .and_then(events)
            .and_then(metrics)
            .with_filter(NotExporterInternal)
    }
}

/// Leaves out the exporters' own stack. Decided once per callsite (a target never changes), so
/// the many `trace!` callsites of `hyper` and `h2` cost nothing after their first use.
struct NotExporterInternal;

impl<S> tracing_subscriber::layer::Filter<S> for NotExporterInternal {
    fn enabled(&self, meta: &tracing::Metadata<'_>, _: &tracing_subscriber::layer::Context<'_, S>) -> bool {
        !is_exporter_internal(meta.target())
    }

    fn callsite_enabled(&self, meta: &'static tracing::Metadata<'static>) -> tracing::subscriber::Interest {
        match is_exporter_internal(meta.target()) {
            true => tracing::subscriber::Interest::never(),
            false => tracing::subscriber::Interest::always(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_exporter_internal;

    #[test]
    fn exporter_targets_are_recognised_by_prefix() {
        assert!(is_exporter_internal("hyper"));
        assert!(is_exporter_internal("hyper_util::client::legacy"));
        assert!(is_exporter_internal("h2::codec"));
        assert!(is_exporter_internal("opentelemetry_sdk"));
        assert!(is_exporter_internal("opentelemetry-otlp"));
        assert!(!is_exporter_internal("h2o_billing"));
        assert!(!is_exporter_internal("checkout::orders"));
        assert!(!is_exporter_internal("towering"));
    }
}
