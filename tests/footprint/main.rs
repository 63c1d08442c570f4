//! What a connection holds on the heap: issue 13's bound of 16 KiB per HTTP connection, as a
//! test, so a change that makes every connection bigger fails here rather than only in
//! `benches/http_targets.rs` (session 17 found the figure at 17.4 KiB, unnoticed for three
//! sessions: telemetry's bound instruments were held inline in every connection).
//!
//! A binary of its own with one test: the counting allocator sees the whole process, so no
//! other test may run beside it.

#[path = "../support/held_bytes.rs"]
mod held_bytes;

use connfx::Registry;
use connfx::registry::TargetConfig;
use held_bytes::held;
use serde_json::json;

/// Targets per registry.
const TARGETS: usize = 200;
/// Issue 13's bound per connection.
const BOUND: f64 = 16.0 * 1024.0;

/// Connects a registry of `TARGETS` HTTP targets on their defaults; gives the bytes held per
/// connection once all are connected, and the bytes still held after it is closed and dropped.
async fn round(port: u16) -> (f64, isize) {
    let before = held();
    let registry = Registry::new();
    for i in 0..TARGETS {
        let url = format!("http://127.0.0.1:{port}/{i}");
        let target: TargetConfig =
            serde_json::from_value(json!({ "protocol": "http", "url": url })).expect("a valid target");
        registry
            .add(format!("target-{i}"), target)
            .await
            .expect("connects");
    }
    let per_connection = (held() - before) as f64 / TARGETS as f64;
    registry.close().await;
    drop(registry);
    (per_connection, held() - before)
}

#[test]
fn an_http_connection_holds_at_most_16_kib_and_nothing_after_close() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        // A real port; connecting sends nothing to it.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let port = listener.local_addr().expect("an address").port();
        // First-use costs of the process (TLS provider, tracing callsites) are no connection's.
        round(port).await;
        let (per_connection, left) = round(port).await;
        assert!(
            per_connection <= BOUND,
            "an HTTP connection holds {per_connection:.0} B, over issue 13's {BOUND} B"
        );
        assert!(
            left < TARGETS as isize,
            "{left} B still held after the registry of {TARGETS} was closed and dropped"
        );
        println!("an HTTP connection holds {per_connection:.0} B; {left} B left after close and drop");
    });
}
