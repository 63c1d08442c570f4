//! What the connection's handles and its driver task share: the commands handles send, the
//! state the driver publishes, and the settings both read.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;

use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;

use super::handshake::{Failure, Handshake, Socket};
use super::token::OAuth2;
use super::{DEFAULT_WRITE_LIMIT, WebSocketConfig, WebSocketEvent};
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
    /// Write one frame on socket number `socket` only: refused, never kept for later, when
    /// that socket is no longer the open one (see `Driver::opened`). For protocols on top
    /// whose every socket starts with a greeting that must go first.
    SendOn {
        socket: u64,
        frame: Message,
        reply: oneshot::Sender<Result<(), CallError>>,
    },
    /// The connection gave up: start a new round of handshakes.
    Wake,
    /// Send a close frame and stop for good.
    Close { done: oneshot::Sender<()> },
    /// The settings changed where a socket depends on them (URL, headers, TLS, timeouts):
    /// close the open socket, if any, and open one with the new settings now.
    Reconnect,
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

/// What the handle and its driver share: the name, the event emitter, and the current settings,
/// which [`WebSocketConnection::reload`](super::WebSocketConnection::reload) swaps whole.
pub(super) struct Shared {
    pub(super) name: String,
    pub(super) events: Emitter<WebSocketEvent>,
    /// Read by the driver at each handshake and each socket it serves, by a send for its
    /// deadline and by the health check.
    pub(super) settings: ArcSwap<Settings>,
}

/// One generation of a connection's settings, and what was built from them.
pub(super) struct Settings {
    pub(super) config: Arc<WebSocketConfig>,
    pub(super) handshake: Handshake,
    /// The token of `auth.oauth2`, when set.
    pub(super) oauth2: Option<OAuth2>,
    pub(super) reconnect: Reconnect,
    /// `ping_interval`, `None` when zero (no pings).
    pub(super) ping_interval: Option<Duration>,
    /// How long one write may take (`timeout.per_attempt`, else a default).
    pub(super) write_limit: Duration,
}

impl Settings {
    /// The settings of `config`, or why its handshake cannot be made. `before`, the settings
    /// a reload replaces, hands over its OAuth2 token when `auth.oauth2` is unchanged.
    pub(super) fn new(config: WebSocketConfig, before: Option<&Settings>) -> Result<Self, String> {
        let kept = before.and_then(|before| before.oauth2.as_ref());
        Ok(Settings {
            handshake: Handshake::new(&config)?,
            oauth2: OAuth2::new(&config, kept)?,
            reconnect: Reconnect::new(config.retry.as_ref()),
            ping_interval: Some(config.ping_interval).filter(|every| !every.is_zero()),
            write_limit: config.timeout.per_attempt.unwrap_or(DEFAULT_WRITE_LIMIT),
            config: Arc::new(config),
        })
    }

    /// Opens a socket of the connection `connection` within `timeout.connect`, the OAuth2
    /// token's request (when one is needed) included.
    pub(super) async fn open(&self, connection: &str) -> Result<Socket, Failure> {
        let limit = self.handshake.limit;
        match &self.oauth2 {
            None => super::handshake::within(limit, self.handshake.open(None)).await,
            Some(oauth2) => super::handshake::within(limit, oauth2.open(&self.handshake, connection)).await,
        }
    }

    /// The OAuth2 token kept now, if any: what the health check sends (it never asks for one).
    pub(super) fn kept_token(&self) -> Option<reqwest::header::HeaderValue> {
        self.oauth2.as_ref().and_then(|oauth2| oauth2.tokens.kept())
    }
}

impl Shared {
    /// Emits `event` to callbacks and subscribers.
    pub(super) fn emit(&self, event: WebSocketEvent) {
        self.events.emit(event);
    }
}
