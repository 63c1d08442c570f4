//! An axum app served on 127.0.0.1 for the examples that start their own upstream.

use std::net::SocketAddr;

/// Serves `app` on a free port of 127.0.0.1 in the background; its address.
pub async fn serve(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let address = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}
