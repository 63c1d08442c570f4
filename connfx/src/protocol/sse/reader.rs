//! The state machine behind [`SseStream`](super::SseStream): open, read, notice the drop,
//! wait, reopen with `Last-Event-ID`, give up by the rules of `retry`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use eventsource_stream::{Event, EventStream};
use futures_util::stream::StreamExt;
use tokio::time::Instant;

use super::open::{self, Body, Failure};
use super::stream::Progress;
use super::{SseConnection, SseEvent, SseRequest};
use crate::CallError;
use crate::resilience::retry::{Decision, StopReason};

/// What to do after trying to open.
enum Step {
    /// Read events from the body.
    Read,
    /// Try opening again.
    Again,
    /// Yield this error, then end.
    Fail(CallError),
    /// End without an error.
    End,
}

/// The state machine behind [`SseStream`](super::SseStream).
pub(super) struct Reader {
    connection: SseConnection,
    /// The method and body every open sends.
    request: SseRequest,
    progress: Arc<Progress>,
    body: Option<EventStream<Body>>,
    /// The current body has carried an `id:` (so an empty id is the server resetting it).
    body_had_id: bool,
    /// The server's latest `retry:`.
    server_retry: Option<Duration>,
    /// The server's `Retry-After` on the last refused open.
    server_asked: Option<Duration>,
    /// Opens that failed in a row.
    failures: u32,
    /// Waits before reopening since the stream was last open (the backoff's `n`).
    waits: u32,
    /// When the current round of opens started (for `timeout.total`).
    round_started: Option<Instant>,
    /// The next open is a reopen: wait first.
    reopening: bool,
    ever_open: bool,
    /// `next` was called before.
    polled: bool,
    done: bool,
}

impl Reader {
    pub(super) fn new(connection: SseConnection, progress: Arc<Progress>, request: SseRequest) -> Self {
        Reader {
            connection,
            request,
            progress,
            body: None,
            body_had_id: false,
            server_retry: None,
            server_asked: None,
            failures: 0,
            waits: 0,
            round_started: None,
            reopening: false,
            ever_open: false,
            polled: false,
            done: false,
        }
    }

    fn name(&self) -> &str {
        self.connection.name()
    }

    /// The next event, error, or the end.
    pub(super) async fn next(&mut self) -> Option<Result<SseEvent, CallError>> {
        if self.connection.is_closed() && !self.done {
            self.done = true;
            // A stream asked for after `close` says why it has nothing; one that was running
            // simply ends.
            return (!self.polled).then(|| Err(self.connection.closed_error()));
        }
        self.polled = true;
        loop {
            if self.done {
                return None;
            }
            if self.body.is_none() {
                match self.open().await {
                    Step::Read => {}
                    Step::Again => continue,
                    Step::End => {
                        self.done = true;
                        return None;
                    }
                    Step::Fail(error) => {
                        self.done = true;
                        return Some(Err(error));
                    }
                }
            }
            let Some(body) = self.body.as_mut() else {
                continue;
            };
            let mut closed = self.connection.closed_signal();
            let read = tokio::select! {
                read = body.next() => read,
                _ = closed.wait_for(|closed| *closed) => {
                    self.done = true;
                    return None;
                }
            };
            match read {
                Some(Ok(event)) => return Some(Ok(self.accept(event))),
                Some(Err(e)) => self.dropped(&format!("stream broke: {e}")),
                None => self.dropped("the server ended the stream"),
            }
        }
    }

    /// Keeps the event's id and `retry:`, and hands it out.
    fn accept(&mut self, event: Event) -> SseEvent {
        if !event.id.is_empty() {
            self.body_had_id = true;
            self.progress.set_last_event_id(Some(event.id));
        } else if self.body_had_id {
            // An empty `id:` after ids on this body: the server reset the last event id.
            self.progress.set_last_event_id(None);
        }
        if let Some(retry) = event.retry {
            self.server_retry = Some(retry);
        }
        SseEvent {
            id: self.progress.last_event_id(),
            event: event.event,
            data: event.data,
            retry: event.retry,
        }
    }

    fn dropped(&mut self, reason: &str) {
        tracing::debug!(connection = self.name(), reason, "sse stream lost");
        self.body = None;
    }

    /// Opens the stream, after the reconnect delay when this is a reopen.
    async fn open(&mut self) -> Step {
        if self.reopening {
            let delay = self.delay();
            if let Some(step) = self.past_deadline(delay) {
                return step;
            }
            tracing::debug!(
                connection = self.name(),
                attempt = self.failures + 1,
                ?delay,
                "sse reconnecting"
            );
            let mut closed = self.connection.closed_signal();
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = closed.wait_for(|closed| *closed) => return Step::End,
            }
        }
        self.reopening = true;
        let last = self.progress.last_event_id();
        let mut closed = self.connection.closed_signal();
        let opened = tokio::select! {
            opened = open::open(&self.connection, &self.request, last.as_deref()) => opened,
            _ = closed.wait_for(|closed| *closed) => return Step::End,
        };
        match opened {
            Ok(body) => {
                self.opened(body, last.as_deref());
                Step::Read
            }
            Err(Failure::NoContent) => {
                tracing::debug!(
                    connection = self.name(),
                    "sse server answered 204: not reconnecting"
                );
                Step::End
            }
            Err(failure) => self.failed(failure),
        }
    }

    fn opened(&mut self, body: Body, last: Option<&str>) {
        if self.ever_open {
            self.progress.reconnects.fetch_add(1, Ordering::Relaxed);
        }
        tracing::debug!(
            connection = self.name(),
            last_event_id = last,
            reopened = self.ever_open,
            "sse stream open"
        );
        self.ever_open = true;
        self.failures = 0;
        self.waits = 0;
        self.round_started = None;
        self.body = Some(EventStream::new(body));
        self.body_had_id = false;
    }

    fn failed(&mut self, failure: Failure) -> Step {
        self.failures += 1;
        self.round_started.get_or_insert_with(Instant::now);
        tracing::debug!(connection = self.name(), attempt = self.failures, %failure, "sse open failed");
        let live = self.connection.live();
        let policy = &live.reconnect;
        match policy.decide(&failure.outcome()) {
            Decision::Retry { after } if self.failures < policy.max_attempts() => {
                self.server_asked = after;
                Step::Again
            }
            Decision::Retry { .. } => Step::Fail(self.gave_up(&failure, StopReason::Exhausted)),
            Decision::Done if self.failures == 1 => Step::Fail(failure.to_call_error(self.name())),
            Decision::Done => Step::Fail(self.gave_up(&failure, StopReason::NotRetryable)),
        }
    }

    /// The wait before the next open: the server's `Retry-After` on a refused open, else the
    /// backoff from the server's `retry:` or from `initial_interval`.
    fn delay(&mut self) -> Duration {
        self.waits += 1;
        let live = self.connection.live();
        let policy = &live.reconnect;
        let n = self.waits;
        match (self.server_asked.take(), self.server_retry) {
            (Some(wait), _) => policy.delay(n, Some(wait)),
            (None, Some(retry)) => policy.delay_from(retry, n),
            (None, None) => policy.delay(n, None),
        }
    }

    /// `timeout.total` bounds a round of failed opens: give up rather than wait past it.
    fn past_deadline(&self, delay: Duration) -> Option<Step> {
        let total = self.connection.live().config.timeout.total?;
        let started = self.round_started?;
        let remaining = total.saturating_sub(started.elapsed());
        (delay >= remaining).then(|| {
            let reason = StopReason::Deadline {
                wait: delay,
                remaining,
                server_asked: false,
            };
            Step::Fail(CallError::RetriesExhausted {
                connection: self.name().to_owned(),
                attempts: self.failures,
                reason: reason.to_string(),
                last: Box::new(CallError::Timeout {
                    connection: self.name().to_owned(),
                    after: total,
                }),
            })
        })
    }

    fn gave_up(&self, failure: &Failure, reason: StopReason) -> CallError {
        tracing::debug!(connection = self.name(), attempts = self.failures, %failure, "sse gave up reconnecting");
        CallError::RetriesExhausted {
            connection: self.name().to_owned(),
            attempts: self.failures,
            reason: reason.to_string(),
            last: Box::new(failure.to_call_error(self.name())),
        }
    }
}
