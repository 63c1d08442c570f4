//! An HTTP upstream that can be taken down and brought back on the same port, counting the
//! requests it answers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::PATIENCE;

pub struct Upstream {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    running: Option<Running>,
}

struct Running {
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<()>,
}

impl Upstream {
    /// Up on a free loopback port, answering every request `200 up`.
    pub async fn start() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let mut upstream = Upstream {
            addr: listener.local_addr().expect("bound address"),
            hits: Arc::default(),
            running: None,
        };
        upstream.serve(listener);
        upstream
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests answered so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// Stops listening and closes every connection (idle keep-alive ones included), so the
    /// port refuses connections until [`Upstream::up`].
    pub async fn down(&mut self) {
        let running = self.running.take().expect("the upstream is up");
        let _ = running.shutdown.send(());
        tokio::time::timeout(PATIENCE, running.server)
            .await
            .expect("the upstream shut down in time")
            .expect("the server task ended cleanly");
    }

    /// Listens again on the same port.
    pub async fn up(&mut self) {
        assert!(self.running.is_none(), "the upstream is down");
        // The port was just released; binding it again may need a moment on a busy machine.
        for _ in 0..100 {
            if let Ok(listener) = TcpListener::bind(self.addr).await {
                self.serve(listener);
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("could not bind {} again", self.addr);
    }

    fn serve(&mut self, listener: TcpListener) {
        let hits = self.hits.clone();
        let app = Router::new().fallback(move || {
            hits.fetch_add(1, Ordering::SeqCst);
            async { "up" }
        });
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        self.running = Some(Running { shutdown, server });
    }
}
