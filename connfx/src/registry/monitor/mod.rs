//! [`HealthMonitor`]: the registry checked in the background, the last report kept, and an
//! event on every change of a connection's state.
//!
//! The decisions are in [`HealthMonitor`]'s docs, where users see them.

mod changes;
mod event;
mod task;

pub use event::HealthEvent;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::resilience::Emitter;
use crate::{HealthReport, Registry};
use task::{Shared, Task};

/// The shortest interval a monitor runs at; shorter ones (zero included) are raised to it.
pub const MIN_MONITOR_INTERVAL: Duration = Duration::from_millis(1);

/// Checks a [`Registry`] in the background, keeps the last [`HealthReport`] and emits a
/// [`HealthEvent`] on every change of a connection's state. Made by [`Registry::monitor`].
///
/// Clones are handles to the same monitor; its task ends when the last handle is dropped, on
/// [`stop`](HealthMonitor::stop), or when the registry closes.
///
/// ```
/// # async fn demo(registry: connfx::Registry) {
/// use std::time::Duration;
/// let monitor = registry.monitor(Duration::from_secs(10));
/// let mut changes = monitor.subscribe();
/// while let Ok(event) = changes.recv().await {
///     println!("{}: {} → {}", event.connection, event.from, event.to);
/// }
/// # }
/// ```
///
/// # Decisions
///
/// - **One task per monitor** runs [`Registry::health`] every interval, the first at once; a
///   check slower than the interval delays the next instead of overlapping it.
/// - **Events are changes**, not checks: one [`HealthEvent`] per connection whose state differs
///   from its previous check, the first check counting as a change from `Unknown`. The report is
///   published before its events, so a subscriber woken by an event finds the report behind it.
/// - **Three ways to follow it**: [`HealthMonitor::report`] (the last report, what the
///   readiness probe answers from), [`HealthMonitor::subscribe`] (a `tokio::sync::broadcast`
///   receiver; a slow one loses the oldest events, never slows the monitor) and
///   [`HealthMonitor::on_change`] (callbacks run on the monitor's task: keep them quick).
/// - **Subscribing is race-free for the first subscriber**: its receiver exists before the task
///   starts, so it sees the first check's events too. Later subscribers and callbacks see
///   changes from the moment they subscribe; `report()` has the state so far.
/// - **The task ends** on [`HealthMonitor::stop`], when the last handle is dropped, and when the
///   registry closes. Closing the registry first publishes a report with every connection
///   `Unknown` ("registry closed"), so readiness turns 503 while a service shuts down; a monitor
///   already stopped keeps its last report. A derived struct's `close()` closes the registry
///   that `registry()` returns, so it ends the monitors started from it.
/// - **Logs and metrics**: each change is logged (`info` when a connection is up or unknown,
///   `warn` otherwise) in one function that sees every event; metrics hook in there.
#[derive(Clone)]
pub struct HealthMonitor {
    inner: Arc<Handle>,
}

struct Handle {
    shared: Arc<Shared>,
    interval: Duration,
    /// Its receiver is the task's: `stop()` sends `true`, and dropping the last handle drops
    /// the sender, which ends the task too.
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    /// Made before the task started, for the first `subscribe()` (see the decisions above).
    first_subscriber: Mutex<Option<broadcast::Receiver<HealthEvent>>>,
}

impl Registry {
    /// Starts checking every connection every `interval` (the first check at once) in a
    /// background task; see [`HealthMonitor`]. An `interval` under [`MIN_MONITOR_INTERVAL`] is raised
    /// to it.
    ///
    /// The monitor holds a handle to the registry: its connections stay alive while it runs.
    ///
    /// # Panics
    /// Outside a Tokio runtime, like `tokio::spawn`.
    ///
    /// ```
    /// # async fn demo(registry: connfx::Registry) {
    /// let monitor = registry.monitor(std::time::Duration::from_secs(10));
    /// if let Some(report) = monitor.report() {
    ///     println!("ready: {}\n{report}", report.ready());
    /// }
    /// # }
    /// ```
    pub fn monitor(&self, interval: Duration) -> HealthMonitor {
        let interval = interval.max(MIN_MONITOR_INTERVAL);
        let shared = Arc::new(Shared {
            report: watch::Sender::new(None),
            events: Emitter::new(),
        });
        let first_subscriber = Mutex::new(Some(shared.events.subscribe()));
        let (stop, stopped) = watch::channel(false);
        let task = Task {
            registry: self.clone(),
            every: interval,
            shared: shared.clone(),
            stop: stopped,
        };
        let task = tokio::spawn(task.run());
        tracing::debug!(?interval, connections = ?self.names(), "health monitor started");
        HealthMonitor {
            inner: Arc::new(Handle {
                shared,
                interval,
                stop,
                task,
                first_subscriber,
            }),
        }
    }
}

impl HealthMonitor {
    /// The last report, or `None` before the first check has finished.
    pub fn report(&self) -> Option<HealthReport> {
        self.inner.shared.report.borrow().clone()
    }

    /// Every report as it is published: `changed().await` waits for the next one.
    ///
    /// ```
    /// # async fn demo(registry: connfx::Registry) {
    /// let monitor = registry.monitor(std::time::Duration::from_secs(10));
    /// let mut reports = monitor.reports();
    /// let first: Option<connfx::HealthReport> =
    ///     reports.wait_for(Option::is_some).await.ok().and_then(|r| r.clone());
    /// # }
    /// ```
    pub fn reports(&self) -> watch::Receiver<Option<HealthReport>> {
        self.inner.shared.report.subscribe()
    }

    /// A receiver of every change from now on (the first call's receiver also has the changes
    /// since the monitor started). A receiver that falls more than 256 events behind loses the
    /// oldest (`RecvError::Lagged`).
    pub fn subscribe(&self) -> broadcast::Receiver<HealthEvent> {
        let first = self
            .inner
            .first_subscriber
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        first.unwrap_or_else(|| self.inner.shared.events.subscribe())
    }

    /// Calls `callback` on every change from now on, on the monitor's task: keep it quick.
    pub fn on_change(&self, callback: impl Fn(&HealthEvent) + Send + Sync + 'static) {
        self.inner.shared.events.add(callback);
    }

    /// Ends the background task, for every handle: a check in progress is abandoned, the last
    /// report stays readable.
    pub fn stop(&self) {
        self.inner.stop.send_replace(true);
    }

    /// Whether the background task is still running (not stopped, registry not closed).
    pub fn is_running(&self) -> bool {
        !self.inner.task.is_finished()
    }

    /// The time between checks.
    pub fn interval(&self) -> Duration {
        self.inner.interval
    }
}

impl std::fmt::Debug for HealthMonitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthMonitor")
            .field("interval", &self.inner.interval)
            .field("running", &self.is_running())
            .finish_non_exhaustive()
    }
}
