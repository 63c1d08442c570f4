//! Server-Sent Events connection: `cargo run --example sse`.
//!
//! Starts its own SSE server on 127.0.0.1 (no outside service) that numbers its events, cuts
//! the connection every two events and resumes after the `Last-Event-ID` it is sent. The client
//! prints each event it receives: 1 to 6, each once, across three connections.

use std::time::Duration;

use axum::Router;
use axum::http::HeaderMap;
use axum::response::sse::{Event, Sse};
use axum::routing::get;
use connfx::{Connection, SseConfig, SseConnection};
use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::net::TcpListener;

type Failure = Box<dyn std::error::Error>;

/// Events the server sends in all.
const TOTAL: u32 = 6;

#[derive(serde::Deserialize)]
struct Tick {
    n: u32,
    price: f64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let url = sse_server().await?;
    let config: SseConfig = serde_json::from_value(serde_json::json!({
        "url": url,
        "auth": { "bearer": "s3cret" },
        "read_timeout": "10s",
        "retry": { "max_attempts": 5, "initial_interval": "100ms" },
    }))?;
    let ticks = SseConnection::connect("ticks", config).await?;
    println!(
        "== connected `{}` to {} (nothing requested yet)",
        ticks.name(),
        ticks.url()
    );
    let health = ticks.health().await;
    println!(
        "== health: {} in {:.1?}: {}\n",
        health.state, health.latency, health.message
    );

    let mut events = ticks.events_json::<Tick>();
    for _ in 0..TOTAL {
        let Ok(Some(event)) = tokio::time::timeout(Duration::from_secs(5), events.next()).await else {
            return Err("no event in time".into());
        };
        let event = event?;
        println!(
            "   client got event id={} type={} tick #{} at {}",
            event.id.unwrap_or_default(),
            event.event,
            event.data.n,
            event.data.price
        );
    }
    ticks.close().await;
    println!(
        "\n== closed; the stream ends: {:?}",
        events.next().await.map(|e| e.map(|e| e.data.n))
    );
    Ok(())
}

/// An SSE server on a free port of 127.0.0.1.
async fn sse_server() -> Result<String, Failure> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/ticks", listener.local_addr()?);
    let app = Router::new().route("/ticks", get(ticks));
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

/// Two events after the client's `Last-Event-ID` (with `retry: 200`), then the connection is
/// cut; after the last event the stream stays open.
async fn ticks(headers: HeaderMap) -> Sse<BoxStream<'static, Result<Event, std::io::Error>>> {
    let last = headers.get("last-event-id").and_then(|v| v.to_str().ok());
    println!("   server: request with Last-Event-ID {last:?}");
    let start = last.and_then(|id| id.parse::<u32>().ok()).unwrap_or(0) + 1;
    let end = (start + 1).min(TOTAL);
    let events = stream::iter(start..=end).map(|n| {
        let data = serde_json::json!({ "n": n, "price": 100.0 + f64::from(n) / 4.0 }).to_string();
        Ok(Event::default()
            .id(n.to_string())
            .event("tick")
            .data(data)
            .retry(Duration::from_millis(200)))
    });
    let tail = match end < TOTAL {
        true => stream::once(async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            println!("   server: cutting the connection");
            Err(std::io::Error::other("cut"))
        })
        .boxed(),
        false => stream::pending().boxed(),
    };
    Sse::new(events.chain(tail).boxed())
}
