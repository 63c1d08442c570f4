//! [`HealthEvent`]: one connection's change of state, and [`record`], where every change is
//! logged (and where metrics hook in).

use serde::Serialize;

use crate::telemetry::{Telemetry, Transition};
use crate::{Health, HealthState};

/// A connection's health changed state between two checks of a [`HealthMonitor`].
///
/// The first check of each connection counts as a change from [`HealthState::Unknown`], so a
/// subscriber learns every connection's state without reading the report first.
///
/// ```
/// # async fn demo(registry: connfx::Registry) {
/// let monitor = registry.monitor(std::time::Duration::from_secs(10));
/// monitor.on_change(|event: &connfx::registry::HealthEvent| {
///     if event.critical && !event.to.is_up() {
///         eprintln!("{} went {} → {}: {}", event.connection, event.from, event.to, event.health.message);
///     }
/// });
/// # }
/// ```
///
/// [`HealthMonitor`]: super::HealthMonitor
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct HealthEvent {
    /// The connection's name.
    pub connection: String,
    /// Its protocol.
    pub protocol: &'static str,
    /// Its state at the previous check (`Unknown` before the first).
    pub from: HealthState,
    /// Its state now; equal to `health.state`.
    pub to: HealthState,
    /// The check that saw the new state: latency and message (never a secret).
    pub health: Health,
    /// Whether the connection is critical (`health(critical = …)`).
    pub critical: bool,
}

/// Every state change passes here once, before callbacks and subscribers see it: logged, and
/// counted in the connection's telemetry (`connfx.health.state`, `connfx.health.transitions`),
/// when it has one.
pub(crate) fn record(event: &HealthEvent, telemetry: Option<&Telemetry>) {
    if let Some(telemetry) = telemetry {
        telemetry.health_state(event.to);
        telemetry.transition(Transition::Health, event.from.as_str(), event.to.as_str());
    }
    // The same fields at two levels: `tracing`'s macros take the level as a constant.
    macro_rules! log_change {
        ($level:ident) => {
            tracing::$level!(
                connection = %event.connection,
                protocol = event.protocol,
                from = %event.from,
                to = %event.to,
                critical = event.critical,
                latency = ?event.health.latency,
                message = %event.health.message,
                "connection health changed"
            )
        };
    }
    // Worse news is a warning; recovering, and the `Unknown` of a closing registry, are not.
    if event.to.is_up() || event.to == HealthState::Unknown {
        log_change!(info);
    } else {
        log_change!(warn);
    }
}
