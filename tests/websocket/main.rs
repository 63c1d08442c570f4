//! WebSocket connections against real servers on 127.0.0.1: round trips, reconnects after the
//! server drops the socket, sends while disconnected, giving up and coming back, pings,
//! health, close, the derive and the registry. Every wait is bounded.

mod auth;
mod independent;
#[path = "../support/oauth2_server.rs"]
mod oauth2_server;
mod pool;
#[path = "../support/ports.rs"]
mod ports;
mod server;
#[path = "../support/services.rs"]
mod services;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use connfx::prelude::*;
use connfx::registry::RegistryConfig;
use connfx::{WebSocketEvent, WebSocketMessage};
use serde::{Deserialize, Serialize};
use server::{EchoServer, Seen, closed_port, refusing};
use tokio::sync::broadcast;
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(5);

fn config(url: &str, extra: serde_json::Value) -> WebSocketConfig {
    let mut config = serde_json::json!({ "url": url });
    if let (Some(config), Some(extra)) = (config.as_object_mut(), extra.as_object()) {
        config.extend(extra.clone());
    }
    serde_json::from_value(config).unwrap()
}

async fn connect(url: &str, extra: serde_json::Value) -> WebSocketConnection {
    WebSocketConnection::connect("feed", config(url, extra))
        .await
        .unwrap()
}

/// The next event that `wanted` accepts, within [`LIMIT`].
async fn wait_for(
    events: &mut broadcast::Receiver<WebSocketEvent>,
    wanted: impl Fn(&WebSocketEvent) -> bool,
) -> WebSocketEvent {
    timeout(LIMIT, async {
        loop {
            let event = events.recv().await.unwrap();
            if wanted(&event) {
                return event;
            }
        }
    })
    .await
    .expect("the event came in time")
}

async fn recv(feed: &WebSocketConnection) -> Result<WebSocketMessage, CallError> {
    timeout(LIMIT, feed.recv()).await.expect("a message in time")
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Order {
    id: u32,
    item: String,
}

#[tokio::test]
async fn text_binary_and_json_round_trip() {
    let server = EchoServer::start().await;
    let feed = connect(&server.url(), serde_json::json!({})).await;

    feed.send_text("hello").await.unwrap();
    assert_eq!(recv(&feed).await.unwrap(), WebSocketMessage::Text("hello".into()));

    feed.send_binary(vec![0u8, 1, 254, 255]).await.unwrap();
    let binary = recv(&feed).await.unwrap();
    assert_eq!(binary.as_bytes(), [0u8, 1, 254, 255]);
    assert!(matches!(binary, WebSocketMessage::Binary(_)));

    let order = Order {
        id: 7,
        item: "pen".into(),
    };
    feed.send_json(&order).await.unwrap();
    let back: Order = timeout(LIMIT, feed.recv_json()).await.unwrap().unwrap();
    assert_eq!(back, order);

    feed.send_text("not json").await.unwrap();
    let err = timeout(LIMIT, feed.recv_json::<Order>())
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, CallError::Decode { .. }), "{err}");
    assert!(feed.is_open());
    feed.close().await;
}

#[tokio::test]
async fn reconnects_by_itself_after_the_server_drops_the_socket() {
    let server = EchoServer::start().await;
    let retry = serde_json::json!({ "retry": { "initial_interval": "20ms", "max_interval": "100ms" } });
    let feed = connect(&server.url(), retry).await;
    let reconnects = Arc::new(AtomicU32::new(0));
    let counted = reconnects.clone();
    feed.on_reconnect(move |_, _| {
        counted.fetch_add(1, Ordering::SeqCst);
    });
    let mut events = feed.subscribe();
    feed.send_text("before").await.unwrap();
    assert_eq!(recv(&feed).await.unwrap().as_text(), Some("before"));

    // The server cuts the socket without a close frame.
    server.drop_connections();
    let lost = wait_for(&mut events, |e| matches!(e, WebSocketEvent::Disconnected { .. })).await;
    let back = wait_for(&mut events, WebSocketEvent::is_reconnect).await;
    assert!(
        matches!(back, WebSocketEvent::Reconnected { attempts: 1, .. }),
        "{lost:?} then {back:?}"
    );
    assert_eq!(reconnects.load(Ordering::SeqCst), 1);
    assert_eq!(server.connections(), 2);

    feed.send_text("after").await.unwrap();
    assert_eq!(recv(&feed).await.unwrap().as_text(), Some("after"));

    // A drop the client's own message triggers, a second time.
    feed.send_text("drop").await.unwrap();
    wait_for(&mut events, WebSocketEvent::is_reconnect).await;
    feed.send_text("again").await.unwrap();
    assert_eq!(recv(&feed).await.unwrap().as_text(), Some("again"));
    assert_eq!(server.connections(), 3);
    feed.close().await;
}

#[tokio::test]
async fn sends_while_the_server_is_down_wait_for_the_reconnect() {
    let addr = closed_port().await;
    let retry = serde_json::json!({
        "retry": { "max_attempts": 100, "initial_interval": "20ms", "max_interval": "50ms" },
    });
    let feed = connect(&format!("ws://{addr}/feed"), retry).await;
    let early = tokio::spawn({
        let feed = feed.clone();
        async move { feed.send_text("sent while down").await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!early.is_finished(), "the send waits for a socket");

    let server = EchoServer::start_on(addr, Arc::default()).await;
    timeout(LIMIT, early).await.unwrap().unwrap().unwrap();
    assert_eq!(recv(&feed).await.unwrap().as_text(), Some("sent while down"));
    assert_eq!(server.connections(), 1);
    feed.close().await;
}

#[tokio::test]
async fn a_send_past_timeout_total_fails_and_is_not_sent_later() {
    let addr = closed_port().await;
    let config = serde_json::json!({
        "timeout": { "total": "150ms" },
        "retry": { "max_attempts": 100, "initial_interval": "20ms", "max_interval": "50ms" },
    });
    let feed = connect(&format!("ws://{addr}/feed"), config).await;
    let err = feed.send_text("too late").await.unwrap_err();
    assert!(matches!(err, CallError::Timeout { .. }), "{err}");

    let _server = EchoServer::start_on(addr, Arc::default()).await;
    feed.send_text("in time").await.unwrap();
    assert_eq!(
        recv(&feed).await.unwrap().as_text(),
        Some("in time"),
        "`too late` was dropped"
    );
    feed.close().await;
}

#[tokio::test]
async fn gives_up_after_max_attempts_and_the_next_call_starts_again() {
    let addr = closed_port().await;
    let retry = serde_json::json!({ "retry": { "max_attempts": 2, "initial_interval": "20ms" } });
    let feed = connect(&format!("ws://{addr}/feed"), retry).await;
    let mut events = feed.subscribe();

    let err = recv(&feed).await.unwrap_err();
    let CallError::RetriesExhausted { attempts, last, .. } = &err else {
        panic!("expected RetriesExhausted, got {err}");
    };
    assert_eq!(*attempts, 2);
    assert!(last.to_string().contains("cannot connect"), "{err}");
    let gave_up = wait_for(&mut events, |e| matches!(e, WebSocketEvent::GaveUp { .. })).await;
    assert!(matches!(gave_up, WebSocketEvent::GaveUp { attempts: 2, .. }));

    let server = EchoServer::start_on(addr, Arc::default()).await;
    feed.send_text("revived").await.unwrap();
    assert_eq!(recv(&feed).await.unwrap().as_text(), Some("revived"));
    assert_eq!(server.connections(), 1);
    feed.close().await;
}

#[tokio::test]
async fn a_refused_upgrade_is_not_retried_unless_retry_on_says_so() {
    let (addr, attempts) = refusing("403 Forbidden").await;
    let feed = connect(&format!("ws://{addr}/feed"), serde_json::json!({})).await;
    let err = recv(&feed).await.unwrap_err();
    assert!(matches!(err, CallError::Status { code: 403, .. }), "{err}");
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
    feed.close().await;

    let (addr, attempts) = refusing("503 Service Unavailable").await;
    let retry = serde_json::json!({ "retry": { "max_attempts": 3, "initial_interval": "10ms" } });
    let feed = connect(&format!("ws://{addr}/feed"), retry).await;
    let err = recv(&feed).await.unwrap_err();
    assert!(
        matches!(err, CallError::RetriesExhausted { attempts: 3, .. }),
        "{err}"
    );
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
    feed.close().await;
}

#[tokio::test]
async fn pings_arrive_at_the_configured_interval() {
    let server = EchoServer::start().await;
    let feed = connect(&server.url(), serde_json::json!({ "ping_interval": "100ms" })).await;
    let seen = server.seen.clone();
    timeout(LIMIT, async {
        while seen.pings.lock().unwrap().len() < 5 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("five pings in time");
    let pings = seen.pings.lock().unwrap().clone();
    for pair in pings.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_millis(60) && gap <= Duration::from_millis(750),
            "gap {gap:?}"
        );
    }
    assert_eq!(server.connections(), 1, "answered pings keep the socket");
    feed.close().await;
}

#[tokio::test]
async fn unanswered_pings_reopen_the_socket() {
    let server = EchoServer::start_deaf().await;
    let config = serde_json::json!({
        "ping_interval": "100ms",
        "retry": { "initial_interval": "10ms" },
    });
    let feed = connect(&server.url(), config).await;
    let mut events = feed.subscribe();
    let lost = wait_for(&mut events, |e| matches!(e, WebSocketEvent::Disconnected { .. })).await;
    let WebSocketEvent::Disconnected { reason } = lost else {
        unreachable!()
    };
    assert!(reason.contains("no answer to ping within 100ms"), "{reason}");
    wait_for(&mut events, WebSocketEvent::is_reconnect).await;
    feed.close().await;
}

#[tokio::test]
async fn a_message_above_max_message_size_drops_the_socket() {
    let server = EchoServer::start().await;
    let feed = connect(&server.url(), serde_json::json!({ "max_message_size": 1024 })).await;
    let mut events = feed.subscribe();
    feed.send_text("big 1000").await.unwrap();
    assert_eq!(recv(&feed).await.unwrap().as_bytes().len(), 1000);
    feed.send_text("big 5000").await.unwrap();
    let lost = wait_for(&mut events, |e| matches!(e, WebSocketEvent::Disconnected { .. })).await;
    assert!(format!("{lost:?}").contains("read failed"), "{lost:?}");
    feed.close().await;
}

#[tokio::test]
async fn health_is_ready_when_open_or_reopenable_and_an_error_when_refused() {
    let addr = closed_port().await;
    let retry = serde_json::json!({ "retry": { "max_attempts": 1 }, "health": { "timeout": "1s" } });
    let feed = connect(&format!("ws://{addr}/feed"), retry).await;
    let health = feed.health().await;
    assert_eq!(health.state, HealthState::Error, "{health:?}");
    assert!(
        health.message.starts_with(&format!("cannot connect to {addr}")),
        "{health:?}"
    );
    // Down after one failed handshake; the server comes back: reopenable.
    let _ = recv(&feed).await.unwrap_err();
    let server = EchoServer::start_on(addr, Arc::new(Seen::default())).await;
    let health = feed.health().await;
    assert_eq!(health.state, HealthState::Ready, "{health:?}");
    assert!(health.message.starts_with("handshake ok"), "{health:?}");

    feed.send_text("open now").await.unwrap();
    let health = feed.health().await;
    assert_eq!(
        (health.state, health.message.as_str()),
        (HealthState::Ready, "open")
    );
    feed.close().await;
    assert_eq!(feed.health().await.state, HealthState::Unknown);
    drop(server);
}

#[tokio::test]
async fn headers_go_with_the_handshake_and_never_show() {
    let server = EchoServer::start().await;
    let headers = serde_json::json!({
        "headers": { "Authorization": "Bearer s3cret-token", "X-Client": "checkout" },
    });
    let feed = connect(&server.url(), headers).await;
    feed.send_text("hi").await.unwrap();
    let sent = server.seen.headers.lock().unwrap()[0].clone();
    assert!(
        sent.contains(&("authorization".into(), "Bearer s3cret-token".into())),
        "{sent:?}"
    );
    assert!(sent.contains(&("x-client".into(), "checkout".into())), "{sent:?}");
    let shown = format!("{feed:?} {:?} {:?}", feed.config(), feed.health().await);
    assert!(!shown.contains("s3cret"), "{shown}");
    feed.close().await;
}

#[tokio::test]
async fn bad_settings_fail_connect_without_showing_secrets() {
    let err = WebSocketConnection::connect("feed", config("http://127.0.0.1:1/", serde_json::json!({})))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("expected `ws` or `wss`"), "{err}");
    let err = WebSocketConnection::connect(
        "feed",
        config("ws://app:hunter2@127.0.0.1:1/", serde_json::json!({})),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("user-info") && !err.to_string().contains("hunter2"),
        "{err}"
    );
}

#[tokio::test]
async fn close_sends_a_close_frame_and_stops_reconnecting() {
    let server = EchoServer::start().await;
    let feed = connect(
        &server.url(),
        serde_json::json!({ "retry": { "initial_interval": "10ms" } }),
    )
    .await;
    let mut events = feed.subscribe();
    feed.send_text("hi").await.unwrap();
    let waiting = tokio::spawn({
        let feed = feed.clone();
        async move { feed.recv().await }
    });
    let _ = recv(&feed).await;
    timeout(LIMIT, feed.close()).await.unwrap();
    wait_for(&mut events, |e| *e == WebSocketEvent::Closed).await;
    assert_eq!(server.seen.close_frames.load(Ordering::SeqCst), 1);
    assert!(matches!(
        timeout(LIMIT, waiting).await.unwrap().unwrap(),
        Err(CallError::Closed { .. })
    ));
    assert!(matches!(feed.send_text("x").await, Err(CallError::Closed { .. })));
    assert!(matches!(feed.recv().await, Err(CallError::Closed { .. })));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.connections(), 1, "no reconnect after close");
}

/// Connections of the derive test.
#[derive(Connections)]
#[connections(env_prefix = "WSD")]
pub struct Conns {
    /// The live feed.
    #[connection(protocol = "websocket", url = "ws://127.0.0.1:9/feed", ping_interval = "200ms",
                 retry(max_attempts = 5, initial_interval = "20ms"), headers("X-Client" = "derive"))]
    feed: WebSocketConnection,
}

#[tokio::test]
async fn the_derive_builds_a_websocket_connection() {
    let server = EchoServer::start().await;
    let config = Conns::load_config_from(Sources::new().env_map([("WSD_FEED_URL", server.url())])).unwrap();
    assert_eq!(config.feed.ping_interval, Duration::from_millis(200));
    let conns = config.connect().await.unwrap();
    conns.feed().send_text("through the derive").await.unwrap();
    assert_eq!(
        recv(conns.feed()).await.unwrap().as_text(),
        Some("through the derive")
    );
    assert!(server.seen.headers.lock().unwrap()[0].contains(&("x-client".into(), "derive".into())));
    let report = conns.health().await;
    assert_eq!(report.worst(), HealthState::Ready, "{report}");
    assert_eq!(report.get("feed").unwrap().protocol, "websocket");
    let feed: WebSocketConnection = conns.registry().get("feed").unwrap();
    assert!(feed.is_open());
    conns.close().await;
    assert!(conns.feed().is_closed());
}

#[test]
fn env_names_and_schema_cover_websocket_keys() {
    let names: Vec<String> = Conns::env_vars().into_iter().map(|v| v.name).collect();
    for name in [
        "WSD_FEED_URL",
        "WSD_FEED_PING_INTERVAL",
        "WSD_FEED_MAX_MESSAGE_SIZE",
        "WSD_FEED_RETRY_MAX_ATTEMPTS",
        "WSD_FEED_HEADERS",
        "WSD_FEED_POOL_MAX_SIZE",
        "WSD_FEED_POOL_MIN_IDLE",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
    }
    let err = Conns::load_config_from(Sources::new().env_map([("WSD_FEED_PING_INTERVL", "1s")])).unwrap_err();
    assert!(
        err.to_string().contains("did you mean `WSD_FEED_PING_INTERVAL`?"),
        "{err}"
    );
    let err = Conns::load_config_from(Sources::new().env_map([("WSD_FEED_URL", "http://127.0.0.1:1/")]))
        .unwrap_err();
    assert!(err.to_string().contains("ws"), "{err}");
}

#[tokio::test]
async fn the_registry_builds_websocket_targets_from_env() {
    let server = EchoServer::start().await;
    let config = RegistryConfig::load(Sources::new().env_map([
        (
            "CONN_TARGETS_TICKER_PROTOCOL".to_string(),
            "websocket".to_string(),
        ),
        ("CONN_TARGETS_TICKER_URL".into(), server.url()),
        ("CONN_TARGETS_TICKER_PROPERTIES_PING_INTERVAL".into(), "1s".into()),
        (
            "CONN_TARGETS_TICKER_PROPERTIES_RETRY_MAX_ATTEMPTS".into(),
            "4".into(),
        ),
    ]))
    .unwrap();
    let registry = config.connect().await.unwrap();
    let ticker: WebSocketConnection = registry.get("ticker").unwrap();
    assert_eq!(ticker.config().retry.as_ref().unwrap().max_attempts, 4);
    ticker.send_text("via registry").await.unwrap();
    assert_eq!(recv(&ticker).await.unwrap().as_text(), Some("via registry"));
    assert_eq!(registry.health().await.worst(), HealthState::Ready);
    registry.close().await;
    assert!(ticker.is_closed());

    let refused = RegistryConfig::load(Sources::new().env_map([
        ("CONN_TARGETS_T_PROTOCOL", "websocket"),
        ("CONN_TARGETS_T_URL", "ws://127.0.0.1:1/"),
        ("CONN_TARGETS_T_TLS", "true"),
    ]))
    .unwrap()
    .connect()
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("`ws` is not encrypted"), "{refused}");
}

/// `reload`: a new URL closes the open socket with a close frame and opens one to the new
/// server at once; a `timeout.total` change keeps the socket.
#[tokio::test]
async fn a_reload_with_a_new_url_moves_the_socket_and_a_deadline_change_keeps_it() {
    let (old, new) = (EchoServer::start().await, EchoServer::start().await);
    let feed = connect(&old.url(), serde_json::json!({})).await;
    let mut events = feed.subscribe();
    feed.send_text("one").await.unwrap();
    assert_eq!(recv(&feed).await.unwrap(), WebSocketMessage::Text("one".into()));

    let patient = config(&old.url(), serde_json::json!({ "timeout": { "total": "9s" } }));
    assert_eq!(feed.reload(patient).await.unwrap(), connfx::Applied::Live);
    assert_eq!(old.connections(), 1, "the socket was kept");

    let moved = config(&new.url(), serde_json::json!({}));
    assert_eq!(feed.reload(moved).await.unwrap(), connfx::Applied::Reconnected);
    wait_for(&mut events, |e| matches!(e, WebSocketEvent::Reconnected { .. })).await;
    feed.send_text("two").await.unwrap();
    assert_eq!(recv(&feed).await.unwrap(), WebSocketMessage::Text("two".into()));
    assert_eq!(new.connections(), 1);
    assert_eq!(old.connections(), 1, "no reconnect to the old server");
    timeout(LIMIT, async {
        while old.seen.close_frames.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the old socket got a close frame");
    assert_eq!(feed.url().expose().as_str(), new.url());
    feed.close().await;
}
