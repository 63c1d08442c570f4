//! The messages an application sends and receives; control frames stay inside the connection.

use bytes::Bytes;
use tokio_tungstenite::tungstenite::Message;

/// A data message from the server: text or binary. Pings, pongs and close frames are handled by
/// the connection and never show up here.
///
/// ```
/// use connfx::WebSocketMessage;
/// let m = WebSocketMessage::Text("{\"n\": 1}".into());
/// assert_eq!(m.as_text(), Some("{\"n\": 1}"));
/// assert_eq!(m.as_bytes(), b"{\"n\": 1}");
/// let v: serde_json::Value = m.json().unwrap();
/// assert_eq!(v["n"], 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebSocketMessage {
    /// A text message (UTF-8, checked by the connection).
    Text(String),
    /// A binary message.
    Binary(Bytes),
}

impl WebSocketMessage {
    /// The text of a text message; `None` for a binary one.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            WebSocketMessage::Text(text) => Some(text),
            WebSocketMessage::Binary(_) => None,
        }
    }

    /// The payload, text or binary.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            WebSocketMessage::Text(text) => text.as_bytes(),
            WebSocketMessage::Binary(data) => data,
        }
    }

    /// The payload decoded as JSON (from a text or a binary message).
    ///
    /// # Errors
    /// serde_json's error when the payload is not `T`.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(self.as_bytes())
    }

    /// A data message read from the socket; `None` for control frames.
    pub(super) fn from_frame(message: Message) -> Option<Self> {
        match message {
            Message::Text(text) => Some(WebSocketMessage::Text(text.as_str().to_owned())),
            Message::Binary(data) => Some(WebSocketMessage::Binary(data)),
            _ => None,
        }
    }

    pub(super) fn into_frame(self) -> Message {
        match self {
            WebSocketMessage::Text(text) => Message::text(text),
            WebSocketMessage::Binary(data) => Message::Binary(data),
        }
    }
}

impl From<String> for WebSocketMessage {
    fn from(text: String) -> Self {
        WebSocketMessage::Text(text)
    }
}

impl From<&str> for WebSocketMessage {
    fn from(text: &str) -> Self {
        WebSocketMessage::Text(text.to_owned())
    }
}

impl From<Vec<u8>> for WebSocketMessage {
    fn from(data: Vec<u8>) -> Self {
        WebSocketMessage::Binary(data.into())
    }
}

impl From<Bytes> for WebSocketMessage {
    fn from(data: Bytes) -> Self {
        WebSocketMessage::Binary(data)
    }
}
