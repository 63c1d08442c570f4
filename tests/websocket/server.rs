//! A WebSocket echo server on 127.0.0.1 that records what it saw (connections, handshake
//! headers, pings, close frames), can drop its connections without a close frame, and can
//! refuse upgrades with 401 (a [`Gate`]).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;

/// Says whether an upgrade request may open a socket; one it turns down is answered 401.
pub type Gate = Arc<dyn Fn(&Request) -> bool + Send + Sync>;

/// What the server saw, shared with the test.
#[derive(Default)]
pub struct Seen {
    pub connections: AtomicUsize,
    pub pings: Mutex<Vec<Instant>>,
    pub headers: Mutex<Vec<Vec<(String, String)>>>,
    pub close_frames: AtomicUsize,
}

pub struct EchoServer {
    pub addr: SocketAddr,
    pub seen: Arc<Seen>,
    kill: broadcast::Sender<()>,
    accept: JoinHandle<()>,
}

impl EchoServer {
    /// An echo server on a free port.
    pub async fn start() -> EchoServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        EchoServer::serve(listener, Arc::default(), Behaviour::Echo, None)
    }

    /// An echo server on `addr` (a port a client is already trying), sharing `seen`.
    pub async fn start_on(addr: SocketAddr, seen: Arc<Seen>) -> EchoServer {
        let listener = bind_again(addr).await;
        EchoServer::serve(listener, seen, Behaviour::Echo, None)
    }

    /// An echo server on a free port (or on `addr`) that opens only the sockets `gate` lets
    /// in (those turned down are not counted in `connections`).
    pub async fn start_guarded(addr: Option<SocketAddr>, gate: Gate) -> EchoServer {
        let listener = match addr {
            Some(addr) => bind_again(addr).await,
            None => TcpListener::bind("127.0.0.1:0").await.unwrap(),
        };
        EchoServer::serve(listener, Arc::default(), Behaviour::Echo, Some(gate))
    }

    /// A server that completes the handshake, then never reads (so never answers a ping).
    pub async fn start_deaf() -> EchoServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        EchoServer::serve(listener, Arc::default(), Behaviour::Deaf, None)
    }

    fn serve(listener: TcpListener, seen: Arc<Seen>, behaviour: Behaviour, gate: Option<Gate>) -> EchoServer {
        let addr = listener.local_addr().unwrap();
        let (kill, _) = broadcast::channel(4);
        let killer = kill.clone();
        let shared = seen.clone();
        let accept = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (seen, kill, gate) = (shared.clone(), killer.subscribe(), gate.clone());
                tokio::spawn(connection(tcp, seen, kill, behaviour, gate));
            }
        });
        EchoServer {
            addr,
            seen,
            kill,
            accept,
        }
    }

    pub fn url(&self) -> String {
        format!("ws://{}/feed", self.addr)
    }

    pub fn connections(&self) -> usize {
        self.seen.connections.load(Ordering::SeqCst)
    }

    /// Drops every open connection at once, without a close frame (like a crash or a cut
    /// network); the listener keeps accepting.
    pub fn drop_connections(&self) {
        let _ = self.kill.send(());
    }
}

impl Drop for EchoServer {
    /// Stops listening and drops every connection.
    fn drop(&mut self) {
        self.accept.abort();
        self.drop_connections();
    }
}

#[derive(Clone, Copy)]
enum Behaviour {
    Echo,
    Deaf,
}

async fn connection(
    tcp: TcpStream,
    seen: Arc<Seen>,
    mut kill: broadcast::Receiver<()>,
    behaviour: Behaviour,
    gate: Option<Gate>,
) {
    let record = seen.clone();
    // The error type is tungstenite's; its size is not ours to choose.
    #[allow(clippy::result_large_err)]
    let callback = move |request: &Request, response: Response| {
        let headers = request
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        record.headers.lock().unwrap().push(headers);
        match gate.is_none_or(|gate| gate(request)) {
            true => Ok(response),
            false => {
                let mut refusal = ErrorResponse::new(Some("bad token".to_owned()));
                *refusal.status_mut() = StatusCode::UNAUTHORIZED;
                Err(refusal)
            }
        }
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(tcp, callback).await else {
        return;
    };
    seen.connections.fetch_add(1, Ordering::SeqCst);
    if let Behaviour::Deaf = behaviour {
        let _ = kill.recv().await;
        return;
    }
    loop {
        tokio::select! {
            _ = kill.recv() => return,
            frame = ws.next() => match frame {
                Some(Ok(Message::Text(text))) if text.as_str() == "drop" => return,
                Some(Ok(Message::Text(text))) if text.as_str().starts_with("big ") => {
                    let size: usize = text.as_str()[4..].parse().unwrap();
                    let _ = ws.send(Message::text("x".repeat(size))).await;
                }
                Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => {
                    if ws.send(message).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Ping(_))) => seen.pings.lock().unwrap().push(Instant::now()),
                Some(Ok(Message::Close(_))) => {
                    seen.close_frames.fetch_add(1, Ordering::SeqCst);
                    // Answer the close handshake, then end.
                    while let Some(Ok(_)) = ws.next().await {}
                    return;
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            },
        }
    }
}

/// Binds `addr` again after its listener was dropped (the port may take a moment to be free).
async fn bind_again(addr: SocketAddr) -> TcpListener {
    for _ in 0..50 {
        if let Ok(listener) = TcpListener::bind(addr).await {
            return listener;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("cannot bind {addr} again");
}

/// A port with nothing listening on it.
pub async fn closed_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], crate::ports::closed_port()))
}

/// A server that answers every upgrade with `status` and counts the attempts.
pub async fn refusing(status: &'static str) -> (SocketAddr, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let attempts = Arc::new(AtomicUsize::new(0));
    let counter = attempts.clone();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 2048];
            let _ = tcp.read(&mut buf).await;
            let answer = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = tcp.write_all(answer.as_bytes()).await;
        }
    });
    (addr, attempts)
}
