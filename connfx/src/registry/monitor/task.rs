//! The monitor's background task: a check of the whole registry every interval, each report
//! published and its changes emitted, until the monitor is stopped or dropped or the registry
//! closes.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use super::changes::Changes;
use super::event::{HealthEvent, record};
use crate::resilience::Emitter;
use crate::{Health, HealthReport, HealthState, Registry};

/// What the monitor's handles and its task share.
pub(super) struct Shared {
    /// The last report; `None` until the first check has finished.
    pub(super) report: watch::Sender<Option<HealthReport>>,
    pub(super) events: Emitter<HealthEvent>,
}

impl Shared {
    /// Publishes `report`, then records and emits each change, so a subscriber woken by an event
    /// already finds the report that caused it.
    fn publish(&self, registry: &Registry, report: HealthReport, changes: &mut Changes) {
        let events = changes.between(&report);
        self.report.send_replace(Some(report));
        for event in events {
            let entry = registry.entry(&event.connection);
            record(&event, entry.as_ref().and_then(|e| e.telemetry()));
            self.events.emit(event);
        }
    }
}

/// Why the task ended.
#[derive(Debug)]
enum End {
    /// `stop()` was called, or every handle was dropped.
    Stopped,
    /// The registry is closing.
    Closed,
}

/// Everything the task owns.
pub(super) struct Task {
    pub(super) registry: Registry,
    pub(super) every: Duration,
    pub(super) shared: Arc<Shared>,
    /// `true` after `stop()`; closed once the last handle is dropped.
    pub(super) stop: watch::Receiver<bool>,
}

impl Task {
    pub(super) async fn run(self) {
        let Task {
            registry,
            every,
            shared,
            mut stop,
        } = self;
        let mut closed = registry.closed_signal();
        let mut ticks = tokio::time::interval(every);
        // A check slower than the interval delays the next one rather than starting a burst.
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut changes = Changes::default();
        let end = loop {
            let round = async {
                ticks.tick().await;
                registry.health().await
            };
            // Biased: once stopped or closing, a finished round is not published.
            tokio::select! {
                biased;
                end = ended(&mut stop, &mut closed) => break end,
                report = round => shared.publish(&registry, report, &mut changes),
            }
        };
        if let End::Closed = end {
            // Readiness must not keep answering from the last check of connections now closed.
            let last = shared.report.borrow().clone();
            if let Some(last) = last {
                shared.publish(&registry, all_unknown(last), &mut changes);
            }
        }
        tracing::debug!(reason = ?end, "health monitor stopped");
    }
}

/// Waits until the monitor is stopped (or every handle dropped) or the registry closes.
async fn ended(stop: &mut watch::Receiver<bool>, closed: &mut watch::Receiver<bool>) -> End {
    // `wait_for` also returns (with an error) when the sender is gone: for `stop`, that is the
    // last handle dropped; the registry's sender lives as long as the registry this task holds.
    // Biased: a monitor stopped by hand keeps its last report, even when the registry closes
    // before the task has seen the stop (`monitor.stop(); conns.close().await`).
    tokio::select! {
        biased;
        _ = stop.wait_for(|stopped| *stopped) => End::Stopped,
        _ = closed.wait_for(|closed| *closed) => End::Closed,
    }
}

/// `last` with every connection `Unknown`, as a closed registry's connections are.
fn all_unknown(mut last: HealthReport) -> HealthReport {
    for entry in &mut last.entries {
        entry.health = Health::new(HealthState::Unknown, Duration::ZERO, "registry closed");
    }
    last
}
