//! `auth(...)` on a WebSocket connection (issue 16 item 1): bearer, basic and API key
//! credentials on every opening handshake, and OAuth2 client credentials: one token for every
//! socket and reconnect of a connection, renewed before it expires and once after a 401, a
//! token endpoint that is down retried as a failed handshake is. Against an echo server that
//! lets in only the token endpoint's current token.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use connfx::WebSocketEvent;
use connfx::prelude::*;
use tokio::time::timeout;

use super::oauth2_server::{self, CLIENT_SECRET, OAuth2Server, TOKEN_PREFIX};
use super::pool::until;
use super::server::{EchoServer, Gate, closed_port};
use super::{LIMIT, config, connect, recv, wait_for};

/// `auth.oauth2` for `server`'s token endpoint, with quick reconnects.
fn oauth2(server: &OAuth2Server) -> serde_json::Value {
    serde_json::json!({
        "auth": { "oauth2": {
            "token_url": server.token_url(), "client_id": "svc", "client_secret": CLIENT_SECRET,
        } },
        "retry": { "max_attempts": 10, "initial_interval": "20ms", "max_interval": "100ms" },
    })
}

/// `oauth2(server)` with `extra`'s keys added.
fn oauth2_and(server: &OAuth2Server, extra: serde_json::Value) -> serde_json::Value {
    let mut settings = oauth2(server);
    if let (Some(settings), Some(extra)) = (settings.as_object_mut(), extra.as_object()) {
        settings.extend(extra.clone());
    }
    settings
}

/// A gate that lets in `server`'s current token only.
fn token_gate(server: &OAuth2Server) -> Gate {
    let ledger = Arc::clone(&server.ledger);
    Arc::new(move |request| {
        let sent = request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        ledger.accepts(sent)
    })
}

/// An echo server that lets in `server`'s current token only.
async fn guarded(server: &OAuth2Server) -> EchoServer {
    EchoServer::start_guarded(None, token_gate(server)).await
}

/// Sends `text` and waits for its echo.
async fn echo(feed: &WebSocketConnection, text: &str) {
    feed.send_text(text).await.unwrap();
    assert_eq!(recv(feed).await.unwrap().as_text(), Some(text));
}

/// Every `Authorization` value the server was sent, in order.
fn authorizations(server: &EchoServer) -> Vec<String> {
    let seen = server.seen.headers.lock().unwrap();
    let values = seen.iter().flat_map(|headers| {
        let sent = headers.iter().filter(|(name, _)| name == "authorization");
        sent.map(|(_, value)| value.clone()).collect::<Vec<_>>()
    });
    values.collect()
}

#[tokio::test]
async fn one_token_serves_every_socket_and_reconnect() {
    let tokens = oauth2_server::start(3600).await;
    let ws = guarded(&tokens).await;
    let pool = serde_json::json!({ "pool": { "max_size": 3, "min_idle": 3 } });
    let feed = connect(&ws.url(), oauth2_and(&tokens, pool)).await;
    until("three sockets open", || ws.connections() == 3).await;
    echo(&feed, "first").await;

    ws.drop_connections();
    until("three sockets reopened", || ws.connections() == 6).await;
    echo(&feed, "after the drop").await;
    assert_eq!(tokens.ledger.token_requests(), 1, "one token for the connection");
    assert_eq!(tokens.ledger.refusals.load(Ordering::SeqCst), 0);
    let sent = authorizations(&ws);
    assert!(
        sent.len() == 6 && sent.iter().all(|v| *v == format!("Bearer {TOKEN_PREFIX}1")),
        "{sent:?}"
    );
    feed.close().await;
}

#[tokio::test]
async fn a_token_about_to_expire_is_renewed_before_the_next_handshake() {
    // Tokens live 2 s and are replaced a fifth of their life early: after 1.6 s.
    let tokens = oauth2_server::start(2).await;
    let ws = guarded(&tokens).await;
    let feed = connect(&ws.url(), oauth2(&tokens)).await;
    echo(&feed, "first").await;
    tokio::time::sleep(Duration::from_millis(1700)).await;

    ws.drop_connections();
    until("reopened", || ws.connections() == 2).await;
    echo(&feed, "renewed").await;
    assert_eq!(tokens.ledger.token_requests(), 2);
    assert_eq!(
        tokens.ledger.refusals.load(Ordering::SeqCst),
        0,
        "the old token was never sent again"
    );
    let expected = ["Bearer tok3n-1", "Bearer tok3n-2"].map(String::from);
    assert_eq!(authorizations(&ws), expected);
    feed.close().await;
}

#[tokio::test]
async fn an_upgrade_refused_with_401_gets_one_new_token_and_one_more_handshake() {
    let tokens = oauth2_server::start(3600).await;
    let ws = guarded(&tokens).await;
    let feed = connect(&ws.url(), oauth2(&tokens)).await;
    echo(&feed, "first").await;

    // The token is revoked: the reopen is refused once, then opens with a new token.
    tokens.ledger.revoke();
    ws.drop_connections();
    until("reopened", || ws.connections() == 2).await;
    echo(&feed, "with a new token").await;
    assert_eq!(tokens.ledger.token_requests(), 2);
    assert_eq!(tokens.ledger.refusals.load(Ordering::SeqCst), 1);
    feed.close().await;

    // A server that refuses every token: one refetch and one more handshake, then the 401
    // stands (it is not retried).
    let tokens = oauth2_server::start(3600).await;
    let handshakes = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&handshakes);
    let refusing: Gate = Arc::new(move |_| {
        counted.fetch_add(1, Ordering::SeqCst);
        false
    });
    let ws = EchoServer::start_guarded(None, refusing).await;
    let feed = connect(&ws.url(), oauth2(&tokens)).await;
    let err = recv(&feed).await.unwrap_err();
    assert!(matches!(err, CallError::Status { code: 401, .. }), "{err}");
    assert_eq!(tokens.ledger.token_requests(), 2, "exactly one refetch");
    assert_eq!(handshakes.load(Ordering::SeqCst), 2);
    feed.close().await;
}

#[tokio::test]
async fn a_token_endpoint_that_is_down_is_retried_until_it_is_back() {
    let tokens = oauth2_server::start(3600).await;
    tokens.ledger.fail_next.store(3, Ordering::SeqCst);
    let ws = guarded(&tokens).await;
    let feed = connect(&ws.url(), oauth2(&tokens)).await;
    // The send waits for the socket, which opens once the endpoint answers again.
    timeout(LIMIT, echo(&feed, "once it is back"))
        .await
        .expect("connected in time");
    assert_eq!(tokens.ledger.token_requests(), 4, "three 503s, then a token");
    assert_eq!(ws.connections(), 1);
    feed.close().await;

    // No token endpoint at all: the round gives up with the endpoint's failure, secret-free.
    let nowhere = closed_port().await;
    let settings = serde_json::json!({
        "auth": { "oauth2": {
            "token_url": format!("http://{nowhere}/token"), "client_id": "svc", "client_secret": CLIENT_SECRET,
        } },
        "retry": { "max_attempts": 2, "initial_interval": "10ms" },
    });
    let feed = connect(&ws.url(), settings).await;
    let mut events = feed.subscribe();
    let err = recv(&feed).await.unwrap_err();
    let CallError::RetriesExhausted {
        attempts: 2, last, ..
    } = &err
    else {
        panic!("expected RetriesExhausted after 2 attempts, got {err}");
    };
    assert!(last.to_string().contains("OAuth2 token endpoint"), "{err}");
    let gave_up = wait_for(&mut events, |e| matches!(e, WebSocketEvent::GaveUp { .. })).await;
    let shown = format!("{err} {err:?} {gave_up:?} {feed:?} {:?}", feed.health().await);
    assert!(!shown.contains(CLIENT_SECRET), "{shown}");
    assert_eq!(ws.connections(), 1, "no handshake without a token");
    feed.close().await;
}

#[tokio::test]
async fn a_reload_that_keeps_auth_oauth2_keeps_the_token() {
    let tokens = oauth2_server::start(3600).await;
    let ws = guarded(&tokens).await;
    let feed = connect(&ws.url(), oauth2(&tokens)).await;
    echo(&feed, "first").await;

    // A new header needs a new socket; the token stays.
    let moved = config(
        &ws.url(),
        oauth2_and(&tokens, serde_json::json!({ "headers": { "X-Client": "b" } })),
    );
    assert_eq!(feed.reload(moved).await.unwrap(), connfx::Applied::Reconnected);
    until("reopened", || ws.connections() == 2).await;
    echo(&feed, "after the reload").await;
    assert_eq!(tokens.ledger.token_requests(), 1);

    // Other OAuth2 settings are another token.
    let mut other = oauth2(&tokens);
    other["auth"]["oauth2"]["scopes"] = serde_json::json!(["feed"]);
    assert_eq!(
        feed.reload(config(&ws.url(), other)).await.unwrap(),
        connfx::Applied::Reconnected
    );
    until("reopened", || ws.connections() == 3).await;
    echo(&feed, "with new settings").await;
    assert_eq!(tokens.ledger.token_requests(), 2);
    feed.close().await;
}

#[tokio::test]
async fn health_sends_the_kept_token_and_never_asks_for_one() {
    let tokens = oauth2_server::start(3600).await;
    let addr = closed_port().await;
    let settings = oauth2_and(&tokens, serde_json::json!({ "retry": { "max_attempts": 1 } }));
    let feed = connect(&format!("ws://{addr}/feed"), settings).await;
    // A token is fetched, then the handshake finds no server: the connection rests.
    let _ = recv(&feed).await.unwrap_err();
    assert_eq!(tokens.ledger.token_requests(), 1);

    let ws = EchoServer::start_guarded(Some(addr), token_gate(&tokens)).await;
    let health = feed.health().await;
    assert_eq!(health.state, HealthState::Ready, "{health:?}");
    assert_eq!(authorizations(&ws), ["Bearer tok3n-1"]);
    assert_eq!(tokens.ledger.token_requests(), 1, "the probe asked for no token");
    feed.close().await;
}

#[tokio::test]
async fn bearer_basic_and_api_key_reach_the_server_and_never_show() {
    let ws = EchoServer::start().await;
    let cases = [
        (
            serde_json::json!({ "bearer": "b3arer" }),
            "authorization",
            "Bearer b3arer",
        ),
        (
            serde_json::json!({ "username": "app", "password": "hunter2" }),
            "authorization",
            "Basic YXBwOmh1bnRlcjI=",
        ),
        (
            serde_json::json!({ "api_key": "k3y", "api_key_header": "X-Key" }),
            "x-key",
            "k3y",
        ),
    ];
    for (index, (auth, header, value)) in cases.into_iter().enumerate() {
        // `auth` wins over an `Authorization` in `headers`, as over HTTP and SSE.
        let settings =
            serde_json::json!({ "auth": auth, "headers": { "Authorization": "Bearer from-headers" } });
        let feed = connect(&ws.url(), settings).await;
        echo(&feed, "hi").await;
        let sent = ws.seen.headers.lock().unwrap()[index].clone();
        assert!(sent.contains(&(header.to_owned(), value.to_owned())), "{sent:?}");
        let authorization = sent.iter().filter(|(name, _)| name == "authorization").count();
        assert_eq!(authorization, 1, "{sent:?}");
        let shown = format!("{feed:?} {:?} {:?}", feed.config(), feed.health().await);
        for secret in ["b3arer", "hunter2", "k3y", "YXBwOmh1bnRlcjI"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        feed.close().await;
    }

    // Two credentials at once are refused at connect, naming no secret.
    let both = serde_json::json!({ "url": ws.url(), "auth": { "bearer": "b3arer", "api_key": "k3y" } });
    let both: WebSocketConfig = serde_json::from_value(both).unwrap();
    let err = WebSocketConnection::connect("feed", both)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("auth") && !err.contains("b3arer") && !err.contains("k3y"),
        "{err}"
    );
}

#[tokio::test]
async fn the_token_and_the_secret_never_show() {
    let tokens = oauth2_server::start(3600).await;
    let ws = guarded(&tokens).await;
    let feed = connect(&ws.url(), oauth2(&tokens)).await;
    echo(&feed, "first").await;
    let shown = format!("{feed:?} {:?} {:?}", feed.config(), feed.health().await);
    assert!(
        !shown.contains(CLIENT_SECRET) && !shown.contains(TOKEN_PREFIX),
        "{shown}"
    );
    feed.close().await;

    // A secret the endpoint refuses: the refusal (never retried) names the status only.
    let mut wrong = oauth2(&tokens);
    wrong["auth"]["oauth2"]["client_secret"] = serde_json::json!("wr0ng-secret");
    let feed = connect(&ws.url(), wrong).await;
    let err = recv(&feed).await.unwrap_err();
    let shown = format!("{err} {err:?} {feed:?}");
    assert!(
        shown.contains("OAuth2 token endpoint answered 401 (invalid_client)"),
        "{shown}"
    );
    assert!(!shown.contains("wr0ng-secret"), "{shown}");
    assert_eq!(tokens.ledger.token_requests(), 2, "a refusal is not retried");
    feed.close().await;
}

/// Connections of the config test.
#[derive(Connections)]
#[connections(env_prefix = "WSA")]
pub struct AuthConns {
    /// A feed behind OAuth2.
    #[connection(protocol = "websocket", retry(initial_interval = "20ms"))]
    feed: WebSocketConnection,
}

#[tokio::test]
async fn auth_oauth2_loads_from_the_environment() {
    let tokens = oauth2_server::start(3600).await;
    let ws = guarded(&tokens).await;
    let sources = Sources::new().env_map([
        ("WSA_FEED_URL", ws.url()),
        ("WSA_FEED_AUTH_OAUTH2_TOKEN_URL", tokens.token_url()),
        ("WSA_FEED_AUTH_OAUTH2_CLIENT_ID", "svc".to_owned()),
        ("WSA_FEED_AUTH_OAUTH2_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
        ("WSA_FEED_AUTH_OAUTH2_CLIENT_AUTH", "post".to_owned()),
        ("WSA_FEED_AUTH_OAUTH2_AUDIENCE", "https://feed.example".to_owned()),
    ]);
    let config = AuthConns::load_config_from(sources.clone()).unwrap();
    let oauth2 = config.feed.auth.oauth2.clone().unwrap();
    assert_eq!(oauth2.client_id.as_deref(), Some("svc"));
    assert_eq!(oauth2.client_auth, Some(connfx::OAuth2ClientAuth::Post));
    assert!(!format!("{config:?}").contains(CLIENT_SECRET));
    let explained = connfx::config::explain::<AuthConns>(sources).unwrap();
    let secret = explained
        .iter()
        .find(|s| s.path == "feed.auth.oauth2.client_secret");
    assert_eq!(
        secret.map(|s| s.source.clone()),
        Some(connfx::ValueSource::Env(
            "WSA_FEED_AUTH_OAUTH2_CLIENT_SECRET".into()
        ))
    );
    assert!(!format!("{explained:?}").contains(CLIENT_SECRET));
    let names: Vec<String> = AuthConns::env_vars().into_iter().map(|v| v.name).collect();
    assert!(
        names.iter().any(|n| n == "WSA_FEED_AUTH_OAUTH2_CLIENT_SECRET"),
        "{names:?}"
    );

    let conns = config.connect().await.unwrap();
    echo(conns.feed(), "through the derive").await;
    let (form, _) = tokens.ledger.forms.lock().unwrap()[0].clone();
    assert!(
        form.contains("client_secret=s3cret-value") && form.contains("audience=https"),
        "{form}"
    );
    conns.close().await;
}

/// `health` before a token was ever fetched: the probe sends none and the server refuses.
#[tokio::test]
async fn without_a_kept_token_the_probe_is_refused() {
    let tokens = oauth2_server::start(3600).await;
    tokens.ledger.fail_next.store(100, Ordering::SeqCst);
    let ws = guarded(&tokens).await;
    let settings = oauth2_and(&tokens, serde_json::json!({ "retry": { "max_attempts": 1 } }));
    let feed = connect(&ws.url(), settings).await;
    let _ = recv(&feed).await.unwrap_err();
    let health = feed.health().await;
    assert_eq!(health.state, HealthState::Error, "{health:?}");
    assert!(health.message.contains("401"), "{health:?}");
    assert_eq!(tokens.ledger.token_requests(), 1, "the probe asked for no token");
    feed.close().await;
}
