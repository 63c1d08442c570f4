//! The HTTP upstream behind the proxy: an axum server that counts every request it answers by
//! method and path, and can be switched into a storm of one 5xx status.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;

#[derive(Default)]
struct Shared {
    /// 0: healthy; else the status every request gets.
    storm: AtomicU16,
    seen: Mutex<HashMap<String, u32>>,
}

/// A running upstream; its task ends with the test's runtime.
pub struct Upstream {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Upstream {
    pub async fn start() -> Upstream {
        let shared = Arc::new(Shared::default());
        let router = Router::new().fallback(answer).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move { axum::serve(listener, router).await });
        Upstream { addr, shared }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request from now on is answered `status` (`None`: healthy again).
    pub fn storm(&self, status: Option<u16>) {
        self.shared.storm.store(status.unwrap_or(0), Ordering::SeqCst);
    }

    /// How many `method path` requests reached the handler.
    pub fn seen(&self, method: &str, path: &str) -> u32 {
        let seen = self.shared.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.get(&format!("{method} {path}")).copied().unwrap_or(0)
    }
}

async fn answer(State(shared): State<Arc<Shared>>, request: Request) -> StatusCode {
    let key = format!("{} {}", request.method(), request.uri().path());
    *shared
        .seen
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(key)
        .or_default() += 1;
    match shared.storm.load(Ordering::SeqCst) {
        0 => StatusCode::OK,
        code => StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    }
}
