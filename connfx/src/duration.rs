//! How durations are written in configs: humantime text (`250ms`, `30s`, `1m30s`), described in
//! the JSON Schema as a string with a pattern so editors and CI validators can check them.

/// Schema stand-in for a `std::time::Duration` field written in humantime form.
/// Use as `#[schemars(with = "connfx::HumanDuration")]` next to `#[serde(with = "humantime_serde")]`.
pub struct HumanDuration;

/// The pattern a humantime duration matches: one or more `<number><unit>` parts.
pub const DURATION_PATTERN: &str = r"^\s*([0-9]+(\.[0-9]+)?\s*(nsec|ns|usec|us|µs|msec|ms|seconds|second|sec|s|minutes|minute|min|m|hours|hour|hr|h|days|day|d|weeks|week|w|months|month|M|years|year|y)\s*)+$";

crate::config::inline_schema!(HumanDuration, "Duration", {
    "type": "string",
    "pattern": DURATION_PATTERN,
    "x-connfx-kind": "duration",
    "x-connfx-longest": humantime::format_duration(connfx_spec::MAX_DURATION).to_string(),
    "examples": ["250ms", "30s", "1m30s"],
});
