//! `cargo bench --bench fleet`: what a fleet rate limit (`rate_limit(scope = "fleet")`, kept in
//! Redis) costs against the local limiter, through the README's API
//! (`partner.get("/").send().await`) against an axum server on 127.0.0.1, with Redis from
//! `CONNFX_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`; the bench says so and stops if
//! none answers).
//!
//! Four instances (four connected copies of one struct, as four replicas would be), each with
//! 16 tasks calling as fast as they are let:
//! - `at the limit`: each instance limited to 1,000 calls a second. Local: four limits of 1,000.
//!   Fleet: one limit of 4,000 shared by the four. What the fleet costs shows as throughput lost.
//! - `far below the limit`: a limit of 1,000,000 a second that never binds, so the figure is
//!   the admission's own cost on each call (a round trip per `lease` calls for the fleet).
//!
//! Each case runs for a fixed time (at most 200,000 calls), after a warm-up; every other setting
//! is connfx's default, `lease` being what the bench is about. The Redis round trips per call
//! are read from the limits' own counters (`RateLimitStats::fleet`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use connfx::prelude::*;
use connfx::{HttpConnection, RedisConnection, Sources};

/// One replica's connections.
#[derive(Connections)]
#[connections(env_prefix = "BENCH")]
struct Replica {
    /// The partner API.
    #[connection(protocol = "http")]
    partner: HttpConnection,
    /// Keeps the fleet's limit.
    #[connection(protocol = "redis")]
    cache: RedisConnection,
}

const INSTANCES: usize = 4;
const TASKS: usize = 16;
const RUN: Duration = Duration::from_secs(4);
const WARM_UP: Duration = Duration::from_millis(500);

#[derive(Clone, Copy)]
struct Case {
    fleet: bool,
    lease: u32,
    /// Calls a second allowed to each instance (the fleet's limit is four times as many).
    per_instance: u32,
}

struct Figures {
    calls_per_second: f64,
    round_trips_per_call: f64,
    failed: u64,
}

async fn upstream() -> String {
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    url
}

async fn replicas(upstream: &str, redis: &str, case: Case) -> Vec<Arc<Replica>> {
    let requests = if case.fleet {
        case.per_instance * INSTANCES as u32
    } else {
        case.per_instance
    };
    let mut env = vec![
        ("BENCH_PARTNER_URL".to_owned(), upstream.to_owned()),
        ("BENCH_CACHE_URL".to_owned(), redis.to_owned()),
        (
            "BENCH_PARTNER_RATE_LIMIT_REQUESTS".to_owned(),
            requests.to_string(),
        ),
    ];
    if case.fleet {
        env.push(("BENCH_PARTNER_RATE_LIMIT_SCOPE".to_owned(), "fleet".to_owned()));
        env.push(("BENCH_PARTNER_RATE_LIMIT_STORE".to_owned(), "cache".to_owned()));
        env.push((
            "BENCH_PARTNER_RATE_LIMIT_LEASE".to_owned(),
            case.lease.to_string(),
        ));
    }
    let mut replicas = Vec::new();
    for _ in 0..INSTANCES {
        let config = Replica::load_config_from(Sources::new().env_map(env.clone())).expect("config");
        replicas.push(Arc::new(config.connect().await.expect("connect")));
    }
    let keys = [
        "{connfx:rate_limit:partner}:tat",
        "{connfx:rate_limit:partner}:instances",
    ];
    replicas[0]
        .cache()
        .del(&keys)
        .await
        .expect("clear the fleet's state");
    replicas
}

/// Calls from every task of every replica for `run`; calls per second and failures.
async fn drive(replicas: &[Arc<Replica>], run: Duration) -> (f64, u64) {
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let start = Instant::now();
    let until = start + run;
    let mut tasks = Vec::new();
    for replica in replicas {
        for _ in 0..TASKS {
            let (replica, ok, failed) = (Arc::clone(replica), Arc::clone(&ok), Arc::clone(&failed));
            tasks.push(tokio::spawn(async move {
                while Instant::now() < until && ok.load(Relaxed) + failed.load(Relaxed) < 200_000 {
                    match replica.partner().get("/").send().await {
                        Ok(_) => ok.fetch_add(1, Relaxed),
                        Err(_) => failed.fetch_add(1, Relaxed),
                    };
                }
            }));
        }
    }
    for task in tasks {
        task.await.expect("task");
    }
    (
        ok.load(Relaxed) as f64 / start.elapsed().as_secs_f64(),
        failed.load(Relaxed),
    )
}

async fn measure(upstream: &str, redis: &str, case: Case) -> Figures {
    let replicas = replicas(upstream, redis, case).await;
    drive(&replicas, WARM_UP).await;
    let trips = |replicas: &[Arc<Replica>]| -> u64 {
        replicas
            .iter()
            .filter_map(|r| r.partner().rate_limit()?.stats().fleet)
            .map(|f| f.round_trips)
            .sum()
    };
    let calls = |replicas: &[Arc<Replica>]| -> u64 {
        replicas
            .iter()
            .filter_map(|r| r.partner().rate_limit())
            .map(|l| l.stats().permitted)
            .sum()
    };
    let (trips_before, calls_before) = (trips(&replicas), calls(&replicas));
    let (calls_per_second, failed) = drive(&replicas, RUN).await;
    let (trips_after, calls_after) = (trips(&replicas), calls(&replicas));
    for replica in replicas {
        replica.close().await;
    }
    Figures {
        calls_per_second,
        round_trips_per_call: (trips_after - trips_before) as f64
            / (calls_after - calls_before).max(1) as f64,
        failed,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported here.
    let redis = std::env::var("CONNFX_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let probe = async {
            let client = connfx::redis::Client::open(redis.as_str()).map_err(|e| e.to_string())?;
            let connecting = client.get_multiplexed_async_connection();
            match tokio::time::timeout(Duration::from_secs(1), connecting).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err("no answer within 1s".to_owned()),
            }
        };
        if let Err(error) = probe.await {
            println!("fleet bench skipped: no Redis at {redis} ({error})");
            return;
        }
        let upstream = upstream().await;
        println!(
            "{INSTANCES} instances x {TASKS} tasks, {RUN:?} a case, HTTP on 127.0.0.1, Redis at {redis}"
        );
        println!(
            "{:<22} {:<16} {:>12} {:>10} {:>16} {:>7}",
            "case", "limit", "calls/s", "÷ local", "round trips/call", "failed"
        );
        for per_instance in [1_000, 1_000_000] {
            let name = if per_instance == 1_000 {
                "at the limit"
            } else {
                "far below the limit"
            };
            let local = measure(
                &upstream,
                &redis,
                Case {
                    fleet: false,
                    lease: 1,
                    per_instance,
                },
            )
            .await;
            let row = |limit: String, f: &Figures| {
                println!(
                    "{name:<22} {limit:<16} {:>12.0} {:>9.1}% {:>16.3} {:>7}",
                    f.calls_per_second,
                    100.0 * f.calls_per_second / local.calls_per_second,
                    f.round_trips_per_call,
                    f.failed
                );
            };
            row("local".into(), &local);
            for lease in [1, 10, 100] {
                let fleet = measure(
                    &upstream,
                    &redis,
                    Case {
                        fleet: true,
                        lease,
                        per_instance,
                    },
                )
                .await;
                row(format!("fleet, lease {lease}"), &fleet);
            }
        }
    });
}
