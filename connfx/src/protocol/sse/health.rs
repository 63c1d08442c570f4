//! The health check: does the stream open? `GET` with `Accept: text/event-stream`, the answer's
//! status and content type read, the body left unread.

use std::time::{Duration, Instant};

use super::SseConnection;
use super::open;
use crate::protocol::http::{health::state_of, transport};
use crate::{Health, HealthState};

/// Checks `connection` once, within `health.timeout`: `Ready` for a 2xx `text/event-stream`
/// answer (`GET /events 200 OK text/event-stream`); a 2xx of another type or a 204 is
/// `Connected` (reachable, but no stream); other statuses as for HTTP connections (429 `Live`,
/// 503 and 4xx `Connected`, other 5xx `Error`); no answer is `Error`
/// (`GET /events: cannot connect: Connection refused (os error 111)`); `Unknown` once closed.
pub(super) async fn check(connection: &SseConnection) -> Health {
    if connection.is_closed() {
        return Health::new(HealthState::Unknown, Duration::ZERO, "closed");
    }
    let live = connection.live();
    let path = live.target.path().to_owned();
    let limit = live.config.health.timeout;
    let started = Instant::now();
    let mut request = live.client.get(live.target.clone()).timeout(limit);
    // A kept OAuth2 token goes along; a probe never asks the token endpoint for one.
    if let Some(token) = live.oauth2.as_ref().and_then(|tokens| tokens.kept()) {
        request = request.header(reqwest::header::AUTHORIZATION, token);
    }
    let sent = request.send().await;
    let latency = started.elapsed();
    let response = match sent {
        Ok(response) => response,
        Err(e) => {
            let cause = match e.is_timeout() {
                true => format!("timed out after {}", humantime::format_duration(limit)),
                false => transport::short(&e),
            };
            return Health::error(latency, format!("GET {path}: {cause}"));
        }
    };
    let status = response.status();
    let answered = format!("GET {path} {status}");
    if status == reqwest::StatusCode::NO_CONTENT {
        let message = format!("{answered}: the server asks clients not to reconnect");
        return Health::new(HealthState::Connected, latency, message);
    }
    if !status.is_success() {
        return Health::new(state_of(status), latency, answered);
    }
    match open::content_type(&response) {
        Some(kind) if kind.eq_ignore_ascii_case("text/event-stream") => {
            Health::ready(latency, format!("{answered} text/event-stream"))
        }
        found => {
            let found = found.unwrap_or("no content type");
            let message = format!("{answered} but `{found}`, not `text/event-stream`");
            Health::new(HealthState::Connected, latency, message)
        }
    }
}
