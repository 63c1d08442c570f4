//! [`SseRequest`]: how a subscription opens when `GET` is not it — a method and a body, as an
//! LLM API streams its answer to a `POST` as events.

use bytes::Bytes;
use reqwest::Method;
use serde::Serialize;

/// The method and body a subscription opens with ([`SseConnection::events_with`]); every
/// reopen after a drop sends them again, with `Last-Event-ID`.
///
/// ```
/// let request = connfx::SseRequest::post().json(&serde_json::json!({ "prompt": "hi", "stream": true })).unwrap();
/// ```
///
/// [`SseConnection::events_with`]: super::SseConnection::events_with
#[derive(Clone, Debug)]
pub struct SseRequest {
    pub(super) method: Method,
    pub(super) body: Option<Bytes>,
    pub(super) content_type: Option<&'static str>,
}

impl SseRequest {
    /// A request with `method` and no body.
    ///
    /// ```
    /// let request = connfx::SseRequest::new(reqwest::Method::PUT);
    /// ```
    pub fn new(method: Method) -> Self {
        SseRequest {
            method,
            body: None,
            content_type: None,
        }
    }

    /// A `POST` with no body yet.
    ///
    /// ```
    /// let request = connfx::SseRequest::post().body("text/plain", "hello");
    /// ```
    pub fn post() -> Self {
        SseRequest::new(Method::POST)
    }

    /// `value` as the JSON body (`Content-Type: application/json`).
    ///
    /// # Errors
    /// `value` does not serialize to JSON.
    ///
    /// ```
    /// let request = connfx::SseRequest::post().json(&vec![1, 2, 3]).unwrap();
    /// ```
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Result<Self, serde_json::Error> {
        let body = serde_json::to_vec(value)?;
        Ok(self.body("application/json", body))
    }

    /// `body` as the body, sent with `content_type`.
    ///
    /// ```
    /// let request = connfx::SseRequest::post().body("application/x-ndjson", "{}\n");
    /// ```
    pub fn body(mut self, content_type: &'static str, body: impl Into<Bytes>) -> Self {
        self.body = Some(body.into());
        self.content_type = Some(content_type);
        self
    }
}

impl Default for SseRequest {
    /// `GET` with no body: what [`SseConnection::events`](super::SseConnection::events) sends.
    fn default() -> Self {
        SseRequest::new(Method::GET)
    }
}
