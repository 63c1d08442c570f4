//! What the run records as it goes: the upstream's arrivals, every client request and every
//! breaker transition, each against one clock that starts with the offered load.

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use connfx::CircuitState;
use tokio::time::Instant;

use crate::plan::Plan;

/// One client request as the load generator saw it.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    /// When it was due (open loop: sent then, whatever the earlier ones were doing).
    pub due: Duration,
    /// From when it was due to its answer, so a late send counts against the service.
    pub latency: Duration,
    /// A 200 from the service.
    pub ok: bool,
}

impl Request {
    /// When its answer arrived.
    pub fn done(&self) -> Duration {
        self.due + self.latency
    }
}

/// Everything recorded during one run; shared by the upstream, the service's breaker observer
/// and the load generator.
pub struct Timeline {
    plan: Plan,
    start: OnceLock<Instant>,
    received: Vec<AtomicU32>,
    service: Vec<AtomicU32>,
    requests: Mutex<Vec<Request>>,
    transitions: Mutex<Vec<(Duration, CircuitState)>>,
}

impl Timeline {
    pub fn new(plan: Plan) -> Timeline {
        Timeline {
            plan,
            start: OnceLock::new(),
            received: (0..plan.buckets()).map(|_| AtomicU32::new(0)).collect(),
            service: (0..plan.buckets()).map(|_| AtomicU32::new(0)).collect(),
            requests: Mutex::new(Vec::with_capacity(plan.requests() as usize)),
            transitions: Mutex::new(Vec::new()),
        }
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Starts the clock (once; later calls keep the first start).
    pub fn start(&self) -> Instant {
        *self.start.get_or_init(Instant::now)
    }

    /// Time since the start, or `None` before it.
    pub fn now(&self) -> Option<Duration> {
        self.start.get().map(Instant::elapsed)
    }

    /// The upstream received a request at `t`.
    pub fn upstream_received(&self, t: Duration) {
        self.received[self.plan.bucket(t)].fetch_add(1, Relaxed);
    }

    /// Requests the upstream received in each row.
    pub fn received(&self) -> Vec<u32> {
        self.received.iter().map(|n| n.load(Relaxed)).collect()
    }

    /// The service received a request at `t`.
    pub fn service_received(&self, t: Duration) {
        self.service[self.plan.bucket(t)].fetch_add(1, Relaxed);
    }

    /// Requests the service received in each row.
    pub fn service(&self) -> Vec<u32> {
        self.service.iter().map(|n| n.load(Relaxed)).collect()
    }

    pub fn record(&self, request: Request) {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(request);
    }

    /// Every request, in no particular order.
    pub fn requests(&self) -> Vec<Request> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The breaker entered `state` now (transitions before the start count as at 0).
    pub fn breaker_entered(&self, state: CircuitState) {
        let t = self.now().unwrap_or_default();
        self.transitions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((t, state));
    }

    /// Every breaker transition, in order of time.
    pub fn transitions(&self) -> Vec<(Duration, CircuitState)> {
        let mut all = self
            .transitions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        // Two threads may push in the other order than they read the clock.
        all.sort_by_key(|(t, _)| *t);
        all
    }
}
