//! GraphQL subscriptions over `graphql-transport-ws` on a WebSocket connection, against the
//! server of `ws_server.rs`: typed items in order, concurrent subscriptions, `complete` both
//! ways, errors as items, and resuming after the server drops every socket. Every wait is
//! bounded.

use std::time::Duration;

use connfx::protocol::graphql::{GraphqlSubscriptions, Subscription};
use connfx::{CallError, Connection, WebSocketConfig, WebSocketConnection};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::time::timeout;

use crate::ws_server::GraphqlWsServer;

const LIMIT: Duration = Duration::from_secs(5);

const COUNTER: &str = "subscription($from: Int, $to: Int) { counter(from: $from, to: $to) }";

#[derive(Debug, Deserialize, PartialEq)]
struct Counted {
    counter: u64,
}

async fn websocket(url: &str, headers: Value) -> WebSocketConnection {
    let config: WebSocketConfig = serde_json::from_value(json!({
        "url": url,
        "headers": headers,
        "retry": { "max_attempts": 20, "initial_interval": "20ms", "max_interval": "100ms" },
    }))
    .unwrap();
    WebSocketConnection::connect("live", config).await.unwrap()
}

async fn client(server: &GraphqlWsServer) -> GraphqlSubscriptions {
    let headers = json!({ "Sec-WebSocket-Protocol": "graphql-transport-ws" });
    GraphqlSubscriptions::new(websocket(&server.url(), headers).await)
}

/// The next item, within [`LIMIT`].
async fn next<T>(subscription: &mut Subscription<T>) -> Option<Result<T, CallError>>
where
    T: serde::de::DeserializeOwned,
{
    timeout(LIMIT, subscription.next())
        .await
        .expect("an item in time")
}

async fn counter(subscription: &mut Subscription<Counted>) -> u64 {
    next(subscription)
        .await
        .expect("an item")
        .expect("a result")
        .counter
}

/// Waits until `done` holds, within [`LIMIT`].
async fn eventually(what: &str, done: impl Fn() -> bool) {
    timeout(LIMIT, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{what} in time"));
}

#[tokio::test]
async fn typed_items_arrive_in_order_and_the_server_s_complete_ends_the_stream() {
    let server = GraphqlWsServer::start().await;
    let subs = client(&server).await;
    let mut counted = subs
        .subscribe::<Counted>(COUNTER, json!({ "from": 1, "to": 5 }))
        .await
        .unwrap();
    let mut seen = Vec::new();
    while let Some(item) = next(&mut counted).await {
        seen.push(item.unwrap().counter);
    }
    assert_eq!(seen, [1, 2, 3, 4, 5]);
    assert_eq!(server.seen.inits(), [Value::Null]);
    let (id, payload) = server.seen.subscribes.lock().unwrap()[0].clone();
    assert_eq!(id, counted.id());
    assert_eq!(
        payload,
        json!({ "query": COUNTER, "variables": { "from": 1, "to": 5 } })
    );
}

#[tokio::test]
async fn concurrent_subscriptions_on_one_socket_get_their_own_items() {
    let server = GraphqlWsServer::start().await;
    let subs = client(&server).await;
    let low = subs.subscribe::<Counted>(COUNTER, json!({ "from": 1, "to": 20 }));
    let high = subs.subscribe::<Counted>(COUNTER, json!({ "from": 1000, "to": 1020 }));
    let (low, high) = tokio::join!(low, high);
    let (low, high) = (low.unwrap(), high.unwrap());
    assert_ne!(low.id(), high.id());
    let collect = |s: Subscription<Counted>| async move {
        timeout(LIMIT, s.map(|item| item.unwrap().counter).collect::<Vec<_>>())
            .await
            .expect("both streams end in time")
    };
    let (low, high) = tokio::join!(collect(low), collect(high));
    assert_eq!(low, (1..=20).collect::<Vec<_>>());
    assert_eq!(high, (1000..=1020).collect::<Vec<_>>());
    assert_eq!(
        server.seen.connections.load(std::sync::atomic::Ordering::SeqCst),
        1
    );
}

#[tokio::test]
async fn dropping_a_subscription_sends_complete() {
    let server = GraphqlWsServer::start().await;
    let subs = client(&server).await;
    let mut forever = subs.subscribe::<Counted>(COUNTER, ()).await.unwrap();
    let mut other = subs
        .subscribe::<Counted>(COUNTER, json!({ "from": 50 }))
        .await
        .unwrap();
    assert_eq!(counter(&mut forever).await, 1);
    let id = forever.id().to_owned();
    drop(forever);
    eventually("the server's complete", || {
        server.seen.completes() == [id.clone()]
    })
    .await;
    // The other one goes on.
    let n = counter(&mut other).await;
    assert!(n >= 50, "{n}");
}

#[tokio::test]
async fn an_error_message_is_an_error_item_and_ends_the_stream() {
    let server = GraphqlWsServer::start().await;
    let subs = client(&server).await;
    let mut boom = subs
        .subscribe::<Counted>("subscription { boom }", ())
        .await
        .unwrap();
    match next(&mut boom).await {
        Some(Err(CallError::Graphql { connection, errors })) => {
            assert_eq!(connection, "live");
            assert_eq!(errors[0].message, "boom is not allowed");
            assert_eq!(errors[0].extensions["code"], "FORBIDDEN");
        }
        other => panic!("expected GraphQL errors, got {other:?}"),
    }
    assert!(next(&mut boom).await.is_none());
}

#[tokio::test]
async fn errors_in_a_next_payload_are_an_error_item() {
    let server = GraphqlWsServer::start().await;
    let subs = client(&server).await;
    let mut partial = subs
        .subscribe::<Counted>("subscription { partial }", ())
        .await
        .unwrap();
    let item = next(&mut partial).await.expect("an item");
    assert!(
        matches!(&item, Err(CallError::Graphql { errors, .. }) if errors[0].message == "counter failed"),
        "{item:?}"
    );
}

#[tokio::test]
async fn subscriptions_resume_after_the_server_drops_the_socket() {
    let server = GraphqlWsServer::start().await;
    let headers = json!({ "Sec-WebSocket-Protocol": "graphql-transport-ws" });
    let ws = websocket(&server.url(), headers).await;
    let subs = GraphqlSubscriptions::with_init_payload(ws.clone(), json!({ "token": "t0ken" }));
    let mut counted = subs.subscribe::<Counted>(COUNTER, ()).await.unwrap();
    assert_eq!(counter(&mut counted).await, 1);
    assert_eq!(counter(&mut counted).await, 2);

    server.drop_connections();
    // Items keep coming with no action from here: the server's counter starts again on the
    // new socket, so a 1 after the drop is the resumed subscription's.
    let resumed = timeout(LIMIT, async {
        loop {
            if counter(&mut counted).await == 1 {
                return;
            }
        }
    })
    .await;
    assert!(resumed.is_ok(), "items after the reconnect");
    assert_eq!(counter(&mut counted).await, 2);

    assert_eq!(
        server.seen.inits(),
        [json!({ "token": "t0ken" }), json!({ "token": "t0ken" })]
    );
    assert_eq!(server.seen.subscribe_ids(), [counted.id(), counted.id()]);
    assert_eq!(
        server.seen.connections.load(std::sync::atomic::Ordering::SeqCst),
        2
    );
    // The subscribe went out after the new socket's acknowledgement, never before it.
    assert_eq!(
        server.seen.unauthorized.load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    ws.close().await;
}

#[tokio::test]
async fn a_subscription_made_while_the_server_is_down_is_sent_once_it_is_up() {
    let port = crate::ports::closed_port();
    let url = format!("ws://127.0.0.1:{port}/graphql");
    let headers = json!({ "Sec-WebSocket-Protocol": "graphql-transport-ws" });
    let subs = GraphqlSubscriptions::new(websocket(&url, headers).await);
    let mut counted = timeout(LIMIT, subs.subscribe::<Counted>(COUNTER, json!({ "to": 2 })))
        .await
        .expect("registered at once")
        .unwrap();
    let server = GraphqlWsServer::start_on(port).await;
    // The first round of handshakes may give up before the server is up: that is an item,
    // and the subscription stays live.
    let mut seen = Vec::new();
    while let Some(item) = next(&mut counted).await {
        if let Ok(counted) = item {
            seen.push(counted.counter);
        }
    }
    assert_eq!(seen, [1, 2]);
    assert_eq!(
        server.seen.unauthorized.load(std::sync::atomic::Ordering::SeqCst),
        0
    );
}

#[tokio::test]
async fn close_ends_every_stream_with_closed() {
    let server = GraphqlWsServer::start().await;
    let subs = client(&server).await;
    let mut counted = subs.subscribe::<Counted>(COUNTER, ()).await.unwrap();
    assert_eq!(counter(&mut counted).await, 1);
    subs.connection().close().await;
    let ended = timeout(LIMIT, async {
        let mut last = None;
        while let Some(item) = counted.next().await {
            last = Some(item);
        }
        last
    })
    .await
    .expect("the stream ends in time");
    assert!(matches!(ended, Some(Err(CallError::Closed { .. }))), "{ended:?}");
    assert!(matches!(
        subs.subscribe::<Counted>(COUNTER, ()).await,
        Err(CallError::Closed { .. })
    ));
}

#[tokio::test]
async fn variables_that_are_not_an_object_are_refused_before_anything_is_sent() {
    let server = GraphqlWsServer::start().await;
    let subs = client(&server).await;
    let refused = subs.subscribe::<Counted>(COUNTER, [1, 2]).await;
    assert!(
        matches!(refused, Err(CallError::InvalidRequest { .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_server_ping_is_answered_with_pong() {
    let server = GraphqlWsServer::start().await;
    let headers = json!({ "Sec-WebSocket-Protocol": "graphql-transport-ws" });
    let ws = websocket(&server.url(), headers).await;
    let subs = GraphqlSubscriptions::with_init_payload(ws, json!({ "ping": true }));
    let mut counted = subs
        .subscribe::<Counted>(COUNTER, json!({ "to": 1 }))
        .await
        .unwrap();
    assert_eq!(counter(&mut counted).await, 1);
    eventually("the client's pong", || {
        server.seen.pongs.load(std::sync::atomic::Ordering::SeqCst) == 1
    })
    .await;
}

#[tokio::test]
async fn a_give_up_is_an_error_item_and_the_subscription_resumes_when_the_server_is_back() {
    let port = crate::ports::closed_port();
    let server = GraphqlWsServer::start_on(port).await;
    let config: WebSocketConfig = serde_json::from_value(json!({
        "url": server.url(),
        "headers": { "Sec-WebSocket-Protocol": "graphql-transport-ws" },
        "retry": { "max_attempts": 2, "initial_interval": "10ms", "max_interval": "10ms" },
    }))
    .unwrap();
    let ws = WebSocketConnection::connect("live", config).await.unwrap();
    let subs = GraphqlSubscriptions::new(ws);
    let mut counted = subs.subscribe::<Counted>(COUNTER, ()).await.unwrap();
    assert_eq!(counter(&mut counted).await, 1);

    // The server goes away for good: two handshakes fail and the connection gives up.
    drop(server);
    let gave_up = timeout(LIMIT, async {
        loop {
            match counted.next().await {
                Some(Ok(_)) => continue,
                other => return other,
            }
        }
    })
    .await
    .expect("the give-up in time");
    assert!(
        matches!(gave_up, Some(Err(CallError::RetriesExhausted { .. }))),
        "{gave_up:?}"
    );

    // Back on the same port: after its pause the client tries again, by itself.
    let server = GraphqlWsServer::start_on(port).await;
    let resumed = timeout(LIMIT, async {
        loop {
            if let Some(Ok(counted)) = counted.next().await {
                return counted.counter;
            }
        }
    })
    .await
    .expect("items once the server is back");
    assert_eq!(resumed, 1);
    assert_eq!(server.seen.subscribe_ids(), [counted.id()]);
}

/// A `websocket` field of a derived struct is all a subscription client needs.
#[derive(connfx::Connections)]
#[connections(env_prefix = "GQLWS")]
struct Live {
    /// The API's subscription endpoint.
    #[connection(
        protocol = "websocket",
        url = "ws://127.0.0.1:9/graphql",
        headers("Sec-WebSocket-Protocol" = "graphql-transport-ws"),
        retry(max_attempts = 5, initial_interval = "20ms")
    )]
    updates: WebSocketConnection,
}

#[tokio::test]
async fn a_websocket_field_of_a_derived_struct_carries_subscriptions() {
    let server = GraphqlWsServer::start().await;
    let url = server.url();
    let conns = Live::load_config_from(connfx::Sources::new().env_map([("GQLWS_UPDATES_URL", url.as_str())]))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let subs = GraphqlSubscriptions::new(conns.updates().clone());
    let counted = subs
        .subscribe::<Counted>(COUNTER, json!({ "to": 3 }))
        .await
        .unwrap();
    let seen = timeout(
        LIMIT,
        counted.map(|item| item.unwrap().counter).collect::<Vec<_>>(),
    )
    .await
    .expect("the stream ends in time");
    assert_eq!(seen, [1, 2, 3]);
    conns.close().await;
}

#[tokio::test]
async fn a_server_that_does_not_acknowledge_within_the_connect_timeout_is_reported_once() {
    let server = GraphqlWsServer::start().await;
    let config: WebSocketConfig = serde_json::from_value(json!({
        "url": server.url(),
        "headers": { "Sec-WebSocket-Protocol": "graphql-transport-ws" },
        "timeout": { "connect": "200ms" },
    }))
    .unwrap();
    let ws = WebSocketConnection::connect("live", config).await.unwrap();
    let subs = GraphqlSubscriptions::with_init_payload(ws, json!({ "silent": true }));
    let mut waiting = subs.subscribe::<Counted>(COUNTER, ()).await.unwrap();
    let item = next(&mut waiting).await;
    assert!(
        matches!(item, Some(Err(CallError::Timeout { after, .. })) if after == Duration::from_millis(200)),
        "{item:?}"
    );
    // Told once; the subscription is still waiting, never sent before an acknowledgement.
    assert!(timeout(Duration::from_millis(500), waiting.next()).await.is_err());
    assert!(server.seen.subscribe_ids().is_empty());
}
