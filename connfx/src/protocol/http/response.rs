//! [`HttpResponse`]: a successful answer, read with the connection's limits and error types.

use std::fmt;
use std::future::Future;
use std::io;
use std::time::Duration;

use futures_util::StreamExt as _;
use reqwest::ResponseBuilderExt as _;
use tokio::time::Instant;

use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use super::Live;
use super::streaming::BodyStream;
use super::transport::{self, Limits};
use crate::CallError;
use crate::resilience::stack::{Bound, Elapsed};

/// How much of an error response's body [`CallError::Status`] keeps.
const ERROR_BODY_LIMIT: usize = 4 * 1024;

/// The answer to an [`HttpRequest`](super::HttpRequest), status below 400 (higher statuses are
/// [`CallError::Status`]). Reading the body is still bound by the request's time limit.
///
/// ```no_run
/// # async fn run(api: connfx::HttpConnection) -> Result<(), connfx::CallError> {
/// let response = api.get("/items/1").send().await?;
/// assert_eq!(response.status(), 200);
/// let item: serde_json::Value = response.json().await?;
/// # Ok(()) }
/// ```
pub struct HttpResponse {
    connection: Live,
    inner: reqwest::Response,
    limits: Limits,
}

impl HttpResponse {
    pub(super) fn new(connection: Live, inner: reqwest::Response, limits: Limits) -> Self {
        HttpResponse {
            connection,
            inner,
            limits,
        }
    }

    /// The status code, e.g. `200`.
    ///
    /// ```no_run
    /// # async fn run(api: connfx::HttpConnection) -> Result<(), connfx::CallError> {
    /// let created = api.post("/items").send().await?.status() == 201;
    /// # Ok(()) }
    /// ```
    pub fn status(&self) -> u16 {
        self.inner.status().as_u16()
    }

    /// The response headers.
    ///
    /// ```no_run
    /// # async fn run(api: connfx::HttpConnection) -> Result<(), connfx::CallError> {
    /// let response = api.get("/items").send().await?;
    /// let etag = response.headers().get("etag").and_then(|v| v.to_str().ok());
    /// # Ok(()) }
    /// ```
    pub fn headers(&self) -> &HeaderMap {
        self.inner.headers()
    }

    /// Reads the body and decodes it as JSON.
    ///
    /// # Errors
    /// [`CallError::Transport`] when the body cannot be read or is not the JSON of a `T`;
    /// [`CallError::Timeout`] when the request's time limit passes while reading.
    ///
    /// ```no_run
    /// # async fn run(api: connfx::HttpConnection) -> Result<(), connfx::CallError> {
    /// let items: Vec<String> = api.get("/items").send().await?.json().await?;
    /// # Ok(()) }
    /// ```
    pub async fn json<T: DeserializeOwned>(self) -> Result<T, CallError> {
        let connection = self.connection.clone();
        let bytes = self.bytes().await?;
        serde_json::from_slice(&bytes).map_err(|e| CallError::Decode {
            connection: connection.name().to_owned(),
            message: format!("not the expected JSON: {e}"),
        })
    }

    /// Reads the body as text, decoded by the `Content-Type` charset (UTF-8 by default).
    ///
    /// # Errors
    /// As [`HttpResponse::bytes`].
    ///
    /// ```no_run
    /// # async fn run(api: connfx::HttpConnection) -> Result<(), connfx::CallError> {
    /// let page = api.get("/").send().await?.text().await?;
    /// # Ok(()) }
    /// ```
    pub async fn text(self) -> Result<String, CallError> {
        let HttpResponse {
            connection,
            inner,
            limits,
        } = self;
        read(&connection, limits, inner.text()).await
    }

    /// Reads the body as bytes.
    ///
    /// # Errors
    /// [`CallError::Transport`] when the body cannot be read; [`CallError::Timeout`] when the
    /// request's time limit passes while reading.
    ///
    /// ```no_run
    /// # async fn run(api: connfx::HttpConnection) -> Result<(), connfx::CallError> {
    /// let image = api.get("/logo.png").send().await?.bytes().await?;
    /// # Ok(()) }
    /// ```
    pub async fn bytes(self) -> Result<Vec<u8>, CallError> {
        let HttpResponse {
            connection,
            inner,
            limits,
        } = self;
        read(&connection, limits, inner.bytes()).await.map(Vec::from)
    }

    /// The body as it streams, for an answer that takes as long as the server keeps sending
    /// (an LLM API, a long export): each chunk must come within `idle` of the one before, and
    /// the call's total time no longer bounds the reading (it bounded getting this answer).
    /// Silence longer than `idle` ends the stream with [`CallError::Timeout`]; a body cut in the
    /// middle ends it with [`CallError::Transport`]. Read as chunks, [`lines`], or [`events`].
    ///
    /// ```no_run
    /// use futures_util::StreamExt;
    /// # async fn run(api: connfx::HttpConnection) -> Result<(), connfx::CallError> {
    /// let answer = api.post("/v1/export").send().await?;
    /// let mut chunks = answer.chunks(std::time::Duration::from_secs(30));
    /// while let Some(chunk) = chunks.next().await {
    ///     println!("{} bytes", chunk?.len());
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// [`lines`]: BodyStream::lines
    /// [`events`]: BodyStream::events
    pub fn chunks(self, idle: Duration) -> BodyStream {
        BodyStream::new(self.connection, self.inner, idle)
    }

    /// The reqwest response, to stream the body or read what this type does not show. Errors
    /// from it are reqwest's own; reading its body past the request's time limit is one
    /// (`is_timeout()`).
    ///
    /// ```no_run
    /// # async fn run(api: connfx::HttpConnection) -> Result<(), connfx::CallError> {
    /// let mut response = api.get("/events").send().await?.into_inner();
    /// while let Ok(Some(chunk)) = response.chunk().await {
    ///     println!("{} bytes", chunk.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn into_inner(self) -> reqwest::Response {
        match self.limits.until {
            Some(until) => bounded(self.inner, until),
            None => self.inner,
        }
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("connection", &self.connection.name())
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

/// Reads the body with `read`, ended when the try's limit passes, as the send was.
async fn read<T>(
    connection: &Live,
    limits: Limits,
    read: impl Future<Output = Result<T, reqwest::Error>>,
) -> Result<T, CallError> {
    match Bound::run_until(limits.until, read).await {
        Ok(read) => read.map_err(|e| read_error(connection, e, limits)),
        Err(Elapsed) => Err(CallError::Timeout {
            connection: connection.name().to_owned(),
            after: limits.request.unwrap_or_default(),
        }),
    }
}

/// `response` with every read of its body ended at `until`: a body still streaming then ends
/// with a timeout error. The rebuilt response allocates; only a caller who takes the reqwest
/// response pays for it.
fn bounded(response: reqwest::Response, until: Instant) -> reqwest::Response {
    let url = response.url().clone();
    let (mut parts, body) = http::Response::from(response).into_parts();
    let chunks = Box::pin(reqwest::Response::from(http::Response::new(body)).bytes_stream());
    let timed = futures_util::stream::unfold(Some(chunks), move |chunks| async move {
        let mut chunks = chunks?;
        match tokio::time::timeout_at(until, chunks.next()).await {
            Ok(Some(chunk)) => Some((chunk.map_err(BoxError::from), Some(chunks))),
            Ok(None) => None,
            Err(_) => {
                let late = io::Error::new(io::ErrorKind::TimedOut, "the request's time limit passed");
                Some((Err(late.into()), None))
            }
        }
    });
    // reqwest keeps a response's URL in an extension only its builder extension can make.
    if let Ok(marker) = http::Response::builder().url(url).body(()) {
        parts.extensions.extend(marker.into_parts().0.extensions);
    }
    reqwest::Response::from(http::Response::from_parts(
        parts,
        reqwest::Body::wrap_stream(timed),
    ))
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A failed body read: a timeout stays a timeout, anything else says it was the body.
fn read_error(connection: &Live, err: reqwest::Error, limits: Limits) -> CallError {
    match transport::call_error(connection.name(), err, limits) {
        CallError::Transport { connection, message } => CallError::Transport {
            connection,
            message: format!("cannot read the response body: {message}"),
        },
        other => other,
    }
}

/// The error for a response of status 400 or more, with the start of its body.
pub(super) async fn status_error(connection: &str, response: reqwest::Response) -> CallError {
    let code = response.status().as_u16();
    CallError::Status {
        connection: connection.to_owned(),
        code,
        body: body_start(response).await,
    }
}

/// The first [`ERROR_BODY_LIMIT`] bytes of the body, as text; what cannot be read is left out.
pub(super) async fn body_start(mut response: reqwest::Response) -> String {
    let mut body = Vec::new();
    while body.len() < ERROR_BODY_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    body.truncate(ERROR_BODY_LIMIT);
    utf8_lossy_prefix(body)
}

/// The bytes as text; a character cut off by the limit is dropped rather than replaced.
fn utf8_lossy_prefix(mut bytes: Vec<u8>) -> String {
    if let Err(e) = std::str::from_utf8(&bytes)
        && e.error_len().is_none()
    {
        bytes.truncate(e.valid_up_to());
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_character_is_dropped() {
        let mut bytes = "ab".as_bytes().to_vec();
        bytes.extend_from_slice(&"ü".as_bytes()[..1]);
        assert_eq!(utf8_lossy_prefix(bytes), "ab");
        assert_eq!(utf8_lossy_prefix(vec![b'a', 0xff, b'b']), "a\u{fffd}b");
    }
}
