//! The task that owns the socket. It opens it (retrying with the backoff), writes the frames
//! handles ask for, pings, hands data messages to `recv`, notices a drop and reopens; handles
//! only talk to it through [`Command`]s and watch the [`LinkState`] it publishes.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{Instant, Interval, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::handshake::{Failure, Socket, describe};
use super::link::{Command, LinkState, Shared};
use super::{WebSocketEvent, WebSocketMessage};
use crate::CallError;
use crate::resilience::retry::Decision;

/// How long `close` waits for the server to answer the close frame.
const CLOSE_LIMIT: Duration = Duration::from_secs(2);

type Sink = SplitSink<Socket, Message>;
type Source = SplitStream<Socket>;

/// A send waiting for an open socket.
struct Pending {
    frame: Message,
    reply: oneshot::Sender<Result<(), CallError>>,
}

/// How a round of handshakes ended.
enum Round {
    Open(Socket),
    GaveUp,
    Stop,
}

/// How serving an open socket ended.
enum Served {
    Dropped,
    Stop,
}

/// What one read brought.
enum Read<'a> {
    Message(mpsc::Permit<'a, WebSocketMessage>, WebSocketMessage),
    Control(Message),
    Ended,
    Failed(String),
    NoReceiver,
}

/// A write that failed: the socket is unusable.
struct Broken {
    reason: String,
    timed_out: Option<Duration>,
}

impl Broken {
    fn error(&self, connection: &str) -> CallError {
        let connection = connection.to_owned();
        match self.timed_out {
            Some(after) => CallError::Timeout { connection, after },
            None => CallError::Transport {
                connection,
                message: self.reason.clone(),
            },
        }
    }
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
}

impl Driver {
    pub(super) fn new(
        shared: Arc<Shared>,
        commands: mpsc::UnboundedReceiver<Command>,
        inbound: mpsc::Sender<WebSocketMessage>,
        state: watch::Sender<LinkState>,
    ) -> Self {
        Driver {
            shared,
            commands,
            inbound,
            state,
            pending: VecDeque::new(),
            ever_open: false,
            down_since: None,
        }
    }

    /// Opens at once, then keeps a socket open until closed or every handle is gone.
    pub(super) async fn run(mut self) {
        let mut after_drop = false;
        loop {
            let socket = match self.round(after_drop).await {
                Round::Open(socket) => socket,
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
        let max = self.shared.reconnect.max_attempts();
        let mut server_asked = None;
        let mut last = None;
        for attempt in 1..=max {
            let retry = if after_drop { attempt } else { attempt - 1 };
            if retry > 0 {
                let delay = self.shared.reconnect.delay(retry, server_asked);
                tracing::debug!(connection = self.name(), attempt, ?delay, "websocket reconnecting");
                self.shared.emit(WebSocketEvent::Reconnecting { attempt, delay });
                if self.busy(tokio::time::sleep(delay)).await.is_none() {
                    return Round::Stop;
                }
            }
            let shared = self.shared.clone();
            let failure = match self.busy(async move { shared.handshake.open().await }).await {
                None => return Round::Stop,
                Some(Ok(socket)) => {
                    self.opened(attempt);
                    return Round::Open(socket);
                }
                Some(Err(failure)) => failure,
            };
            tracing::debug!(connection = self.name(), attempt, %failure, "websocket handshake failed");
            match self.shared.reconnect.decide(&failure.outcome()) {
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
                tracing::debug!(connection = self.name(), attempts, ?downtime, "websocket reconnected");
                WebSocketEvent::Reconnected { attempts, downtime }
            }
            (false, _) => {
                tracing::debug!(connection = self.name(), attempts, "websocket open");
                WebSocketEvent::Connected { attempts }
            }
        };
        self.ever_open = true;
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
            Some(Command::Wake) => true,
            Some(Command::Send { frame, reply }) => {
                self.pending.push_back(Pending { frame, reply });
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
                    Some(Command::Wake) => {}
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

    // --- Serving an open socket ----------------------------------------------------------

    async fn serve(&mut self, socket: Socket) -> Served {
        let (mut sink, mut source) = socket.split();
        // Sends that waited for this socket go first, in the order they were made.
        while let Some(Pending { frame, reply }) = self.pending.pop_front() {
            if reply.is_closed() {
                continue;
            }
            if let Err(broken) = self.write(&mut sink, frame).await {
                let _ = reply.send(Err(broken.error(self.name())));
                return self.dropped(broken.reason);
            }
            let _ = reply.send(Ok(()));
        }
        let mut pinger = self.shared.ping_interval.map(|every| {
            let mut pinger = tokio::time::interval_at(Instant::now() + every, every);
            pinger.set_missed_tick_behavior(MissedTickBehavior::Delay);
            pinger
        });
        // A ping went out and nothing came back since.
        let mut unanswered = false;
        let mut closed_by_server = None;
        // A clone, so a reserved place in the buffer borrows this local, not `self`.
        let inbound = self.inbound.clone();
        loop {
            tokio::select! {
                command = self.commands.recv() => match command {
                    Some(Command::Send { frame, reply }) => {
                        // The caller stopped waiting (its timeout): do not send behind its back.
                        if reply.is_closed() {
                            continue;
                        }
                        match self.write(&mut sink, frame).await {
                            Ok(()) => {
                                let _ = reply.send(Ok(()));
                            }
                            Err(broken) => {
                                let _ = reply.send(Err(broken.error(self.name())));
                                return self.dropped(broken.reason);
                            }
                        }
                    }
                    Some(Command::Wake) => {}
                    Some(Command::Close { done }) => {
                        close_socket(sink, source).await;
                        self.finish(Some(done));
                        return Served::Stop;
                    }
                    None => {
                        close_socket(sink, source).await;
                        self.finish(None);
                        return Served::Stop;
                    }
                },
                _ = tick(&mut pinger) => {
                    // Unless `recv` is behind (the buffer is full, so nothing is read), a ping
                    // left unanswered for a whole interval means the peer or the path is gone.
                    if unanswered && inbound.capacity() > 0 {
                        let every = self.shared.ping_interval.unwrap_or_default();
                        let reason = format!("no answer to ping within {}", humantime::format_duration(every));
                        return self.dropped(reason);
                    }
                    if let Err(broken) = self.write(&mut sink, Message::Ping(Bytes::new())).await {
                        return self.dropped(broken.reason);
                    }
                    unanswered = true;
                }
                read = read(&inbound, &mut source) => match read {
                    Read::Message(permit, message) => {
                        unanswered = false;
                        permit.send(message);
                    }
                    Read::Control(Message::Close(frame)) => {
                        unanswered = false;
                        closed_by_server = Some(close_reason(frame.as_ref()));
                    }
                    Read::Control(_) => unanswered = false,
                    Read::Ended => {
                        let reason = closed_by_server.unwrap_or_else(|| "the server ended the connection".to_owned());
                        return self.dropped(reason);
                    }
                    Read::Failed(reason) => return self.dropped(reason),
                    Read::NoReceiver => {
                        close_socket(sink, source).await;
                        self.finish(None);
                        return Served::Stop;
                    }
                },
            }
        }
    }

    /// Writes and flushes one frame within the write limit.
    async fn write(&self, sink: &mut Sink, frame: Message) -> Result<(), Broken> {
        let limit = self.shared.write_limit;
        match tokio::time::timeout(limit, sink.send(frame)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Broken {
                reason: format!("write failed: {}", describe(&e)),
                timed_out: None,
            }),
            Err(_) => Err(Broken {
                reason: format!(
                    "a write took longer than {}",
                    humantime::format_duration(limit)
                ),
                timed_out: Some(limit),
            }),
        }
    }

    fn dropped(&mut self, reason: String) -> Served {
        tracing::debug!(connection = self.name(), %reason, "websocket connection lost");
        self.down_since = Some(Instant::now());
        self.publish(LinkState::Connecting);
        self.shared.emit(WebSocketEvent::Disconnected { reason });
        Served::Dropped
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
                Command::Send { reply, .. } => {
                    let _ = reply.send(Err(closed()));
                }
                Command::Close { done } => dones.push(done),
                Command::Wake => {}
            }
        }
        self.publish(LinkState::Closed);
        self.shared.emit(WebSocketEvent::Closed);
        tracing::debug!(connection = self.name(), "websocket closed");
        for done in dones {
            let _ = done.send(());
        }
    }

    fn publish(&self, state: LinkState) {
        self.state.send_replace(state);
    }
}

/// Waits for a free place in the buffer, then for the next frame.
async fn read<'a>(inbound: &'a mpsc::Sender<WebSocketMessage>, source: &mut Source) -> Read<'a> {
    let Ok(permit) = inbound.reserve().await else {
        return Read::NoReceiver;
    };
    match source.next().await {
        Some(Ok(frame)) => match WebSocketMessage::from_frame(frame.clone()) {
            Some(message) => Read::Message(permit, message),
            None => Read::Control(frame),
        },
        Some(Err(e)) => Read::Failed(format!("read failed: {}", describe(&e))),
        None => Read::Ended,
    }
}

/// The next ping time; never, without pings.
async fn tick(pinger: &mut Option<Interval>) {
    match pinger {
        Some(pinger) => {
            pinger.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// Sends a close frame and waits a little for the server's answer.
async fn close_socket(mut sink: Sink, mut source: Source) {
    let frame = CloseFrame {
        code: CloseCode::Normal,
        reason: "".into(),
    };
    let _ = tokio::time::timeout(CLOSE_LIMIT, async {
        if sink.send(Message::Close(Some(frame))).await.is_ok() {
            while let Some(Ok(_)) = source.next().await {}
        }
    })
    .await;
}

/// `server closed: 1001 (Going away) restarting`.
fn close_reason(frame: Option<&CloseFrame>) -> String {
    match frame {
        Some(frame) if frame.reason.is_empty() => format!("server closed: {}", u16::from(frame.code)),
        Some(frame) => format!("server closed: {} {}", u16::from(frame.code), frame.reason.as_str()),
        None => "server closed".to_owned(),
    }
}
