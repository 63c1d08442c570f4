//! WebSocket connections on tokio-tungstenite: one socket kept open in the background, reopened
//! with the retry policy's backoff when it drops, with pings, typed messages and JSON helpers.
//!
//! ```no_run
//! use connfx::{Connection, WebSocketConfig, WebSocketConnection, WebSocketMessage};
//!
//! # async fn run() -> Result<(), connfx::Error> {
//! let config: WebSocketConfig = serde_json::from_value(serde_json::json!({
//!     "url": "wss://stream.example/v1/feed",
//!     "auth": { "bearer": "t0ken" },
//!     "ping_interval": "15s",
//!     "retry": { "max_attempts": 10, "initial_interval": "200ms", "max_interval": "30s" },
//! }))
//! .expect("a valid config");
//! let feed = WebSocketConnection::connect("feed", config).await?; // no I/O here
//! feed.on_reconnect(|attempts, downtime| {
//!     tracing::info!(attempts, ?downtime, "feed is back; resubscribing");
//! });
//! feed.send_json(&serde_json::json!({ "subscribe": "prices" })).await?;
//! loop {
//!     match feed.recv().await? {
//!         WebSocketMessage::Text(text) => println!("{text}"),
//!         WebSocketMessage::Binary(data) => println!("{} bytes", data.len()),
//!     }
//! }
//! # }
//! ```
//!
//! # How the settings map onto the socket
//!
//! | setting | effect |
//! |---|---|
//! | `url` | `ws://` or `wss://` (TLS with rustls on aws-lc-rs, Mozilla roots from `webpki-roots`); user-info is refused: credentials go in `auth` (or `headers`) |
//! | `auth` | sent with every opening handshake: `Authorization: Bearer …`, basic, an API key header, or an OAuth2 client-credentials token (`auth.oauth2`, see below); wins over a header of the same name in `headers`; never shown |
//! | `headers` | sent with every opening handshake; credential-like values are never shown |
//! | `timeout.connect` | one handshake: the OAuth2 token request when one is needed, TCP, TLS and upgrade (10s when unset) |
//! | `timeout.per_attempt` | writing one frame (30s when unset); a slower write drops and reopens the socket |
//! | `timeout.total` | one `send_*` call, waiting for a reconnect included (unset: until the reconnect gives up) |
//! | `ping_interval` | a ping this often (30s; `0s`: none); nothing back for a whole interval drops and reopens the socket |
//! | `max_message_size` | largest message taken from the server (64 MiB when unset); a larger one drops the socket |
//! | `retry` | reconnects: backoff between handshakes, `max_attempts` handshakes per round, `retry_on` for what is worth another handshake (a refused connection and 429/502/503/504 by default; a `Retry-After` on the refused upgrade is honoured) |
//! | `pool` | several sockets (unset: one): `min_idle` kept open (at least one), up to `max_size` opened when every open one is busy, one beyond `min_idle` idle for `idle_timeout` closed, one older than `max_lifetime` reopened; `acquire_timeout` does not apply |
//! | `health.timeout` | bounds the trial handshake of [`Connection::health`] |
//!
//! # Decisions
//!
//! - **Connecting does no network I/O in `connect`**: it checks the settings and starts the
//!   connection's task, which opens the socket at once in the background. A service boots while
//!   the server is down; the first `send_*` waits for the socket (see below), and health says
//!   why it is not open.
//! - **Reconnects are automatic and follow `retry`**: when the socket drops (the server closes
//!   it, the network fails, a ping goes unanswered, a write stalls), a
//!   [`WebSocketEvent::Disconnected`] is emitted and handshakes start again, each after the
//!   backoff's delay (the first one too, so a server that accepts and drops at once is not
//!   hammered). Success emits [`WebSocketEvent::Reconnected`]. `retry` unset means
//!   `RetryConfig::default()` (3 handshakes, 100ms doubling). A server-initiated close is a drop
//!   like any other: servers close to restart or shed load, and the connection's job is to be
//!   there again. Messages the server sent while the socket was down are gone; use the
//!   reconnect event to resubscribe or resynchronise.
//! - **A round of handshakes can give up**: after `retry.max_attempts` failures in a row, or at
//!   once on a failure `retry_on` does not cover (401/403 on the upgrade, an untrusted
//!   certificate), [`WebSocketEvent::GaveUp`] is emitted, waiting `recv` and `send_*` calls fail
//!   with the cause ([`CallError::RetriesExhausted`] or the
//!   failure itself), and the connection rests. The next `send_*` or `recv` starts a new round:
//!   a long outage costs a bounded number of handshakes per call, never a busy loop, and the
//!   connection recovers by itself once the server is back.
//! - **Sends while disconnected wait, never vanish**: a `send_*` made while the socket is being
//!   reopened waits for it (up to `timeout.total`) and is written first on the new socket, in
//!   call order. It fails if the round gives up, the wait times out, or the connection is
//!   closed; a send whose caller stopped waiting is dropped, not written later behind its back.
//! - **A server's close is a reconnect, not a failure**: once the server's close frame is read
//!   (a redeploy's 1001), sends wait for the next socket instead of going out on the closing
//!   one, and a frame the socket refuses unwritten (it was closing) goes out on the next socket
//!   too; neither fails. Tested against Python's `websockets`, closing after every third message.
//! - **What WebSocket itself cannot promise**: `send_*` resolves `Ok` once the frame is written
//!   to a socket that is open as far as this side knows. A server that has already sent its
//!   close frame discards the data frames that cross it on the wire, and nothing in the protocol
//!   tells the sender which ones did: back to back against that server, 27 of 30 sends resolved
//!   `Ok` before its close frame arrived, and only 3 were read. Resending them on the next socket
//!   would deliver some twice. Where every message must arrive, acknowledge at the application
//!   level (the server answers each message, the client resends what was not answered).
//!   `Ok` means the frame was written and flushed to the socket: WebSocket has no
//!   acknowledgement, so a frame in flight when the socket drops can still be lost; protocols
//!   that need delivery acknowledge at the application level.
//! - **A pool is sockets taken in turn, not lent** (`pool(max_size = 4, min_idle = 2)`, seed
//!   002's `WebSocketConnectionPool`): each `send_*` goes to the next open socket with no send
//!   under way; when every open socket has one, to the least busy, and another socket opens in
//!   the background while the pool has room (so a burst does not wait for a handshake). `recv`
//!   takes messages from every socket, in each socket's order. Each socket reconnects on its
//!   own, with its own events (`Connected` when a new one opens); a send waits for a reconnect
//!   only when no socket is open. Sockets are not lent to one caller (seed 002's
//!   `acquire`/`release`): a WebSocket takes frames from many callers at once, so lending
//!   would only make callers wait; `acquire_timeout` therefore does not apply. A socket let go
//!   for idleness (only one that sent nothing for `idle_timeout`, never below `min_idle`) is
//!   closed with a close frame; a server that pushes on every socket should keep `min_idle` at
//!   `max_size`. `close` closes every socket and emits one `Closed`.
//! - **Received messages are buffered** (256) until `recv` takes them; when the buffer is full
//!   the connection stops reading, so TCP pushes back on the server. Each message goes to one
//!   `recv` call. Pings and pongs are answered and consumed inside; an unanswered ping is not
//!   held against the server while the buffer is full.
//! - **OAuth2 client credentials** (`auth.oauth2`): one token for the connection, shared by
//!   every socket of a pool and kept across reconnects, asked for before a handshake when none
//!   is kept or it expires within a fifth of its life (at most 60 s), one token request however
//!   many sockets wait. A handshake refused with 401 gets one new token and one more handshake
//!   within the same attempt. A token that cannot be had is that handshake's failure, judged by
//!   `retry` like one (an unreachable endpoint as a refused connection, a 503 from it as a 503;
//!   its 400 or 401, a bad id or secret, is not retried), so a token endpoint that is down is
//!   tried again with the backoff and the socket opens once it is back. A
//!   [`reload`](WebSocketConnection::reload) that leaves `auth.oauth2` as it is keeps the token.
//!   The secret and the token are never shown (`Debug`, errors, events, logs).
//! - **Health**: an open socket is `Ready` (`open`); otherwise a trial handshake within
//!   `health.timeout` is made (and closed again), with the kept OAuth2 token if there is one
//!   (the check never asks for one): `Ready` if it succeeds, `Error` with the cause if not;
//!   `Unknown` once closed. `health.path` is not used.
//! - **`close`** sends a close frame (waiting up to 2 s for the server's answer), stops
//!   reconnecting, and makes later calls fail with
//!   [`CallError::Closed`]. Dropping the last handle does the same.

mod config;
mod driver;
mod events;
mod handshake;
mod health;
mod link;
mod message;
mod sockets;
mod token;

pub use config::WebSocketConfig;
pub use events::WebSocketEvent;
pub use message::WebSocketMessage;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{Mutex, broadcast, mpsc, oneshot, watch};
use tokio_tungstenite::tungstenite::Message;

use arc_swap::ArcSwap;

use crate::registry::RegistrySlot;
use crate::reload::Prepared;
use crate::resilience::Emitter;
use crate::{Applied, CallError, ConnUrl, ConnectError, Connection};
use link::{Command, LinkState, Settings, Shared};
use sockets::Sockets;

/// Received messages kept until `recv` takes them.
const INBOUND_CAPACITY: usize = 256;

/// The longest one frame may take to write when `timeout.per_attempt` is unset.
const DEFAULT_WRITE_LIMIT: Duration = Duration::from_secs(30);

/// How long `close` waits for the connection's task to finish its close.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// A WebSocket connection: one socket kept open by a background task, reopened when it drops.
///
/// Cheap to clone (an `Arc` inside); clones share the socket, the received messages and the
/// closed state. `Debug` shows the name and URL, never header values.
///
/// ```
/// use connfx::{Connection, WebSocketConfig, WebSocketConnection};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), connfx::ConnectError> {
/// let config: WebSocketConfig = serde_json::from_value(serde_json::json!({
///     "url": "ws://127.0.0.1:9/feed", "headers": { "X-Api-Key": "s3cret" },
/// }))
/// .expect("valid");
/// let feed = WebSocketConnection::connect("feed", config).await?; // the server may be down
/// assert_eq!(feed.name(), "feed");
/// assert!(!format!("{feed:?}").contains("s3cret"));
/// feed.close().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct WebSocketConnection {
    inner: Arc<Inner>,
    /// The derived struct's registry, when this handle is one of its fields.
    slot: RegistrySlot,
}

struct Inner {
    shared: Arc<Shared>,
    /// One reload at a time, from its preparation to its swap.
    reloading: Arc<Mutex<()>>,
    sockets: Sockets,
    /// What every socket received, in the order each socket received it.
    inbound: Mutex<mpsc::Receiver<WebSocketMessage>>,
    closed: AtomicBool,
}

impl Inner {
    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

impl WebSocketConnection {
    /// The connection's name (the field or registry name).
    pub fn name(&self) -> &str {
        &self.inner.shared.name
    }

    /// The server URL (the current one, after a [`reload`](WebSocketConnection::reload)); its
    /// `Display` and `Debug` redact the password.
    ///
    /// ```no_run
    /// # fn run(feed: connfx::WebSocketConnection) {
    /// println!("feeding from {}", feed.url());
    /// # }
    /// ```
    pub fn url(&self) -> ConnUrl {
        self.settings().config.url.clone()
    }

    /// The settings it runs with now: those it was built from, or those of its last
    /// [`reload`](WebSocketConnection::reload).
    ///
    /// ```no_run
    /// # fn run(feed: connfx::WebSocketConnection) {
    /// let every = feed.config().ping_interval;
    /// # }
    /// ```
    pub fn config(&self) -> Arc<WebSocketConfig> {
        Arc::clone(&self.settings().config)
    }

    /// Applies `config` to this live connection, checked as [`Connection::connect`] checks it,
    /// and says how ([`Applied`]). `retry` (how it reconnects), `timeout.total` (how long a
    /// send waits) and `health` apply as they are ([`Applied::Live`]). Any other key (the URL,
    /// headers, TLS, `ping_interval`, `max_message_size`, the other timeouts) needs a new socket
    /// ([`Applied::Reconnected`]): the open one is closed with a close frame once the frames
    /// already handed to it are written, and one is opened with the new settings at once;
    /// sends made meanwhile wait for it, as over any reconnect, and subscribers see
    /// `Disconnected` then `Reconnected`.
    ///
    /// # Errors
    /// A [`ConnectError`] when `config` cannot make a handshake; the connection then keeps
    /// running as it was.
    ///
    /// ```
    /// use connfx::{Applied, Connection, WebSocketConfig, WebSocketConnection};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), connfx::ConnectError> {
    /// let config = |json| serde_json::from_value::<WebSocketConfig>(json).expect("valid");
    /// let feed = WebSocketConnection::connect("feed", config(serde_json::json!({ "url": "ws://127.0.0.1:9/feed" }))).await?;
    /// let patient = config(serde_json::json!({ "url": "ws://127.0.0.1:9/feed", "timeout": { "total": "45s" } }));
    /// assert_eq!(feed.reload(patient).await?, Applied::Live);
    /// let moved = config(serde_json::json!({ "url": "ws://127.0.0.1:9/v2/feed" }));
    /// assert_eq!(feed.reload(moved).await?, Applied::Reconnected);
    /// feed.close().await;
    /// # Ok(()) }
    /// ```
    pub async fn reload(&self, config: WebSocketConfig) -> Result<Applied, ConnectError> {
        Ok(self.prepare(config).await?.apply())
    }

    /// The handshake of a reload to `config`; applying it swaps, and asks the driver for a new
    /// socket when one is needed. The reload's turn is held until it is applied or dropped.
    async fn prepare(&self, config: WebSocketConfig) -> Result<Prepared, ConnectError> {
        let turn = Arc::clone(&self.inner.reloading).lock_owned().await;
        let name = self.name();
        let now = self.settings();
        let applied = crate::reload::applied::<Self>(&*now.config, &config);
        let settings = Settings::new(config, Some(&now)).map_err(|m| ConnectError::new(name, m))?;
        let inner = Arc::clone(&self.inner);
        Ok(Prepared::new(applied, move || {
            let _turn = turn;
            inner.shared.settings.store(Arc::new(settings));
            inner.sockets.settings_changed();
            if applied == Applied::Reconnected {
                for link in inner.sockets.all() {
                    // A driver gone (closed) has no socket to move.
                    let _ = link.commands.send(Command::Reconnect);
                }
            }
            tracing::info!(connection = %inner.shared.name, ?applied, "websocket connection reloaded");
        }))
    }

    /// The settings in force now.
    fn settings(&self) -> Arc<Settings> {
        self.inner.shared.settings.load_full()
    }

    /// Whether a socket is open right now (of a pool: any).
    ///
    /// ```no_run
    /// # fn run(feed: connfx::WebSocketConnection) {
    /// if !feed.is_open() { tracing::warn!("feed is reconnecting"); }
    /// # }
    /// ```
    pub fn is_open(&self) -> bool {
        self.inner
            .sockets
            .all()
            .iter()
            .any(|link| matches!(*link.state.borrow(), LinkState::Open))
    }

    /// How many sockets the connection keeps now, open or reopening: one without `pool`, from
    /// `pool.min_idle` (at least one) to `pool.max_size` with it.
    ///
    /// ```
    /// use connfx::{Connection, WebSocketConfig, WebSocketConnection};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), connfx::ConnectError> {
    /// let config: WebSocketConfig = serde_json::from_value(serde_json::json!({
    ///     "url": "ws://127.0.0.1:9/feed", "pool": { "max_size": 8, "min_idle": 2 },
    /// }))
    /// .expect("valid");
    /// let feed = WebSocketConnection::connect("feed", config).await?;
    /// assert_eq!(feed.sockets(), 2);
    /// feed.close().await;
    /// # Ok(()) }
    /// ```
    pub fn sockets(&self) -> usize {
        self.inner.sockets.all().len()
    }

    /// Whether [`Connection::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Sends a text or binary message (`&str`, `String`, `Vec<u8>`, `Bytes` or a
    /// [`WebSocketMessage`]). While the socket is being reopened, or the server is closing it,
    /// waits for the next one (see the module's decisions). `Ok` means written to an open
    /// socket, not read by the server: see "What WebSocket itself cannot promise" there.
    ///
    /// # Errors
    /// [`CallError::Closed`] after `close`; [`CallError::Timeout`] past `timeout.total` (or a
    /// stalled write); [`CallError::Transport`] when the write failed (the socket is then
    /// reopened); the reconnect's error when it gave up.
    ///
    /// ```no_run
    /// # async fn run(feed: connfx::WebSocketConnection) -> Result<(), connfx::CallError> {
    /// feed.send("hello").await?;
    /// feed.send(vec![1u8, 2, 3]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send(&self, message: impl Into<WebSocketMessage>) -> Result<(), CallError> {
        self.send_frame(message.into().into_frame()).await
    }

    /// Sends a text message.
    ///
    /// # Errors
    /// As [`send`](WebSocketConnection::send).
    ///
    /// ```no_run
    /// # async fn run(feed: connfx::WebSocketConnection) -> Result<(), connfx::CallError> {
    /// feed.send_text(format!("join {}", 42)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_text(&self, text: impl Into<String>) -> Result<(), CallError> {
        self.send_frame(Message::text(text.into())).await
    }

    /// Sends a binary message.
    ///
    /// # Errors
    /// As [`send`](WebSocketConnection::send).
    ///
    /// ```no_run
    /// # async fn run(feed: connfx::WebSocketConnection) -> Result<(), connfx::CallError> {
    /// feed.send_binary(vec![0xCA, 0xFE]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_binary(&self, data: impl Into<Bytes>) -> Result<(), CallError> {
        self.send_frame(Message::Binary(data.into())).await
    }

    /// Sends `value` as JSON in a text message.
    ///
    /// # Errors
    /// [`CallError::InvalidRequest`] when `value` does not serialize; else as
    /// [`send`](WebSocketConnection::send).
    ///
    /// ```no_run
    /// # async fn run(feed: connfx::WebSocketConnection) -> Result<(), connfx::CallError> {
    /// feed.send_json(&serde_json::json!({ "subscribe": "prices" })).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_json<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), CallError> {
        let text = serde_json::to_string(value).map_err(|e| CallError::InvalidRequest {
            connection: self.name().to_owned(),
            message: format!("cannot encode JSON: {e}"),
        })?;
        self.send_frame(Message::text(text)).await
    }

    /// The next text or binary message from the server, waiting for it (across reconnects).
    /// Messages received before a drop are still returned first. Cancel-safe: a message is
    /// never lost by dropping this future.
    ///
    /// # Errors
    /// [`CallError::Closed`] after `close`; the reconnect's error when it gave up (the next
    /// call starts a new round).
    ///
    /// ```no_run
    /// # async fn run(feed: connfx::WebSocketConnection) -> Result<(), connfx::CallError> {
    /// let next = tokio::time::timeout(std::time::Duration::from_secs(5), feed.recv()).await;
    /// # Ok(()) }
    /// ```
    pub async fn recv(&self) -> Result<WebSocketMessage, CallError> {
        if self.is_closed() {
            return Err(self.closed());
        }
        let mut inbound = self.inner.inbound.lock().await;
        let (mut watched, mut failed) = self.watch_sockets();
        loop {
            let woke = {
                let changes = watched.iter_mut().map(|state| Box::pin(state.changed()));
                let changed = futures_util::future::select_all(changes);
                tokio::select! {
                    biased;
                    message = inbound.recv() => return message.ok_or_else(|| self.closed()),
                    (alive, index, _) = changed => alive.is_ok().then_some(index),
                }
            };
            if self.is_closed() {
                return inbound.try_recv().map_err(|_| self.closed());
            }
            let error = woke.map(|index| (index, watched[index].borrow_and_update().error(self.name())));
            match error {
                Some((index, None)) => failed[index] = false,
                // A socket the pool let go, the connection running on: watch those it keeps.
                None | Some((_, Some(CallError::Closed { .. }))) => (watched, failed) = self.watch_sockets(),
                Some((index, Some(error))) => {
                    failed[index] = true;
                    if failed.iter().all(|failed| *failed) {
                        return Err(error);
                    }
                }
            }
        }
    }

    /// The state of every socket, seen as it is now (those that gave up start a new round), and
    /// none failed yet: a wait for a message fails once every socket has failed since.
    fn watch_sockets(&self) -> (Vec<watch::Receiver<LinkState>>, Vec<bool>) {
        let links = self.inner.sockets.all();
        for link in &links {
            if matches!(*link.state.borrow(), LinkState::Down { .. }) {
                let _ = link.commands.send(Command::Wake);
            }
        }
        let watched: Vec<_> = links
            .iter()
            .map(|link| {
                let mut state = link.state.clone();
                state.mark_unchanged();
                state
            })
            .collect();
        let failed = vec![false; watched.len()];
        (watched, failed)
    }

    /// The next message, decoded as JSON (text or binary).
    ///
    /// # Errors
    /// [`CallError::Decode`] when the message is not `T` (it is consumed); else as
    /// [`recv`](WebSocketConnection::recv).
    ///
    /// ```no_run
    /// #[derive(serde::Deserialize)]
    /// struct Price { symbol: String, cents: u64 }
    /// # async fn run(feed: connfx::WebSocketConnection) -> Result<(), connfx::CallError> {
    /// let price: Price = feed.recv_json().await?;
    /// # Ok(()) }
    /// ```
    pub async fn recv_json<T: DeserializeOwned>(&self) -> Result<T, CallError> {
        let message = self.recv().await?;
        message.json().map_err(|e| CallError::Decode {
            connection: self.name().to_owned(),
            message: e.to_string(),
        })
    }

    /// A receiver of every [`WebSocketEvent`] from now on (a slow receiver loses the oldest).
    ///
    /// ```no_run
    /// # async fn run(feed: connfx::WebSocketConnection) {
    /// let mut events = feed.subscribe();
    /// while let Ok(event) = events.recv().await {
    ///     if event.is_reconnect() { /* resubscribe */ }
    /// }
    /// # }
    /// ```
    pub fn subscribe(&self) -> broadcast::Receiver<WebSocketEvent> {
        self.inner.shared.events.subscribe()
    }

    /// Calls `callback` on every event, synchronously, on the connection's task: keep it short
    /// (spawn a task to send from it). A callback holding a clone of the connection keeps the
    /// connection alive until [`close`](Connection::close), even when every other handle is
    /// dropped.
    ///
    /// ```no_run
    /// # fn run(feed: connfx::WebSocketConnection) {
    /// feed.on_event(|event| tracing::info!(?event, "feed"));
    /// # }
    /// ```
    pub fn on_event(&self, callback: impl Fn(&WebSocketEvent) + Send + Sync + 'static) {
        self.inner.shared.events.add(callback);
    }

    /// Calls `hook(attempts, downtime)` whenever a socket is open again after a drop.
    ///
    /// ```no_run
    /// # fn run(feed: connfx::WebSocketConnection) {
    /// feed.on_reconnect(|attempts, downtime| tracing::info!(attempts, ?downtime, "feed back"));
    /// # }
    /// ```
    pub fn on_reconnect(&self, hook: impl Fn(u32, Duration) + Send + Sync + 'static) {
        self.on_event(move |event| {
            if let WebSocketEvent::Reconnected { attempts, downtime } = event {
                hook(*attempts, *downtime);
            }
        });
    }

    /// How many sockets the first socket's task has opened so far: the number of the open
    /// socket, if one is open, changing when the next one opens (before its
    /// `Connected`/`Reconnected` event). For protocols on top that greet every new socket
    /// ([`send_text_on`](Self::send_text_on)); they use the first socket only (of a pool, the
    /// one that lives as long as the connection).
    #[cfg(feature = "graphql")]
    pub(crate) fn opened_sockets(&self) -> watch::Receiver<u64> {
        match self.inner.sockets.first() {
            Some(link) => link.opened.clone(),
            None => watch::channel(0).1,
        }
    }

    /// Sends a text message on the first socket, if it is still socket number `socket` (see
    /// [`opened_sockets`](Self::opened_sockets)): unlike `send_text`, it never waits for the
    /// next socket, and fails at once when `socket` is not open (any more), so a frame meant
    /// to follow a greeting never lands on a socket that was not greeted.
    ///
    /// # Errors
    /// [`CallError::Transport`] when that socket is gone or the write broke it;
    /// [`CallError::Closed`] after `close`.
    #[cfg(feature = "graphql")]
    pub(crate) async fn send_text_on(&self, socket: u64, text: String) -> Result<(), CallError> {
        let (reply, answer) = oneshot::channel();
        let frame = Message::text(text);
        let link = self.inner.sockets.first().ok_or_else(|| self.closed())?;
        link.commands
            .send(Command::SendOn { socket, frame, reply })
            .map_err(|_| self.closed())?;
        answer.await.unwrap_or_else(|_| Err(self.closed()))
    }

    async fn send_frame(&self, frame: Message) -> Result<(), CallError> {
        if self.is_closed() {
            return Err(self.closed());
        }
        let (reply, answer) = oneshot::channel();
        let held = self.inner.sockets.pick();
        held.link
            .commands
            .send(Command::Send { frame, reply })
            .map_err(|_| self.closed())?;
        let answer = match self.settings().config.timeout.total {
            Some(limit) => tokio::time::timeout(limit, answer)
                .await
                .map_err(|_| CallError::Timeout {
                    connection: self.name().to_owned(),
                    after: limit,
                })?,
            None => answer.await,
        };
        drop(held);
        answer.unwrap_or_else(|_| Err(self.closed()))
    }

    fn closed(&self) -> CallError {
        CallError::Closed {
            connection: self.name().to_owned(),
        }
    }

    /// Open when any socket is; else the first socket's state.
    fn link_state(&self) -> LinkState {
        let links = self.inner.sockets.all();
        let open = links
            .iter()
            .any(|link| matches!(*link.state.borrow(), LinkState::Open));
        match (open, links.first()) {
            (false, Some(first)) => first.state.borrow().clone(),
            _ => LinkState::Open,
        }
    }

    fn handshake_settings(&self) -> Arc<Settings> {
        self.settings()
    }
}

impl Connection for WebSocketConnection {
    // Name and schemes from the protocol's one declaration in `connfx-spec`.
    const PROTOCOL: &'static str = connfx_spec::protocols::WEBSOCKET.name;
    const URL_SCHEMES: &'static [&'static str] = connfx_spec::protocols::WEBSOCKET.schemes;
    type Config = WebSocketConfig;

    /// Checks the settings and starts the connection's task, which opens the socket in the
    /// background; no network I/O happens here.
    async fn connect(name: &str, config: WebSocketConfig) -> Result<Self, ConnectError> {
        super::handle::warn_unused_health_path(name, config.health.path.as_deref(), "WebSocket");
        let url = config.url.clone();
        let settings = Settings::new(config, None).map_err(|m| ConnectError::new(name, m))?;
        let shared = Arc::new(Shared {
            name: name.to_owned(),
            events: Emitter::new(),
            settings: ArcSwap::from_pointee(settings),
        });
        let (inbound, received) = mpsc::channel(INBOUND_CAPACITY);
        let inner = Arc::new(Inner {
            sockets: Sockets::new(Arc::clone(&shared), inbound),
            shared,
            reloading: Arc::default(),
            inbound: Mutex::new(received),
            closed: AtomicBool::new(false),
        });
        tokio::spawn(sockets::keep(Arc::downgrade(&inner)));
        tracing::debug!(connection = name, %url, "websocket connection set up");
        Ok(WebSocketConnection {
            slot: RegistrySlot::new(),
            inner,
        })
    }

    /// Sends a close frame (waiting up to 2 s for the server's answer) and stops reconnecting;
    /// waiting and later calls fail with [`CallError::Closed`].
    async fn close(&self) {
        self.inner.closed.store(true, Ordering::Release);
        self.inner.sockets.wake_keeper();
        let finished = self.inner.sockets.all().into_iter().filter_map(|link| {
            let (done, finished) = oneshot::channel();
            link.commands
                .send(Command::Close { done })
                .ok()
                .map(|()| finished)
        });
        let _ = tokio::time::timeout(CLOSE_WAIT, futures_util::future::join_all(finished)).await;
    }

    super::handle::handle_methods!(health = health::check, reload);
}

impl fmt::Debug for WebSocketConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::handle::debug_handle(f, "WebSocketConnection", self.name(), &self.url())
            .field("open", &self.is_open())
            .finish_non_exhaustive()
    }
}
