//! What happens to the socket under a connection: opened, dropped, reopened, given up.

use std::time::Duration;

/// Something a [`WebSocketConnection`](super::WebSocketConnection)'s socket went through, for
/// callbacks ([`on_event`](super::WebSocketConnection::on_event),
/// [`on_reconnect`](super::WebSocketConnection::on_reconnect)) and subscribers
/// ([`subscribe`](super::WebSocketConnection::subscribe)). Messages never hold a secret.
///
/// ```
/// use std::time::Duration;
/// use connfx::WebSocketEvent;
/// let event = WebSocketEvent::Reconnected { attempts: 2, downtime: Duration::from_millis(350) };
/// assert!(event.is_reconnect());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebSocketEvent {
    /// The first socket is open (after `attempts` handshakes).
    Connected {
        /// Handshakes it took.
        attempts: u32,
    },
    /// The open socket was lost: the server closed it, the network failed, or pings went
    /// unanswered. A reconnect follows.
    Disconnected {
        /// Why: `server closed: 1001 (Going away)`, `no answer to ping within 30s`, …
        reason: String,
    },
    /// Handshake `attempt` of a (re)connect starts after `delay`.
    Reconnecting {
        /// The attempt about to be made (1 for the first of a round).
        attempt: u32,
        /// The wait before it, from the retry backoff.
        delay: Duration,
    },
    /// A socket is open again after a drop or a give-up.
    Reconnected {
        /// Handshakes it took.
        attempts: u32,
        /// How long no socket was open.
        downtime: Duration,
    },
    /// The handshakes of one round all failed (or one failed in a way a retry cannot fix);
    /// waiting calls fail, and the next call starts a new round.
    GaveUp {
        /// Handshakes made.
        attempts: u32,
        /// The last failure.
        error: String,
    },
    /// [`close`](crate::Connection::close) was called; the connection stays closed.
    Closed,
}

impl WebSocketEvent {
    /// Whether this is [`WebSocketEvent::Reconnected`].
    pub fn is_reconnect(&self) -> bool {
        matches!(self, WebSocketEvent::Reconnected { .. })
    }
}
