//! SSE connections against real servers on 127.0.0.1: resuming with `Last-Event-ID` after the
//! server cuts the stream (each event exactly once), the server's `retry:` as the reconnect
//! delay, typed events, failures that end a stream, health, close, the derive and the
//! registry. Every wait is bounded.

mod oauth2;
#[path = "../support/oauth2_server.rs"]
mod oauth2_server;
#[path = "../support/ports.rs"]
mod ports;
mod post;
mod server;

use std::time::Duration;

use connfx::prelude::*;
use connfx::registry::RegistryConfig;
use connfx::{SseEvent, SseStream};
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use server::{Feed, SseServer, closed_port, cutting_server};
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(10);

fn config(url: &str, extra: serde_json::Value) -> SseConfig {
    let mut config = serde_json::json!({ "url": url });
    if let (Some(config), Some(extra)) = (config.as_object_mut(), extra.as_object()) {
        config.extend(extra.clone());
    }
    serde_json::from_value(config).unwrap()
}

async fn connect(url: &str, extra: serde_json::Value) -> SseConnection {
    SseConnection::connect("prices", config(url, extra))
        .await
        .unwrap()
}

/// The next item of `stream`, within [`LIMIT`].
async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    timeout(LIMIT, stream.next()).await.expect("an item in time")
}

/// `count` events, each `Ok`.
async fn take(stream: &mut SseStream, count: usize) -> Vec<SseEvent> {
    let mut events = Vec::new();
    while events.len() < count {
        events.push(next(stream).await.expect("the stream goes on").expect("an event"));
    }
    events
}

fn fast_retry() -> serde_json::Value {
    serde_json::json!({ "retry": { "initial_interval": "10ms", "max_interval": "100ms" } })
}

#[tokio::test]
async fn resumes_after_each_drop_with_last_event_id_and_delivers_each_event_once() {
    let server = SseServer::start(Feed::new(10, 3, None)).await;
    let prices = connect(&server.url("/events"), fast_retry()).await;
    let mut stream = prices.events();
    let events = take(&mut stream, 10).await;

    let ids: Vec<_> = events.iter().map(|e| e.id.clone().unwrap()).collect();
    let expected: Vec<_> = (1..=10).map(|n| n.to_string()).collect();
    assert_eq!(ids, expected, "1..=10, no loss, no repeat");
    assert!(
        events
            .iter()
            .zip(1..)
            .all(|(e, n)| e.data == format!("event {n}") && e.event == "message")
    );

    let resumed: Vec<_> = server
        .feed
        .requests()
        .into_iter()
        .map(|r| r.last_event_id)
        .collect();
    let sent = [None, Some("3"), Some("6"), Some("9")].map(|id| id.map(str::to_owned));
    assert_eq!(resumed, sent);
    assert_eq!(stream.reconnects(), 3);
    assert_eq!(stream.last_event_id().as_deref(), Some("10"));

    // Nothing more comes (the server holds the stream open after the last event).
    assert!(timeout(Duration::from_millis(200), stream.next()).await.is_err());
    prices.close().await;
}

#[tokio::test]
async fn an_event_cut_in_half_by_the_drop_is_never_delivered() {
    let (addr, seen) = cutting_server(7).await;
    let prices = connect(&format!("http://{addr}/events"), fast_retry()).await;
    let mut stream = prices.events();
    let events = take(&mut stream, 7).await;
    let data: Vec<_> = events.iter().map(|e| e.data.as_str()).collect();
    let expected: Vec<_> = (1..=7).map(|n| format!("event {n}")).collect();
    assert_eq!(data, expected);
    let resumed = seen.lock().unwrap().clone();
    let sent = [None, Some("2"), Some("4"), Some("6")].map(|id| id.map(str::to_owned));
    assert_eq!(resumed, sent);
    prices.close().await;
}

#[tokio::test]
async fn events_from_resumes_after_a_saved_id() {
    let server = SseServer::start(Feed::new(8, 100, None)).await;
    let prices = connect(&server.url("/events"), fast_retry()).await;
    let mut stream = prices.events_from("5");
    let ids: Vec<_> = take(&mut stream, 3)
        .await
        .into_iter()
        .map(|e| e.id.unwrap())
        .collect();
    assert_eq!(ids, ["6", "7", "8"]);
    assert_eq!(server.feed.requests()[0].last_event_id.as_deref(), Some("5"));
    prices.close().await;
}

/// The gap between the server's cut and the next request.
async fn reconnect_gap(server_retry: Option<Duration>) -> Duration {
    let server = SseServer::start(Feed::new(2, 1, server_retry)).await;
    let config = serde_json::json!({ "retry": { "initial_interval": "10ms", "jitter": 0.0 } });
    let prices = connect(&server.url("/events"), config).await;
    let mut stream = prices.events();
    let events = take(&mut stream, 2).await;
    assert_eq!(events[0].retry, server_retry);
    let cut = server.feed.drops.lock().unwrap()[0];
    let again = server.feed.requests()[1].at;
    prices.close().await;
    again - cut
}

#[tokio::test]
async fn the_servers_retry_field_sets_the_reconnect_delay() {
    let gap = reconnect_gap(Some(Duration::from_millis(400))).await;
    assert!(
        gap >= Duration::from_millis(380) && gap < Duration::from_millis(1500),
        "retry: 400 → {gap:?}"
    );
    let gap = reconnect_gap(None).await;
    assert!(
        gap < Duration::from_millis(300),
        "no retry: → initial_interval 10ms, {gap:?}"
    );
}

#[tokio::test]
async fn a_stream_silent_past_read_timeout_is_reopened() {
    // One event, then the server holds the stream open and says nothing.
    let server = SseServer::start(Feed::new(1, 10, None)).await;
    let config = serde_json::json!({ "read_timeout": "300ms", "retry": { "initial_interval": "10ms" } });
    let prices = connect(&server.url("/events"), config).await;
    let mut stream = prices.events();
    assert_eq!(take(&mut stream, 1).await[0].id.as_deref(), Some("1"));
    let waiting = tokio::spawn(async move { stream.next().await.is_some() });
    timeout(LIMIT, async {
        while server.feed.requests().len() < 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("reopened after the silence");
    let requests = server.feed.requests();
    assert_eq!(requests[1].last_event_id.as_deref(), Some("1"));
    let silence = requests[1].at - requests[0].at;
    assert!(silence >= Duration::from_millis(300), "{silence:?}");
    prices.close().await;
    assert!(
        !timeout(LIMIT, waiting).await.unwrap().unwrap(),
        "no event was repeated"
    );
}

#[derive(Debug, Deserialize, PartialEq)]
struct Tick {
    n: u32,
}

#[tokio::test]
async fn events_json_decodes_data_and_goes_on_after_a_bad_event() {
    let server = SseServer::start(Feed::new(1, 1, None)).await;
    let ticks = connect(&server.url("/json"), serde_json::json!({})).await;
    let mut stream = ticks.events_json::<Tick>();
    let first = next(&mut stream).await.unwrap().unwrap();
    assert_eq!(
        (first.id.as_deref(), first.event.as_str(), first.data.n),
        (Some("1"), "tick", 1)
    );
    let bad = next(&mut stream).await.unwrap().unwrap_err();
    assert!(matches!(bad, CallError::Decode { .. }), "{bad}");
    assert_eq!(next(&mut stream).await.unwrap().unwrap().data, Tick { n: 3 });
    ticks.close().await;
}

#[tokio::test]
async fn failures_retry_does_not_cover_end_the_stream_with_the_error() {
    let server = SseServer::start(Feed::new(1, 1, None)).await;
    let missing = connect(&server.url("/nope"), fast_retry()).await;
    let mut stream = missing.events();
    let err = next(&mut stream).await.unwrap().unwrap_err();
    assert!(matches!(err, CallError::Status { code: 404, .. }), "{err}");
    assert!(next(&mut stream).await.is_none());

    let html = connect(&server.url("/html"), fast_retry()).await;
    let err = next(&mut html.events()).await.unwrap().unwrap_err();
    assert!(err.to_string().contains("text/event-stream"), "{err}");

    let gone = connect(&server.url("/gone"), fast_retry()).await;
    assert!(
        next(&mut gone.events()).await.is_none(),
        "204: end without an error"
    );
}

#[tokio::test]
async fn refused_connections_are_retried_then_the_stream_gives_up() {
    let addr = closed_port().await;
    let config = serde_json::json!({ "retry": { "max_attempts": 3, "initial_interval": "10ms" } });
    let prices = connect(&format!("http://{addr}/events"), config).await;
    let mut stream = prices.events();
    let err = next(&mut stream).await.unwrap().unwrap_err();
    let CallError::RetriesExhausted {
        attempts: 3, last, ..
    } = &err
    else {
        panic!("expected RetriesExhausted after 3 attempts, got {err}");
    };
    assert!(matches!(**last, CallError::Transport { .. }), "{err}");
    assert!(next(&mut stream).await.is_none());
}

#[tokio::test]
async fn health_is_ready_for_an_event_stream_and_an_error_for_a_closed_port() {
    let server = SseServer::start(Feed::new(3, 3, None)).await;
    let prices = connect(&server.url("/events"), serde_json::json!({})).await;
    let health = prices.health().await;
    assert_eq!(health.state, HealthState::Ready, "{health:?}");
    assert_eq!(health.message, "GET /events 200 OK text/event-stream");

    let html = connect(&server.url("/html"), serde_json::json!({})).await;
    let health = html.health().await;
    assert_eq!(health.state, HealthState::Connected, "{health:?}");

    let addr = closed_port().await;
    let down = connect(&format!("http://{addr}/events"), serde_json::json!({})).await;
    let health = down.health().await;
    assert_eq!(health.state, HealthState::Error, "{health:?}");
    assert!(
        health.message.starts_with("GET /events: cannot connect"),
        "{health:?}"
    );

    prices.close().await;
    assert_eq!(prices.health().await.state, HealthState::Unknown);
}

#[tokio::test]
async fn auth_is_sent_and_never_shown() {
    let server = SseServer::start(Feed::new(1, 1, None)).await;
    let config = serde_json::json!({
        "auth": { "bearer": "s3cret-token" }, "headers": { "X-Client": "checkout" },
    });
    let prices = connect(&server.url("/events"), config).await;
    let _ = take(&mut prices.events(), 1).await;
    let seen = &server.feed.requests()[0];
    assert_eq!(seen.authorization.as_deref(), Some("Bearer s3cret-token"));
    let shown = format!("{prices:?} {:?}", prices.config());
    assert!(!shown.contains("s3cret"), "{shown}");
    prices.close().await;
}

#[tokio::test]
async fn close_ends_open_streams_and_later_ones_say_closed() {
    let server = SseServer::start(Feed::new(1, 1, None)).await;
    let prices = connect(&server.url("/events"), serde_json::json!({})).await;
    let mut stream = prices.events();
    let _ = take(&mut stream, 1).await;
    let waiting = tokio::spawn(async move { stream.next().await.is_none() });
    tokio::time::sleep(Duration::from_millis(50)).await;
    prices.close().await;
    assert!(
        timeout(LIMIT, waiting).await.unwrap().unwrap(),
        "the open stream ends"
    );
    let mut later = prices.events();
    assert!(matches!(
        next(&mut later).await,
        Some(Err(CallError::Closed { .. }))
    ));
    assert!(next(&mut later).await.is_none());
}

#[tokio::test]
async fn bad_settings_fail_connect() {
    let err = SseConnection::connect("prices", config("ws://127.0.0.1:1/", serde_json::json!({})))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("expected `http` or `https`"), "{err}");
    let two = serde_json::json!({ "auth": { "bearer": "t0ken", "api_key": "k3y" } });
    let err = SseConnection::connect("prices", config("http://127.0.0.1:1/", two))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("at most one") && !err.to_string().contains("t0ken"),
        "{err}"
    );
}

/// Connections of the derive test.
#[derive(Connections)]
#[connections(env_prefix = "SSED")]
pub struct Conns {
    /// The price stream.
    #[connection(
        protocol = "sse",
        url = "http://127.0.0.1:9/events",
        read_timeout = "5s",
        retry(max_attempts = 5, initial_interval = "10ms")
    )]
    prices: SseConnection,
}

#[tokio::test]
async fn the_derive_builds_an_sse_connection() {
    let server = SseServer::start(Feed::new(4, 2, None)).await;
    let config =
        Conns::load_config_from(Sources::new().env_map([("SSED_PRICES_URL", server.url("/events"))]))
            .unwrap();
    assert_eq!(config.prices.read_timeout, Some(Duration::from_secs(5)));
    let conns = config.connect().await.unwrap();
    let ids: Vec<_> = take(&mut conns.prices().events(), 4)
        .await
        .into_iter()
        .map(|e| e.id.unwrap())
        .collect();
    assert_eq!(ids, ["1", "2", "3", "4"]);
    let report = conns.health().await;
    assert_eq!(report.worst(), HealthState::Ready, "{report}");
    assert_eq!(report.get("prices").unwrap().protocol, "sse");
    conns.close().await;
    assert!(conns.prices().is_closed());
}

#[test]
fn env_names_cover_sse_keys() {
    let names: Vec<String> = Conns::env_vars().into_iter().map(|v| v.name).collect();
    for name in [
        "SSED_PRICES_URL",
        "SSED_PRICES_READ_TIMEOUT",
        "SSED_PRICES_AUTH_BEARER",
        "SSED_PRICES_RETRY_MAX_ATTEMPTS",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
    }
    let err =
        Conns::load_config_from(Sources::new().env_map([("SSED_PRICES_READ_TIMEOUT", "soon")])).unwrap_err();
    assert!(err.to_string().contains("SSED_PRICES_READ_TIMEOUT"), "{err}");
}

#[tokio::test]
async fn the_registry_builds_sse_targets_from_env() {
    let server = SseServer::start(Feed::new(3, 1, None)).await;
    let config = RegistryConfig::load(Sources::new().env_map([
        ("CONN_TARGETS_PRICES_PROTOCOL".to_string(), "sse".to_string()),
        ("CONN_TARGETS_PRICES_URL".into(), server.url("/events")),
        (
            "CONN_TARGETS_PRICES_PROPERTIES_RETRY_INITIAL_INTERVAL".into(),
            "10ms".into(),
        ),
    ]))
    .unwrap();
    let registry = config.connect().await.unwrap();
    let prices: SseConnection = registry.get("prices").unwrap();
    let mut stream = prices.events();
    let ids: Vec<_> = take(&mut stream, 3)
        .await
        .into_iter()
        .map(|e| e.id.unwrap())
        .collect();
    assert_eq!(ids, ["1", "2", "3"]);
    assert_eq!(stream.reconnects(), 2);
    assert_eq!(registry.health().await.worst(), HealthState::Ready);
    registry.close().await;
    assert!(prices.is_closed());
}

/// `reload`: a stream open on the old URL keeps reading it; its next reopen, after the old
/// server drops it, goes to the new URL, resuming after the last event it got.
#[tokio::test]
async fn a_reload_moves_each_stream_to_the_new_url_at_its_next_reopen() {
    let old = SseServer::start(Feed::new(10, 3, None)).await;
    let new = SseServer::start(Feed::new(10, 100, None)).await;
    let prices = connect(&old.url("/events"), fast_retry()).await;
    let mut stream = prices.events();
    assert_eq!(take(&mut stream, 1).await[0].id.as_deref(), Some("1"));

    let moved = config(&new.url("/events"), fast_retry());
    assert_eq!(prices.reload(moved).await.unwrap(), connfx::Applied::Reconnected);
    assert_eq!(prices.url().expose().as_str(), new.url("/events"));
    let ids: Vec<_> = take(&mut stream, 5)
        .await
        .into_iter()
        .map(|e| e.id.unwrap())
        .collect();
    assert_eq!(
        ids,
        ["2", "3", "4", "5", "6"],
        "no event lost or repeated across the move"
    );
    assert_eq!(
        old.feed.requests().len(),
        1,
        "the open stream finished on the old server"
    );
    let resumed: Vec<_> = new.feed.requests().into_iter().map(|r| r.last_event_id).collect();
    assert_eq!(resumed, [Some("3".to_owned())]);

    let slower = config(
        &new.url("/events"),
        serde_json::json!({ "retry": { "initial_interval": "20ms" } }),
    );
    assert_eq!(prices.reload(slower).await.unwrap(), connfx::Applied::Live);
    prices.close().await;
}
