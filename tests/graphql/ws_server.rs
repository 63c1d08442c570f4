//! A `graphql-transport-ws` server on 127.0.0.1, written from the protocol's description (the
//! `graphql-ws` library's PROTOCOL.md): it requires the subprotocol in the handshake, answers
//! `connection_init` with `connection_ack`, closes with 4401 on a `subscribe` before that, and
//! serves three subscriptions by their text:
//!
//! - `counter`: `next` with `{"counter": n}` from `variables.from` (1) every 10 ms, up to
//!   `variables.to` (then `complete`) or until the client completes it;
//! - `boom`: an `error` message;
//! - `partial`: one `next` with data and `errors`.
//!
//! It records what it saw, and can drop every socket at once (a redeploy). An init payload with
//! `"silent": true` is never acknowledged.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

const SUBPROTOCOL: &str = "graphql-transport-ws";

/// What the server saw, shared with the test.
#[derive(Default)]
pub struct Seen {
    /// Sockets that completed the handshake.
    pub connections: AtomicUsize,
    /// Handshakes refused for not naming the subprotocol.
    pub refused: AtomicUsize,
    /// The payload of each `connection_init` (`null` when none), in order.
    pub inits: Mutex<Vec<Value>>,
    /// `(id, payload)` of each `subscribe`, in order.
    pub subscribes: Mutex<Vec<(String, Value)>>,
    /// The id of each `complete` from the client.
    pub completes: Mutex<Vec<String>>,
    /// Sockets closed with 4401 (a `subscribe` before `connection_ack`).
    pub unauthorized: AtomicUsize,
    /// `pong`s from the client (the server pings after its ack when the init payload says
    /// `"ping": true`).
    pub pongs: AtomicUsize,
}

impl Seen {
    pub fn inits(&self) -> Vec<Value> {
        self.inits.lock().unwrap().clone()
    }

    pub fn subscribe_ids(&self) -> Vec<String> {
        self.subscribes
            .lock()
            .unwrap()
            .iter()
            .map(|(id, _)| id.clone())
            .collect()
    }

    pub fn completes(&self) -> Vec<String> {
        self.completes.lock().unwrap().clone()
    }
}

pub struct GraphqlWsServer {
    pub addr: SocketAddr,
    pub seen: Arc<Seen>,
    kill: broadcast::Sender<()>,
    accept: JoinHandle<()>,
}

impl GraphqlWsServer {
    pub async fn start() -> GraphqlWsServer {
        GraphqlWsServer::serve(TcpListener::bind("127.0.0.1:0").await.unwrap())
    }

    /// A server on `port` (one a client is already trying, or one a stopped server left).
    pub async fn start_on(port: u16) -> GraphqlWsServer {
        for _ in 0..50 {
            if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)).await {
                return GraphqlWsServer::serve(listener);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("cannot bind port {port} again");
    }

    fn serve(listener: TcpListener) -> GraphqlWsServer {
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Seen::default());
        let (kill, _) = broadcast::channel(4);
        let (shared, killer) = (seen.clone(), kill.clone());
        let accept = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                tokio::spawn(connection(tcp, shared.clone(), killer.subscribe()));
            }
        });
        GraphqlWsServer {
            addr,
            seen,
            kill,
            accept,
        }
    }

    pub fn url(&self) -> String {
        format!("ws://{}/graphql", self.addr)
    }

    /// Drops every open socket at once, without a close frame (a crash or a redeploy); the
    /// listener keeps accepting.
    pub fn drop_connections(&self) {
        let _ = self.kill.send(());
    }
}

impl Drop for GraphqlWsServer {
    fn drop(&mut self) {
        self.accept.abort();
        self.drop_connections();
    }
}

async fn connection(tcp: TcpStream, seen: Arc<Seen>, mut kill: broadcast::Receiver<()>) {
    let record = seen.clone();
    #[allow(clippy::result_large_err)]
    let callback = move |request: &Request, mut response: Response| -> Result<Response, ErrorResponse> {
        let named = request
            .headers()
            .get_all("sec-websocket-protocol")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|p| p.trim() == SUBPROTOCOL));
        if !named {
            record.refused.fetch_add(1, Ordering::SeqCst);
            let mut refusal = ErrorResponse::new(Some("graphql-transport-ws required".into()));
            *refusal.status_mut() = StatusCode::BAD_REQUEST;
            return Err(refusal);
        }
        response
            .headers_mut()
            .insert("sec-websocket-protocol", HeaderValue::from_static(SUBPROTOCOL));
        Ok(response)
    };
    let Ok(ws) = tokio_tungstenite::accept_hdr_async(tcp, callback).await else {
        return;
    };
    seen.connections.fetch_add(1, Ordering::SeqCst);
    let (mut sink, mut source) = ws.split();
    // Publishers write here; this task alone writes to the socket.
    let (out, mut outgoing) = mpsc::unbounded_channel::<Message>();
    let mut publishers: HashMap<String, JoinHandle<()>> = HashMap::new();
    let mut acked = false;
    loop {
        tokio::select! {
            _ = kill.recv() => break,
            Some(message) = outgoing.recv() => {
                if sink.send(message).await.is_err() {
                    break;
                }
            }
            frame = source.next() => {
                let Some(Ok(Message::Text(text))) = frame else {
                    match frame {
                        Some(Ok(_)) => continue,
                        _ => break,
                    }
                };
                let message: Value = serde_json::from_str(text.as_str()).unwrap();
                let id = message["id"].as_str().unwrap_or_default().to_owned();
                match message["type"].as_str().unwrap_or_default() {
                    "connection_init" => {
                        seen.inits.lock().unwrap().push(message["payload"].clone());
                        // A server that never answers, for the client's limit.
                        if message["payload"]["silent"] == true {
                            continue;
                        }
                        acked = true;
                        let _ = out.send(text_of(json!({ "type": "connection_ack" })));
                        if message["payload"]["ping"] == true {
                            let _ = out.send(text_of(json!({ "type": "ping" })));
                        }
                    }
                    "subscribe" => {
                        seen.subscribes.lock().unwrap().push((id.clone(), message["payload"].clone()));
                        if !acked {
                            seen.unauthorized.fetch_add(1, Ordering::SeqCst);
                            let frame = CloseFrame { code: CloseCode::from(4401), reason: "Unauthorized".into() };
                            let _ = sink.send(Message::Close(Some(frame))).await;
                            break;
                        }
                        let publisher = tokio::spawn(publish(id.clone(), message["payload"].clone(), out.clone()));
                        if let Some(old) = publishers.insert(id, publisher) {
                            old.abort();
                        }
                    }
                    "complete" => {
                        seen.completes.lock().unwrap().push(id.clone());
                        if let Some(publisher) = publishers.remove(&id) {
                            publisher.abort();
                        }
                    }
                    "ping" => {
                        let _ = out.send(text_of(json!({ "type": "pong" })));
                    }
                    "pong" => {
                        seen.pongs.fetch_add(1, Ordering::SeqCst);
                    }
                    _ => {}
                }
            }
        }
    }
    for publisher in publishers.into_values() {
        publisher.abort();
    }
}

/// Serves one subscription.
async fn publish(id: String, payload: Value, out: mpsc::UnboundedSender<Message>) {
    let query = payload["query"].as_str().unwrap_or_default();
    let variables = &payload["variables"];
    if query.contains("boom") {
        let errors = json!([{ "message": "boom is not allowed", "extensions": { "code": "FORBIDDEN" } }]);
        let _ = out.send(text_of(json!({ "type": "error", "id": id, "payload": errors })));
        return;
    }
    if query.contains("partial") {
        let result = json!({ "data": { "counter": null }, "errors": [{ "message": "counter failed", "path": ["counter"] }] });
        let _ = out.send(text_of(json!({ "type": "next", "id": id, "payload": result })));
        return;
    }
    let from = variables["from"].as_u64().unwrap_or(1);
    let to = variables["to"].as_u64();
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    for n in from.. {
        tick.tick().await;
        let result = json!({ "data": { "counter": n } });
        if out
            .send(text_of(json!({ "type": "next", "id": id, "payload": result })))
            .is_err()
        {
            return;
        }
        if to == Some(n) {
            let _ = out.send(text_of(json!({ "type": "complete", "id": id })));
            return;
        }
    }
}

fn text_of(value: Value) -> Message {
    Message::text(value.to_string())
}
