//! The targets a run must meet (`--check`), each with a bound tolerant of a busy 2-core
//! machine but tight enough that a broken budget or breaker misses it.

use std::time::Duration;

use crate::plan::Phase;
use crate::report::Report;

/// Upstream requests per offered request during the outage, with the retry budget.
const BUDGET_TARGET: f64 = 1.2;
/// Upstream requests per request the service received, in every one-second stretch of the run,
/// with the retry budget: it spreads its retries, so no second sees a burst of them. Against the
/// service's arrivals rather than the requests due, so that a stall of the busy machine, which
/// sends late requests together, does not count as the budget's burst.
const BUDGET_SECOND_TARGET: f64 = 1.2;
/// The same without budget and breaker: `max_attempts = 3` must show as at least 2×, or the
/// upstream count is not seeing the retries and the budget target would prove nothing.
const UNBOUNDED_FLOOR: f64 = 2.0;
/// Least time allowed for "one probe" after `reset_timeout`: the next request to arrive (3 ms
/// apart at 300 req/s) and its round trip through the service to the upstream (~6 ms), with room
/// to spare. On a machine so busy that healthy requests took longer before the outage, their p99
/// is allowed instead, up to half of `reset_timeout`: a breaker that missed its probe would be
/// late by a whole `reset_timeout`, so the bound still catches it.
const PROBE_FLOOR: Duration = Duration::from_millis(250);
/// Errors allowed while the upstream is healthy (before the outage, and after the recovery).
/// Healthy requests fail only when a busy machine stalls the run past `per_attempt`; a service
/// that could not reach its upstream at all, or a breaker stuck open, fails far more.
const HEALTHY_ERRORS: f64 = 0.10;
/// Errors needed during the outage for the run to count as having had one.
const OUTAGE_ERRORS: f64 = 0.5;

/// The policies of the run, as the targets depend on them.
#[derive(Clone, Copy, Debug)]
pub struct Policies {
    pub budget: bool,
    /// The breaker's `reset_timeout`, if it has one.
    pub reset_timeout: Option<Duration>,
}

/// Every target and whether it was met, as printable lines.
pub fn targets(report: &Report, policies: Policies) -> Vec<(bool, String)> {
    let before = report.phase(Phase::Before);
    let during = report.phase(Phase::During);
    let mut lines = vec![
        (
            before.error_rate() <= HEALTHY_ERRORS,
            format!(
                "errors before the outage {:.2}% <= {:.0}%",
                100.0 * before.error_rate(),
                100.0 * HEALTHY_ERRORS
            ),
        ),
        (
            during.error_rate() >= OUTAGE_ERRORS,
            format!(
                "errors during the outage {:.1}% >= {:.0}% (the outage happened)",
                100.0 * during.error_rate(),
                100.0 * OUTAGE_ERRORS
            ),
        ),
        (
            report.settled.error_rate() <= HEALTHY_ERRORS,
            format!(
                "errors after the first success {:.2}% <= {:.0}%",
                100.0 * report.settled.error_rate(),
                100.0 * HEALTHY_ERRORS
            ),
        ),
    ];
    let amplification = during.amplification();
    if policies.budget {
        lines.push((
            amplification <= BUDGET_TARGET,
            format!("upstream load during the outage {amplification:.3}x offered <= {BUDGET_TARGET}x (retry budget)"),
        ));
        let second = report.busiest_second().unwrap_or_default();
        let peak = second.amplification();
        lines.push((
            peak <= BUDGET_SECOND_TARGET,
            format!(
                "upstream load in every second {peak:.3}x the service's <= {BUDGET_SECOND_TARGET}x (retry budget; busiest from {:.1} s)",
                second.start.as_secs_f64()
            ),
        ));
    } else if policies.reset_timeout.is_none() {
        lines.push((
            amplification >= UNBOUNDED_FLOOR,
            format!("upstream load during the outage {amplification:.3}x offered >= {UNBOUNDED_FLOOR}x (no budget, no breaker)"),
        ));
    }
    let reset = policies.reset_timeout.unwrap_or_default();
    let probe = before
        .p99
        .unwrap_or_default()
        .clamp(PROBE_FLOOR, (reset / 2).max(PROBE_FLOOR));
    let limit = reset + probe;
    let recovered = report.recovery.is_some_and(|r| r <= limit);
    lines.push((
        recovered,
        format!(
            "first success {} after the upstream returned <= {} (reset_timeout {reset:?} + one probe {})",
            show(report.recovery),
            show(Some(limit)),
            show(Some(probe))
        ),
    ));
    if policies.reset_timeout.is_some() {
        lines.push((
            report.openings >= 1,
            format!("breaker opened {} time(s) >= 1", report.openings),
        ));
    }
    lines
}

fn show(d: Option<Duration>) -> String {
    d.map_or_else(
        || "never".to_owned(),
        |d| format!("{:.1} ms", d.as_secs_f64() * 1e3),
    )
}
