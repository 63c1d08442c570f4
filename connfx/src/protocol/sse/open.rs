//! Opening the stream once: `GET` with `Last-Event-ID`, then the checks that the answer is an
//! event stream. Each failure is plain data the reconnect logic can classify and keep.

use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use tracing::Instrument;

use super::{SseConnection, SseRequest};
use crate::CallError;
use crate::protocol::http::transport;
use crate::resilience::retry::{Outcome, RetryAfter};

/// The response body of an open stream.
pub(super) type Body = BoxStream<'static, Result<bytes::Bytes, reqwest::Error>>;

/// How much of an error response's body is kept, and how long reading it may take.
const BODY_START: usize = 4096;
const BODY_WAIT: Duration = Duration::from_secs(1);

/// Why one open failed.
#[derive(Clone, Debug)]
pub(super) enum Failure {
    /// No answer: the request could not be sent or the connection broke.
    Transport { message: String, outcome: Outcome },
    /// No response headers within `timeout.per_attempt`.
    Timeout(Duration),
    /// An error status.
    Status {
        code: u16,
        body: String,
        retry_after: Option<RetryAfter>,
    },
    /// 204 No Content: the server asks not to reconnect.
    NoContent,
    /// A 2xx answer that is not `text/event-stream`.
    NotEventStream(String),
}

impl Failure {
    /// The failure as the retry rules see it.
    pub(super) fn outcome(&self) -> Outcome {
        match self {
            Failure::Transport { outcome, .. } => *outcome,
            Failure::Timeout(_) => Outcome::Timeout { sent: true },
            Failure::Status {
                code, retry_after, ..
            } => Outcome::Status {
                code: *code,
                retry_after: *retry_after,
            },
            Failure::NoContent | Failure::NotEventStream(_) => Outcome::Other,
        }
    }

    /// The failure as a stream's error.
    pub(super) fn to_call_error(&self, connection: &str) -> CallError {
        let connection = connection.to_owned();
        match self {
            Failure::Transport { message, .. } => CallError::Transport {
                connection,
                message: message.clone(),
            },
            Failure::Timeout(after) => CallError::Timeout {
                connection,
                after: *after,
            },
            Failure::Status { code, body, .. } => CallError::Status {
                connection,
                code: *code,
                body: body.clone(),
            },
            Failure::NoContent => CallError::Status {
                connection,
                code: 204,
                body: String::new(),
            },
            Failure::NotEventStream(found) => CallError::Decode {
                connection,
                message: format!("expected `text/event-stream`, the server answered `{found}`"),
            },
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Transport { message, .. } => f.write_str(message),
            Failure::Timeout(after) => {
                write!(f, "no response within {}", humantime::format_duration(*after))
            }
            Failure::Status { code, .. } => write!(f, "server answered {code}"),
            Failure::NoContent => f.write_str("server answered 204: do not reconnect"),
            Failure::NotEventStream(found) => write!(f, "not an event stream: `{found}`"),
        }
    }
}

/// One open of the stream (`GET`, or `request`'s method and body), resuming after
/// `last_event_id`. With `auth.oauth2`, the kept token goes along (a new one asked for first
/// when there is none fresh); a 401 to it gets one new token and one more send.
pub(super) async fn open(
    connection: &SseConnection,
    request: &SseRequest,
    last_event_id: Option<&str>,
) -> Result<Body, Failure> {
    // One generation for the whole open: a reload meanwhile applies from the next one.
    let live = connection.live();
    let Some(tokens) = &live.oauth2 else {
        return sent(connection, &live, request, last_event_id, None).await;
    };
    let live_now = &*live;
    let send = |token| async move { sent(connection, live_now, request, last_event_id, Some(&token)).await };
    tokens
        .with_token(&*live.client, connection.name(), send, || true)
        .await
}

/// An open refused with 401 had its token refused; a token that could not be had fails the
/// open as a transport failure would, for the reconnect rules to judge.
impl crate::protocol::http::oauth2::TokenFailure for Failure {
    fn refused(&self) -> bool {
        matches!(self, Failure::Status { code: 401, .. })
    }

    fn no_token(error: crate::protocol::http::oauth2::TokenError, _connection: &str) -> Self {
        Failure::Transport {
            message: error.message,
            outcome: error.outcome,
        }
    }
}

/// Sends the open's request once, with `token` as its `Authorization` when set.
async fn sent(
    connection: &SseConnection,
    live: &super::Inner,
    request: &SseRequest,
    last_event_id: Option<&str>,
    token: Option<&reqwest::header::HeaderValue>,
) -> Result<Body, Failure> {
    let target = &live.target;
    let span = tracing::info_span!(
        target: "connfx",
        "sse.open",
        otel.name = request.method.as_str(),
        otel.kind = "client",
        http.request.method = request.method.as_str(),
        server.address = target.host_str().unwrap_or_default(),
        server.port = target.port_or_known_default(),
        connfx.connection = connection.name(),
    );
    let mut trace_headers = reqwest::header::HeaderMap::new();
    crate::telemetry::trace_context::inject(&span, &mut trace_headers);
    let mut builder = live
        .client
        .request(request.method.clone(), target.clone())
        .headers(trace_headers);
    if let Some(token) = token {
        builder = builder.header(reqwest::header::AUTHORIZATION, token.clone());
    }
    if let (Some(body), Some(content_type)) = (&request.body, request.content_type) {
        builder = builder.header(CONTENT_TYPE, content_type).body(body.clone());
    }
    if let Some(id) = last_event_id {
        builder = builder.header("Last-Event-ID", id);
    }
    let sent = builder.send().instrument(span);
    let answer = match live.config.timeout.per_attempt {
        Some(limit) => tokio::time::timeout(limit, sent)
            .await
            .map_err(|_| Failure::Timeout(limit))?,
        None => sent.await,
    };
    let response = answer.map_err(transport_failure)?;
    check(response)
        .await
        .map(|response| response.bytes_stream().boxed())
}

/// A 2xx `text/event-stream` answer, or why not.
pub(super) async fn check(response: reqwest::Response) -> Result<reqwest::Response, Failure> {
    let status = response.status();
    if status == StatusCode::NO_CONTENT {
        return Err(Failure::NoContent);
    }
    if !status.is_success() {
        let retry_after = transport::retry_after(response.headers());
        return Err(Failure::Status {
            code: status.as_u16(),
            body: body_start(response).await,
            retry_after,
        });
    }
    match content_type(&response) {
        Some(kind) if kind.eq_ignore_ascii_case("text/event-stream") => Ok(response),
        found => Err(Failure::NotEventStream(
            found.unwrap_or("no content type").to_owned(),
        )),
    }
}

/// The media type of the response, without parameters.
pub(super) fn content_type(response: &reqwest::Response) -> Option<&str> {
    let value = response.headers().get(CONTENT_TYPE)?.to_str().ok()?;
    value.split(';').next().map(str::trim)
}

pub(super) fn transport_failure(err: reqwest::Error) -> Failure {
    Failure::Transport {
        outcome: transport::outcome(&err),
        message: transport::describe(err),
    }
}

/// The start of an error response's body, for the error (at most 4 KiB, read for at most 1 s).
async fn body_start(response: reqwest::Response) -> String {
    let mut body = response.bytes_stream();
    let mut start = Vec::new();
    while start.len() < BODY_START {
        match tokio::time::timeout(BODY_WAIT, body.next()).await {
            Ok(Some(Ok(chunk))) => start.extend_from_slice(&chunk),
            _ => break,
        }
    }
    start.truncate(BODY_START);
    String::from_utf8_lossy(&start).into_owned()
}
