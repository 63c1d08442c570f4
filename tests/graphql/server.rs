//! A GraphQL-ish server on 127.0.0.1: it parses each `POST`ed JSON body and answers what the
//! test's script says for it. No GraphQL server crate: the tests check what the client sends
//! and how it reads answers, not how a server resolves queries.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde_json::Value;

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The parsed JSON body (`Value::Null` if it was not JSON).
    pub body: Value,
    pub headers: HeaderMap,
    pub path: String,
}

/// The answer to one request: status and JSON body.
pub type Answer = (u16, Value);

/// A running server and every request it has seen.
pub struct Server {
    /// The endpoint: `http://127.0.0.1:PORT/graphql`.
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    /// Answers request number `n` (from 1), with its parsed body, as `script` says.
    pub async fn start<F>(script: F) -> Server
    where
        F: Fn(usize, &Value) -> Answer + Send + Sync + 'static,
    {
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let count = Arc::new(AtomicUsize::new(0));
        let script = Arc::new(script);
        let log = seen.clone();
        let handler = move |uri: axum::http::Uri, headers: HeaderMap, body: Bytes| {
            let (log, count, script) = (log.clone(), count.clone(), script.clone());
            async move {
                let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let n = count.fetch_add(1, Ordering::SeqCst) + 1;
                log.lock().expect("not poisoned").push(Seen {
                    body: body.clone(),
                    headers,
                    path: uri.path().to_owned(),
                });
                let (status, answer) = script(n, &body);
                let status = StatusCode::from_u16(status).expect("a valid status");
                (
                    status,
                    [(header::CONTENT_TYPE, "application/json")],
                    answer.to_string(),
                )
                    .into_response()
            }
        };
        let router = Router::new().route("/graphql", axum::routing::post(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let url = format!("http://{}/graphql", listener.local_addr().expect("bound address"));
        tokio::spawn(async move { axum::serve(listener, router).await });
        Server { url, seen }
    }

    /// Answers every request with the same status and body.
    pub async fn always(status: u16, answer: Value) -> Server {
        Server::start(move |_, _| (status, answer.clone())).await
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("not poisoned").clone()
    }

    /// How many requests the server has seen.
    pub fn count(&self) -> usize {
        self.seen.lock().expect("not poisoned").len()
    }
}

/// A loopback port nothing listens on: bound, then released.
pub fn refused_url() -> String {
    format!("http://127.0.0.1:{}/graphql", crate::ports::closed_port())
}
