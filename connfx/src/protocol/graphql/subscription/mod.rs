//! GraphQL subscriptions over a [`WebSocketConnection`] speaking `graphql-transport-ws` (the
//! protocol of the `graphql-ws` library, served by Apollo Server, GraphQL Yoga, Hasura,
//! async-graphql, Strawberry and others): typed streams of results that carry on by themselves
//! after the socket is reopened.
//!
//! ```no_run
//! use connfx::prelude::*;
//! use connfx::protocol::graphql::GraphqlSubscriptions;
//! use futures_util::StreamExt;
//!
//! #[derive(Connections)]
//! struct Conns {
//!     /// The API's subscription endpoint; the server wants its subprotocol named.
//!     #[connection(protocol = "websocket", url = "wss://api.example/graphql",
//!                  headers("Sec-WebSocket-Protocol" = "graphql-transport-ws"),
//!                  retry(max_attempts = 10, initial_interval = "200ms", max_interval = "30s"))]
//!     live: WebSocketConnection,
//! }
//!
//! #[derive(serde::Deserialize)]
//! struct PriceChanged {
//!     #[serde(rename = "priceChanged")]
//!     price_changed: Price,
//! }
//! #[derive(serde::Deserialize)]
//! struct Price {
//!     sku: String,
//!     cents: u64,
//! }
//!
//! # async fn run() -> Result<(), connfx::Error> {
//! let conns = Conns::connect().await?;
//! let subs = GraphqlSubscriptions::with_init_payload(
//!     conns.live().clone(),
//!     serde_json::json!({ "authToken": "t0ken" }),
//! );
//! let mut prices = subs
//!     .subscribe::<PriceChanged>(
//!         "subscription($sku: ID!) { priceChanged(sku: $sku) { sku cents } }",
//!         serde_json::json!({ "sku": "p1" }),
//!     )
//!     .await?;
//! while let Some(changed) = prices.next().await {
//!     let price = changed?.price_changed;
//!     println!("{} now {}", price.sku, price.cents);
//! }
//! # Ok(()) }
//! ```
//!
//! # Decisions
//!
//! - **On a [`WebSocketConnection`], not a transport of its own**: the socket, its settings
//!   (`headers`, TLS, timeouts, `ping_interval`, `max_message_size`), its reconnects on the
//!   `retry` backoff, its events, health, reload and close are the WebSocket connection's, so a
//!   `websocket` field of a derived struct is all the configuration there is. The handshake
//!   must name the subprotocol: `headers("Sec-WebSocket-Protocol" = "graphql-transport-ws")`
//!   ([`SUBPROTOCOL`]); a warning is logged when the connection's headers do not.
//! - **One client per WebSocket connection**: [`GraphqlSubscriptions`] starts a task that owns
//!   the connection's `recv` (calling `recv` elsewhere steals its messages). Any number of
//!   subscriptions share the socket; each gets a unique id (`1`, `2`, … per client) and the
//!   task hands each `next`, `error` and `complete` to the subscription it names. On a
//!   connection with `pool(...)`, subscriptions go on its first socket, the one that lives as
//!   long as the connection (graphql-transport-ws greets and subscribes per socket).
//! - **Every socket is greeted, and nothing else goes first**: on each socket the connection
//!   opens, `connection_init` (with the payload given, e.g. a token) goes out, and
//!   subscriptions go out only after `connection_ack`, since a server may refuse (close with
//!   4401) a `subscribe` before it. Protocol messages are written on that socket only, never
//!   kept for the next one as plain sends are (a crate-internal send of the WebSocket
//!   connection bound to one socket).
//! - **Resuming after a reconnect**: when the socket drops and the connection reopens it, the
//!   new socket is greeted and every live subscription is sent again with the same id, so its
//!   stream goes on yielding without the caller doing anything. **Results the server published
//!   while no socket was open are lost**: the protocol has no replay. Subscriptions that can
//!   miss nothing should carry a cursor (a sequence number in the results) and fetch the gap
//!   with a query. A subscription made while the socket is down is sent once it is back.
//! - **Failures are items, not the end**: `errors` in a `next` payload and an `error` message
//!   are [`CallError::Graphql`] (the server's messages, as for queries), and an `error` ends
//!   that subscription (the protocol says the operation is over). When the WebSocket connection
//!   gives up a round of handshakes, every live subscription yields its error and stays live; a
//!   new round starts after a pause of 1 s, doubling up to 30 s while rounds fail (with no live
//!   subscription, at the next one). A server that does not answer `connection_init` within
//!   the WebSocket connection's `timeout.connect` (10 s when unset: the greeting is the end of
//!   opening the connection) is reported once per socket as [`CallError::Timeout`]; the answer
//!   is still awaited.
//!   Only [`close`](crate::Connection::close) ends every stream, with [`CallError::Closed`].
//! - **Dropping a [`Subscription`] sends `complete`** (when a socket is acknowledged; a socket
//!   that dropped took the operation with it). The server's `complete` ends the stream.
//! - **Streams do not hold each other up**: each subscription keeps the results it has not
//!   yielded yet in its own buffer, so a slow consumer never stalls the others; it is
//!   unbounded, so a subscription that is not polled should be dropped.
//! - **`ping` is answered with `pong`**; this client sends no protocol pings of its own, since
//!   the WebSocket connection's `ping_interval` already finds a dead socket.
//!
//! [`CallError::Graphql`]: crate::CallError::Graphql
//! [`CallError::Timeout`]: crate::CallError::Timeout
//! [`CallError::Closed`]: crate::CallError::Closed

mod message;
mod pump;
mod stream;

pub use message::SUBPROTOCOL;
pub use stream::Subscription;

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::request::variables_object;
use crate::{CallError, WebSocketConnection};
use message::Request;
use pump::{Command, Pump};

/// A GraphQL subscription client on a [`WebSocketConnection`], speaking `graphql-transport-ws`;
/// see the [module docs](self) for how it behaves around reconnects.
///
/// Cheap to clone; clones share the socket and the ids. Must be made inside a Tokio runtime
/// (it starts a task), which runs until the client, its clones and its subscriptions are all
/// dropped, or the WebSocket connection is closed.
///
/// ```
/// use connfx::{Connection, WebSocketConfig, WebSocketConnection};
/// use connfx::protocol::graphql::GraphqlSubscriptions;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), connfx::ConnectError> {
/// let config: WebSocketConfig = serde_json::from_value(serde_json::json!({
///     "url": "ws://127.0.0.1:9/graphql",
///     "headers": { "Sec-WebSocket-Protocol": "graphql-transport-ws" },
/// }))
/// .expect("valid");
/// let ws = WebSocketConnection::connect("live", config).await?; // the server may be down
/// let subs = GraphqlSubscriptions::new(ws.clone());
/// assert_eq!(subs.connection().name(), "live");
/// ws.close().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct GraphqlSubscriptions {
    inner: Arc<Inner>,
}

struct Inner {
    ws: WebSocketConnection,
    commands: mpsc::UnboundedSender<Command>,
    /// The last id handed out.
    ids: AtomicU64,
}

impl GraphqlSubscriptions {
    /// A client on `ws` whose `connection_init` carries no payload.
    ///
    /// ```no_run
    /// # fn run(ws: connfx::WebSocketConnection) {
    /// let subs = connfx::protocol::graphql::GraphqlSubscriptions::new(ws);
    /// # }
    /// ```
    pub fn new(ws: WebSocketConnection) -> Self {
        Self::start(ws, None)
    }

    /// A client on `ws` whose `connection_init` carries `payload` (a JSON object, typically a
    /// token), sent again on every socket.
    ///
    /// ```no_run
    /// # fn run(ws: connfx::WebSocketConnection, token: String) {
    /// let subs = connfx::protocol::graphql::GraphqlSubscriptions::with_init_payload(
    ///     ws,
    ///     serde_json::json!({ "Authorization": format!("Bearer {token}") }),
    /// );
    /// # }
    /// ```
    pub fn with_init_payload(ws: WebSocketConnection, payload: Value) -> Self {
        Self::start(ws, Some(payload))
    }

    fn start(ws: WebSocketConnection, init: Option<Value>) -> Self {
        warn_without_subprotocol(&ws);
        let (commands, orders) = mpsc::unbounded_channel();
        tokio::spawn(Pump::new(ws.clone(), init, orders).run());
        GraphqlSubscriptions {
            inner: Arc::new(Inner {
                ws,
                commands,
                ids: AtomicU64::new(0),
            }),
        }
    }

    /// The WebSocket connection underneath: its events, health, reload and close.
    ///
    /// ```no_run
    /// # fn run(subs: connfx::protocol::graphql::GraphqlSubscriptions) {
    /// subs.connection().on_reconnect(|_, downtime| tracing::info!(?downtime, "subscriptions resume"));
    /// # }
    /// ```
    pub fn connection(&self) -> &WebSocketConnection {
        &self.inner.ws
    }

    /// Starts the subscription `query` with `variables` (anything that serializes to a JSON
    /// object, or `()` for none) and returns its results decoded as `T`. Resolves once the
    /// `subscribe` message is written, or, while no socket is acknowledged, once it is
    /// registered to go out on the next one.
    ///
    /// # Errors
    /// [`CallError::InvalidRequest`] when `variables` is not a JSON object;
    /// [`CallError::Closed`] after the WebSocket connection was closed.
    ///
    /// ```no_run
    /// use futures_util::StreamExt;
    ///
    /// # async fn run(subs: connfx::protocol::graphql::GraphqlSubscriptions) -> Result<(), connfx::CallError> {
    /// let mut messages = subs
    ///     .subscribe::<serde_json::Value>(
    ///         "subscription($room: ID!) { messageAdded(room: $room) { text } }",
    ///         serde_json::json!({ "room": "r1" }),
    ///     )
    ///     .await?;
    /// let first = messages.next().await;
    /// # Ok(()) }
    /// ```
    pub async fn subscribe<T: DeserializeOwned>(
        &self,
        query: impl Into<String>,
        variables: impl Serialize,
    ) -> Result<Subscription<T>, CallError> {
        self.subscribe_request(query.into(), None, variables).await
    }

    /// [`subscribe`](Self::subscribe), picking the operation `operation_name` of a text that
    /// holds several (sent as `operationName`).
    ///
    /// # Errors
    /// As [`subscribe`](Self::subscribe).
    ///
    /// ```no_run
    /// # async fn run(subs: connfx::protocol::graphql::GraphqlSubscriptions) -> Result<(), connfx::CallError> {
    /// let text = "subscription Added { added { id } } subscription Removed { removed { id } }";
    /// let removed = subs.subscribe_named::<serde_json::Value>(text, "Removed", ()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn subscribe_named<T: DeserializeOwned>(
        &self,
        query: impl Into<String>,
        operation_name: impl Into<String>,
        variables: impl Serialize,
    ) -> Result<Subscription<T>, CallError> {
        self.subscribe_request(query.into(), Some(operation_name.into()), variables)
            .await
    }

    async fn subscribe_request<T: DeserializeOwned>(
        &self,
        query: String,
        operation_name: Option<String>,
        variables: impl Serialize,
    ) -> Result<Subscription<T>, CallError> {
        let variables = variables_object(variables).map_err(|message| CallError::InvalidRequest {
            connection: self.name().to_owned(),
            message,
        })?;
        let request = Request {
            query,
            operation_name,
            variables,
        };
        let id = (self.inner.ids.fetch_add(1, Ordering::Relaxed) + 1).to_string();
        let (items, received) = mpsc::unbounded_channel();
        let (registered, done) = oneshot::channel();
        let subscribe = Command::Subscribe {
            id: id.clone(),
            request,
            items,
            registered,
        };
        self.inner.commands.send(subscribe).map_err(|_| self.closed())?;
        done.await.map_err(|_| self.closed())?;
        Ok(Subscription {
            id,
            connection: self.name().to_owned(),
            items: received,
            commands: self.inner.commands.clone(),
            data: PhantomData,
        })
    }

    fn name(&self) -> &str {
        self.inner.ws.name()
    }

    fn closed(&self) -> CallError {
        CallError::Closed {
            connection: self.name().to_owned(),
        }
    }
}

/// A server speaking the protocol refuses a handshake that does not name it.
fn warn_without_subprotocol(ws: &WebSocketConnection) {
    let config = ws.config();
    let named = config.headers.0.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("sec-websocket-protocol")
            && value.split(',').any(|p| p.trim() == SUBPROTOCOL)
    });
    if !named {
        tracing::warn!(
            connection = ws.name(),
            "the WebSocket connection's `headers` do not name `Sec-WebSocket-Protocol: {SUBPROTOCOL}`; a graphql-transport-ws server may refuse the handshake"
        );
    }
}

impl fmt::Debug for GraphqlSubscriptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphqlSubscriptions")
            .field("connection", &self.inner.ws)
            .finish_non_exhaustive()
    }
}
