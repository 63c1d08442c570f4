//! Changing a live connection's settings without a restart: how a change was applied.
//!
//! A reload keeps what a connection has learnt and never fails a call in flight: policies
//! change in place (a breaker keeps its state, a rate limit its tokens, a bulkhead its calls
//! in flight, a retry budget its balance), and a change that needs a new client builds it
//! beside the old one, which finishes the calls already started. See
//! [`HttpConnection::reload`](crate::HttpConnection::reload).

/// How a reload applied a connection's new settings.
///
/// ```
/// assert_ne!(connfx::Applied::Live, connfx::Applied::Reconnected);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Applied {
    /// Swapped in place: the client, its pool and its open connections are kept.
    Live,
    /// A new client (or pool) was built beside the old one; calls started before the reload
    /// finish on the old one, which is closed when they have.
    Reconnected,
}
