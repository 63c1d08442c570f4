//! SSE servers on 127.0.0.1: an axum one that numbers its events, resumes after
//! `Last-Event-ID` and drops the connection every few events, and a raw one that cuts an event
//! in half before closing.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, Sse};
use axum::routing::get;
use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::time::Instant;

/// One request the server saw.
#[derive(Clone, Debug)]
pub struct Seen {
    pub at: Instant,
    pub last_event_id: Option<String>,
    pub authorization: Option<String>,
}

/// Events `1..=total`, `drop_after` per connection, then the connection is cut.
pub struct Feed {
    pub total: u32,
    pub drop_after: u32,
    /// Sent as `retry:` with every event.
    pub retry: Option<Duration>,
    pub requests: Mutex<Vec<Seen>>,
    pub drops: Mutex<Vec<Instant>>,
}

impl Feed {
    pub fn new(total: u32, drop_after: u32, retry: Option<Duration>) -> Arc<Feed> {
        Arc::new(Feed {
            total,
            drop_after,
            retry,
            requests: Mutex::default(),
            drops: Mutex::default(),
        })
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.requests.lock().unwrap().clone()
    }
}

pub struct SseServer {
    pub addr: SocketAddr,
    pub feed: Arc<Feed>,
}

impl SseServer {
    pub async fn start(feed: Arc<Feed>) -> SseServer {
        let app = Router::new()
            .route("/events", get(events))
            .route("/json", get(json_events))
            .route(
                "/html",
                get(|| async { axum::response::Html("<p>not a stream</p>") }),
            )
            .route("/gone", get(|| async { StatusCode::NO_CONTENT }))
            .with_state(feed.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        SseServer { addr, feed }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

async fn events(
    State(feed): State<Arc<Feed>>,
    headers: HeaderMap,
) -> Sse<BoxStream<'static, Result<Event, std::io::Error>>> {
    let last_event_id = header(&headers, "last-event-id");
    let start = last_event_id
        .as_deref()
        .and_then(|id| id.parse::<u32>().ok())
        .unwrap_or(0)
        + 1;
    feed.requests.lock().unwrap().push(Seen {
        at: Instant::now(),
        last_event_id,
        authorization: header(&headers, "authorization"),
    });
    let end = (start + feed.drop_after - 1).min(feed.total);
    let retry = feed.retry;
    let numbered = stream::iter(start..=end).map(move |n| {
        let event = Event::default().id(n.to_string()).data(format!("event {n}"));
        Ok(match retry {
            Some(retry) => event.retry(retry),
            None => event,
        })
    });
    let tail = if end < feed.total {
        // Give the events a moment to leave, then cut the connection: an error from the body
        // makes hyper abort it without ending the chunked body.
        stream::once(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            feed.drops.lock().unwrap().push(Instant::now());
            Err(std::io::Error::other("cut"))
        })
        .boxed()
    } else {
        stream::pending().boxed()
    };
    Sse::new(numbered.chain(tail).boxed())
}

async fn json_events() -> Sse<BoxStream<'static, Result<Event, Infallible>>> {
    let data = [r#"{"n": 1}"#, "oops", r#"{"n": 3}"#];
    let events = stream::iter(data.into_iter().enumerate())
        .map(|(i, data)| Ok(Event::default().id((i + 1).to_string()).event("tick").data(data)));
    Sse::new(events.chain(stream::pending()).boxed())
}

/// A raw server: each connection gets the events after its `Last-Event-ID` (two whole ones,
/// then half of the next, then the socket closes), until `total`, after which it stays open.
pub async fn cutting_server(total: u32) -> (SocketAddr, Arc<Mutex<Vec<Option<String>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&request).to_lowercase();
                let last = text
                    .lines()
                    .find_map(|l| l.strip_prefix("last-event-id:"))
                    .map(|v| v.trim().to_owned());
                let start = last.as_deref().and_then(|id| id.parse::<u32>().ok()).unwrap_or(0) + 1;
                record.lock().unwrap().push(last);
                let mut out = String::from(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n",
                );
                let end = (start + 1).min(total);
                for n in start..=end {
                    out.push_str(&format!("id: {n}\ndata: event {n}\n\n"));
                }
                if end < total {
                    out.push_str(&format!("id: {}\ndata: half of ev", end + 1));
                }
                let _ = tcp.write_all(out.as_bytes()).await;
                if end < total {
                    return; // closes the socket mid-event
                }
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
        }
    });
    (addr, seen)
}

/// A port with nothing listening on it.
pub async fn closed_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], crate::ports::closed_port()))
}
