//! The three SDK providers of a connection, sharing one resource, and their bounded close.

use std::time::Duration;

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::{BatchLogProcessor, SdkLoggerProvider};
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{BatchSpanProcessor, Sampler, SdkTracerProvider};

use super::OtlpConfig;
use super::transport::Exporters;

/// The providers; a signal that is off has a provider with no exporter.
#[derive(Clone)]
pub(super) struct Providers {
    pub tracer: SdkTracerProvider,
    pub meter: SdkMeterProvider,
    pub logger: SdkLoggerProvider,
}

/// Builds the providers on the batch processors and periodic reader (each runs its exporter on
/// a thread of its own).
pub(super) fn build(config: &OtlpConfig, exporters: Exporters, resource: &Resource) -> Providers {
    let batch_size = config.batch_size as usize;
    // The queue holds a few batches, and never less than the SDK's default.
    let queue = batch_size.saturating_mul(4).max(2048);
    let mut tracer = SdkTracerProvider::builder()
        .with_resource(resource.clone())
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
            config.sample_ratio,
        ))));
    if let Some(exporter) = exporters.spans {
        let batch = opentelemetry_sdk::trace::BatchConfigBuilder::default()
            .with_max_export_batch_size(batch_size)
            .with_max_queue_size(queue)
            .with_scheduled_delay(config.batch_timeout)
            .build();
        tracer = tracer.with_span_processor(
            BatchSpanProcessor::builder(exporter)
                .with_batch_config(batch)
                .build(),
        );
    }
    let mut meter = SdkMeterProvider::builder().with_resource(resource.clone());
    if let Some(exporter) = exporters.metrics {
        meter = meter.with_reader(
            PeriodicReader::builder(exporter)
                .with_interval(config.export_interval)
                .build(),
        );
    }
    let mut logger = SdkLoggerProvider::builder().with_resource(resource.clone());
    if let Some(exporter) = exporters.logs {
        let batch = opentelemetry_sdk::logs::BatchConfigBuilder::default()
            .with_max_export_batch_size(batch_size)
            .with_max_queue_size(queue)
            .with_scheduled_delay(config.batch_timeout)
            .build();
        logger = logger.with_log_processor(
            BatchLogProcessor::builder(exporter)
                .with_batch_config(batch)
                .build(),
        );
    }
    Providers {
        tracer: tracer.build(),
        meter: meter.build(),
        logger: logger.build(),
    }
}

impl Providers {
    /// Flushes, then shuts down, the three providers at once, each on a blocking thread (their
    /// calls block until the export threads answer, and a gRPC export needs the runtime's
    /// threads free). Returns after `limit` at the latest; a provider still busy then finishes
    /// in the background. Failures are logged, not returned: close must not fail.
    pub(super) async fn close(&self, name: &str, limit: Duration) {
        let tracer = self.tracer.clone();
        let meter = self.meter.clone();
        let logger = self.logger.clone();
        let signals: [(&str, FlushFn); 3] = [
            (
                "traces",
                Box::new(move || tracer.force_flush().and(tracer.shutdown_with_timeout(limit))),
            ),
            (
                "metrics",
                Box::new(move || meter.force_flush().and(meter.shutdown_with_timeout(limit))),
            ),
            (
                "logs",
                Box::new(move || logger.force_flush().and(logger.shutdown_with_timeout(limit))),
            ),
        ];
        let signals = signals.map(|(signal, flush)| (signal, blocking(flush)));
        let (names, waits): (Vec<_>, Vec<_>) = signals.into_iter().unzip();
        let all = futures_util::future::join_all(waits);
        let Ok(results) = tokio::time::timeout(limit, all).await else {
            tracing::warn!(connection = name, limit = ?limit, "otlp close: flush did not finish in time");
            return;
        };
        for (signal, result) in names.into_iter().zip(results) {
            if let Err(reason) = result {
                tracing::debug!(connection = name, signal, %reason, "otlp close: flush failed");
            }
        }
    }
}

type Flush = opentelemetry_sdk::error::OTelSdkResult;

/// A provider's flush-and-shutdown, to run on a blocking thread.
type FlushFn = Box<dyn FnOnce() -> Flush + Send>;

/// Runs `f` on a blocking thread; a panic there is reported as a failure.
async fn blocking(f: FlushFn) -> Result<(), String> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the flush thread panicked".to_owned()),
    }
}
