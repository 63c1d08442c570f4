//! `cargo bench --bench http_targets`: the time and memory of connecting a registry of 1,000
//! HTTP targets, as a new user would: `Registry::add` with a `TargetConfig` of protocol `http`
//! and URL `http://127.0.0.1:<port>/<i>`, every other setting at its default, one after the
//! other.
//!
//! Memory is counted by a counting global allocator: the bytes allocated and not yet freed
//! after the 1,000 connects, minus those before, divided by 1,000. Everything the registry and
//! its connections hold counts, including the one `reqwest::Client` they share. The registry is
//! then closed and dropped, and the bytes still held show what outlives it.
//!
//! Targets (issue 13): ≤ 100 ms for the 1,000 connects, ≤ 16 KiB per connection.

use std::time::{Duration, Instant};

#[path = "../tests/support/held_bytes.rs"]
mod held_bytes;

use connfx::Registry;
use connfx::registry::TargetConfig;
use held_bytes::held;
use serde_json::json;

/// Targets per registry.
const TARGETS: usize = 1_000;
/// Registries connected, one after the other; the median and the worst are reported.
const ROUNDS: usize = 7;

/// One registry's figures.
struct Round {
    connect: Duration,
    /// Bytes held per connection once all are connected.
    per_connection: f64,
    /// Bytes still held after the registry was closed and dropped.
    left_after_drop: isize,
}

fn target(port: u16, i: usize) -> TargetConfig {
    serde_json::from_value(json!({ "protocol": "http", "url": format!("http://127.0.0.1:{port}/{i}") }))
        .expect("a valid TargetConfig")
}

async fn round(port: u16) -> Round {
    let before = held();
    let registry = Registry::new();
    let start = Instant::now();
    // Each target's config is made in the loop, as a user's code reading a list would: its
    // time and its bytes count (it is dropped once connected, its parts kept as needed).
    for i in 0..TARGETS {
        registry
            .add(format!("target-{i}"), target(port, i))
            .await
            .expect("connects");
    }
    let connect = start.elapsed();
    let per_connection = (held() - before) as f64 / TARGETS as f64;
    assert_eq!(registry.names().len(), TARGETS);
    registry.close().await;
    drop(registry);
    Round {
        connect,
        per_connection,
        left_after_drop: held() - before,
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let rounds: Vec<Round> = rt.block_on(async {
        // A real port (nothing is sent to it: connecting does no network I/O).
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let port = listener.local_addr().expect("bound address").port();
        // One untimed round: first-use costs of the process (the config shape, TLS provider,
        // tracing callsites) are not a registry's.
        round(port).await;
        let mut rounds = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            rounds.push(round(port).await);
        }
        rounds
    });
    for (i, r) in rounds.iter().enumerate() {
        println!(
            "round {}: {TARGETS} targets connected in {:.1} ms, {:.0} B ({:.2} KiB) per connection, {} B left after close and drop",
            i + 1,
            r.connect.as_secs_f64() * 1e3,
            r.per_connection,
            r.per_connection / 1024.0,
            r.left_after_drop
        );
    }
    let mut times: Vec<Duration> = rounds.iter().map(|r| r.connect).collect();
    times.sort();
    let mut bytes: Vec<f64> = rounds.iter().map(|r| r.per_connection).collect();
    bytes.sort_by(f64::total_cmp);
    println!(
        "summary ({ROUNDS} rounds): connect {:.1} ms median, {:.1} ms worst (target ≤ 100 ms); {:.2} KiB per connection median, {:.2} KiB worst (target ≤ 16 KiB)",
        times[ROUNDS / 2].as_secs_f64() * 1e3,
        times[ROUNDS - 1].as_secs_f64() * 1e3,
        bytes[ROUNDS / 2] / 1024.0,
        bytes[ROUNDS - 1] / 1024.0
    );
}
