//! `cargo bench --bench circuit_breaker`: the circuit breaker's closed path (a successful call
//! admitted and recorded, failure-rate window on) for connfx against failsafe 1.3 (default
//! policy: success rate over a time window, or consecutive failures) and tower-resilience 0.13
//! (failure rate over a 100-call window), in the same run; connfx with two threads on one breaker
//! against one thread; and the memory one breaker takes.
//!
//! After criterion's groups, a summary measures every contender again in one process (median of
//! 7 rounds) and prints ns/call and the ratios, so the figures in `BENCHMARKS.md` come from one
//! run. `cargo bench --bench circuit_breaker -- summary` prints the summary alone.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use connfx::CircuitBreakerConfig;
use connfx::resilience::circuit_breaker::CircuitBreaker;
use criterion::Criterion;
use tower::{Layer, Service};

/// Polls a future that completes at once (all the calls here do) without an executor, so the
/// harness adds the same few instructions to every contender.
fn now<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("the benchmarked calls complete without waiting"),
    }
}

/// connfx with the failure-rate window on (count-based, 100 calls, as tower-resilience's).
fn connfx_breaker() -> CircuitBreaker {
    CircuitBreaker::new(CircuitBreakerConfig {
        failure_rate: Some(0.5),
        window_size: 100,
        minimum_calls: 10,
        ..Default::default()
    })
}

fn failsafe_breaker() -> impl failsafe::CircuitBreaker + Clone + Send + Sync {
    failsafe::Config::new().build()
}

type TowerService = tower_resilience::circuitbreaker::CircuitBreaker<
    tower::util::ServiceFn<fn(()) -> std::future::Ready<Result<(), ()>>>,
    tower_resilience::circuitbreaker::DefaultClassifier,
>;

fn tower_service() -> TowerService {
    let layer = tower_resilience::circuitbreaker::CircuitBreakerLayer::builder()
        .failure_rate_threshold(0.5)
        .sliding_window_size(100)
        .build()
        .expect("valid tower-resilience config");
    let ok: fn(()) -> std::future::Ready<Result<(), ()>> = |()| std::future::ready(Ok(()));
    layer.layer(tower::service_fn(ok))
}

/// One call of each contender, as a user would write it.
fn connfx_permit(cb: &CircuitBreaker) {
    if let Ok(permit) = cb.try_acquire() {
        permit.success();
    }
}

/// A stream where one call in 25 fails: every half of the window holds a failure, so every call
/// is counted (the window's `fetch_add` is on the path, and contended with two threads).
fn connfx_permit_mixed(cb: &CircuitBreaker) {
    thread_local!(static CALLS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) });
    let n = CALLS.with(|c| {
        c.set(c.get().wrapping_add(1));
        c.get()
    });
    if let Ok(permit) = cb.try_acquire() {
        if n.is_multiple_of(25) {
            permit.failure()
        } else {
            permit.success()
        }
    }
}

fn connfx_call(cb: &CircuitBreaker) {
    let _ = black_box(now(cb.call(async { Ok::<u32, ()>(black_box(1)) })));
}

fn failsafe_call(cb: &impl failsafe::CircuitBreaker) {
    let _ = black_box(cb.call(|| Ok::<u32, ()>(black_box(1))));
}

fn tower_call(svc: &mut TowerService) {
    let _ = black_box(now(svc.call(())));
}

fn closed_path(c: &mut Criterion) {
    let mut group = c.benchmark_group("breaker_closed_rate_window");
    let cb = connfx_breaker();
    group.bench_function("connfx_permit", |b| b.iter(|| connfx_permit(&cb)));
    group.bench_function("connfx_call", |b| b.iter(|| connfx_call(&cb)));
    let fs = failsafe_breaker();
    group.bench_function("failsafe_default", |b| b.iter(|| failsafe_call(&fs)));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let _guard = rt.enter();
    let mut svc = tower_service();
    group.bench_function("tower_resilience", |b| b.iter(|| tower_call(&mut svc)));
    group.finish();
}

/// Wall time of `iters` calls on each of `threads` threads, all on one breaker.
fn on_threads(cb: &CircuitBreaker, threads: usize, iters: u64, call: fn(&CircuitBreaker)) -> Duration {
    let start = std::sync::Barrier::new(threads + 1);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    let t = Instant::now();
                    (0..iters).for_each(|_| call(cb));
                    t.elapsed()
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
    let cb = connfx_breaker();
    for n in [1, 2] {
        group.bench_function(format!("connfx_permit_{n}_thread"), |b| {
            b.iter_custom(|iters| on_threads(&cb, n, iters, connfx_permit))
        });
    }
    let cb = connfx_breaker();
    for n in [1, 2] {
        group.bench_function(format!("connfx_permit_4pct_failures_{n}_thread"), |b| {
            b.iter_custom(|iters| on_threads(&cb, n, iters, connfx_permit_mixed))
        });
    }
    group.finish();
}

/// ns per call: median of 7 rounds of `n` calls.
fn measure(n: u64, mut call: impl FnMut()) -> f64 {
    let mut rounds: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            (0..n).for_each(|_| call());
            t.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[3]
}

fn summary() {
    let cb = connfx_breaker();
    let permit = measure(20_000_000, || connfx_permit(&cb));
    let call = measure(20_000_000, || connfx_call(&cb));
    let fs = failsafe_breaker();
    let failsafe = measure(5_000_000, || failsafe_call(&fs));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let _guard = rt.enter();
    let mut svc = tower_service();
    let tower = measure(1_000_000, || tower_call(&mut svc));
    let per_call = |threads, call: fn(&CircuitBreaker)| {
        let cb = connfx_breaker();
        let mut rounds: Vec<f64> = (0..7)
            .map(|_| on_threads(&cb, threads, 10_000_000, call).as_nanos() as f64 / 1e7)
            .collect();
        rounds.sort_by(f64::total_cmp);
        rounds[3]
    };
    let (one, two) = (per_call(1, connfx_permit), per_call(2, connfx_permit));
    let (one_mixed, two_mixed) = (per_call(1, connfx_permit_mixed), per_call(2, connfx_permit_mixed));
    println!("\ncircuit breaker, closed path, failure-rate window on (ns per call, median of 7 rounds)");
    println!("  connfx try_acquire + success   {permit:>8.2}");
    println!("  connfx call(async)             {call:>8.2}");
    println!(
        "  failsafe 1.3 default policy    {failsafe:>8.2}   ({:.1}x connfx permit, {:.1}x connfx call)",
        failsafe / permit,
        failsafe / call
    );
    println!(
        "  tower-resilience 0.13          {tower:>8.2}   ({:.1}x connfx permit, {:.1}x connfx call)",
        tower / permit,
        tower / call
    );
    println!("  connfx, 1 thread               {one:>8.2}");
    println!(
        "  connfx, 2 threads, one breaker {two:>8.2}   ({:.2}x one thread)",
        two / one
    );
    println!("  connfx, 4% failures, 1 thread  {one_mixed:>8.2}");
    println!(
        "  connfx, 4% failures, 2 threads {two_mixed:>8.2}   ({:.2}x one thread)",
        two_mixed / one_mixed
    );
    println!(
        "memory per breaker: {} bytes (handle {} + Arc counters 16 + state; no extras)",
        cb.memory_footprint(),
        size_of::<CircuitBreaker>()
    );
}

fn main() {
    let summary_only = std::env::args().any(|a| a == "summary");
    if !summary_only {
        let mut c = Criterion::default().configure_from_args();
        closed_path(&mut c);
        threads(&mut c);
        c.final_summary();
    }
    summary();
}
