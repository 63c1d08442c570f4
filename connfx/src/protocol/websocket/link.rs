//! What the connection's handles and its driver task share: the commands handles send, the
//! state the driver publishes, and the settings both read.

use std::time::Duration;

use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;

use super::WebSocketEvent;
use super::handshake::{Failure, Handshake};
use crate::CallError;
use crate::protocol::reconnect::Reconnect;
use crate::resilience::Emitter;
use crate::resilience::retry::StopReason;

/// What a handle asks of the driver.
pub(super) enum Command {
    /// Write one frame; the answer says whether it was written (and flushed).
    Send {
        frame: Message,
        reply: oneshot::Sender<Result<(), CallError>>,
    },
    /// The connection gave up: start a new round of handshakes.
    Wake,
    /// Send a close frame and stop for good.
    Close { done: oneshot::Sender<()> },
}

/// Where the socket is, as the driver publishes it.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum LinkState {
    /// Handshakes under way (at boot, after a drop, after a wake).
    Connecting,
    /// A socket is open.
    Open,
    /// A round of handshakes failed; the next call starts another.
    Down {
        /// Handshakes made in the round.
        attempts: u32,
        /// The last failure.
        failure: Failure,
        /// Whether the round ran out of attempts (rather than meeting a failure not retried).
        exhausted: bool,
    },
    /// Closed for good.
    Closed,
}

impl LinkState {
    /// The error a waiting call fails with in this state, if any.
    pub(super) fn error(&self, connection: &str) -> Option<CallError> {
        match self {
            LinkState::Connecting | LinkState::Open => None,
            LinkState::Closed => Some(CallError::Closed {
                connection: connection.to_owned(),
            }),
            LinkState::Down {
                attempts: 1,
                failure,
                exhausted: false,
            } => Some(failure.to_call_error(connection)),
            LinkState::Down {
                attempts,
                failure,
                exhausted,
            } => {
                let reason = match exhausted {
                    true => StopReason::Exhausted,
                    false => StopReason::NotRetryable,
                };
                Some(CallError::RetriesExhausted {
                    connection: connection.to_owned(),
                    attempts: *attempts,
                    reason: reason.to_string(),
                    last: Box::new(failure.to_call_error(connection)),
                })
            }
        }
    }
}

/// Settings and event hub shared by the handles and the driver.
pub(super) struct Shared {
    pub(super) name: String,
    pub(super) handshake: Handshake,
    pub(super) reconnect: Reconnect,
    pub(super) events: Emitter<WebSocketEvent>,
    /// `None`: no pings.
    pub(super) ping_interval: Option<Duration>,
    /// The longest one frame may take to write.
    pub(super) write_limit: Duration,
}

impl Shared {
    /// Emits `event` to callbacks and subscribers.
    pub(super) fn emit(&self, event: WebSocketEvent) {
        self.events.emit(event);
    }
}
