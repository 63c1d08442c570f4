//! The health check: `HEAD` the base URL (or `health.path`), `GET` if the server says 405.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use url::Url;

use super::{Live, transport};
use crate::{Health, HealthState};

/// Checks `connection` once, within `health.timeout`. The message says what was asked and
/// what came back: `HEAD /api 200 OK`, `GET /api/healthz 503 Service Unavailable`,
/// `HEAD /api: cannot connect: Connection refused (os error 111)`.
pub(super) async fn check(connection: &Live) -> Health {
    if connection.lifecycle().is_closed() {
        return Health::new(HealthState::Unknown, Duration::ZERO, "closed");
    }
    // Joined and checked at connect, as the loader checked it (`client::prepare`).
    let url = connection.health_url().clone();
    let started = Instant::now();
    let mut method = Method::HEAD;
    let mut answer = probe(connection, method.clone(), &url).await;
    if matches!(answer, Ok(StatusCode::METHOD_NOT_ALLOWED)) {
        method = Method::GET;
        answer = probe(connection, method.clone(), &url).await;
    }
    let latency = started.elapsed();
    match answer {
        Ok(status) => Health::new(
            state_of(status),
            latency,
            format!("{method} {} {status}", url.path()),
        ),
        Err(e) => Health::error(
            latency,
            format!("{method} {}: {}", url.path(), failure(connection, &e)),
        ),
    }
}

fn failure(connection: &Live, err: &reqwest::Error) -> String {
    match err.is_timeout() {
        true => format!(
            "timed out after {}",
            humantime::format_duration(connection.config().health.timeout)
        ),
        false => transport::short(err),
    }
}

/// One request; only the status matters, the body is not read.
async fn probe(connection: &Live, method: Method, url: &Url) -> Result<StatusCode, reqwest::Error> {
    let mut request = connection
        .client()
        .request(method, url.clone())
        .headers(connection.origin_credentials().clone());
    // A kept OAuth2 token goes along; a probe never asks the token endpoint for one.
    if let Some(token) = connection.oauth2().and_then(|tokens| tokens.kept()) {
        request = request.header(reqwest::header::AUTHORIZATION, token);
    }
    let response = connection
        .send_raw(request.timeout(connection.config().health.timeout))
        .await?;
    Ok(response.status())
}

/// 2xx ready, 429 live (pushing back), 503 and other 4xx connected (reachable, not serving
/// normally), other 5xx error. Anything else a server may end on (1xx, 3xx after redirects)
/// is reachable but not healthy: connected.
pub(crate) fn state_of(status: StatusCode) -> HealthState {
    match status.as_u16() {
        200..=299 => HealthState::Ready,
        429 => HealthState::Live,
        503 => HealthState::Connected,
        500..=599 => HealthState::Error,
        _ => HealthState::Connected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_states() {
        let state = |code| state_of(StatusCode::from_u16(code).expect("valid status"));
        assert_eq!(state(204), HealthState::Ready);
        assert_eq!(state(429), HealthState::Live);
        assert_eq!(state(503), HealthState::Connected);
        assert_eq!(state(401), HealthState::Connected);
        assert_eq!(state(502), HealthState::Error);
        assert_eq!(state(304), HealthState::Connected);
    }
}
