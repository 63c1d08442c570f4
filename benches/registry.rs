//! `cargo bench --bench registry`: looking a connection up by name in a [`Registry`] of 10 and of
//! 1,000 connections, against a plain `HashMap<String, HttpConnection>` (what a user would write
//! by hand) and a linear scan of a `Vec` (how the registry looked names up before session 6).
//!
//! Each lookup finds the middle name and clones the handle, as `Registry::get` does.

use std::collections::HashMap;
use std::hint::black_box;

use connfx::{Connection, HttpConnection, Registry};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// Sizes of the registry.
const SIZES: [usize; 2] = [10, 1_000];

/// One live HTTP connection (no network I/O until a call), stored under every name.
fn connection() -> HttpConnection {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    let config = serde_json::from_value(serde_json::json!({ "url": "http://127.0.0.1:9/api" }))
        .expect("a valid HttpConfig");
    runtime
        .block_on(HttpConnection::connect("api", config))
        .expect("connects")
}

fn lookups(c: &mut Criterion) {
    let api = connection();
    let mut group = c.benchmark_group("registry_get");
    for size in SIZES {
        let names: Vec<String> = (0..size).map(|i| format!("connection-{i:04}")).collect();
        let registry = Registry::new();
        let mut by_hand = HashMap::new();
        let mut scanned = Vec::new();
        for name in &names {
            registry.insert(name.clone(), api.clone());
            by_hand.insert(name.clone(), api.clone());
            scanned.push((name.clone(), api.clone()));
        }
        let wanted = names[size / 2].as_str();
        group.bench_with_input(BenchmarkId::new("connfx", size), wanted, |b, name| {
            b.iter(|| registry.get::<HttpConnection>(black_box(name)).expect("present"))
        });
        group.bench_with_input(BenchmarkId::new("hashmap", size), wanted, |b, name| {
            b.iter(|| by_hand.get(black_box(name)).cloned().expect("present"))
        });
        group.bench_with_input(BenchmarkId::new("vec_scan", size), wanted, |b, name| {
            b.iter(|| {
                let name = black_box(name);
                scanned
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, c)| c.clone())
                    .expect("present")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, lookups);
criterion_main!(benches);
