//! What one run does: how long, how fast, and when the upstream is down.

use std::time::Duration;

/// The width of one row of the timeline.
pub const BUCKET: Duration = Duration::from_millis(100);

/// Most requests one run may send, whatever the flags: the run is bounded in count, not only in
/// time.
const MAX_REQUESTS: u64 = 200_000;

/// The shape of one run. The outage sits in the middle of the run.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Length of the offered load.
    pub duration: Duration,
    /// Offered requests per second.
    pub rate: u32,
    /// When the upstream starts failing, from the start of the run.
    pub outage_start: Duration,
    /// When it answers again.
    pub outage_end: Duration,
}

/// The phases figures are reported for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Before,
    During,
    After,
}

impl Phase {
    pub const ALL: [Phase; 3] = [Phase::Before, Phase::During, Phase::After];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Before => "before",
            Phase::During => "during",
            Phase::After => "after",
        }
    }
}

impl Plan {
    /// A run of `duration` at `rate` with an outage of `outage` in its middle.
    pub fn new(duration: Duration, outage: Duration, rate: u32) -> Result<Plan, String> {
        if rate == 0 || duration < Duration::from_secs(1) {
            return Err("`--rate` must be at least 1 and `--duration` at least 1s".into());
        }
        if outage >= duration {
            return Err(format!(
                "the outage ({outage:?}) must be shorter than the run ({duration:?})"
            ));
        }
        let plan = Plan {
            duration,
            rate,
            outage_start: (duration - outage) / 2,
            outage_end: (duration - outage) / 2 + outage,
        };
        if plan.requests() > MAX_REQUESTS {
            return Err(format!(
                "{} requests is more than the {MAX_REQUESTS} one run may send",
                plan.requests()
            ));
        }
        Ok(plan)
    }

    /// Requests offered in all.
    pub fn requests(&self) -> u64 {
        (self.duration.as_secs_f64() * f64::from(self.rate)) as u64
    }

    /// When request `n` (from 0) is due, from the start of the run.
    pub fn due(&self, n: u64) -> Duration {
        Duration::from_secs_f64(n as f64 / f64::from(self.rate))
    }

    /// Whether the upstream fails at `t`.
    pub fn is_down(&self, t: Duration) -> bool {
        (self.outage_start..self.outage_end).contains(&t)
    }

    /// The phase `t` falls in.
    pub fn phase(&self, t: Duration) -> Phase {
        if t < self.outage_start {
            Phase::Before
        } else if t < self.outage_end {
            Phase::During
        } else {
            Phase::After
        }
    }

    /// The timeline's row for `t` (times past the end share the last row).
    pub fn bucket(&self, t: Duration) -> usize {
        ((t.as_nanos() / BUCKET.as_nanos()) as usize).min(self.buckets() - 1)
    }

    /// Rows in the timeline: the run, and the time late answers may take after it.
    pub fn buckets(&self) -> usize {
        (self.duration.as_nanos() / BUCKET.as_nanos()) as usize + 1
    }
}
