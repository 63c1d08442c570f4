//! W3C trace context (`traceparent`, `tracestate`) from a `tracing` span onto outgoing headers.

use http::HeaderMap;

/// Adds the `traceparent` (and `tracestate`) of `span`'s OpenTelemetry context to `headers`.
/// Does nothing when the span is disabled or has no valid OpenTelemetry context (no OTLP layer
/// installed), so requests carry no header a trace cannot back.
#[cfg(feature = "otlp")]
pub(crate) fn inject(span: &tracing::Span, headers: &mut HeaderMap) {
    use opentelemetry::propagation::TextMapPropagator;
    use opentelemetry::trace::TraceContextExt;
    use opentelemetry_sdk::propagation::TraceContextPropagator;
    use tracing_opentelemetry::OpenTelemetrySpanExt;

    if span.is_disabled() {
        return;
    }
    let context = span.context();
    if !context.span().span_context().is_valid() {
        return;
    }
    TraceContextPropagator::new().inject_context(&context, &mut Injector(headers));
}

/// Without OpenTelemetry there is no trace context to send.
#[cfg(not(feature = "otlp"))]
pub(crate) fn inject(_span: &tracing::Span, _headers: &mut HeaderMap) {}

#[cfg(feature = "otlp")]
struct Injector<'a>(&'a mut HeaderMap);

#[cfg(feature = "otlp")]
impl opentelemetry::propagation::Injector for Injector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}
