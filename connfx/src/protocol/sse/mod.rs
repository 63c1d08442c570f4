//! Server-Sent Events on reqwest's byte stream and `eventsource-stream`: a stream of events that
//! reopens itself after every drop, resuming with `Last-Event-ID` so no event is lost or
//! repeated.
//!
//! ```no_run
//! use connfx::{Connection, SseConfig, SseConnection};
//! use futures_util::StreamExt;
//!
//! #[derive(serde::Deserialize)]
//! struct Price { symbol: String, cents: u64 }
//!
//! # async fn run() -> Result<(), connfx::Error> {
//! let config: SseConfig = serde_json::from_value(serde_json::json!({
//!     "url": "https://stream.example/v1/prices",
//!     "auth": { "bearer": "t0ken" },
//!     "read_timeout": "45s",
//!     "retry": { "max_attempts": 10, "initial_interval": "500ms", "max_interval": "30s" },
//! }))
//! .expect("a valid config");
//! let prices = SseConnection::connect("prices", config).await?; // no I/O here
//! let mut events = prices.events_json::<Price>();
//! while let Some(event) = events.next().await {
//!     let event = event?;
//!     println!("#{}: {} at {}", event.id.unwrap_or_default(), event.data.symbol, event.data.cents);
//! }
//! # Ok(()) }
//! ```
//!
//! # How the settings map onto the stream
//!
//! | setting | effect |
//! |---|---|
//! | `url` | the stream's URL; user-info becomes basic auth unless `auth` sets a credential, and is never shown |
//! | `headers`, `auth` | sent with every request (`Authorization: Bearer …`, basic, or an API key header); `Accept: text/event-stream` and `Cache-Control: no-store` are always sent |
//! | `timeout.connect` | opening a TCP/TLS connection |
//! | `timeout.per_attempt` | one request, until the response headers |
//! | `timeout.total` | one round of failed opens, waits included |
//! | `read_timeout` | silence (not even a `:` comment) after which an open stream is taken as dead and reopened |
//! | `retry` | reconnects: the backoff between opens (from the server's `retry:` when it sent one), `max_attempts` failed opens in a row before giving up, `retry_on` for which failures are worth another open |
//! | `health.timeout` | bounds the health check's request |
//!
//! # Decisions
//!
//! - **Connecting does no network I/O**: each [`SseConnection::events`] opens its own stream
//!   when first polled, so a service boots while the server is down.
//! - **Every subscription is its own request**: two `events()` streams are two HTTP streams,
//!   each with its own `Last-Event-ID`; share one stream's events in the application if that is
//!   what is wanted.
//! - **A drop is always reconnected**: when the body breaks, ends, or goes silent past
//!   `read_timeout`, the stream is reopened after the server's `retry:` (the latest one seen),
//!   or `retry.initial_interval` when it sent none, with `Last-Event-ID` set to the last id
//!   seen. Events are dispatched only when complete (the blank line), so an event cut off by a
//!   drop is never handed out; the server resends from the one after `Last-Event-ID`. Nothing
//!   is lost or repeated as long as the server honours `Last-Event-ID`.
//! - **Failed opens follow `retry`**: a refused connection, a timeout and 429/502/503/504 are
//!   tried again with the backoff (growing from the server's `retry:`, capped at
//!   `max_interval`, which a larger `retry:` raises; a `Retry-After` on the refusal wins); after
//!   `max_attempts` failures in a row, or at once for a failure `retry_on` does not cover
//!   (401, 404, a body that is not `text/event-stream`), the stream yields the error and ends.
//!   Start again with [`SseConnection::events_from`] and the stream's
//!   [`last_event_id`](SseStream::last_event_id). A 204 answer ends the stream without an
//!   error: the server asks not to reconnect.
//! - **`retry:` counts when it comes with data**: `eventsource-stream` drops a block without
//!   `data:`, so a server's `retry:` is honoured when it is part of an event (as axum and most
//!   servers send it), not on a line of its own.
//! - **Typed events**: [`SseConnection::events_json`] decodes each event's data; an event that
//!   does not decode is a [`CallError::Decode`] item and the stream
//!   goes on.
//! - **`close`** ends every open stream of the connection (they yield `None`); a stream asked
//!   for after `close` yields [`CallError::Closed`] once.
//! - **Health** opens the stream and reads only the status and content type: `Ready` for a 2xx
//!   `text/event-stream`. `health.path` is not used.

mod client;
mod config;
mod event;
mod health;
mod open;
mod reader;
mod request;
mod stream;

pub use config::SseConfig;
pub use event::SseEvent;
pub use request::SseRequest;
pub use stream::SseStream;

use std::fmt;
use std::sync::Arc;

use futures_util::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use tokio::sync::watch;

use crate::protocol::http::oauth2::TokenSource;
use crate::protocol::reconnect::Reconnect;
use crate::registry::RegistrySlot;
use crate::reload::Prepared;
use crate::reload::current::{Current, cached};
use crate::{Applied, CallError, ConnUrl, ConnectError, Connection};

/// A Server-Sent Events connection: a URL, a configured client, and the reconnect policy its
/// streams follow.
///
/// Cheap to clone (an `Arc` inside); clones share the client and the closed state. `Debug`
/// shows the name and the URL with its password redacted, nothing else.
///
/// ```
/// use connfx::{Connection, SseConfig, SseConnection};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), connfx::ConnectError> {
/// let config: SseConfig = serde_json::from_value(serde_json::json!({
///     "url": "http://app:hunter2@127.0.0.1:9/events",
/// }))
/// .expect("valid");
/// let prices = SseConnection::connect("prices", config).await?; // the server may be down
/// assert!(!format!("{prices:?}").contains("hunter2"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SseConnection {
    handle: Arc<Handle>,
    /// The derived struct's registry, when this handle is one of its fields.
    slot: RegistrySlot,
}

/// One connection: its name and closed state, and its current settings, which
/// [`SseConnection::reload`] swaps whole.
struct Handle {
    name: String,
    closed: watch::Sender<bool>,
    current: Current<Inner>,
    /// One reload at a time, from its preparation to its swap.
    reloading: Arc<tokio::sync::Mutex<()>>,
}

/// One generation of the settings, and what was built from them. An open of a stream loads
/// one and keeps it until the stream drops; the next open loads the current one.
pub(super) struct Inner {
    pub(super) config: Arc<SseConfig>,
    /// The URL without user-info.
    pub(super) target: url::Url,
    pub(super) client: Arc<reqwest::Client>,
    pub(super) reconnect: Reconnect,
    /// The OAuth2 token of `auth.oauth2`, kept across reloads that leave `auth.oauth2` as it is.
    pub(super) oauth2: Option<Arc<TokenSource>>,
}
cached!(Inner);

impl Inner {
    fn new(config: SseConfig, built: client::Built, oauth2: Option<Arc<TokenSource>>) -> Self {
        Inner {
            oauth2,
            reconnect: Reconnect::new(config.retry.as_ref()),
            target: built.url,
            client: built.client,
            config: Arc::new(config),
        }
    }
}

impl SseConnection {
    /// The connection's name (the field or registry name).
    pub fn name(&self) -> &str {
        &self.handle.name
    }

    /// The stream's URL (the current one, after a [`reload`](SseConnection::reload)); its
    /// `Display` and `Debug` redact the password.
    ///
    /// ```no_run
    /// # fn run(ticks: connfx::SseConnection) {
    /// println!("listening to {}", ticks.url());
    /// # }
    /// ```
    pub fn url(&self) -> ConnUrl {
        self.live().config.url.clone()
    }

    /// The settings it runs with now: those it was built from, or those of its last
    /// [`reload`](SseConnection::reload).
    ///
    /// ```no_run
    /// # fn run(ticks: connfx::SseConnection) {
    /// let idle = ticks.config().read_timeout;
    /// # }
    /// ```
    pub fn config(&self) -> Arc<SseConfig> {
        Arc::clone(&self.live().config)
    }

    /// Whether [`Connection::close`] was called.
    pub fn is_closed(&self) -> bool {
        *self.handle.closed.borrow()
    }

    /// Applies `config` to this live connection, checked as [`Connection::connect`] checks
    /// it, and says how ([`Applied`]). Streams already open keep reading what they opened;
    /// every open after this returns, a reopen after a drop included, uses the new settings:
    /// so a new URL moves each stream at its next reopen, resuming after its last event id.
    /// `retry`, `timeout.total` and `health` apply as they are ([`Applied::Live`]); any other
    /// key builds a new client ([`Applied::Reconnected`]).
    ///
    /// # Errors
    /// A [`ConnectError`] when `config` cannot make a client; the connection then keeps
    /// running as it was.
    ///
    /// ```
    /// use connfx::{Applied, Connection, SseConfig, SseConnection};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), connfx::ConnectError> {
    /// let config = |json| serde_json::from_value::<SseConfig>(json).expect("valid");
    /// let ticks = SseConnection::connect("ticks", config(serde_json::json!({ "url": "http://127.0.0.1:1/ticks" }))).await?;
    /// let moved = config(serde_json::json!({ "url": "http://127.0.0.1:1/v2/ticks" }));
    /// assert_eq!(ticks.reload(moved).await?, Applied::Reconnected);
    /// assert_eq!(ticks.url().expose().path(), "/v2/ticks");
    /// # Ok(()) }
    /// ```
    pub async fn reload(&self, config: SseConfig) -> Result<Applied, ConnectError> {
        Ok(self.prepare(config).await?.apply())
    }

    /// The client of a reload to `config`; applying it swaps. The reload's turn is held until
    /// it is applied or dropped.
    async fn prepare(&self, config: SseConfig) -> Result<Prepared, ConnectError> {
        let turn = Arc::clone(&self.handle.reloading).lock_owned().await;
        let name = self.name();
        let built = client::build(&config).map_err(|m| ConnectError::new(name, m))?;
        let now = self.live();
        let same_oauth2 = config.auth.oauth2 == now.config.auth.oauth2;
        let applied = if Arc::ptr_eq(&built.client, &now.client) && built.url == now.target && same_oauth2 {
            Applied::Live
        } else {
            Applied::Reconnected
        };
        let handle = Arc::clone(&self.handle);
        Ok(Prepared::new(applied, move || {
            let _turn = turn;
            let oauth2 = TokenSource::kept_or_new(config.auth.oauth2.as_ref(), now.oauth2.as_ref());
            handle.current.store(Arc::new(Inner::new(config, built, oauth2)));
            tracing::info!(connection = %handle.name, ?applied, "sse connection reloaded");
        }))
    }

    /// The settings an open started now runs with.
    pub(super) fn live(&self) -> Arc<Inner> {
        self.handle.current.load_full()
    }

    /// A new subscription: the stream's events from now on, reopened after every drop. Nothing
    /// is requested until the stream is first polled.
    ///
    /// ```no_run
    /// use futures_util::StreamExt;
    /// # async fn run(prices: connfx::SseConnection) -> Result<(), connfx::CallError> {
    /// let mut events = prices.events();
    /// while let Some(event) = events.next().await {
    ///     println!("{}", event?.data);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn events(&self) -> SseStream {
        SseStream::new(self.clone(), None, SseRequest::default())
    }

    /// A new subscription opened with `request`'s method and body instead of `GET`: an LLM
    /// API that streams its answer to a `POST` as events. Reopened after a drop like
    /// [`events`](Self::events), sending the same method and body with `Last-Event-ID`; a
    /// server that cannot resume should be read once, through an HTTP connection's
    /// [`HttpResponse::chunks`](crate::HttpResponse::chunks)`(..).events()`.
    ///
    /// ```no_run
    /// use futures_util::StreamExt;
    /// # async fn run(chat: connfx::SseConnection) -> Result<(), Box<dyn std::error::Error>> {
    /// let ask = connfx::SseRequest::post().json(&serde_json::json!({ "prompt": "hi" }))?;
    /// let mut answer = chat.events_with(ask);
    /// while let Some(event) = answer.next().await {
    ///     print!("{}", event?.data);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn events_with(&self, request: SseRequest) -> SseStream {
        SseStream::new(self.clone(), None, request)
    }

    /// A subscription resuming after `last_event_id` (sent as `Last-Event-ID` on the first
    /// request), e.g. a stream's [`last_event_id`](SseStream::last_event_id) kept across a
    /// restart.
    ///
    /// ```no_run
    /// # async fn run(prices: connfx::SseConnection, saved: String) {
    /// let events = prices.events_from(saved);
    /// # }
    /// ```
    pub fn events_from(&self, last_event_id: impl Into<String>) -> SseStream {
        SseStream::new(self.clone(), Some(last_event_id.into()), SseRequest::default())
    }

    /// A new subscription whose events' data is decoded from JSON. An event that does not
    /// decode is a [`CallError::Decode`] item; the stream goes on after it.
    ///
    /// ```no_run
    /// use futures_util::StreamExt;
    /// #[derive(serde::Deserialize)]
    /// struct Tick { n: u64 }
    /// # async fn run(ticks: connfx::SseConnection) -> Result<(), connfx::CallError> {
    /// let mut events = ticks.events_json::<Tick>();
    /// while let Some(event) = events.next().await {
    ///     println!("{}", event?.data.n);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn events_json<T: DeserializeOwned + Send + 'static>(
        &self,
    ) -> impl Stream<Item = Result<SseEvent<T>, CallError>> + Send + Unpin + 'static {
        let name = self.handle.name.clone();
        self.events()
            .map(move |event| event.and_then(|event| event.decode(&name)))
    }

    fn closed_signal(&self) -> watch::Receiver<bool> {
        self.handle.closed.subscribe()
    }

    fn closed_error(&self) -> CallError {
        CallError::Closed {
            connection: self.handle.name.clone(),
        }
    }
}

impl Connection for SseConnection {
    // Name and schemes from the protocol's one declaration in `connfx-spec`.
    const PROTOCOL: &'static str = connfx_spec::protocols::SSE.name;
    const URL_SCHEMES: &'static [&'static str] = connfx_spec::protocols::SSE.schemes;
    type Config = SseConfig;

    async fn connect(name: &str, config: SseConfig) -> Result<Self, ConnectError> {
        let built = client::build(&config).map_err(|m| ConnectError::new(name, m))?;
        let oauth2 = TokenSource::kept_or_new(config.auth.oauth2.as_ref(), None);
        super::handle::warn_unused_health_path(name, config.health.path.as_deref(), "SSE");
        tracing::debug!(connection = name, url = %config.url, "sse connection set up");
        Ok(SseConnection {
            slot: RegistrySlot::new(),
            handle: Arc::new(Handle {
                name: name.to_owned(),
                closed: watch::Sender::new(false),
                current: Current::new(Arc::new(Inner::new(config, built, oauth2))),
                reloading: Arc::default(),
            }),
        })
    }

    /// Ends every open stream of the connection; streams asked for later yield
    /// [`CallError::Closed`].
    async fn close(&self) {
        if !self.handle.closed.send_replace(true) {
            tracing::debug!(connection = self.name(), "sse connection closed");
        }
    }

    super::handle::handle_methods!(health = health::check, reload);
}

impl fmt::Debug for SseConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::handle::fmt_handle(f, "SseConnection", &self.handle.name, &self.live().config.url)
    }
}
