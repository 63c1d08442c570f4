//! The `tracing` span of one measured call (HTTP, Redis, SQL): the fields every protocol's call
//! span has, written once.

/// Opens the span of one call that `Measure::end` (in `telemetry`) ends: target `connfx`, the given name and `otel.name`, `otel.kind` `client`, then the
/// protocol's own fields (each followed by a comma), with `otel.status_code` and `error.type`
/// (which `Measure::end` records on failure) empty until then, and `connfx.connection`.
///
/// A macro, not a function: `tracing` needs a span's field names where the span is written.
macro_rules! call_span {
    ($name:literal, otel.name = $otel_name:expr, connection = $connection:expr, $($field:tt)*) => {
        ::tracing::info_span!(
            target: "connfx",
            $name,
            otel.name = $otel_name,
            otel.kind = "client",
            otel.status_code = ::tracing::field::Empty,
            $($field)*
            error.type = ::tracing::field::Empty,
            connfx.connection = $connection,
        )
    };
}
pub(crate) use call_span;
