//! The task that owns the WebSocket connection's `recv`: it greets every new socket, (re)sends
//! the live subscriptions once the server acknowledges, and hands each `next`, `error` and
//! `complete` to the subscription whose id it names.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::message::{Incoming, Outgoing, Request};
use crate::{CallError, WebSocketConnection, WebSocketMessage};

/// How long the server may take to answer `connection_init` when the WebSocket connection's
/// `timeout.connect` is unset (its own default for the handshake).
const DEFAULT_ACK_LIMIT: Duration = Duration::from_secs(10);

/// The first pause after the WebSocket connection gave up reconnecting, before the next round
/// of handshakes; it doubles up to [`MAX_PAUSE`] while rounds keep failing.
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const MAX_PAUSE: Duration = Duration::from_secs(30);

/// What the handles ask of the pump.
pub(super) enum Command {
    /// Start subscription `id`; `registered` is answered once it is sent (or waits for the
    /// next acknowledged socket).
    Subscribe {
        id: String,
        request: Request,
        items: mpsc::UnboundedSender<Item>,
        registered: oneshot::Sender<()>,
    },
    /// Subscription `id` was dropped: tell the server, forget it.
    Complete { id: String },
}

/// What a subscription receives.
pub(super) enum Item {
    /// A `next` payload, decoded by the subscription into its type.
    Next(Value),
    /// An `error` message, or a failure of the connection underneath.
    Failed(CallError),
}

/// Where the protocol stands on the WebSocket connection.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// No socket greeted yet (or the greeted one is gone).
    Waiting,
    /// `connection_init` went out on `socket`; no `connection_ack` yet. Past `due` the live
    /// subscriptions are told, once (`told`).
    Greeting { socket: u64, due: Instant, told: bool },
    /// `socket` is acknowledged: subscriptions go out on it.
    Acked { socket: u64 },
}

impl Phase {
    /// The greeted socket, acknowledged or not.
    fn socket(self) -> Option<u64> {
        match self {
            Phase::Waiting => None,
            Phase::Greeting { socket, .. } | Phase::Acked { socket } => Some(socket),
        }
    }

    /// When the missing acknowledgement is worth telling the subscriptions about.
    fn ack_due(self) -> Option<Instant> {
        match self {
            Phase::Greeting { due, told: false, .. } => Some(due),
            _ => None,
        }
    }
}

pub(super) struct Pump {
    ws: WebSocketConnection,
    init: Option<Value>,
    commands: mpsc::UnboundedReceiver<Command>,
    sockets: watch::Receiver<u64>,
    live: HashMap<String, Live>,
    phase: Phase,
    /// Whether `recv` (which starts a round of handshakes after a give-up) may be called.
    rest: Rest,
    /// The next pause after a give-up.
    pause: Duration,
}

/// After the WebSocket connection gave up, when to let it try again.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Rest {
    Awake,
    Until(Instant),
    /// Nothing to serve: until the next subscription.
    ForSubscription,
}

/// A subscription the server should be serving.
struct Live {
    request: Request,
    items: mpsc::UnboundedSender<Item>,
}

impl Pump {
    pub(super) fn new(
        ws: WebSocketConnection,
        init: Option<Value>,
        commands: mpsc::UnboundedReceiver<Command>,
    ) -> Self {
        let sockets = ws.opened_sockets();
        Pump {
            ws,
            init,
            commands,
            sockets,
            live: HashMap::new(),
            phase: Phase::Waiting,
            rest: Rest::Awake,
            pause: FIRST_PAUSE,
        }
    }

    /// Runs until every handle is dropped or the WebSocket connection is closed.
    pub(super) async fn run(mut self) {
        // A socket opened before the pump started is greeted like a new one.
        if *self.sockets.borrow_and_update() > 0 {
            self.sockets.mark_changed();
        }
        loop {
            let rest = self.rest;
            let until = match rest {
                Rest::Until(at) => Some(at),
                Rest::Awake | Rest::ForSubscription => None,
            };
            let ack_due = self.phase.ack_due();
            // Messages already received go before a new socket's greeting: whatever the old
            // socket brought (its last items, a late `connection_ack`) is read as the old
            // socket's, since the driver buffers all of it before it opens the next.
            tokio::select! {
                biased;
                command = self.commands.recv() => match command {
                    Some(command) => self.command(command).await,
                    None => return,
                },
                received = self.ws.recv(), if rest == Rest::Awake => {
                    if !self.received(received).await {
                        return;
                    }
                }
                changed = self.sockets.changed() => match changed {
                    Ok(()) => self.greet().await,
                    Err(_) => return,
                },
                () = sleep_until(until), if until.is_some() => self.rest = Rest::Awake,
                () = sleep_until(ack_due), if ack_due.is_some() => self.ack_late(),
            }
        }
    }

    fn name(&self) -> &str {
        self.ws.name()
    }

    async fn command(&mut self, command: Command) {
        match command {
            Command::Subscribe {
                id,
                request,
                items,
                registered,
            } => {
                if let Phase::Acked { socket } = self.phase {
                    self.send(
                        socket,
                        &Outgoing::Subscribe {
                            id: &id,
                            payload: &request,
                        },
                    )
                    .await;
                }
                self.live.insert(id, Live { request, items });
                // A subscription waiting for a socket is a reason to try again now.
                self.rest = Rest::Awake;
                let _ = registered.send(());
            }
            Command::Complete { id } => {
                if self.live.remove(&id).is_some()
                    && let Phase::Acked { socket } = self.phase
                {
                    self.send(socket, &Outgoing::Complete { id: &id }).await;
                }
            }
        }
    }

    /// A new socket is open: greet it; the subscriptions follow its acknowledgement.
    async fn greet(&mut self) {
        let socket = *self.sockets.borrow_and_update();
        self.rest = Rest::Awake;
        self.phase = Phase::Greeting {
            socket,
            due: Instant::now() + self.ack_limit(),
            told: false,
        };
        let init = Outgoing::ConnectionInit {
            payload: self.init.as_ref(),
        };
        if !self.send(socket, &init).await {
            // Gone already: the next socket is greeted when it opens.
            self.phase = Phase::Waiting;
        }
    }

    /// Handles what `recv` gave; `false` when the connection is closed for good.
    async fn received(&mut self, received: Result<WebSocketMessage, CallError>) -> bool {
        match received {
            Ok(message) => {
                self.message(&message).await;
                true
            }
            Err(error @ CallError::Closed { .. }) => {
                tracing::debug!(
                    connection = self.name(),
                    "graphql subscriptions end: connection closed"
                );
                for live in self.live.values() {
                    let _ = live.items.send(Item::Failed(copy(&error, self.name())));
                }
                false
            }
            Err(error) => {
                self.gave_up(error);
                true
            }
        }
    }

    /// The WebSocket connection gave up a round of handshakes: every live subscription hears
    /// why and stays live; the next round starts after a pause (or a new subscription).
    fn gave_up(&mut self, error: CallError) {
        tracing::warn!(connection = self.name(), %error, pause = ?self.pause, "graphql subscriptions wait for the server");
        self.phase = Phase::Waiting;
        for live in self.live.values() {
            let _ = live.items.send(Item::Failed(copy(&error, self.name())));
        }
        // With nothing to serve, the next subscription wakes the connection.
        self.rest = match self.live.is_empty() {
            true => Rest::ForSubscription,
            false => Rest::Until(Instant::now() + self.pause),
        };
        self.pause = (self.pause * 2).min(MAX_PAUSE);
    }

    async fn message(&mut self, message: &WebSocketMessage) {
        let incoming = match message.json::<Incoming>() {
            Ok(incoming) => incoming,
            Err(e) => {
                tracing::debug!(connection = self.name(), error = %e, "graphql-transport-ws message skipped");
                return;
            }
        };
        match incoming {
            Incoming::ConnectionAck {} => self.acknowledged().await,
            Incoming::Next { id, payload } => self.deliver(&id, Item::Next(payload)),
            Incoming::Error { id, payload } => {
                let error = CallError::Graphql {
                    connection: self.name().to_owned(),
                    errors: payload,
                };
                self.deliver(&id, Item::Failed(error));
                self.live.remove(&id);
            }
            // Dropping the sender ends the subscription's stream.
            Incoming::Complete { id } => {
                self.live.remove(&id);
            }
            Incoming::Ping {} => {
                if let Some(socket) = self.phase.socket() {
                    self.send(socket, &Outgoing::Pong {}).await;
                }
            }
            Incoming::Pong {} => {}
        }
    }

    /// The greeted socket is acknowledged: every live subscription goes out on it, with its id.
    async fn acknowledged(&mut self) {
        let Phase::Greeting { socket, .. } = self.phase else {
            tracing::debug!(connection = self.name(), "unexpected connection_ack skipped");
            return;
        };
        self.phase = Phase::Acked { socket };
        self.pause = FIRST_PAUSE;
        let messages: Vec<String> = self
            .live
            .iter()
            .map(|(id, live)| {
                Outgoing::Subscribe {
                    id,
                    payload: &live.request,
                }
                .text()
            })
            .collect();
        tracing::debug!(
            connection = self.name(),
            socket,
            subscriptions = messages.len(),
            "graphql-transport-ws acknowledged"
        );
        for text in messages {
            if !self.send_text(socket, text).await {
                // That socket is gone: the next one is greeted and gets them all.
                return;
            }
        }
    }

    fn deliver(&self, id: &str, item: Item) {
        match self.live.get(id) {
            // A receiver gone has its `Complete` on the way.
            Some(live) => {
                let _ = live.items.send(item);
            }
            None => tracing::debug!(
                connection = self.name(),
                id,
                "message for no live subscription skipped"
            ),
        }
    }

    /// How long the server may take to answer `connection_init`: the WebSocket connection's
    /// `timeout.connect`, since the greeting is the rest of opening the connection.
    fn ack_limit(&self) -> Duration {
        self.ws.config().timeout.connect.unwrap_or(DEFAULT_ACK_LIMIT)
    }

    /// The server has not acknowledged in time: the subscriptions hear it once.
    fn ack_late(&mut self) {
        let limit = self.ack_limit();
        if let Phase::Greeting { told, .. } = &mut self.phase {
            *told = true;
        }
        tracing::warn!(connection = self.name(), after = ?limit, "no connection_ack from the GraphQL server");
        for live in self.live.values() {
            let _ = live.items.send(Item::Failed(CallError::Timeout {
                connection: self.name().to_owned(),
                after: limit,
            }));
        }
    }

    /// Sends `message` on `socket`; `false` when that socket is gone.
    async fn send(&self, socket: u64, message: &Outgoing<'_>) -> bool {
        self.send_text(socket, message.text()).await
    }

    async fn send_text(&self, socket: u64, text: String) -> bool {
        match self.ws.send_text_on(socket, text).await {
            Ok(()) => true,
            Err(error) => {
                tracing::debug!(connection = self.name(), socket, %error, "graphql-transport-ws message not sent");
                false
            }
        }
    }
}

/// A copy of an error the WebSocket connection's `recv` gives, for each live subscription
/// (`CallError` is not `Clone`: a SQL error holds its driver's error). Those variants are
/// copied as they are; any other as a transport error with its message.
fn copy(error: &CallError, name: &str) -> CallError {
    match error {
        CallError::Closed { connection } => CallError::Closed {
            connection: connection.clone(),
        },
        CallError::Timeout { connection, after } => CallError::Timeout {
            connection: connection.clone(),
            after: *after,
        },
        CallError::Status {
            connection,
            code,
            body,
        } => CallError::Status {
            connection: connection.clone(),
            code: *code,
            body: body.clone(),
        },
        CallError::Transport { connection, message } => CallError::Transport {
            connection: connection.clone(),
            message: message.clone(),
        },
        CallError::RetriesExhausted {
            connection,
            attempts,
            reason,
            last,
        } => CallError::RetriesExhausted {
            connection: connection.clone(),
            attempts: *attempts,
            reason: reason.clone(),
            last: Box::new(copy(last, name)),
        },
        other => CallError::Transport {
            connection: name.to_owned(),
            message: other.to_string(),
        },
    }
}

/// Sleeps until `at` (never, for `None`: the branch is disabled then anyway).
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_of_the_websocket_connection_are_copied_whole() {
        let error = CallError::RetriesExhausted {
            connection: "live".into(),
            attempts: 3,
            reason: "exhausted".into(),
            last: Box::new(CallError::Status {
                connection: "live".into(),
                code: 503,
                body: "WebSocket upgrade refused".into(),
            }),
        };
        assert_eq!(copy(&error, "live").to_string(), error.to_string());
        let closed = CallError::Closed {
            connection: "live".into(),
        };
        assert!(matches!(copy(&closed, "live"), CallError::Closed { connection } if connection == "live"));
    }
}
