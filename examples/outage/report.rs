//! The figures of one run, from its timeline: per phase, per 100 ms row, and the recovery.

use std::fmt::Write as _;
use std::time::Duration;

use connfx::CircuitState;

use crate::plan::{BUCKET, Phase, Plan};
use crate::timeline::{Request, Timeline};

/// Client and upstream figures over a stretch of the run.
#[derive(Clone, Debug, Default)]
pub struct Stretch {
    /// Requests due in it.
    pub offered: u64,
    /// Requests the upstream received in it.
    pub upstream: u64,
    pub ok: u64,
    pub errors: u64,
    /// Latency of every request due in it, answered or failed.
    pub p50: Option<Duration>,
    pub p99: Option<Duration>,
}

impl Stretch {
    fn new(requests: &[Request], upstream: u64) -> Stretch {
        let mut latencies: Vec<Duration> = requests.iter().map(|r| r.latency).collect();
        latencies.sort_unstable();
        let ok = requests.iter().filter(|r| r.ok).count() as u64;
        Stretch {
            offered: requests.len() as u64,
            upstream,
            ok,
            errors: requests.len() as u64 - ok,
            p50: percentile(&latencies, 0.50),
            p99: percentile(&latencies, 0.99),
        }
    }

    /// Failed requests per offered one.
    pub fn error_rate(&self) -> f64 {
        ratio(self.errors, self.offered)
    }

    /// Upstream requests per offered one.
    pub fn amplification(&self) -> f64 {
        ratio(self.upstream, self.offered)
    }
}

/// One second of the run, for the upstream's load against the service's.
#[derive(Clone, Copy, Debug, Default)]
pub struct Second {
    pub start: Duration,
    /// Requests due in it.
    pub offered: u64,
    /// Requests the service received in it: the offered ones as they arrived, so a stall of the
    /// busy machine, which delays the service's requests and the upstream's alike, does not
    /// count as load on the upstream.
    pub service: u64,
    /// Requests the upstream received in it.
    pub upstream: u64,
}

impl Second {
    /// Upstream requests per request the service received.
    pub fn amplification(&self) -> f64 {
        ratio(self.upstream, self.service)
    }
}

/// One row of the timeline.
#[derive(Debug)]
pub struct Row {
    pub t: Duration,
    pub stretch: Stretch,
    /// The breaker's state at the end of the row (`None` without a breaker).
    pub breaker: Option<CircuitState>,
    /// Requests the service received in the row: the offered ones as they arrived.
    pub service: u64,
    /// Times the breaker turned half-open in the row: its probes, which the state at the end of
    /// the row hides when they fail at once.
    pub probes: usize,
}

/// Everything a run measured.
#[derive(Debug)]
pub struct Report {
    pub plan: Plan,
    /// Before, during and after the outage (in [`Phase::ALL`] order).
    pub phases: [Stretch; 3],
    pub rows: Vec<Row>,
    /// From the upstream's return to the first answered request after it.
    pub recovery: Option<Duration>,
    /// Requests due once the first success after the outage was answered.
    pub settled: Stretch,
    /// From the upstream's return to the breaker's closing.
    pub breaker_closed: Option<Duration>,
    /// Breaker openings during the run.
    pub openings: usize,
}

impl Report {
    pub fn new(timeline: &Timeline, has_breaker: bool) -> Report {
        let plan = *timeline.plan();
        let requests = timeline.requests();
        let received = timeline.received();
        let service = timeline.service();
        let transitions = timeline.transitions();
        let phases = Phase::ALL.map(|phase| {
            let due: Vec<Request> = requests
                .iter()
                .copied()
                .filter(|r| plan.phase(r.due) == phase)
                .collect();
            let upstream = (0..received.len())
                .filter(|&i| plan.phase(BUCKET * i as u32) == phase)
                .map(|i| u64::from(received[i]))
                .sum();
            Stretch::new(&due, upstream)
        });
        let mut by_row = vec![Vec::new(); plan.buckets()];
        for request in &requests {
            by_row[plan.bucket(request.due)].push(*request);
        }
        // The last row holds only what arrived after the offered load: it is not a row of the run.
        let rows = by_row[..plan.buckets() - 1]
            .iter()
            .enumerate()
            .map(|(i, due)| Row {
                t: BUCKET * i as u32,
                stretch: Stretch::new(due, u64::from(received[i])),
                service: u64::from(service[i]),
                breaker: has_breaker.then(|| state_at(&transitions, BUCKET * (i as u32 + 1))),
                probes: transitions
                    .iter()
                    .filter(|(t, s)| plan.bucket(*t) == i && *s == CircuitState::HalfOpen)
                    .count(),
            })
            .collect();
        let back = plan.outage_end;
        let recovery = requests
            .iter()
            .filter(|r| r.ok && r.done() >= back)
            .map(|r| r.done() - back)
            .min();
        let settled: Vec<Request> = match recovery {
            Some(r) => requests.iter().copied().filter(|q| q.due >= back + r).collect(),
            None => Vec::new(),
        };
        Report {
            plan,
            phases,
            rows,
            recovery,
            settled: Stretch::new(&settled, 0),
            breaker_closed: transitions
                .iter()
                .find(|(t, state)| *t >= back && *state == CircuitState::Closed)
                .map(|(t, _)| *t - back),
            openings: transitions
                .iter()
                .filter(|(_, s)| *s == CircuitState::Open)
                .count(),
        }
    }

    pub fn phase(&self, phase: Phase) -> &Stretch {
        &self.phases[phase as usize]
    }

    /// The one-second stretch of the run (ten rows, sliding one row at a time) where the
    /// upstream received the most per request the service received.
    pub fn busiest_second(&self) -> Option<Second> {
        let rows_per_second = (Duration::from_secs(1).as_nanos() / BUCKET.as_nanos()) as usize;
        self.rows
            .windows(rows_per_second)
            .map(|rows| Second {
                start: rows[0].t,
                offered: rows.iter().map(|r| r.stretch.offered).sum(),
                service: rows.iter().map(|r| r.service).sum(),
                upstream: rows.iter().map(|r| r.stretch.upstream).sum(),
            })
            .max_by(|a, b| a.amplification().total_cmp(&b.amplification()))
    }

    /// The per-100 ms timeline as CSV.
    pub fn csv(&self) -> String {
        let mut out = String::from(
            "t_ms,offered,service_received,upstream_received,client_ok,client_errors,p50_ms,p99_ms,breaker,probes,upstream_down\n",
        );
        for row in &self.rows {
            let s = &row.stretch;
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{}",
                row.t.as_millis(),
                s.offered,
                row.service,
                s.upstream,
                s.ok,
                s.errors,
                millis_or_empty(s.p50),
                millis_or_empty(s.p99),
                row.breaker.map_or("", CircuitState::as_str),
                row.probes,
                u8::from(self.plan.is_down(row.t)),
            );
        }
        out
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plan = &self.plan;
        writeln!(
            f,
            "offered {} req/s for {:?}; upstream down from {:?} to {:?}",
            plan.rate, plan.duration, plan.outage_start, plan.outage_end
        )?;
        writeln!(
            f,
            "{:<7} {:>8} {:>8} {:>9} {:>9} {:>10} {:>10} {:>13}",
            "phase", "offered", "ok", "errors", "err rate", "p50", "p99", "upstream/off"
        )?;
        for (phase, s) in Phase::ALL.iter().zip(&self.phases) {
            writeln!(
                f,
                "{:<7} {:>8} {:>8} {:>9} {:>8.1}% {:>10} {:>10} {:>12.3}x",
                phase.name(),
                s.offered,
                s.ok,
                s.errors,
                100.0 * s.error_rate(),
                millis(s.p50),
                millis(s.p99),
                s.amplification()
            )?;
        }
        if let Some(s) = self.busiest_second() {
            writeln!(
                f,
                "busiest second of the upstream: {:.3}x the service's ({} received, {} by the service, {} offered, from {:.1} s)",
                s.amplification(),
                s.upstream,
                s.service,
                s.offered,
                s.start.as_secs_f64()
            )?;
        }
        writeln!(
            f,
            "first success after the upstream returned: {}",
            millis(self.recovery)
        )?;
        writeln!(
            f,
            "breaker closed after the upstream returned: {}",
            millis(self.breaker_closed)
        )?;
        write!(f, "breaker openings: {}", self.openings)
    }
}

/// The breaker's state at `t`, from its transitions (closed before the first one).
fn state_at(transitions: &[(Duration, CircuitState)], t: Duration) -> CircuitState {
    transitions
        .iter()
        .take_while(|(at, _)| *at < t)
        .last()
        .map_or(CircuitState::Closed, |(_, state)| *state)
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.saturating_sub(1)).copied()
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn millis(d: Option<Duration>) -> String {
    d.map_or_else(|| "-".to_owned(), |d| format!("{:.1} ms", d.as_secs_f64() * 1e3))
}

fn millis_or_empty(d: Option<Duration>) -> String {
    d.map_or_else(String::new, |d| format!("{:.2}", d.as_secs_f64() * 1e3))
}
