//! One server-sent event, its data as text or decoded from JSON.

use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::CallError;

/// One event of a stream: `data` as text, or decoded from JSON (`SseEvent<T>`, see
/// [`SseConnection::events_json`](super::SseConnection::events_json)).
///
/// ```
/// let event = connfx::SseEvent {
///     id: Some("7".into()), event: "price".into(), data: r#"{"cents": 120}"#.to_string(), retry: None,
/// };
/// let price: serde_json::Value = event.json().unwrap();
/// assert_eq!(price["cents"], 120);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent<D = String> {
    /// The stream's last event id as of this event (the spec's `lastEventId`): this event's
    /// `id:`, else the latest one before it; `None` when the server never sent one or reset it
    /// with an empty `id:`. This is what a reconnect sends as `Last-Event-ID`.
    pub id: Option<String>,
    /// The event type (`event:`), `message` when the server names none.
    pub event: String,
    /// The data: its `data:` lines joined by `\n`.
    pub data: D,
    /// The reconnection delay the server asked for in this event (`retry:`), if any.
    pub retry: Option<Duration>,
}

impl SseEvent {
    /// The data decoded as JSON.
    ///
    /// # Errors
    /// serde_json's error when the data is not `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.data)
    }

    /// The same event with its data decoded; a `Decode` error of `connection` if it does not fit.
    pub(super) fn decode<T: DeserializeOwned>(self, connection: &str) -> Result<SseEvent<T>, CallError> {
        let data = self.json().map_err(|e| CallError::Decode {
            connection: connection.to_owned(),
            message: format!("event {:?}: {e}", self.id.as_deref().unwrap_or("")),
        })?;
        Ok(SseEvent {
            id: self.id,
            event: self.event,
            data,
            retry: self.retry,
        })
    }
}
