//! An OAuth2 token endpoint and an API that takes only its current token, on one loopback
//! server: `POST /token` (client credentials), everything else the API. It counts token
//! requests, issues tokens that expire after `expires_in` seconds, can refuse the next token
//! requests with 503 and can revoke the current token.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

/// The client the server knows.
pub const CLIENT_ID: &str = "svc";
/// Its secret.
pub const CLIENT_SECRET: &str = "s3cret-value";
/// Every token the server issues starts with this, so a test can look for any of them.
pub const TOKEN_PREFIX: &str = "tok3n-";

/// What the server knows and has seen.
#[derive(Default)]
pub struct Ledger {
    /// Token requests answered (the 503s among them).
    pub token_requests: AtomicUsize,
    /// 401s the API answered.
    pub refusals: AtomicUsize,
    /// Token requests still to refuse with 503.
    pub fail_next: AtomicUsize,
    /// The token the API takes now and when it expires.
    current: Mutex<Option<(String, Instant)>>,
    /// Each token request's form body and `Authorization` header.
    pub forms: Mutex<Vec<(String, Option<String>)>>,
}

impl Ledger {
    /// Token requests so far.
    pub fn token_requests(&self) -> usize {
        self.token_requests.load(Ordering::SeqCst)
    }

    /// Whether the API takes `authorization` (an `Authorization` header's value): the current
    /// token, unexpired. A refusal is counted.
    pub fn accepts(&self, authorization: Option<&str>) -> bool {
        let sent = authorization.and_then(|v| v.strip_prefix("Bearer "));
        let current = self.current.lock().expect("not poisoned").clone();
        let valid = matches!((sent, &current), (Some(sent), Some((token, until))) if sent == token && Instant::now() < *until);
        if !valid {
            self.refusals.fetch_add(1, Ordering::SeqCst);
        }
        valid
    }

    /// The API stops taking the current token.
    pub fn revoke(&self) {
        *self.current.lock().expect("not poisoned") = None;
    }
}

/// A running server.
pub struct OAuth2Server {
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    pub ledger: Arc<Ledger>,
}

impl OAuth2Server {
    /// `/token` on this server.
    pub fn token_url(&self) -> String {
        format!("{}/token", self.origin)
    }
}

/// Starts a server whose tokens live `expires_in` seconds; the token endpoint takes 50 ms to
/// answer, so concurrent calls overlap on it.
pub async fn start(expires_in: u64) -> OAuth2Server {
    let ledger = Arc::new(Ledger::default());
    let state = (Arc::clone(&ledger), expires_in);
    let router = Router::new()
        .route("/token", post(token))
        .fallback(api)
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let origin = format!("http://{}", listener.local_addr().expect("bound address"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    OAuth2Server { origin, ledger }
}

type Shared = (Arc<Ledger>, u64);

async fn token(State((ledger, expires_in)): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let n = ledger.token_requests.fetch_add(1, Ordering::SeqCst) + 1;
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    ledger
        .forms
        .lock()
        .expect("not poisoned")
        .push((body.clone(), auth.clone()));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let failing = ledger
        .fail_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(1))
        .is_ok();
    if failing {
        return (StatusCode::SERVICE_UNAVAILABLE, "try later").into_response();
    }
    let basic = auth.as_deref() == Some("Basic c3ZjOnMzY3JldC12YWx1ZQ==");
    let posted = body.contains("client_id=svc") && body.contains("client_secret=s3cret-value");
    if !body.contains("grant_type=client_credentials") || !(basic || posted) {
        let answer = r#"{"error":"invalid_client"}"#;
        return (StatusCode::UNAUTHORIZED, answer).into_response();
    }
    let token = format!("{TOKEN_PREFIX}{n}");
    let until = Instant::now() + Duration::from_secs(expires_in);
    *ledger.current.lock().expect("not poisoned") = Some((token.clone(), until));
    let answer =
        serde_json::json!({ "access_token": token, "token_type": "Bearer", "expires_in": expires_in });
    ([(header::CONTENT_TYPE, "application/json")], answer.to_string()).into_response()
}

async fn api(State((ledger, _)): State<Shared>, request: Request) -> Response {
    let sent = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match ledger.accepts(sent) {
        // An event stream asked for gets one event, the path, and ends.
        true if wants_events(&request) => {
            let event = format!("data: {}\n\n", request.uri().path());
            ([(header::CONTENT_TYPE, "text/event-stream")], event).into_response()
        }
        // A GraphQL request gets its path as data.
        true if request.uri().path().ends_with("/graphql") => {
            let answer = serde_json::json!({ "data": { "path": request.uri().path() } });
            ([(header::CONTENT_TYPE, "application/json")], answer.to_string()).into_response()
        }
        true => (StatusCode::OK, request.uri().path().to_owned()).into_response(),
        false => (StatusCode::UNAUTHORIZED, "bad token").into_response(),
    }
}

fn wants_events(request: &Request) -> bool {
    request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"))
}
