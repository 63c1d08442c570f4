//! The health check: `POST {"query":"{__typename}"}` to the endpoint.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE};

use super::GraphqlConnection;
use super::response::Answer;
use crate::protocol::http::health::state_of;
use crate::{Health, HealthState};

/// The smallest operation every GraphQL server answers.
const PROBE: &str = r#"{"query":"{__typename}"}"#;

/// How much of a health answer is read: `{__typename}` is answered in a few dozen bytes.
const BODY_LIMIT: usize = 64 * 1024;

/// How much of a server's error message a health message keeps.
const MESSAGE_LIMIT: usize = 200;

/// Checks `connection` once, within `health.timeout`, past the policies (as the HTTP check
/// does: a health check must not wait on the rate limit or be retried). The message says what
/// was asked and what came back: `POST /graphql 200 OK`, `POST /graphql 200 OK: not
/// authorized`, `POST /graphql 503 Service Unavailable`, `POST /graphql: cannot connect: …`.
pub(super) async fn check(connection: &GraphqlConnection) -> Health {
    if connection.is_closed() {
        return Health::new(HealthState::Unknown, Duration::ZERO, "closed");
    }
    let http = connection.http().live();
    let timeout = http.config().health.timeout;
    let asked = format!("POST {}", http.base().path());
    let started = Instant::now();
    let answer = probe(connection, timeout).await;
    let latency = started.elapsed();
    match answer {
        Ok((status, body)) => {
            let (state, detail) = judge(status, body.as_deref());
            Health::new(state, latency, format!("{asked} {status}{detail}"))
        }
        Err(e) => Health::error(latency, format!("{asked}: {}", failure(&e, timeout))),
    }
}

/// One `POST`; the body is read only for a 2xx answer.
async fn probe(
    connection: &GraphqlConnection,
    timeout: Duration,
) -> Result<(StatusCode, Option<Vec<u8>>), reqwest::Error> {
    let http = connection.http().live();
    let mut response = http
        .client()
        .post(http.base().clone())
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, "application/graphql-response+json, application/json")
        .body(PROBE)
        .timeout(timeout)
        .send()
        .await?;
    let status = response.status();
    if !status.is_success() {
        return Ok((status, None));
    }
    let mut body = Vec::new();
    while body.len() < BODY_LIMIT {
        match response.chunk().await? {
            Some(chunk) => body.extend_from_slice(&chunk),
            None => break,
        }
    }
    Ok((status, Some(body)))
}

/// The state and the message's tail for an answer. 2xx with `data` is ready; 2xx with `errors`
/// (or not GraphQL at all) is reachable but not serving: connected. Other statuses map as for
/// HTTP: 429 live, 503 and 4xx connected, other 5xx error.
fn judge(status: StatusCode, body: Option<&[u8]>) -> (HealthState, String) {
    let Some(body) = body else {
        return (state_of(status), String::new());
    };
    match serde_json::from_slice::<Answer>(body) {
        Ok(answer) => match answer.first_error() {
            Some(message) => (HealthState::Connected, format!(": {}", shorten(message))),
            None if answer.has_data() => (HealthState::Ready, String::new()),
            None => (HealthState::Connected, ": the answer has no `data`".to_owned()),
        },
        Err(_) => (HealthState::Connected, ": not a GraphQL answer".to_owned()),
    }
}

/// At most [`MESSAGE_LIMIT`] characters, `…` marking a cut.
fn shorten(message: &str) -> String {
    match message.char_indices().nth(MESSAGE_LIMIT) {
        Some((end, _)) => format!("{}…", &message[..end]),
        None => message.to_owned(),
    }
}

/// `timed out after 5s`, or the HTTP health check's short cause (never the URL).
fn failure(err: &reqwest::Error, timeout: Duration) -> String {
    if err.is_timeout() {
        return format!("timed out after {}", humantime::format_duration(timeout));
    }
    crate::protocol::http::transport::short(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(status: u16, body: Option<&str>) -> (HealthState, String) {
        judge(StatusCode::from_u16(status).unwrap(), body.map(str::as_bytes))
    }

    #[test]
    fn answers_map_to_states() {
        let ready = judged(200, Some(r#"{"data":{"__typename":"Query"}}"#));
        assert_eq!(ready, (HealthState::Ready, String::new()));
        let refused = judged(
            200,
            Some(r#"{"errors":[{"message":"not authorized"},{"message":"x"}]}"#),
        );
        assert_eq!(refused, (HealthState::Connected, ": not authorized".to_owned()));
        assert_eq!(judged(200, Some("<html>")).0, HealthState::Connected);
        assert_eq!(judged(200, Some(r#"{"data":null}"#)).0, HealthState::Connected);
        assert_eq!(judged(429, None).0, HealthState::Live);
        assert_eq!(judged(503, None).0, HealthState::Connected);
        assert_eq!(judged(401, None).0, HealthState::Connected);
        assert_eq!(judged(500, None).0, HealthState::Error);
    }

    #[test]
    fn long_messages_are_cut() {
        let long = "é".repeat(MESSAGE_LIMIT + 5);
        let short = shorten(&long);
        assert_eq!(short.chars().count(), MESSAGE_LIMIT + 1);
        assert!(short.ends_with('…'));
        assert_eq!(shorten("fine"), "fine");
    }
}
