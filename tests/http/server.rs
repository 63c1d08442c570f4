//! Real HTTP servers on 127.0.0.1 for the tests, spawned on the test's own runtime.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{Method, StatusCode, Uri};
use axum::response::Json;
use serde_json::{Map, Value, json};

/// A running server and the requests it has seen, as `METHOD /path`.
pub struct Server {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub origin: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Server {
    async fn start(router: Router, seen: Arc<Mutex<Vec<String>>>) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let origin = format!("http://{}", listener.local_addr().expect("bound address"));
        tokio::spawn(async move { axum::serve(listener, router).await });
        Server { origin, seen }
    }

    /// The origin followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// Every request so far, as `METHOD /path`.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().expect("not poisoned").clone()
    }
}

/// Answers every request with JSON describing it: method, path, query, headers and body.
pub async fn echo() -> Server {
    Server::start(Router::new().fallback(describe), Arc::default()).await
}

async fn describe(request: Request) -> Json<Value> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .expect("body under 1 MiB");
    let headers: Map<String, Value> = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.to_string(),
                Value::from(value.to_str().unwrap_or("<binary>")),
            )
        })
        .collect();
    Json(json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query(),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    }))
}

/// Answers with whatever `answer` says for the method and path, and records each request.
pub async fn answering<F>(answer: F) -> Server
where
    F: Fn(&Method, &str) -> (StatusCode, String) + Clone + Send + Sync + 'static,
{
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    let router = Router::new().fallback(move |method: Method, uri: Uri| {
        let (answer, log) = (answer.clone(), log.clone());
        async move {
            log.lock()
                .expect("not poisoned")
                .push(format!("{method} {}", uri.path()));
            answer(&method, uri.path())
        }
    });
    Server::start(router, seen).await
}

/// Answers every request with `status` and a short body.
pub async fn status(status: u16) -> Server {
    let status = StatusCode::from_u16(status).expect("valid status");
    answering(move |_, _| (status, format!("status {}", status.as_u16()))).await
}

/// Records each request, then waits `delay` before answering `200 late`.
pub async fn slow(delay: Duration) -> Server {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    let router = Router::new().fallback(move |method: Method, uri: Uri| {
        let log = log.clone();
        async move {
            log.lock()
                .expect("not poisoned")
                .push(format!("{method} {}", uri.path()));
            tokio::time::sleep(delay).await;
            "late"
        }
    });
    Server::start(router, seen).await
}

impl Server {
    /// Waits until the server has seen a request.
    pub async fn wait_for_a_request(&self) {
        while self.seen().is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

pub use crate::ports::closed_port as refused_port;
