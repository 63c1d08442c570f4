//! The health check: an open socket is `Ready`; otherwise a trial handshake says whether the
//! server would take one.

use std::time::{Duration, Instant};

use super::WebSocketConnection;
use super::link::LinkState;
use crate::{Health, HealthState};

/// How long the trial socket's close may take; the answer is known already.
const CLOSE_LIMIT: Duration = Duration::from_millis(200);

/// Checks `connection` once, within `health.timeout`: `Ready` with `open` while a socket is
/// open; else a trial handshake (not handed to the connection): `Ready` with
/// `handshake ok (…)` when it succeeds, `Error` with its failure
/// (`cannot connect to 127.0.0.1:9001: Connection refused (os error 111)`,
/// `upgrade refused: 403 Forbidden`) otherwise; `Unknown` once closed.
pub(super) async fn check(connection: &WebSocketConnection) -> Health {
    let state = connection.link_state();
    match state {
        LinkState::Closed => return Health::new(HealthState::Unknown, Duration::ZERO, "closed"),
        LinkState::Open => return Health::ready(Duration::ZERO, "open"),
        LinkState::Connecting | LinkState::Down { .. } => {}
    }
    let started = Instant::now();
    // A little under `health.timeout`, so that the check's own words win the race against the
    // registry's timer.
    let settings = connection.handshake_settings();
    let limit = settings.config.health.timeout.mul_f64(0.9);
    // A kept OAuth2 token goes along; a probe never asks the token endpoint for one.
    let token = settings.kept_token();
    match settings.handshake.open_within(limit, token.as_ref()).await {
        Ok(mut socket) => {
            let latency = started.elapsed();
            let _ = tokio::time::timeout(CLOSE_LIMIT, socket.close(None)).await;
            let note = match state {
                LinkState::Down { .. } => "handshake ok (the connection reopens on its next call)",
                _ => "handshake ok (the connection is opening its socket)",
            };
            Health::ready(latency, note)
        }
        Err(failure) => Health::error(started.elapsed(), failure.to_string()),
    }
}
