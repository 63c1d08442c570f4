//! Load and an outage: a service using connfx under a fixed offered load while its upstream
//! fails for a while, measured from the client, the upstream and the breaker.
//!
//! ```sh
//! cargo run --release --example outage -- --duration 60s --outage 20s --rate 300 --csv outage.csv
//! cargo run --release --example outage -- --no-budget              # the same without the retry budget
//! cargo run --release --example outage -- --no-breaker             # the budget alone
//! cargo run --example outage -- --duration 16s --outage 10s --rate 100 --check  # CI: exit 1 on a missed target
//! python3 examples/outage/plot.py outage.csv -o outage.png          # the timeline as a PNG
//! ```
//!
//! Three parts on 127.0.0.1, in one process: an upstream (axum) that answers 503 from the
//! outage's start to its end and counts every request it receives; the service (axum), whose one
//! route calls the upstream through the derived connection of `conns.rs` (retry with budget,
//! circuit breaker, timeouts); and an open-loop load generator sending `--rate` requests a
//! second to the service. Every run is bounded: `rate × duration` requests (at most 200,000),
//! then at most 5 s for the last answers.
//!
//! It prints client p50/p99 latency and error rate before, during and after the outage, the
//! upstream's requests per offered request in each phase and in its busiest second, and the time
//! from the upstream's return to the first success; `--csv` writes the per-100 ms timeline.
//! RELIABILITY.md ("Load and an outage") has the figures and the plot.
//!
//! Settings come from `conns.rs`, then `OUTAGE_UPSTREAM_…` environment variables (e.g.
//! `OUTAGE_UPSTREAM_CIRCUIT_BREAKER_RESET_TIMEOUT=5s`); the flags `--no-budget` and
//! `--no-breaker` then take the budget or the breaker out of the loaded config.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use connfx::Sources;
use connfx::resilience::circuit_breaker::EventKind;

mod check;
mod conns;
mod load;
mod plan;
mod report;
mod service;
mod timeline;
mod upstream;

use conns::{Conns, ConnsConfig};
use plan::Plan;
use report::Report;
use timeline::Timeline;

/// Drives a connfx service at a fixed rate while its upstream fails for a while.
#[derive(Parser, Debug)]
struct Args {
    /// Length of the offered load.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// How long the upstream fails (503), in the middle of the run.
    #[arg(long, default_value = "20s", value_parser = humantime::parse_duration)]
    outage: Duration,
    /// Offered requests per second.
    #[arg(long, default_value_t = 300)]
    rate: u32,
    /// Take the retry budget out of the config.
    #[arg(long)]
    no_budget: bool,
    /// Take the circuit breaker out of the config.
    #[arg(long)]
    no_breaker: bool,
    /// Write the per-100 ms timeline here as CSV.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Check the targets and exit 1 if one is missed.
    #[arg(long)]
    check: bool,
}

type AnyError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// One run; `Ok(false)` if `--check` found a target missed.
async fn run(args: &Args) -> Result<bool, AnyError> {
    let plan = Plan::new(args.duration, args.outage, args.rate)?;
    let timeline = Arc::new(Timeline::new(plan));
    let upstream = upstream::start(Arc::clone(&timeline)).await?;
    let config = config(args, &format!("http://{upstream}/api"))?;
    let policies = check::Policies {
        budget: config.upstream.retry.as_ref().is_some_and(|r| r.budget.is_some()),
        reset_timeout: config.upstream.circuit_breaker.as_ref().map(|b| b.reset_timeout),
    };
    let conns = Arc::new(config.connect().await?);
    if let Some(breaker) = conns.upstream().breaker() {
        let timeline = Arc::clone(&timeline);
        breaker.on_event(move |event| {
            if let EventKind::StateChanged { to, .. } = event.kind {
                timeline.breaker_entered(to);
            }
        });
    }
    let service = service::start(Arc::clone(&conns), Arc::clone(&timeline)).await?;
    println!("{}", describe(args, &conns));

    load::run(service, Arc::clone(&timeline)).await?;
    let report = Report::new(&timeline, policies.reset_timeout.is_some());
    println!("{report}");
    if let Some(retry) = conns.upstream().retry() {
        let stats = retry.stats();
        println!(
            "retries made: {}, refused by the budget: {}",
            stats.retries, stats.budget_exhausted
        );
    }
    if let Some(path) = &args.csv {
        std::fs::write(path, report.csv())?;
        println!("timeline: {}", path.display());
    }
    conns.close().await;
    Ok(!args.check || passes(&report, policies))
}

/// The loaded config pointed at the upstream, without what the flags take out.
fn config(args: &Args, upstream_url: &str) -> Result<ConnsConfig, connfx::ConfigError> {
    let env = std::env::vars().chain([("OUTAGE_UPSTREAM_URL".to_owned(), upstream_url.to_owned())]);
    let mut config = Conns::load_config_from(Sources::new().env_map(env))?;
    if args.no_budget
        && let Some(retry) = config.upstream.retry.as_mut()
    {
        retry.budget = None;
    }
    if args.no_breaker {
        config.upstream.circuit_breaker = None;
    }
    Ok(config)
}

fn describe(args: &Args, conns: &Conns) -> String {
    let upstream = conns.upstream().config();
    let on_off = |on: bool| if on { "on" } else { "off" };
    format!(
        "policies: retry {:?} (budget {}), breaker {}",
        upstream.retry.as_ref().map(|r| r.max_attempts),
        on_off(!args.no_budget && upstream.retry.as_ref().is_some_and(|r| r.budget.is_some())),
        on_off(upstream.circuit_breaker.is_some()),
    )
}

/// Prints every target with its verdict; whether all were met.
fn passes(report: &Report, policies: check::Policies) -> bool {
    let targets = check::targets(report, policies);
    for (met, line) in &targets {
        println!("{} {line}", if *met { "PASS" } else { "FAIL" });
    }
    targets.iter().all(|(met, _)| *met)
}
