//! Serving an open socket: writes for the handles, pings, reads into the buffer `recv` takes
//! from, and the signs of a drop.

use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, Interval, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::{Driver, Pending, Served};
use crate::CallError;
use crate::protocol::websocket::WebSocketEvent;
use crate::protocol::websocket::WebSocketMessage;
use crate::protocol::websocket::handshake::{Socket, describe};
use crate::protocol::websocket::link::{Command, LinkState};

/// How long `close` waits for the server to answer the close frame.
const CLOSE_LIMIT: Duration = Duration::from_secs(2);

type Sink = SplitSink<Socket, Message>;
type Source = SplitStream<Socket>;

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
    /// The frame, when the socket refused it before writing any of it (it was closing or
    /// closed): it goes out on the next socket instead of failing.
    unsent: Option<Message>,
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

impl Driver {
    /// Serves `socket` until it drops (`Dropped`: reopen it) or the connection ends (`Stop`).
    pub(super) async fn serve(&mut self, socket: Socket) -> Served {
        let (mut sink, mut source) = socket.split();
        // Sends that waited for this socket go first, in the order they were made.
        while let Some(Pending { frame, reply }) = self.pending.pop_front() {
            if reply.is_closed() {
                continue;
            }
            if let Err(broken) = self.write(&mut sink, frame).await {
                return self.broken(broken, reply);
            }
            let _ = reply.send(Ok(()));
        }
        // This socket's settings, for its whole life: a reload that changes them reconnects.
        let settings = self.shared.settings.load_full();
        let mut pinger = settings.ping_interval.map(|every| {
            let mut pinger = tokio::time::interval_at(Instant::now() + every, every);
            pinger.set_missed_tick_behavior(MissedTickBehavior::Delay);
            pinger
        });
        // A ping went out and nothing came back since.
        let mut unanswered = false;
        let mut closed_by_server = None;
        // This socket's number, for sends bound to it.
        let number = *self.opened.borrow();
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
                        // The server is closing this socket: the frame waits for the next one
                        // rather than fail, or go out to a server that discards it.
                        if closed_by_server.is_some() {
                            self.pending.push_back(Pending { frame, reply });
                            continue;
                        }
                        match self.write(&mut sink, frame).await {
                            Ok(()) => {
                                let _ = reply.send(Ok(()));
                            }
                            Err(broken) => return self.broken(broken, reply),
                        }
                    }
                    Some(Command::SendOn { socket, frame, reply }) => {
                        if socket != number || closed_by_server.is_some() || reply.is_closed() {
                            let _ = reply.send(Err(self.gone()));
                            continue;
                        }
                        if let Err(broken) = self.write(&mut sink, frame).await {
                            let _ = reply.send(Err(broken.error(self.name())));
                            return self.dropped(broken.reason);
                        }
                        let _ = reply.send(Ok(()));
                    }
                    Some(Command::Wake) => {}
                    Some(Command::Reconnect) => {
                        close_socket(sink, source, &inbound).await;
                        return self.moved();
                    }
                    Some(Command::Close { done }) => {
                        close_socket(sink, source, &inbound).await;
                        self.finish(Some(done));
                        return Served::Stop;
                    }
                    None => {
                        close_socket(sink, source, &inbound).await;
                        self.finish(None);
                        return Served::Stop;
                    }
                },
                _ = tick(&mut pinger) => {
                    // Unless `recv` is behind (the buffer is full, so nothing is read), a ping
                    // left unanswered for a whole interval means the peer or the path is gone.
                    if unanswered && inbound.capacity() > 0 {
                        let every = settings.ping_interval.unwrap_or_default();
                        let reason = format!("no answer to ping within {}", humantime::format_duration(every));
                        return self.dropped(reason);
                    }
                    if let Err(broken) = self.write(&mut sink, Message::Ping(Bytes::new())).await {
                        // A ping is not worth keeping for the next socket.
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
                        // tungstenite queued the answering close frame; it leaves with the next
                        // write or flush, and no data frame follows it here: flush, so the server
                        // ends the socket now rather than at its own close timeout.
                        let _ = tokio::time::timeout(CLOSE_LIMIT, sink.flush()).await;
                    }
                    Read::Control(_) => unanswered = false,
                    Read::Ended => {
                        let reason = closed_by_server.unwrap_or_else(|| "the server ended the connection".to_owned());
                        return self.dropped(reason);
                    }
                    Read::Failed(reason) => return self.dropped(reason),
                    Read::NoReceiver => {
                        close_socket(sink, source, &inbound).await;
                        self.finish(None);
                        return Served::Stop;
                    }
                },
            }
        }
    }

    /// Writes and flushes one frame within the write limit.
    async fn write(&self, sink: &mut Sink, frame: Message) -> Result<(), Broken> {
        use tokio_tungstenite::tungstenite::Error;
        use tokio_tungstenite::tungstenite::error::ProtocolError;
        let limit = self.shared.settings.load().write_limit;
        // A clone (a reference count): a socket that refuses the frame unwritten gives it back.
        match tokio::time::timeout(limit, sink.send(frame.clone())).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                let unwritten = matches!(
                    e,
                    Error::AlreadyClosed | Error::Protocol(ProtocolError::SendAfterClosing)
                );
                Err(Broken {
                    reason: format!("write failed: {}", describe(&e)),
                    timed_out: None,
                    unsent: unwritten.then_some(frame),
                })
            }
            Err(_) => Err(Broken {
                reason: format!("a write took longer than {}", humantime::format_duration(limit)),
                timed_out: Some(limit),
                unsent: None,
            }),
        }
    }

    /// A write broke the socket: a frame it refused unwritten waits for the next socket, any
    /// other failure is the caller's error; the socket is reopened either way.
    fn broken(&mut self, broken: Broken, reply: oneshot::Sender<Result<(), CallError>>) -> Served {
        match broken.unsent {
            Some(frame) => self.pending.push_front(Pending { frame, reply }),
            None => {
                let _ = reply.send(Err(broken.error(self.name())));
            }
        }
        self.dropped(broken.reason)
    }

    /// The socket was closed for new settings: reopen now, telling subscribers as a drop.
    fn moved(&mut self) -> Served {
        let _ = self.dropped("settings reloaded".to_owned());
        Served::Moved
    }

    fn dropped(&mut self, reason: String) -> Served {
        tracing::debug!(connection = self.name(), %reason, "websocket connection lost");
        self.down_since = Some(Instant::now());
        self.publish(LinkState::Connecting);
        self.shared.emit(WebSocketEvent::Disconnected { reason });
        Served::Dropped
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
/// Messages the server sent before it read the close frame (answers to frames written just
/// before) still go to `recv`: a socket reopened for new settings or its `max_lifetime` loses
/// nothing the server sent on it.
async fn close_socket(mut sink: Sink, mut source: Source, inbound: &mpsc::Sender<WebSocketMessage>) {
    let frame = CloseFrame {
        code: CloseCode::Normal,
        reason: "".into(),
    };
    let _ = tokio::time::timeout(CLOSE_LIMIT, async {
        if sink.send(Message::Close(Some(frame))).await.is_ok() {
            while let Some(Ok(frame)) = source.next().await {
                if let Some(message) = WebSocketMessage::from_frame(frame) {
                    // No receiver (the connection is gone): nothing to keep it for.
                    let _ = inbound.send(message).await;
                }
            }
        }
    })
    .await;
}

/// `server closed: 1001 (Going away) restarting`.
fn close_reason(frame: Option<&CloseFrame>) -> String {
    match frame {
        Some(frame) if frame.reason.is_empty() => format!("server closed: {}", u16::from(frame.code)),
        Some(frame) => format!(
            "server closed: {} {}",
            u16::from(frame.code),
            frame.reason.as_str()
        ),
        None => "server closed".to_owned(),
    }
}
