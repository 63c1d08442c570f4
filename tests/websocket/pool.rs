//! `pool(...)` on a WebSocket connection (issue 16 item 10, seed 002's
//! `WebSocketConnectionPool`): `min_idle` sockets from the start, more when every open one is
//! busy, never past `max_size`, idle ones let go, each reconnecting on its own.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use connfx::WebSocketEvent;
use connfx::prelude::*;
use futures_util::future::join_all;
use tokio::time::Instant;

use super::server::EchoServer;
use super::{LIMIT, connect, recv};

/// Waits until `done` holds, polling, for at most [`LIMIT`].
pub(super) async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + LIMIT;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {LIMIT:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Sends `count` texts at once and reads every echo back: the set of texts that returned.
async fn burst(feed: &WebSocketConnection, tag: &str, count: usize) -> BTreeSet<String> {
    let sends = (0..count).map(|i| feed.send_text(format!("{tag}-{i}")));
    for sent in join_all(sends).await {
        sent.unwrap();
    }
    let mut echoed = BTreeSet::new();
    for _ in 0..count {
        let message = recv(feed).await.unwrap();
        echoed.insert(message.as_text().unwrap().to_owned());
    }
    echoed
}

fn expected(tag: &str, count: usize) -> BTreeSet<String> {
    (0..count).map(|i| format!("{tag}-{i}")).collect()
}

#[tokio::test]
async fn opens_min_idle_grows_when_every_socket_is_busy_and_never_past_max_size() {
    let server = EchoServer::start().await;
    let pool = serde_json::json!({ "pool": { "max_size": 3, "min_idle": 2, "idle_timeout": "60s" } });
    let feed = connect(&server.url(), pool).await;
    assert_eq!(feed.sockets(), 2);
    until("two sockets open", || server.connections() == 2).await;

    // Every message sent at once comes back, from whichever socket took it.
    assert_eq!(burst(&feed, "a", 60).await, expected("a", 60));
    assert_eq!(feed.sockets(), 3, "grew to max_size under the burst");
    until("the third socket open", || server.connections() == 3).await;
    assert_eq!(burst(&feed, "b", 60).await, expected("b", 60));
    assert_eq!(server.connections(), 3, "never past max_size");
    feed.close().await;
    until("every socket closed with a close frame", || {
        server.seen.close_frames.load(Ordering::SeqCst) == 3
    })
    .await;
}

#[tokio::test]
async fn idle_sockets_beyond_min_idle_are_let_go_and_each_reconnects_on_its_own() {
    let server = EchoServer::start().await;
    let pool = serde_json::json!({
        "pool": { "max_size": 3, "min_idle": 1, "idle_timeout": "200ms" },
        "retry": { "max_attempts": 10, "initial_interval": "20ms" },
    });
    let feed = connect(&server.url(), pool).await;
    let mut events = feed.subscribe();
    until("the first socket open", || feed.is_open()).await;
    assert_eq!(burst(&feed, "a", 40).await, expected("a", 40));
    assert_eq!(feed.sockets(), 3);

    // Idle past `idle_timeout`: back to `min_idle`, the others closed with a close frame, and
    // the connection itself not reported closed.
    until("back to one socket", || feed.sockets() == 1).await;
    until("two close frames", || {
        server.seen.close_frames.load(Ordering::SeqCst) == 2
    })
    .await;
    while let Ok(event) = events.try_recv() {
        assert!(!matches!(event, WebSocketEvent::Closed), "{event:?}");
    }

    // Every socket dropped at once (no close frame, as in a crash): each reopens on its own,
    // and calls go on.
    assert_eq!(burst(&feed, "b", 40).await, expected("b", 40));
    let (before, sockets) = (server.connections(), feed.sockets());
    assert!(sockets >= 2, "{sockets} sockets");
    server.drop_connections();
    // (Re-read: the pool may let an idle one go meanwhile.)
    until("every socket reopened", || {
        server.connections() >= before + feed.sockets()
    })
    .await;
    assert_eq!(burst(&feed, "c", 40).await, expected("c", 40));
    assert!(!feed.is_closed());
    feed.close().await;
}

#[tokio::test]
async fn a_socket_older_than_max_lifetime_is_reopened_without_failing_a_send() {
    let server = EchoServer::start().await;
    let pool = serde_json::json!({ "pool": { "max_size": 1, "max_lifetime": "150ms" } });
    let feed = connect(&server.url(), pool).await;
    let started = Instant::now();
    let mut sent = 0;
    while started.elapsed() < Duration::from_millis(700) {
        assert_eq!(
            burst(&feed, &format!("t{sent}"), 5).await,
            expected(&format!("t{sent}"), 5)
        );
        sent += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        server.connections() >= 3,
        "reopened: {} sockets",
        server.connections()
    );
    feed.close().await;
}

/// A pool declared on the derive.
#[derive(Connections)]
#[connections(env_prefix = "WSP")]
pub struct Pooled {
    /// The order feed.
    #[connection(
        protocol = "websocket",
        url = "ws://127.0.0.1:9/feed",
        pool(max_size = 4, min_idle = 2)
    )]
    orders: WebSocketConnection,
}

#[tokio::test]
async fn the_derive_declares_a_pool_and_env_overrides_it() {
    let server = EchoServer::start().await;
    let sources = Sources::new().env_map([
        ("WSP_ORDERS_URL", server.url()),
        ("WSP_ORDERS_POOL_MIN_IDLE", "3".to_owned()),
    ]);
    let conns = Pooled::load_config_from(sources)
        .unwrap()
        .connect()
        .await
        .unwrap();
    assert_eq!(conns.orders().config().pool.as_ref().map(|p| p.max_size), Some(4));
    assert_eq!(conns.orders().sockets(), 3);
    until("three sockets open", || server.connections() == 3).await;
    conns.close().await;

    let err =
        Pooled::load_config_from(Sources::new().env_map([("WSP_ORDERS_POOL_MIN_IDLE", "5")])).unwrap_err();
    assert!(err.to_string().contains("min_idle"), "{err}");
}

#[tokio::test]
async fn a_reload_that_adds_a_pool_opens_its_sockets_at_once() {
    let server = EchoServer::start().await;
    let feed = connect(&server.url(), serde_json::json!({})).await;
    until("one socket open", || server.connections() == 1).await;
    let mut config = (*feed.config()).clone();
    config.pool = Some(serde_json::from_value(serde_json::json!({ "max_size": 4, "min_idle": 3 })).unwrap());
    // `pool` is a transport key: the first socket reopens too.
    assert_eq!(feed.reload(config).await.unwrap(), connfx::Applied::Reconnected);
    // At once, not at the pool keeper's next look (it has no period without a pool).
    assert_eq!(feed.sockets(), 3);
    let started = Instant::now();
    until("the first socket reopened and two more opened", || {
        server.connections() == 4
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(burst(&feed, "p", 30).await, expected("p", 30));
    feed.close().await;
}
