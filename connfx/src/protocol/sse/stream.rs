//! [`SseStream`]: the events of one subscription, reopened after every drop with
//! `Last-Event-ID`, so each event arrives once.

use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use futures_util::stream::{BoxStream, Stream, StreamExt};

use super::reader::Reader;
use super::{SseConnection, SseEvent, SseRequest};
use crate::CallError;

/// The events of one subscription ([`SseConnection::events`]): a [`Stream`] of
/// `Result<SseEvent, CallError>` that reopens the stream after every drop, resuming with
/// `Last-Event-ID`.
///
/// It ends (`None`) when the connection is closed or the server answers 204; it yields an
/// error and then ends when opening fails in a way `retry` does not cover, or `retry` gives up.
/// Start again from where it stopped with
/// [`SseConnection::events_from`]`(stream.last_event_id())`.
///
/// ```no_run
/// use futures_util::StreamExt;
/// # async fn run(prices: connfx::SseConnection) -> Result<(), connfx::CallError> {
/// let mut events = prices.events();
/// while let Some(event) = events.next().await {
///     let event = event?;
///     println!("{} {}: {}", event.id.as_deref().unwrap_or("-"), event.event, event.data);
/// }
/// println!("stopped after {:?}", events.last_event_id());
/// # Ok(()) }
/// ```
pub struct SseStream {
    events: BoxStream<'static, Result<SseEvent, CallError>>,
    progress: Arc<Progress>,
}

impl SseStream {
    pub(super) fn new(connection: SseConnection, last_event_id: Option<String>, request: SseRequest) -> Self {
        let progress = Arc::new(Progress {
            last_event_id: Mutex::new(last_event_id),
            reconnects: AtomicU32::new(0),
        });
        let reader = Reader::new(connection, progress.clone(), request);
        let events = futures_util::stream::unfold(reader, |mut reader| async move {
            reader.next().await.map(|item| (item, reader))
        });
        SseStream {
            events: events.boxed(),
            progress,
        }
    }

    /// The last event id seen (what a reconnect sends as `Last-Event-ID`).
    pub fn last_event_id(&self) -> Option<String> {
        self.progress.last_event_id()
    }

    /// How many times the stream was reopened after a drop.
    pub fn reconnects(&self) -> u32 {
        self.progress.reconnects.load(Ordering::Relaxed)
    }
}

impl Stream for SseStream {
    type Item = Result<SseEvent, CallError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.events.poll_next_unpin(cx)
    }
}

impl std::fmt::Debug for SseStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SseStream")
            .field("last_event_id", &self.last_event_id())
            .field("reconnects", &self.reconnects())
            .finish_non_exhaustive()
    }
}

/// What the stream's owner can read while the reader runs.
pub(super) struct Progress {
    last_event_id: Mutex<Option<String>>,
    pub(super) reconnects: AtomicU32,
}

impl Progress {
    pub(super) fn last_event_id(&self) -> Option<String> {
        self.last_event_id
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(super) fn set_last_event_id(&self, id: Option<String>) {
        *self.last_event_id.lock().unwrap_or_else(PoisonError::into_inner) = id;
    }
}
