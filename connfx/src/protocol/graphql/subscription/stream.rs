//! [`Subscription`]: one subscription's results as a typed stream.

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use super::pump::{Command, Item};
use crate::CallError;
use crate::protocol::graphql::response::{Answer, into_data};

/// The results of one GraphQL subscription, as a [`Stream`] of `data` objects decoded as `T`.
///
/// Made by [`GraphqlSubscriptions::subscribe`](super::GraphqlSubscriptions::subscribe). Each
/// item is one `next` message: `Ok(data)`, or [`CallError::Graphql`] when it has `errors`
/// (partial data is not handed out), or [`CallError::Decode`] when `data` is not a `T`. An
/// `error` message from the server is a [`CallError::Graphql`] item, after which the stream
/// ends; so does the server's `complete`. A failure of the connection underneath (it gave up
/// reconnecting, or the server did not acknowledge in time) is an item too, and the stream goes
/// on once the connection is back. After [`close`](crate::Connection::close) the stream yields
/// [`CallError::Closed`] and ends.
///
/// **Dropping it** sends `complete`, so the server stops the operation.
///
/// ```no_run
/// use futures_util::StreamExt;
///
/// #[derive(serde::Deserialize)]
/// struct Ticked {
///     tick: u64,
/// }
///
/// # async fn run(subs: connfx::protocol::graphql::GraphqlSubscriptions) -> Result<(), connfx::CallError> {
/// let mut ticks = subs.subscribe::<Ticked>("subscription { tick }", ()).await?;
/// while let Some(ticked) = ticks.next().await {
///     println!("{}", ticked?.tick);
/// }
/// # Ok(()) }
/// ```
///
/// [`CallError::Graphql`]: crate::CallError::Graphql
/// [`CallError::Decode`]: crate::CallError::Decode
/// [`CallError::Closed`]: crate::CallError::Closed
#[must_use = "a subscription is completed when dropped"]
pub struct Subscription<T> {
    pub(super) id: String,
    /// The WebSocket connection's name, for errors.
    pub(super) connection: String,
    pub(super) items: mpsc::UnboundedReceiver<Item>,
    /// To the pump, for `complete` on drop.
    pub(super) commands: mpsc::UnboundedSender<Command>,
    /// `fn() -> T`: the stream makes `T`s, it holds none (so it is `Send` and `Unpin` whatever `T`).
    pub(super) data: PhantomData<fn() -> T>,
}

impl<T> Subscription<T> {
    /// The subscription's id on the connection (the `id` of its protocol messages), the same
    /// across reconnects.
    ///
    /// ```no_run
    /// # async fn run(subs: connfx::protocol::graphql::GraphqlSubscriptions) -> Result<(), connfx::CallError> {
    /// let ticks = subs.subscribe::<serde_json::Value>("subscription { tick }", ()).await?;
    /// tracing::info!(id = ticks.id(), "subscribed");
    /// # Ok(()) }
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl<T: DeserializeOwned> Subscription<T> {
    fn decode(&self, item: Item) -> Result<T, CallError> {
        let payload = match item {
            Item::Next(payload) => payload,
            Item::Failed(error) => return Err(error),
        };
        let answer: Answer = serde_json::from_value(payload).map_err(|e| CallError::Decode {
            connection: self.connection.clone(),
            message: format!("a `next` payload is not a GraphQL result: {e}"),
        })?;
        into_data(answer.decode(&self.connection)?, &self.connection)
    }
}

impl<T: DeserializeOwned> Stream for Subscription<T> {
    type Item = Result<T, CallError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.items
            .poll_recv(cx)
            .map(|item| item.map(|item| this.decode(item)))
    }
}

impl<T> Drop for Subscription<T> {
    /// Tells the server to stop (`complete`), unless the subscription is over already.
    fn drop(&mut self) {
        let id = std::mem::take(&mut self.id);
        // The pump gone (the connection closed) has no server to tell.
        let _ = self.commands.send(Command::Complete { id });
    }
}

impl<T> fmt::Debug for Subscription<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("connection", &self.connection)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}
