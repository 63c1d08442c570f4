//! Kubernetes probes over HTTP (feature `axum`): [`router`] serves `/health/live` and
//! `/health/ready` from a [`HealthMonitor`] or a [`Registry`].
//!
//! | path | answer |
//! |---|---|
//! | `/health/live` | always `200 {"status":"live"}`: the process is up and serving HTTP |
//! | `/health/ready` | `200` when every critical connection is `Ready` or `Live` ([`HealthReport::ready`]), else `503`; the body lists every connection |
//!
//! The readiness body:
//!
//! ```json
//! {"status": "ready",
//!  "connections": [{"name": "payments", "protocol": "http", "state": "ready",
//!                   "latency_ms": 1.2, "message": "HEAD / 200 OK", "critical": true}]}
//! ```
//!
//! `status` is `ready`, `not_ready`, `starting` (a monitor before its first check: 503) or
//! `stopped` (a monitor whose task has ended — stopped, or its registry closed: 503, so a
//! service shutting down leaves the load balancer). Health messages never hold a secret, so
//! neither does the body. Answers carry `Cache-Control: no-store`.
//!
//! ## Decisions
//!
//! - **From a monitor**, a probe reads the last report and never reaches a dependency: however
//!   often Kubernetes probes, the dependencies see one check per monitor interval. **From a
//!   registry**, each request checks every connection (bounded by each health timeout); simpler,
//!   for services probed rarely.
//! - **Liveness ignores connections**: a dependency that is down is no reason to restart the
//!   process, only to stop sending it traffic.
//!
//! ```
//! # async fn demo(registry: connfx::Registry) -> std::io::Result<()> {
//! let monitor = registry.monitor(std::time::Duration::from_secs(5));
//! let app = connfx::probe::router(&monitor); // merge into your own axum::Router if you like
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8081").await?;
//! axum::serve(listener, app).await
//! # }
//! ```

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde::Serialize;

use crate::{HealthEntry, HealthMonitor, HealthReport, Registry};

/// The liveness probe's path.
pub const LIVE_PATH: &str = "/health/live";
/// The readiness probe's path.
pub const READY_PATH: &str = "/health/ready";

/// The router of both probes, answering from `source`: a [`HealthMonitor`] (its last report)
/// or a [`Registry`] (a live check per request), by value or by reference.
///
/// ```
/// # fn demo(registry: &connfx::Registry) {
/// let probes: axum::Router = connfx::probe::router(registry);
/// # }
/// ```
pub fn router(source: impl Into<ProbeSource>) -> Router {
    Router::new()
        .route(LIVE_PATH, get(live))
        .route(READY_PATH, get(ready))
        .with_state(source.into())
}

/// Where the readiness probe gets its report.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ProbeSource {
    /// The monitor's last report; no check per request.
    Monitor(HealthMonitor),
    /// A check of every connection per request.
    Registry(Registry),
}

impl From<HealthMonitor> for ProbeSource {
    fn from(monitor: HealthMonitor) -> Self {
        ProbeSource::Monitor(monitor)
    }
}

impl From<&HealthMonitor> for ProbeSource {
    fn from(monitor: &HealthMonitor) -> Self {
        ProbeSource::Monitor(monitor.clone())
    }
}

impl From<Registry> for ProbeSource {
    fn from(registry: Registry) -> Self {
        ProbeSource::Registry(registry)
    }
}

impl From<&Registry> for ProbeSource {
    fn from(registry: &Registry) -> Self {
        ProbeSource::Registry(registry.clone())
    }
}

impl ProbeSource {
    /// What `/health/ready` answers now, for services that serve it their own way.
    ///
    /// ```
    /// # async fn demo(registry: connfx::Registry) {
    /// use connfx::probe::{ProbeSource, ReadinessStatus};
    /// let readiness = ProbeSource::from(&registry).readiness().await;
    /// assert_eq!(readiness.is_ready(), readiness.status == ReadinessStatus::Ready);
    /// # }
    /// ```
    pub async fn readiness(&self) -> Readiness {
        match self {
            ProbeSource::Registry(registry) => Readiness::of(registry.health().await),
            ProbeSource::Monitor(monitor) => {
                let report = monitor.report();
                match report {
                    _ if !monitor.is_running() => Readiness {
                        status: ReadinessStatus::Stopped,
                        connections: report.map(|r| r.entries).unwrap_or_default(),
                    },
                    None => Readiness {
                        status: ReadinessStatus::Starting,
                        connections: Vec::new(),
                    },
                    Some(report) => Readiness::of(report),
                }
            }
        }
    }
}

/// The readiness probe's answer: its body, and `200` or `503` by [`Readiness::is_ready`].
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Readiness {
    /// The verdict.
    pub status: ReadinessStatus,
    /// Every connection of the report, critical or not.
    pub connections: Vec<HealthEntry>,
}

/// The verdict of the readiness probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReadinessStatus {
    /// Every critical connection is `Ready` or `Live`.
    Ready,
    /// Some critical connection is not.
    NotReady,
    /// The monitor has not finished its first check.
    Starting,
    /// The monitor's task has ended (stopped, or its registry closed).
    Stopped,
}

impl Readiness {
    fn of(report: HealthReport) -> Readiness {
        let status = if report.ready() {
            ReadinessStatus::Ready
        } else {
            ReadinessStatus::NotReady
        };
        Readiness {
            status,
            connections: report.entries,
        }
    }

    /// Whether the service should get traffic (status `ready`).
    pub fn is_ready(&self) -> bool {
        self.status == ReadinessStatus::Ready
    }
}

impl IntoResponse for Readiness {
    fn into_response(self) -> Response {
        let code = if self.is_ready() {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        answer(code, Json(self))
    }
}

async fn live() -> Response {
    answer(StatusCode::OK, Json(serde_json::json!({ "status": "live" })))
}

async fn ready(State(source): State<ProbeSource>) -> Response {
    source.readiness().await.into_response()
}

/// A probe's answer: never cached, since it says how things are now.
fn answer(code: StatusCode, body: impl IntoResponse) -> Response {
    (code, [(header::CACHE_CONTROL, "no-store")], body).into_response()
}
