//! `auth.oauth2` (client credentials) against a token endpoint and an API on loopback: one
//! token request however many calls wait, renewal before expiry and after a 401, the token
//! endpoint retried by the retry policy, and neither secret nor token in any output.

use std::time::Duration;

use serde_json::{Value, json};

use crate::oauth2_server::{self, CLIENT_SECRET, OAuth2Server, TOKEN_PREFIX};
use crate::{config, connect};

/// A config for `server`'s API with client credentials, `extra` merged in at the top.
fn with_oauth2(server: &OAuth2Server, extra: Value) -> Value {
    let mut value = json!({
        "url": format!("{}/api", server.origin),
        "auth": { "oauth2": {
            "token_url": server.token_url(),
            "client_id": "svc",
            "client_secret": CLIENT_SECRET,
            "scopes": ["read", "write"],
            "audience": "https://api.example",
        } },
    });
    if let (Value::Object(value), Value::Object(extra)) = (&mut value, extra) {
        value.extend(extra);
    }
    value
}

async fn bounded<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("finished within 10 s")
}

#[tokio::test]
async fn concurrent_calls_share_one_token_request() {
    let server = oauth2_server::start(60).await;
    let api = connect(with_oauth2(&server, json!({}))).await;
    let calls = (0..20).map(|i| {
        let api = api.clone();
        async move { api.get(&format!("/items/{i}")).send().await.map(|r| r.status()) }
    });
    let answers = bounded(futures_util::future::join_all(calls)).await;
    assert!(
        answers.iter().all(|a| matches!(a, Ok(s) if *s == 200)),
        "{answers:?}"
    );
    assert_eq!(server.ledger.token_requests(), 1, "single flight");
    let forms = server.ledger.forms.lock().expect("not poisoned").clone();
    let (form, auth) = &forms[0];
    assert_eq!(
        form, "grant_type=client_credentials&scope=read+write&audience=https%3A%2F%2Fapi.example",
        "the secret goes in the basic header, not the form"
    );
    assert_eq!(auth.as_deref(), Some("Basic c3ZjOnMzY3JldC12YWx1ZQ=="));
}

#[tokio::test]
async fn client_auth_post_sends_the_credentials_in_the_form() {
    let server = oauth2_server::start(60).await;
    let mut value = with_oauth2(&server, json!({}));
    value["auth"]["oauth2"]["client_auth"] = json!("post");
    let api = connect(value).await;
    bounded(api.get("/x").send()).await.expect("sent");
    let forms = server.ledger.forms.lock().expect("not poisoned").clone();
    let (form, auth) = &forms[0];
    assert!(
        form.contains("client_id=svc&client_secret=s3cret-value"),
        "{form}"
    );
    assert_eq!(auth, &None);
}

#[tokio::test]
async fn tokens_are_renewed_before_they_expire() {
    // Two-second tokens are replaced after 1.6 s (a fifth of their life early).
    let server = oauth2_server::start(2).await;
    let api = connect(with_oauth2(&server, json!({}))).await;
    bounded(api.get("/a").send()).await.expect("first token");
    bounded(api.get("/b").send()).await.expect("same token");
    assert_eq!(server.ledger.token_requests(), 1);
    tokio::time::sleep(Duration::from_millis(1700)).await;
    bounded(api.get("/c").send()).await.expect("renewed token");
    assert_eq!(server.ledger.token_requests(), 2);
    assert_eq!(
        server.ledger.refusals.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no call sent a stale token"
    );
}

#[tokio::test]
async fn a_refused_token_is_renewed_once_and_the_call_succeeds() {
    let server = oauth2_server::start(3600).await;
    let api = connect(with_oauth2(&server, json!({}))).await;
    bounded(api.get("/a").send()).await.expect("first token");
    server.ledger.revoke();
    let response = bounded(api.post("/b").body("once more").send())
        .await
        .expect("renewed and sent again");
    assert_eq!(response.text().await.expect("body"), "/api/b");
    assert_eq!(server.ledger.token_requests(), 2);
    assert_eq!(
        server.ledger.refusals.load(std::sync::atomic::Ordering::SeqCst),
        1
    );
}

/// A token refused on a request whose body is a stream: the stream cannot be sent again, so
/// the call fails with the 401, and the token is forgotten, so the next call asks for a new one.
#[tokio::test]
async fn a_refused_token_with_a_streamed_body_fails_the_call_and_is_forgotten() {
    let server = oauth2_server::start(3600).await;
    let api = connect(with_oauth2(&server, json!({}))).await;
    bounded(api.get("/a").send()).await.expect("first token");
    server.ledger.revoke();
    let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(b"once".to_vec())]);
    let err = bounded(api.post("/b").body(reqwest::Body::wrap_stream(stream)).send())
        .await
        .expect_err("refused, and not sent again");
    assert_eq!(err.status(), Some(401), "{err}");
    assert_eq!(
        server.ledger.token_requests(),
        1,
        "no new token for a body sent once"
    );
    bounded(api.get("/c").send()).await.expect("a new token");
    assert_eq!(server.ledger.token_requests(), 2);
    let refusals = server.ledger.refusals.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(refusals, 1, "the refused token was not sent again");
}

#[tokio::test]
async fn token_endpoint_failures_are_retried_by_the_retry_policy() {
    let server = oauth2_server::start(3600).await;
    server
        .ledger
        .fail_next
        .store(1, std::sync::atomic::Ordering::SeqCst);
    let retry = json!({ "retry": { "max_attempts": 3, "initial_interval": "10ms" } });
    let api = connect(with_oauth2(&server, retry)).await;
    bounded(api.get("/a").send())
        .await
        .expect("second token request answered");
    assert_eq!(server.ledger.token_requests(), 2);

    let server = oauth2_server::start(3600).await;
    server
        .ledger
        .fail_next
        .store(1, std::sync::atomic::Ordering::SeqCst);
    let api = connect(with_oauth2(&server, json!({}))).await;
    let err = bounded(api.get("/a").send()).await.expect_err("no retry policy");
    assert!(
        err.to_string().contains("OAuth2 token endpoint answered 503"),
        "{err}"
    );
    assert_eq!(server.ledger.token_requests(), 1);
}

#[tokio::test]
async fn secret_and_token_never_show() {
    let server = oauth2_server::start(3600).await;
    let mut value = with_oauth2(&server, json!({}));
    let api = connect(value.clone()).await;
    bounded(api.get("/a").send()).await.expect("token");
    value["auth"]["oauth2"]["client_secret"] = json!("wrong-s3cret");
    let refused = connect(value).await;
    let err = bounded(refused.get("/a").send()).await.expect_err("bad secret");
    assert!(err.to_string().contains("401 (invalid_client)"), "{err}");
    let shown = format!(
        "{api:?}\n{:?}\n{err}\n{err:?}\n{:?}",
        api.config(),
        refused.config()
    );
    for hidden in [CLIENT_SECRET, "wrong-s3cret", TOKEN_PREFIX] {
        assert!(!shown.contains(hidden), "{hidden} shown in {shown}");
    }
}

#[tokio::test]
async fn bad_oauth2_settings_fail_at_connect_naming_the_key() {
    let bad = |oauth2: Value| {
        let value = json!({ "url": "http://127.0.0.1:1/", "auth": { "oauth2": oauth2 } });
        <connfx::HttpConnection as connfx::Connection>::connect("api", config(value))
    };
    let err = bad(json!({ "token_url": "http://127.0.0.1:1/token", "client_secret": "s3cret-value" }))
        .await
        .expect_err("no client_id");
    assert!(
        err.to_string().contains("`auth.oauth2.client_id` is required"),
        "{err}"
    );
    let err = bad(
        json!({ "token_url": "ftp://127.0.0.1/token", "client_id": "svc", "client_secret": "s3cret-value" }),
    )
    .await
    .expect_err("not http");
    assert!(
        err.to_string()
            .contains("`auth.oauth2.token_url` must be an `http` or `https` URL"),
        "{err}"
    );
    assert!(!err.to_string().contains(CLIENT_SECRET), "{err}");
    let two = json!({
        "url": "http://127.0.0.1:1/",
        "auth": { "bearer": "t", "oauth2": { "token_url": "http://127.0.0.1:1/t", "client_id": "svc", "client_secret": "x" } }
    });
    let err = <connfx::HttpConnection as connfx::Connection>::connect("api", config(two))
        .await
        .expect_err("two credentials");
    assert!(err.to_string().contains("at most one"), "{err}");
}
