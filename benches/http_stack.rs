//! `cargo bench --bench http_stack`: what connfx's HTTP policy stack (rate limit → bulkhead →
//! total timeout → retry with budget → circuit breaker with a failure-rate window → per-attempt
//! timeout) costs.
//!
//! - `loopback`: a GET with its body read, against an axum server on 127.0.0.1 in the same
//!   process (the same 2-worker runtime), through a default `reqwest::Client::new()` built here
//!   (what a user would otherwise run) and through a connfx connection with every policy on and
//!   every other setting (pool, TLS, headers) at its default; one request at a time, and 32 at
//!   once.
//! - `canned`: no I/O at all. A connfx stub connection (its answer made in the process) bare and
//!   with every policy on, against reqwest-middleware 0.5 with a canned-answer middleware, bare
//!   and behind reqwest-retry 0.9's `RetryTransientMiddleware`. What each stack adds is its
//!   policies' time minus its bare time.
//!
//! - `telemetry`: the full stack again with telemetry on: metrics bound to an OTLP connection
//!   (through a registry, as the derive does) and a span per call recorded by the OTLP
//!   connection's `tracing` layer, exported to a collector stub on 127.0.0.1 (it reads each
//!   export and answers 200).
//!
//! After criterion's groups, a summary measures every contender again in one process (median of
//! 21 rounds) and prints the ratios that `BENCHMARKS.md` reports. `cargo bench --bench http_stack
//! -- summary` prints the summary alone; `-- profile <contender> <calls>` runs one contender
//! alone, for valgrind's callgrind (see `BENCHMARKS.md`, "Counting instructions").

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use connfx::{Connection, HttpConfig, HttpConnection, OtlpConnection, Registry};
use criterion::Criterion;
use futures_util::future::join_all;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, Middleware, Next};
use serde_json::json;
use tokio::runtime::Runtime;
use tracing::instrument::WithSubscriber;
use tracing_subscriber::layer::SubscriberExt;

/// Counts heap allocations, so the summary can say how many a call makes (the issue's "no heap
/// allocation per call beyond what reqwest itself does").
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's guarantees for `layout` hold for `System` too.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as in `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, which is `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as in `dealloc`; `new_size` is the caller's, valid for `System` too.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Heap allocations per call of `f` (no I/O: the canned contenders), over `calls` calls after a
/// warm-up, on a current-thread runtime so no other thread allocates meanwhile.
fn allocations_per_call<F, Fut>(calls: u64, f: F) -> f64
where
    F: Fn() -> Fut,
    Fut: std::future::Future,
{
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    rt.block_on(async {
        for _ in 0..100 {
            std::hint::black_box(f().await);
        }
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        for _ in 0..calls {
            std::hint::black_box(f().await);
        }
        (ALLOCATIONS.load(Ordering::Relaxed) - before) as f64 / calls as f64
    })
}

/// Requests in flight at once in the concurrent loopback case.
const CONCURRENT: usize = 32;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Every policy on, with limits far above what the bench reaches, so all of them run and none
/// turns a call away.
fn full_stack(url: &str) -> HttpConfig {
    serde_json::from_value(json!({
        "url": url,
        "timeout": { "connect": "5s", "per_attempt": "5s", "total": "10s" },
        "retry": { "max_attempts": 3, "initial_interval": "10ms", "budget": 0.2 },
        "circuit_breaker": { "failure_threshold": 5, "failure_rate": 0.5, "window_size": 100, "minimum_calls": 10 },
        "rate_limit": { "requests": 100_000_000, "per": "1s", "burst": 100_000_000 },
        "bulkhead": { "max_concurrent": 1000 },
        // Nothing else: the pool, headers and TLS stay at connfx's defaults, as a user would
        // have them (session 6 removed a raised `pool.max_size` that hid the old default).
    }))
    .expect("a valid HttpConfig")
}

fn bare(url: &str) -> HttpConfig {
    serde_json::from_value(json!({ "url": url })).expect("a valid HttpConfig")
}

/// `app` served on 127.0.0.1, on `rt`; its base URL.
fn serve(rt: &Runtime, app: axum::Router) -> String {
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("bound address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    })
}

struct Loopback {
    /// `reqwest::Client::new()`: the baseline is reqwest on its own defaults, not the
    /// connection's client.
    raw: reqwest::Client,
    /// Parsed once, as connfx parses its base URL once: raw reqwest is not charged a parse per call.
    url: reqwest::Url,
    connfx: HttpConnection,
    /// The same stack with `pool.max_size = 10`, the idle-pool default before session 6: shows
    /// what the old default cost with 32 in flight.
    capped: HttpConnection,
    /// The same stack with telemetry on, and the subscriber its calls run under.
    observed: HttpConnection,
    subscriber: tracing::Dispatch,
    _otel: OtlpConnection,
}

/// A collector stub on `rt`: reads each OTLP export and answers 200, nothing more.
fn collector(rt: &Runtime) -> String {
    let app = axum::Router::new().fallback(|body: axum::body::Bytes| async move {
        std::hint::black_box(body.len());
        ""
    });
    serve(rt, app)
}

impl Loopback {
    fn new(rt: &Runtime) -> Loopback {
        let url = serve(rt, axum::Router::new().fallback(|| async { "ok" }));
        let connfx = rt
            .block_on(HttpConnection::connect("bench", full_stack(&url)))
            .expect("connects");
        let mut capped_config = full_stack(&url);
        capped_config.pool.max_size = Some(10);
        let capped = rt
            .block_on(HttpConnection::connect("bench", capped_config))
            .expect("connects");
        let otel_config = serde_json::from_value(json!({ "url": collector(rt), "service_name": "bench" }))
            .expect("a valid OtlpConfig");
        let (observed, otel) = rt.block_on(async {
            let otel = OtlpConnection::connect("otel", otel_config)
                .await
                .expect("connects");
            let observed = HttpConnection::connect("bench", full_stack(&url))
                .await
                .expect("connects");
            // As the derive's `connect` does: the registry's one explicit binding step exports
            // every connection's telemetry through its OTLP connection.
            let registry = Registry::new();
            registry.insert("otel", otel.clone());
            registry.insert("bench", observed.clone());
            registry.export_telemetry();
            (observed, otel)
        });
        let subscriber = tracing::Dispatch::new(tracing_subscriber::registry().with(otel.tracing_layer()));
        Loopback {
            raw: reqwest::Client::new(),
            url: reqwest::Url::parse(&format!("{url}/item")).expect("a valid URL"),
            connfx,
            capped,
            observed,
            subscriber,
            _otel: otel,
        }
    }

    async fn observed_get(&self) -> usize {
        let call = async {
            let response = self.observed.get("/item").send().await.expect("connfx GET");
            response.bytes().await.expect("connfx body").len()
        };
        call.with_subscriber(self.subscriber.clone()).await
    }

    async fn observed_many(&self) -> usize {
        self.metered_many().with_subscriber(self.subscriber.clone()).await
    }

    /// Telemetry on but no subscriber: metrics only, spans disabled.
    async fn metered_many(&self) -> usize {
        let calls = join_all((0..CONCURRENT).map(|_| async {
            let response = self.observed.get("/item").send().await.expect("connfx GET");
            response.bytes().await.expect("connfx body").len()
        }));
        calls.await.into_iter().sum()
    }

    async fn raw_get(&self) -> usize {
        let response = self.raw.get(self.url.clone()).send().await.expect("raw GET");
        response.bytes().await.expect("raw body").len()
    }

    async fn connfx_get(&self) -> usize {
        let response = self.connfx.get("/item").send().await.expect("connfx GET");
        response.bytes().await.expect("connfx body").len()
    }

    async fn raw_many(&self) -> usize {
        join_all((0..CONCURRENT).map(|_| self.raw_get()))
            .await
            .into_iter()
            .sum()
    }

    async fn connfx_many(&self) -> usize {
        join_all((0..CONCURRENT).map(|_| self.connfx_get()))
            .await
            .into_iter()
            .sum()
    }

    async fn capped_many(&self) -> usize {
        let calls = join_all((0..CONCURRENT).map(|_| async {
            let response = self.capped.get("/item").send().await.expect("connfx GET");
            response.bytes().await.expect("connfx body").len()
        }));
        calls.await.into_iter().sum()
    }
}

/// reqwest-middleware's end of the chain: answers every request with `200 ok` in the process.
struct Canned;

#[async_trait::async_trait]
impl Middleware for Canned {
    async fn handle(
        &self,
        _req: reqwest::Request,
        _extensions: &mut http::Extensions,
        _next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        Ok(canned().into())
    }
}

fn canned() -> http::Response<&'static str> {
    http::Response::new("ok")
}

struct InProcess {
    connfx_bare: HttpConnection,
    connfx_stack: HttpConnection,
    middleware_bare: ClientWithMiddleware,
    middleware_retry: ClientWithMiddleware,
}

const STUB_URL: &str = "http://stub.test/v1";

impl InProcess {
    fn new() -> InProcess {
        let stub = |config| HttpConnection::stub("bench", config, |_| canned()).expect("a stub connection");
        let policy = reqwest_retry::policies::ExponentialBackoff::builder().build_with_max_retries(2);
        InProcess {
            connfx_bare: stub(bare(STUB_URL)),
            connfx_stack: stub(full_stack(STUB_URL)),
            middleware_bare: ClientBuilder::new(reqwest::Client::new()).with(Canned).build(),
            middleware_retry: ClientBuilder::new(reqwest::Client::new())
                .with(reqwest_retry::RetryTransientMiddleware::new_with_policy(policy))
                .with(Canned)
                .build(),
        }
    }

    async fn connfx(connection: &HttpConnection) -> u16 {
        let response = connection.get("/item").send().await.expect("stub GET");
        response.status()
    }

    async fn middleware(client: &ClientWithMiddleware) -> u16 {
        let response = client
            .get("http://stub.test/v1/item")
            .send()
            .await
            .expect("canned GET");
        response.status().as_u16()
    }
}

fn criterion_groups(c: &mut Criterion, rt: &Runtime, lo: &Loopback, mem: &InProcess) {
    let mut group = c.benchmark_group("loopback");
    group.bench_function("raw reqwest", |b| b.to_async(rt).iter(|| lo.raw_get()));
    group.bench_function("connfx full stack", |b| b.to_async(rt).iter(|| lo.connfx_get()));
    group.bench_function("raw reqwest x32", |b| b.to_async(rt).iter(|| lo.raw_many()));
    group.bench_function("connfx full stack x32", |b| {
        b.to_async(rt).iter(|| lo.connfx_many())
    });
    group.bench_function("connfx full stack, telemetry on", |b| {
        b.to_async(rt).iter(|| lo.observed_get())
    });
    group.bench_function("connfx full stack x32, telemetry on", |b| {
        b.to_async(rt).iter(|| lo.observed_many())
    });
    group.finish();

    let mut group = c.benchmark_group("canned");
    group.bench_function("connfx stub, no policy", |b| {
        b.to_async(rt).iter(|| InProcess::connfx(&mem.connfx_bare))
    });
    group.bench_function("connfx stub, full stack", |b| {
        b.to_async(rt).iter(|| InProcess::connfx(&mem.connfx_stack))
    });
    group.bench_function("reqwest-middleware, canned", |b| {
        b.to_async(rt)
            .iter(|| InProcess::middleware(&mem.middleware_bare))
    });
    group.bench_function("reqwest-middleware + reqwest-retry, canned", |b| {
        b.to_async(rt)
            .iter(|| InProcess::middleware(&mem.middleware_retry))
    });
    group.finish();
}

/// Time per call of `calls` calls of `f`, after a tenth as many untimed ones.
///
/// The warm-up matters with 32 requests at once: the contender before may have left most of
/// the pool's connections idle, and the first batch after that pays for waking them (measured:
/// without it, whichever contender followed a one-at-a-time run came out 5–10 % slower).
fn per_call<F, Fut>(rt: &Runtime, calls: u32, f: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future,
{
    rt.block_on(async {
        for _ in 0..calls.div_ceil(10) {
            std::hint::black_box(f().await);
        }
        let start = Instant::now();
        for _ in 0..calls {
            std::hint::black_box(f().await);
        }
        start.elapsed() / calls
    })
}

/// Fisher-Yates with a xorshift generator: the same orders on every run of the bench.
fn shuffle(order: &mut [usize], seed: &mut u64) {
    for i in (1..order.len()).rev() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        order.swap(i, (*seed % (i as u64 + 1)) as usize);
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Every contender once per round, rounds interleaved, so drift in the machine's speed (this
/// is a shared VM) hits all of them alike; the median of the rounds is reported.
fn summary(rt: &Runtime, lo: &Loopback, mem: &InProcess) {
    const ROUNDS: usize = 21;
    // Each contender once per round, in an order shuffled from round to round, so neither drift
    // in the machine's speed (a shared VM), nor the position in a round, nor the contender run
    // just before (a rotation keeps the same neighbours) favours one of them.
    let contenders: [Box<dyn Fn() -> Duration + '_>; 12] = [
        Box::new(|| per_call(rt, 1_000, || lo.raw_get())),
        Box::new(|| per_call(rt, 1_000, || lo.connfx_get())),
        Box::new(|| per_call(rt, 100, || lo.raw_many())),
        Box::new(|| per_call(rt, 100, || lo.connfx_many())),
        Box::new(|| per_call(rt, 5_000, || InProcess::connfx(&mem.connfx_bare))),
        Box::new(|| per_call(rt, 5_000, || InProcess::connfx(&mem.connfx_stack))),
        Box::new(|| per_call(rt, 5_000, || InProcess::middleware(&mem.middleware_bare))),
        Box::new(|| per_call(rt, 5_000, || InProcess::middleware(&mem.middleware_retry))),
        Box::new(|| per_call(rt, 1_000, || lo.observed_get())),
        Box::new(|| per_call(rt, 100, || lo.observed_many())),
        Box::new(|| per_call(rt, 100, || lo.metered_many())),
        Box::new(|| per_call(rt, 100, || lo.capped_many())),
    ];
    let mut t: [Vec<Duration>; 12] = Default::default();
    let mut order: Vec<usize> = (0..contenders.len()).collect();
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
    for _ in 0..ROUNDS {
        shuffle(&mut order, &mut seed);
        for &i in &order {
            t[i].push(contenders[i]());
        }
    }
    let [
        raw,
        stack,
        raw_many,
        stack_many,
        connfx_bare,
        connfx_stack,
        mw_bare,
        mw_retry,
        observed,
        observed_many,
        metered_many,
        capped_many,
    ] = t.map(median);
    let ns = |d: Duration| d.as_secs_f64() * 1e9;
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let pct = |base: Duration, d: Duration| 100.0 * base.as_secs_f64() / d.as_secs_f64();
    println!("\nsummary (median of {ROUNDS} rounds, order shuffled each round)");
    println!(
        "loopback, one at a time: default reqwest::Client {:.1} µs, connfx full stack {:.1} µs → {:.1} % of raw throughput",
        us(raw),
        us(stack),
        pct(raw, stack)
    );
    println!(
        "loopback, {CONCURRENT} at once: default reqwest::Client {:.0} µs, connfx full stack {:.0} µs per batch → {:.1} % of raw throughput",
        us(raw_many),
        us(stack_many),
        pct(raw_many, stack_many)
    );
    println!(
        "loopback, {CONCURRENT} at once, `pool.max_size = 10` (the default before session 6): {:.0} µs per batch → {:.1} % of raw throughput",
        us(capped_many),
        pct(raw_many, capped_many)
    );
    println!(
        "loopback, telemetry on: one at a time {:.1} µs → {:.1} % of raw; {CONCURRENT} at once {:.0} µs per batch → {:.1} % of raw",
        us(observed),
        pct(raw, observed),
        us(observed_many),
        pct(raw_many, observed_many)
    );
    println!(
        "loopback, metrics only (no subscriber): {CONCURRENT} at once {:.0} µs per batch → {:.1} % of raw",
        us(metered_many),
        pct(raw_many, metered_many)
    );
    println!(
        "canned: connfx stub {:.0} ns bare, {:.0} ns full stack → the stack adds {:.0} ns",
        ns(connfx_bare),
        ns(connfx_stack),
        ns(connfx_stack) - ns(connfx_bare)
    );
    println!(
        "canned: reqwest-middleware {:.0} ns bare, {:.0} ns with reqwest-retry → retry adds {:.0} ns",
        ns(mw_bare),
        ns(mw_retry),
        ns(mw_retry) - ns(mw_bare)
    );
    println!(
        "canned: connfx full stack − reqwest-middleware + reqwest-retry = {:+.0} ns per request",
        ns(connfx_stack) - ns(mw_retry)
    );
    println!(
        "canned, heap allocations per call: connfx stub {:.1} bare, {:.1} full stack; reqwest-middleware {:.1} bare, {:.1} with reqwest-retry",
        allocations_per_call(10_000, || InProcess::connfx(&mem.connfx_bare)),
        allocations_per_call(10_000, || InProcess::connfx(&mem.connfx_stack)),
        allocations_per_call(10_000, || InProcess::middleware(&mem.middleware_bare)),
        allocations_per_call(10_000, || InProcess::middleware(&mem.middleware_retry)),
    );
}

/// `-- profile <contender> <calls>`: one contender alone, for a profiler (valgrind's callgrind
/// counts instructions, so two runs with different `<calls>` give the cost of one call free of
/// the machine's noise).
fn profile(rt: &Runtime, lo: &Loopback, mem: &InProcess, args: &[String]) {
    let calls: u32 = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(1_000);
    let time = match args.first().map(String::as_str) {
        Some("raw") => per_call(rt, calls, || lo.raw_get()),
        Some("stack") => per_call(rt, calls, || lo.connfx_get()),
        Some("raw_many") => per_call(rt, calls, || lo.raw_many()),
        Some("stack_many") => per_call(rt, calls, || lo.connfx_many()),
        Some("capped_many") => per_call(rt, calls, || lo.capped_many()),
        Some("observed_many") => per_call(rt, calls, || lo.observed_many()),
        Some("metered_many") => per_call(rt, calls, || lo.metered_many()),
        Some("stub_bare") => per_call(rt, calls, || InProcess::connfx(&mem.connfx_bare)),
        Some("stub_stack") => per_call(rt, calls, || InProcess::connfx(&mem.connfx_stack)),
        Some("sizes") => {
            let _guard = rt.enter();
            let connfx = std::mem::size_of_val(&lo.connfx.get("/item").send());
            let raw = std::mem::size_of_val(&lo.raw.get(lo.url.clone()).send());
            println!("future sizes: connfx send {connfx} B, reqwest send {raw} B");
            return;
        }
        Some("mw_retry") => per_call(rt, calls, || InProcess::middleware(&mem.middleware_retry)),
        other => {
            eprintln!("unknown contender {other:?}");
            return;
        }
    };
    println!("{calls} calls, {time:?} per call");
}

fn main() {
    let rt = runtime();
    let lo = Loopback::new(&rt);
    let mem = InProcess::new();
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "profile") {
        profile(&rt, &lo, &mem, &args[at + 1..]);
        return;
    }
    let summary_only = args.iter().any(|a| a == "summary");
    if !summary_only {
        let mut c = Criterion::default()
            .configure_from_args()
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        criterion_groups(&mut c, &rt, &lo, &mem);
        c.final_summary();
    }
    summary(&rt, &lo, &mem);
}
