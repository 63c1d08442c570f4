//! The task that owns the socket. It opens it (retrying with the backoff), writes the frames
//! handles ask for, pings, hands data messages to `recv`, notices a drop and reopens; handles
//! only talk to it through [`Command`]s and watch the [`LinkState`] it publishes.

mod serve;

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::handshake::{Failure, Socket};
use super::link::{Command, LinkState, Shared};
use super::{WebSocketEvent, WebSocketMessage};
use crate::CallError;
use crate::resilience::retry::Decision;

/// A send waiting for an open socket.
struct Pending {
    frame: Message,
    reply: oneshot::Sender<Result<(), CallError>>,
}

/// How a round of handshakes ended.
enum Round {
    /// Boxed: a socket is large and the other outcomes carry nothing.
    Open(Box<Socket>),
    GaveUp,
    Stop,
}

/// How serving an open socket ended.
enum Served {
    /// Closed for new settings: open the next socket at once, without a backoff.
    Moved,
    Dropped,
    Stop,
}

pub(super) struct Driver {
    shared: Arc<Shared>,
    commands: mpsc::UnboundedReceiver<Command>,
    inbound: mpsc::Sender<WebSocketMessage>,
    state: watch::Sender<LinkState>,
    pending: VecDeque<Pending>,
    ever_open: bool,
    /// Since when no socket is open (after the first one opened).
    down_since: Option<Instant>,
    /// How many sockets it has opened so far, bumped before the new one is served (so before
    /// its `Connected`/`Reconnected` event): the number of the open socket, if any.
    opened: watch::Sender<u64>,
    /// Whether its end is the connection's end, told as [`WebSocketEvent::Closed`]: the first
    /// socket of a pool, which lives as long as the connection; the others end unannounced
    /// when the pool lets them go.
    speaks_for_connection: bool,
}

impl Driver {
    pub(super) fn new(
        shared: Arc<Shared>,
        commands: mpsc::UnboundedReceiver<Command>,
        inbound: mpsc::Sender<WebSocketMessage>,
        state: watch::Sender<LinkState>,
        opened: watch::Sender<u64>,
        speaks_for_connection: bool,
    ) -> Self {
        Driver {
            shared,
            commands,
            inbound,
            state,
            pending: VecDeque::new(),
            ever_open: false,
            down_since: None,
            opened,
            speaks_for_connection,
        }
    }

    /// Opens at once, then keeps a socket open until closed or every handle is gone.
    pub(super) async fn run(mut self) {
        let mut after_drop = false;
        loop {
            let socket = match self.round(after_drop).await {
                Round::Open(socket) => *socket,
                Round::Stop => return,
                Round::GaveUp => {
                    if !self.idle().await {
                        return;
                    }
                    after_drop = false;
                    continue;
                }
            };
            match self.serve(socket).await {
                Served::Dropped => after_drop = true,
                Served::Moved => after_drop = false,
                Served::Stop => return,
            }
        }
    }

    fn name(&self) -> &str {
        &self.shared.name
    }

    // --- Opening -------------------------------------------------------------------------

    /// Handshakes until one succeeds, the policy gives up, or the connection is closed. After a
    /// drop even the first handshake waits its backoff, so a server that accepts and drops at
    /// once is not hammered.
    async fn round(&mut self, after_drop: bool) -> Round {
        self.publish(LinkState::Connecting);
        let max = self.shared.settings.load().reconnect.max_attempts();
        let mut server_asked = None;
        let mut last = None;
        for attempt in 1..=max {
            let retry = if after_drop { attempt } else { attempt - 1 };
            if retry > 0 {
                let delay = self.shared.settings.load().reconnect.delay(retry, server_asked);
                tracing::debug!(
                    connection = self.name(),
                    attempt,
                    ?delay,
                    "websocket reconnecting"
                );
                self.shared.emit(WebSocketEvent::Reconnecting { attempt, delay });
                if self.busy(tokio::time::sleep(delay)).await.is_none() {
                    return Round::Stop;
                }
            }
            // Each handshake with the settings in force when it starts (a reload meanwhile
            // applies to the next one).
            let settings = self.shared.settings.load_full();
            let name = Arc::clone(&self.shared);
            let failure = match self.busy(async move { settings.open(&name.name).await }).await {
                None => return Round::Stop,
                Some(Ok(socket)) => {
                    self.opened(attempt);
                    return Round::Open(Box::new(socket));
                }
                Some(Err(failure)) => failure,
            };
            tracing::debug!(connection = self.name(), attempt, %failure, "websocket handshake failed");
            match self.shared.settings.load().reconnect.decide(&failure.outcome()) {
                Decision::Retry { after } => {
                    server_asked = after;
                    last = Some(failure);
                }
                Decision::Done => {
                    self.give_up(attempt, failure, false);
                    return Round::GaveUp;
                }
            }
        }
        let failure = last.unwrap_or_else(|| Failure::Other("no handshake was made".to_owned()));
        self.give_up(max, failure, true);
        Round::GaveUp
    }

    fn opened(&mut self, attempts: u32) {
        let event = match (self.ever_open, self.down_since.take()) {
            (true, since) => {
                let downtime = since.map_or(Duration::ZERO, |s| s.elapsed());
                tracing::debug!(
                    connection = self.name(),
                    attempts,
                    ?downtime,
                    "websocket reconnected"
                );
                WebSocketEvent::Reconnected { attempts, downtime }
            }
            (false, _) => {
                tracing::debug!(connection = self.name(), attempts, "websocket open");
                WebSocketEvent::Connected { attempts }
            }
        };
        self.ever_open = true;
        self.opened.send_modify(|opened| *opened += 1);
        self.publish(LinkState::Open);
        self.shared.emit(event);
    }

    fn give_up(&mut self, attempts: u32, failure: Failure, exhausted: bool) {
        tracing::debug!(connection = self.name(), attempts, %failure, "websocket gave up reconnecting");
        self.shared.emit(WebSocketEvent::GaveUp {
            attempts,
            error: failure.to_string(),
        });
        let state = LinkState::Down {
            attempts,
            failure,
            exhausted,
        };
        for pending in self.pending.drain(..) {
            if let Some(error) = state.error(&self.shared.name) {
                let _ = pending.reply.send(Err(error));
            }
        }
        self.publish(state);
    }

    /// Waits, after giving up, for a call that wants the socket again. `false`: stop.
    async fn idle(&mut self) -> bool {
        match self.commands.recv().await {
            // New settings: try them.
            Some(Command::Wake | Command::Reconnect) => true,
            Some(Command::Send { frame, reply }) => {
                self.pending.push_back(Pending { frame, reply });
                true
            }
            Some(Command::SendOn { reply, .. }) => {
                let _ = reply.send(Err(self.gone()));
                true
            }
            Some(Command::Close { done }) => {
                self.finish(Some(done));
                false
            }
            None => {
                self.finish(None);
                false
            }
        }
    }

    /// Runs `work` while keeping sends for later and heeding `close`; `None` when closed.
    async fn busy<T>(&mut self, work: impl Future<Output = T>) -> Option<T> {
        tokio::pin!(work);
        loop {
            tokio::select! {
                out = &mut work => return Some(out),
                command = self.commands.recv() => match command {
                    Some(Command::Send { frame, reply }) => self.pending.push_back(Pending { frame, reply }),
                    Some(Command::SendOn { reply, .. }) => {
                        let _ = reply.send(Err(self.gone()));
                    }
                    // No socket yet: the next handshake reads the new settings anyway.
                    Some(Command::Wake | Command::Reconnect) => {}
                    Some(Command::Close { done }) => {
                        self.finish(Some(done));
                        return None;
                    }
                    None => {
                        self.finish(None);
                        return None;
                    }
                },
            }
        }
    }

    // --- Closing -------------------------------------------------------------------------

    /// Closed for good: every waiting send fails, later ones are refused.
    fn finish(&mut self, done: Option<oneshot::Sender<()>>) {
        self.commands.close();
        let closed = || CallError::Closed {
            connection: self.shared.name.clone(),
        };
        for pending in self.pending.drain(..) {
            let _ = pending.reply.send(Err(closed()));
        }
        let mut dones = Vec::from_iter(done);
        while let Ok(command) = self.commands.try_recv() {
            match command {
                Command::Send { reply, .. } | Command::SendOn { reply, .. } => {
                    let _ = reply.send(Err(closed()));
                }
                Command::Close { done } => dones.push(done),
                Command::Wake | Command::Reconnect => {}
            }
        }
        self.publish(LinkState::Closed);
        if self.speaks_for_connection {
            self.shared.emit(WebSocketEvent::Closed);
        }
        tracing::debug!(connection = self.name(), "websocket closed");
        for done in dones {
            let _ = done.send(());
        }
    }

    /// The error of a [`Command::SendOn`] whose socket is not the open one.
    fn gone(&self) -> CallError {
        CallError::Transport {
            connection: self.shared.name.clone(),
            message: "the socket the frame was meant for is gone".to_owned(),
        }
    }

    fn publish(&self, state: LinkState) {
        self.state.send_replace(state);
    }
}
