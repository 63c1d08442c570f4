//! `cargo bench --bench circuit_breaker`: the circuit breaker's `call` as a user meets it — awaited
//! in a loop on a tokio current-thread runtime — for connfx against failsafe 1.3's futures API and
//! tower-resilience 0.13's breaker (`ready().await` + `call`), each on its defaults, over the floor
//! of the same loop awaiting the bare call; connfx with two threads on one breaker, healthy and with
//! failures; and the memory one breaker takes.
//!
//! Every contender wraps the same inner call, `work()` (an `async fn` returning `Ok(black_box(1))`), and is timed
//! as a loop of `n` awaited calls inside ONE `block_on` (criterion's `to_async(..).iter_custom`, and
//! the summary's own rounds, run the same `*_loop` functions). So the runtime's entry, its
//! thread-local setup and its park/unpark are paid once per loop, not once per call: what is left per
//! call is the contender's future (building, moving into the loop's state, polling, dropping) plus
//! the loop itself, which the no-op row measures. A `block_on` per call would add ~100 ns of
//! runtime overhead to every row and hide the differences asked about.
//!
//! After criterion's groups, a summary measures every contender again in one process (7 rounds,
//! the contenders interleaved within each round so that load from other work lands on all of them;
//! the median of each) and prints ns/call, ns over the no-op and the ratios, so the figures in
//! `BENCHMARKS.md` come from one run. `cargo bench --bench circuit_breaker -- summary` prints the
//! summary alone.

use std::hint::black_box;
use std::time::{Duration, Instant};

use connfx::CircuitBreakerConfig;
use connfx::resilience::circuit_breaker::CircuitBreaker;
use criterion::Criterion;
use tokio::runtime::Runtime;
use tower::{Layer, Service, ServiceExt};

/// The call every contender wraps: completes at once, with a value the optimizer cannot see.
async fn work() -> Result<u32, ()> {
    Ok(black_box(1))
}

/// One call in 25 fails: every half of a 100-call window holds failures, so every call is counted.
async fn mixed_work(i: u64) -> Result<u32, ()> {
    match i % 25 {
        0 => Err(()),
        _ => Ok(black_box(1)),
    }
}

/// connfx as the README shows it, on its defaults: a breaker on consecutive failures, no window.
fn connfx_default() -> CircuitBreaker {
    CircuitBreaker::new(CircuitBreakerConfig::default())
}

/// connfx with the failure-rate window on (count-based, 100 calls), as tower-resilience's default.
fn connfx_windowed() -> CircuitBreaker {
    CircuitBreaker::new(CircuitBreakerConfig {
        failure_rate: Some(0.5),
        ..Default::default()
    })
}

/// connfx with lifetime counts on (`count_calls`, off by default): what they cost per call.
fn connfx_counting() -> CircuitBreaker {
    CircuitBreaker::new(CircuitBreakerConfig {
        count_calls: true,
        ..Default::default()
    })
}

/// failsafe's default policy: success rate over a time window, or consecutive failures.
fn failsafe_breaker() -> impl failsafe::futures::CircuitBreaker {
    failsafe::Config::new().build()
}

/// tower-resilience's defaults: failure rate 0.5 over a 100-call window.
fn tower_service() -> impl Service<(), Response = u32, Error = impl std::fmt::Debug> {
    let layer = tower_resilience::circuitbreaker::CircuitBreakerLayer::builder()
        .build()
        .expect("tower-resilience's defaults are valid");
    layer.layer(tower::service_fn(|()| work()))
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime")
}

/// The floor: the bare call, awaited.
async fn noop_loop(n: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        let _ = black_box(work().await);
    }
    start.elapsed()
}

/// `cb.call(async { … }).await`, as the README shows.
async fn connfx_loop(cb: &CircuitBreaker, n: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        let _ = black_box(cb.call(work()).await);
    }
    start.elapsed()
}

/// The lower-level face in the same loop: take a permit, await the call, record it.
async fn connfx_permit_loop(cb: &CircuitBreaker, n: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        if let Ok(permit) = cb.try_acquire() {
            let result = work().await;
            permit.success();
            let _ = black_box(result);
        }
    }
    start.elapsed()
}

/// `cb.call(..)` with one call in 25 failing.
async fn connfx_mixed_loop(cb: &CircuitBreaker, n: u64) -> Duration {
    let start = Instant::now();
    for i in 0..n {
        let _ = black_box(cb.call(mixed_work(i)).await);
    }
    start.elapsed()
}

async fn failsafe_loop(fs: &impl failsafe::futures::CircuitBreaker, n: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        let _ = black_box(fs.call(work()).await);
    }
    start.elapsed()
}

async fn tower_loop<S: Service<()>>(svc: &mut S, n: u64) -> Duration
where
    S::Error: std::fmt::Debug,
{
    let start = Instant::now();
    for _ in 0..n {
        let ready = svc.ready().await.expect("the breaker is closed");
        let _ = black_box(ready.call(()).await);
    }
    start.elapsed()
}

fn call_in_tokio_loop(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("breaker_call_tokio_loop");
    group.bench_function("noop", |b| b.to_async(&rt).iter_custom(noop_loop));
    let cb = connfx_default();
    group.bench_function("connfx_call_default", |b| {
        b.to_async(&rt).iter_custom(|n| connfx_loop(&cb, n))
    });
    group.bench_function("connfx_permit_default", |b| {
        b.to_async(&rt).iter_custom(|n| connfx_permit_loop(&cb, n))
    });
    let windowed = connfx_windowed();
    group.bench_function("connfx_call_rate_window", |b| {
        b.to_async(&rt).iter_custom(|n| connfx_loop(&windowed, n))
    });
    let fs = failsafe_breaker();
    group.bench_function("failsafe_default", |b| {
        b.to_async(&rt).iter_custom(|n| failsafe_loop(&fs, n))
    });
    group.bench_function("tower_resilience_default", |b| {
        // Built inside the runtime (its breaker holds tokio primitives); not timed.
        b.to_async(&rt)
            .iter_custom(|n| async move { tower_loop(&mut tower_service(), n).await })
    });
    group.finish();
}

/// What each thread runs in `on_threads`.
#[derive(Clone, Copy)]
enum Stream {
    /// The no-op loop, no breaker: what two threads cost each other on this machine anyway
    /// (shared cores, other load), the control for the rows below.
    NoBreaker,
    /// `cb.call(..)`, every call succeeding.
    Healthy,
    /// `cb.call(..)`, one call in 25 failing.
    Failures,
}

/// Wall time of `iters` calls on each of `threads` threads (each in its own current-thread
/// runtime, as a user's tasks would be), all on one breaker: the slowest thread's time.
fn on_threads(cb: &CircuitBreaker, threads: usize, iters: u64, stream: Stream) -> Duration {
    let start = std::sync::Barrier::new(threads + 1);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let rt = runtime();
                    start.wait();
                    match stream {
                        Stream::NoBreaker => rt.block_on(noop_loop(iters)),
                        Stream::Healthy => rt.block_on(connfx_loop(cb, iters)),
                        Stream::Failures => rt.block_on(connfx_mixed_loop(cb, iters)),
                    }
                })
            })
            .collect();
        start.wait();
        workers
            .into_iter()
            .map(|w| w.join().expect("worker"))
            .max()
            .unwrap_or_default()
    })
}

fn threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("breaker_threads");
    let cb = connfx_default();
    for n in [1, 2] {
        group.bench_function(format!("noop_no_breaker_{n}_thread"), |b| {
            b.iter_custom(|iters| on_threads(&cb, n, iters, Stream::NoBreaker))
        });
    }
    for (config, make) in [
        ("default", connfx_default as fn() -> CircuitBreaker),
        ("rate_window", connfx_windowed),
    ] {
        for (name, stream) in [("healthy", Stream::Healthy), ("4pct_failures", Stream::Failures)] {
            let cb = make();
            for n in [1, 2] {
                group.bench_function(format!("connfx_call_{config}_{name}_{n}_thread"), |b| {
                    b.iter_custom(|iters| on_threads(&cb, n, iters, stream))
                });
            }
        }
    }
    group.finish();
}

fn median(mut rounds: Vec<f64>) -> f64 {
    rounds.sort_by(f64::total_cmp);
    rounds[rounds.len() / 2]
}

fn per_call(d: Duration, n: u64) -> f64 {
    d.as_nanos() as f64 / n as f64
}

fn summary() {
    const ROUNDS: usize = 7;
    const N: u64 = 10_000_000;
    const N_SLOW: u64 = 1_000_000;
    let rt = runtime();
    let cb = connfx_default();
    let windowed = connfx_windowed();
    let counting = connfx_counting();
    let fs = failsafe_breaker();
    let mut svc = rt.block_on(async { tower_service() });
    let mut rows: [Vec<f64>; 7] = Default::default();
    for _ in 0..ROUNDS {
        rows[0].push(per_call(rt.block_on(noop_loop(N)), N));
        rows[1].push(per_call(rt.block_on(connfx_loop(&cb, N)), N));
        rows[2].push(per_call(rt.block_on(connfx_permit_loop(&cb, N)), N));
        rows[3].push(per_call(rt.block_on(connfx_loop(&windowed, N)), N));
        rows[4].push(per_call(rt.block_on(failsafe_loop(&fs, N_SLOW)), N_SLOW));
        rows[5].push(per_call(rt.block_on(tower_loop(&mut svc, N_SLOW)), N_SLOW));
        rows[6].push(per_call(rt.block_on(connfx_loop(&counting, N)), N));
    }
    let [noop, call, permit, call_windowed, failsafe, tower, call_counting] = rows.map(median);
    let over = |x: f64| x - noop;
    println!(
        "\ncircuit breaker `call`, awaited in a tokio current-thread loop (ns per call, median of {ROUNDS} rounds)"
    );
    println!("  {:<46} {:>8} {:>10}", "", "per call", "over no-op");
    let row = |name: &str, x: f64| println!("  {name:<46} {x:>8.2} {:>10.2}", over(x));
    row("awaited no-op (the floor)", noop);
    row("connfx cb.call(async ..), default config", call);
    row("connfx try_acquire + await + success, default", permit);
    row("connfx cb.call, failure-rate window on", call_windowed);
    row("connfx cb.call, lifetime counts on (count_calls)", call_counting);
    row("failsafe 1.3 futures call, default policy", failsafe);
    row("tower-resilience 0.13 ready + call, defaults", tower);
    println!(
        "  failsafe / connfx over no-op: {:.1}x    tower-resilience / connfx over no-op: {:.1}x",
        over(failsafe) / over(call),
        over(tower) / over(call)
    );
    println!(
        "  failsafe / connfx per call:   {:.1}x    tower-resilience / connfx per call:   {:.1}x",
        failsafe / call,
        tower / call
    );

    const N_THREADS: u64 = 5_000_000;
    println!("\nconnfx cb.call, one breaker shared by threads (ns per call, median of {ROUNDS} rounds)");
    let rows = [
        (
            "no breaker (control)",
            connfx_default as fn() -> CircuitBreaker,
            "awaited no-op",
            Stream::NoBreaker,
        ),
        ("default config", connfx_default, "healthy", Stream::Healthy),
        ("default config", connfx_default, "4% failures", Stream::Failures),
        (
            "failure-rate window on",
            connfx_windowed,
            "healthy",
            Stream::Healthy,
        ),
        (
            "failure-rate window on",
            connfx_windowed,
            "4% failures",
            Stream::Failures,
        ),
        ("count_calls on", connfx_counting, "healthy", Stream::Healthy),
    ];
    for (config, make, name, stream) in rows {
        let cb = make();
        let mut one = Vec::new();
        let mut two = Vec::new();
        for _ in 0..ROUNDS {
            one.push(per_call(on_threads(&cb, 1, N_THREADS, stream), N_THREADS));
            two.push(per_call(on_threads(&cb, 2, N_THREADS, stream), N_THREADS));
        }
        let (one, two) = (median(one), median(two));
        println!(
            "  {config:<24} {name:<14} 1 thread {one:>7.2}   2 threads {two:>7.2}   ({:.2}x)",
            two / one
        );
    }
    println!(
        "\nmemory per breaker: {} bytes (handle {} + Arc counters 16 + state; no extras); \
         size of the future: bare call {} B, cb.call(..) {} B",
        cb.memory_footprint(),
        size_of::<CircuitBreaker>(),
        size_of_val(&work()),
        size_of_val(&cb.call(work())),
    );
}

fn main() {
    let summary_only = std::env::args().any(|a| a == "summary");
    if !summary_only {
        let mut c = Criterion::default().configure_from_args();
        call_in_tokio_loop(&mut c);
        threads(&mut c);
        c.final_summary();
    }
    summary();
}
