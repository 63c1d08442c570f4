//! WebSocket connection: `cargo run --example websocket`.
//!
//! Starts its own echo server on 127.0.0.1 (no outside service), sends text and JSON, has the
//! server drop the socket without a close frame, and shows the connection reopening it by
//! itself (the events are printed as they happen) before sending again.

use std::time::Duration;

use connfx::{Connection, WebSocketConfig, WebSocketConnection, WebSocketEvent};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

type Failure = Box<dyn std::error::Error>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let url = echo_server().await?;
    let config: WebSocketConfig = serde_json::from_value(serde_json::json!({
        "url": url,
        "headers": { "Authorization": "Bearer s3cret", "X-Client": "example" },
        "ping_interval": "1s",
        "retry": { "max_attempts": 5, "initial_interval": "50ms", "max_interval": "1s" },
    }))?;
    let feed = WebSocketConnection::connect("feed", config).await?;
    println!(
        "== connected `{}` to {} (the socket opens in the background)",
        feed.name(),
        feed.url()
    );
    feed.on_event(|event| println!("   event: {event:?}"));
    let mut events = feed.subscribe();

    feed.send_text("hello").await?;
    println!("== received {:?}", feed.recv().await?);
    feed.send_json(&serde_json::json!({ "order": 7, "item": "pen" }))
        .await?;
    let order: serde_json::Value = feed.recv_json().await?;
    println!("== received JSON {order}");

    println!("\n== asking the server to drop the socket");
    feed.send_text("drop").await?;
    let back = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match events.recv().await {
                Ok(event @ WebSocketEvent::Reconnected { .. }) => return Some(event),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    })
    .await?;
    println!("== back: {back:?}");
    feed.send_text("after the drop").await?;
    println!("== received {:?}", feed.recv().await?);

    let health = feed.health().await;
    println!(
        "\n== health: {} in {:.1?}: {}",
        health.state, health.latency, health.message
    );
    println!("== Debug shows no header value: {feed:?}");
    feed.close().await;
    println!(
        "== closed; a send now fails: {}",
        feed.send_text("late").await.unwrap_err()
    );
    Ok(())
}

/// An echo server on a free port of 127.0.0.1; `drop` makes it cut the socket.
async fn echo_server() -> Result<String, Failure> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("ws://{}/feed", listener.local_addr()?);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                while let Some(Ok(message)) = ws.next().await {
                    match message {
                        Message::Text(text) if text.as_str() == "drop" => return,
                        Message::Text(text) if text.as_str().starts_with('{') => {
                            let _ = ws.send(Message::Text(text)).await;
                        }
                        Message::Text(text) => {
                            let _ = ws.send(Message::text(format!("echo: {}", text.as_str()))).await;
                        }
                        Message::Binary(data) => {
                            let _ = ws.send(Message::Binary(data)).await;
                        }
                        _ => {}
                    }
                }
            });
        }
    });
    Ok(url)
}
