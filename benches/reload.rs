//! `cargo bench --bench reload`: what reload support costs a call, and how long a reload of a
//! 100-connection struct takes while calls run.
//!
//! - `call_settings`: what a call does to get its connection's settings. Before reload support
//!   a request cloned the connection's `Arc` (one atomic increment, one decrement): `arc_clone`.
//!   Sessions 10–16 loaded the current generation from an `ArcSwap` (`arc_swap_load_full`).
//!   Now a call loads it through connfx's `reload::current::Current` (`connfx_current`: the
//!   same file, compiled into this bench), whose thread-local cache answers with a weak
//!   reference's upgrade. The difference from `arc_clone` is what reload support adds to every
//!   call. The `_100` cases load 100 connections' settings in turn, as a service calling 100
//!   upstreams would (per load, so divide by 100).
//! - `reload_100`: `conns.reload(sources)` on a struct of 100 HTTP connections while 8 tasks call
//!   them through the README's API against a server on 127.0.0.1: `live` changes every
//!   connection's breaker threshold (policies changed in place), `reconnect` every connection's
//!   URL (100 new clients built beside the old ones). Each iteration alternates between two
//!   configurations, so every reload changes 100 keys. No call may fail.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use connfx::prelude::*;
use connfx::{HttpConnection, Sources};
use criterion::{Criterion, criterion_group, criterion_main};

/// connfx's own `reload/current.rs`, compiled here as it is in connfx: its `Current` is
/// crate-private, and this measures the very code each call runs.
#[path = "../connfx/src/reload"]
mod reload {
    #[allow(dead_code, unused_imports)]
    pub(crate) mod current;
}

/// A generation's settings, as the bench's stand-in.
struct Settings(#[allow(dead_code)] Vec<u8>);
reload::current::cached!(Settings);
use reload::current::Current;

fn call_settings(c: &mut Criterion) {
    let mut group = c.benchmark_group("call_settings");
    let plain: Vec<_> = (0..100).map(|_| Arc::new(Settings(vec![0u8; 64]))).collect();
    let swaps: Vec<_> = plain.iter().map(|s| ArcSwap::new(Arc::clone(s))).collect();
    let currents: Vec<_> = plain.iter().map(|s| Current::new(Arc::clone(s))).collect();
    group.bench_function("arc_clone", |b| {
        b.iter(|| drop(black_box(Arc::clone(black_box(&plain[0])))))
    });
    group.bench_function("arc_swap_load_full", |b| {
        b.iter(|| drop(black_box(black_box(&swaps[0]).load_full())))
    });
    group.bench_function("connfx_current", |b| {
        b.iter(|| drop(black_box(black_box(&currents[0]).load_full())))
    });
    group.bench_function("arc_clone_100", |b| {
        b.iter(|| {
            black_box(&plain)
                .iter()
                .for_each(|s| drop(black_box(Arc::clone(s))))
        })
    });
    group.bench_function("arc_swap_load_full_100", |b| {
        b.iter(|| {
            black_box(&swaps)
                .iter()
                .for_each(|s| drop(black_box(s.load_full())))
        })
    });
    group.bench_function("connfx_current_100", |b| {
        b.iter(|| {
            black_box(&currents)
                .iter()
                .for_each(|s| drop(black_box(s.load_full())))
        })
    });
    group.finish();
}

/// 100 HTTP connections, `c00` … `c99`, each with a breaker.
macro_rules! hundred {
    ($($field:ident)*) => {
        /// A service with 100 HTTP connections.
        #[derive(Connections)]
        #[connections(env_prefix = "BIG")]
        struct Big {
            $(
                #[connection(circuit_breaker(failure_threshold = 5))]
                $field: HttpConnection,
            )*
        }

        impl Big {
            fn all(&self) -> Vec<HttpConnection> {
                vec![$(self.$field.clone()),*]
            }
        }

        const FIELDS: &[&str] = &[$(stringify!($field)),*];
    };
}

hundred!(
    c00 c01 c02 c03 c04 c05 c06 c07 c08 c09 c10 c11 c12 c13 c14 c15 c16 c17 c18 c19
    c20 c21 c22 c23 c24 c25 c26 c27 c28 c29 c30 c31 c32 c33 c34 c35 c36 c37 c38 c39
    c40 c41 c42 c43 c44 c45 c46 c47 c48 c49 c50 c51 c52 c53 c54 c55 c56 c57 c58 c59
    c60 c61 c62 c63 c64 c65 c66 c67 c68 c69 c70 c71 c72 c73 c74 c75 c76 c77 c78 c79
    c80 c81 c82 c83 c84 c85 c86 c87 c88 c89 c90 c91 c92 c93 c94 c95 c96 c97 c98 c99
);

/// Every connection at `base` with `path`, and a breaker threshold.
fn sources(base: &str, path: &str, threshold: u32) -> Sources {
    Sources::new().env_map(FIELDS.iter().flat_map(|field| {
        let prefix = format!("BIG_{}", field.to_uppercase());
        [
            (format!("{prefix}_URL"), format!("{base}{path}")),
            (
                format!("{prefix}_CIRCUIT_BREAKER_FAILURE_THRESHOLD"),
                threshold.to_string(),
            ),
        ]
    }))
}

async fn serve() -> String {
    let app = axum::Router::new().fallback(|| async { "ok" });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

fn reload_100(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    let base = runtime.block_on(serve());
    let conns = runtime.block_on(async {
        Big::load_config_from(sources(&base, "/a", 5))
            .expect("valid")
            .connect()
            .await
            .expect("connects")
    });
    let conns = Arc::new(conns);
    // Load: 8 tasks calling the 100 connections in turn, until the bench ends (bounded by a
    // count and a time as well).
    let (stop, calls, failures) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let started = Instant::now();
    let load: Vec<_> = (0..8)
        .map(|task| {
            let (all, stop, calls, failures) = (conns.all(), stop.clone(), calls.clone(), failures.clone());
            runtime.spawn(async move {
                for i in 0..5_000_000usize {
                    if stop.load(Ordering::Relaxed) || started.elapsed() > Duration::from_secs(600) {
                        break;
                    }
                    let api = &all[(task * 13 + i) % all.len()];
                    match api.get("/x").send().await {
                        Ok(response) if response.status() == 200 => calls.fetch_add(1, Ordering::Relaxed),
                        _ => failures.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();

    let mut group = c.benchmark_group("reload_100");
    group.sample_size(20);
    for (name, a, b) in [
        ("live", sources(&base, "/a", 5), sources(&base, "/a", 9)),
        ("reconnect", sources(&base, "/a", 5), sources(&base, "/b", 5)),
    ] {
        group.bench_function(name, |bench| {
            bench.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for i in 0..iters {
                    let next = if i % 2 == 0 { b.clone() } else { a.clone() };
                    let start = Instant::now();
                    let report = runtime.block_on(conns.reload(next)).expect("applies");
                    spent += start.elapsed();
                    assert_eq!(report.changes().len(), 100);
                }
                // Back to `a` for the next sample, untimed.
                let _ = runtime.block_on(conns.reload(a.clone()));
                spent
            })
        });
    }
    group.finish();
    stop.store(true, Ordering::Relaxed);
    for task in load {
        runtime.block_on(task).expect("the load task ends");
    }
    let (calls, failures) = (calls.load(Ordering::Relaxed), failures.load(Ordering::Relaxed));
    println!("reload_100: {calls} calls under the reloads, {failures} failed");
    assert_eq!(failures, 0, "no call may fail across reloads");
}

criterion_group!(benches, call_settings, reload_100);
criterion_main!(benches);
