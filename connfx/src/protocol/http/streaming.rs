//! A response body read as it streams (seed 004's `DoStream`, an LLM API's answer): raw chunks,
//! lines, or Server-Sent Events, each wait for the next piece bounded by an idle time instead of
//! the call's total time.
//!
//! The request itself went through the connection's policies like any other: the rate limit,
//! bulkhead, retries, breaker and timeouts bound getting the answer's status and headers. The
//! body then takes as long as the server keeps sending; what ends it early is silence longer
//! than the idle time ([`CallError::Timeout`]) or a connection cut in the middle
//! ([`CallError::Transport`]). Either is the stream's last item.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{BoxStream, Stream, StreamExt};

use super::transport::{self, Limits};
use crate::CallError;

/// The chunks of a response body as they arrive ([`HttpResponse::chunks`]): each within `idle`
/// of the one before, else the stream's last item is [`CallError::Timeout`].
///
/// [`HttpResponse::chunks`]: super::HttpResponse::chunks
pub struct BodyStream {
    connection: String,
    /// The connection's settings the call was made with: a reload waits for this body too
    /// before it closes the old client.
    _live: super::Live,
    chunks: BoxStream<'static, Result<Bytes, CallError>>,
}

impl BodyStream {
    pub(super) fn new(live: super::Live, response: reqwest::Response, idle: Duration) -> Self {
        let connection = live.name().to_owned();
        let body = response.bytes_stream().boxed();
        let name = connection.clone();
        let chunks = futures_util::stream::unfold(Some(body), move |body| {
            let connection = name.clone();
            async move {
                let mut body = body?;
                match tokio::time::timeout(idle, body.next()).await {
                    Ok(Some(Ok(chunk))) => Some((Ok(chunk), Some(body))),
                    Ok(None) => None,
                    Ok(Some(Err(error))) => Some((Err(cut(&connection, error)), None)),
                    Err(_) => Some((
                        Err(CallError::Timeout {
                            connection,
                            after: idle,
                        }),
                        None,
                    )),
                }
            }
        });
        BodyStream {
            connection,
            _live: live,
            chunks: chunks.boxed(),
        }
    }

    /// The body as lines of text, without their `\n` (or `\r\n`); the last line need not end
    /// with one. A line that is not UTF-8 is a [`CallError::Decode`] item.
    ///
    /// ```no_run
    /// use futures_util::StreamExt;
    /// # async fn run(api: connfx::HttpConnection) -> Result<(), connfx::CallError> {
    /// let answer = api.post("/v1/generate").json(&serde_json::json!({"prompt": "hi"})).send().await?;
    /// let mut lines = answer.chunks(std::time::Duration::from_secs(30)).lines();
    /// while let Some(line) = lines.next().await {
    ///     println!("{}", line?);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn lines(self) -> impl Stream<Item = Result<String, CallError>> + Send + Unpin + 'static {
        let state = Lines {
            chunks: self,
            pending: Vec::new(),
            done: false,
        };
        futures_util::stream::unfold(state, |mut state| async move {
            state.next_line().await.map(|line| (line, state))
        })
        .boxed()
    }

    /// The body as Server-Sent Events (an LLM API answering a `POST` with `text/event-stream`).
    /// Read once, never reopened: a subscription that reopens after a drop is an
    /// [`SseConnection`](crate::SseConnection).
    ///
    /// ```no_run
    /// use futures_util::StreamExt;
    /// # async fn run(api: connfx::HttpConnection) -> Result<(), connfx::CallError> {
    /// let answer = api.post("/v1/chat").json(&serde_json::json!({"stream": true})).send().await?;
    /// let mut events = answer.chunks(std::time::Duration::from_secs(30)).events();
    /// while let Some(event) = events.next().await {
    ///     print!("{}", event?.data);
    /// }
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "sse")]
    pub fn events(self) -> impl Stream<Item = Result<crate::SseEvent, CallError>> + Send + Unpin + 'static {
        use eventsource_stream::{EventStreamError, Eventsource as _};
        let connection = self.connection.clone();
        self.eventsource().map(move |item| match item {
            Ok(event) => Ok(crate::SseEvent {
                id: (!event.id.is_empty()).then_some(event.id),
                event: event.event,
                data: event.data,
                retry: event.retry,
            }),
            Err(EventStreamError::Transport(error)) => Err(error),
            Err(other) => Err(CallError::Decode {
                connection: connection.clone(),
                message: format!("not an event stream: {other}"),
            }),
        })
    }
}

impl Stream for BodyStream {
    type Item = Result<Bytes, CallError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // `BodyStream` is `Unpin` (its stream is boxed), so it may be reached through the pin.
        Pin::into_inner(self).chunks.as_mut().poll_next(cx)
    }
}

impl std::fmt::Debug for BodyStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BodyStream({})", self.connection)
    }
}

/// A body that broke in the middle.
fn cut(connection: &str, error: reqwest::Error) -> CallError {
    let limits = Limits {
        connect: None,
        request: None,
        until: None,
    };
    match transport::call_error(connection, error, limits) {
        CallError::Transport { connection, message } => CallError::Transport {
            connection,
            message: format!("the response body was cut: {message}"),
        },
        other => other,
    }
}

struct Lines {
    chunks: BodyStream,
    pending: Vec<u8>,
    done: bool,
}

impl Lines {
    async fn next_line(&mut self) -> Option<Result<String, CallError>> {
        loop {
            if let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
                let mut line: Vec<u8> = self.pending.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Some(self.text(line));
            }
            if self.done {
                return None;
            }
            match self.chunks.next().await {
                Some(Ok(chunk)) => self.pending.extend_from_slice(&chunk),
                Some(Err(error)) => {
                    // A cut body's half line is not a line: the error is the last item.
                    self.done = true;
                    self.pending.clear();
                    return Some(Err(error));
                }
                None => {
                    self.done = true;
                    if self.pending.is_empty() {
                        return None;
                    }
                    let last = std::mem::take(&mut self.pending);
                    return Some(self.text(last));
                }
            }
        }
    }

    fn text(&self, line: Vec<u8>) -> Result<String, CallError> {
        String::from_utf8(line).map_err(|_| CallError::Decode {
            connection: self.chunks.connection.clone(),
            message: "a line of the response body is not UTF-8".to_owned(),
        })
    }
}
