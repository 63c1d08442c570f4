//! W3C trace context (`traceparent`, `tracestate`) from a `tracing` span onto outgoing headers.

use http::HeaderMap;

/// Adds the `traceparent` (and a non-empty `tracestate`) of `span`'s OpenTelemetry context to
/// `headers`. Does nothing when the span is disabled or has no valid OpenTelemetry context (no
/// OTLP layer installed), so requests carry no header a trace cannot back.
#[cfg(feature = "otlp")]
pub(crate) fn inject(span: &tracing::Span, headers: &mut HeaderMap) {
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;

    if span.is_disabled() {
        return;
    }
    let context = span.context();
    let span = context.span();
    let span_context = span.span_context();
    if !span_context.is_valid() {
        return;
    }
    if let Ok(parent) = http::HeaderValue::from_bytes(&traceparent(span_context)) {
        headers.insert(http::header::HeaderName::from_static("traceparent"), parent);
    }
    let state = span_context.trace_state().header();
    if !state.is_empty()
        && let Ok(state) = http::HeaderValue::try_from(state)
    {
        headers.insert(http::header::HeaderName::from_static("tracestate"), state);
    }
}

/// `00-<trace id>-<span id>-<flags>`, as `TraceContextPropagator` writes it (only the sampled
/// flag is sent). Written out here because the propagator formats through `format!` and hands
/// over a `String` whose header name is parsed again: on every call that cost ~10× as many
/// instructions as this (callgrind, BENCHMARKS.md).
#[cfg(feature = "otlp")]
fn traceparent(context: &opentelemetry::trace::SpanContext) -> [u8; 55] {
    use opentelemetry::trace::TraceFlags;

    fn hex(bytes: &[u8], out: &mut [u8]) {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        for (byte, pair) in bytes.iter().zip(out.chunks_exact_mut(2)) {
            pair[0] = DIGITS[usize::from(byte >> 4)];
            pair[1] = DIGITS[usize::from(byte & 0x0f)];
        }
    }
    let mut text = *b"00-00000000000000000000000000000000-0000000000000000-00";
    hex(&context.trace_id().to_bytes(), &mut text[3..35]);
    hex(&context.span_id().to_bytes(), &mut text[36..52]);
    hex(
        &[(context.trace_flags() & TraceFlags::SAMPLED).to_u8()],
        &mut text[53..55],
    );
    text
}

/// Without OpenTelemetry there is no trace context to send.
#[cfg(not(feature = "otlp"))]
pub(crate) fn inject(_span: &tracing::Span, _headers: &mut HeaderMap) {}

#[cfg(all(test, feature = "otlp"))]
mod tests {
    use std::collections::HashMap;

    use opentelemetry::propagation::TextMapPropagator;
    use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
    use opentelemetry_sdk::propagation::TraceContextPropagator;

    use super::traceparent;

    /// The same text as the SDK's own propagator, sampled or not.
    #[test]
    fn traceparent_matches_the_propagator() {
        for flags in [TraceFlags::SAMPLED, TraceFlags::default(), TraceFlags::new(0xff)] {
            let context = SpanContext::new(
                TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
                SpanId::from_hex("00f067aa0ba902b7").unwrap(),
                flags,
                false,
                TraceState::default(),
            );
            let mut expected = HashMap::new();
            TraceContextPropagator::new().inject_context(
                &opentelemetry::Context::new().with_remote_span_context(context.clone()),
                &mut expected,
            );
            assert_eq!(
                std::str::from_utf8(&traceparent(&context)).unwrap(),
                expected["traceparent"]
            );
        }
    }
}
