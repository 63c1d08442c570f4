//! `cargo bench --bench load`: loading the quickstart's config (defaults + its TOML file + two
//! environment overrides, typed and validated) with connfx, against config-rs alone and figment
//! alone on the same input; and loading a registry file of 1,000 connections.

#[allow(dead_code)]
#[path = "../examples/quickstart/conns.rs"]
mod quickstart;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use serde::Deserialize;

const FILE: &str = "examples/config/quickstart.toml";
const URL: &str = "http://127.0.0.1:8080/api";

/// The same shape, as a config-rs or figment user would write it.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Plain {
    catalog: Catalog,
    db: Db,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Catalog {
    url: url::Url,
    user_agent: Option<String>,
    timeout: Timeout,
    retry: Retry,
    circuit_breaker: Breaker,
    headers: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Timeout {
    #[serde(with = "humantime_serde")]
    total: Duration,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Retry {
    max_attempts: u32,
    #[serde(with = "humantime_serde")]
    initial_interval: Duration,
    #[serde(with = "humantime_serde")]
    max_interval: Duration,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Breaker {
    failure_threshold: u32,
    #[serde(with = "humantime_serde")]
    reset_timeout: Duration,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Db {
    url: String,
    pool: Pool,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Pool {
    max_size: u32,
}

fn with_config_rs() -> Plain {
    use config::{Config, Environment, File};
    let config = Config::builder()
        .set_default("catalog.url", "http://127.0.0.1:9/api")
        .unwrap()
        .set_default("catalog.timeout.total", "5s")
        .unwrap()
        .set_default("catalog.retry.max_attempts", 3)
        .unwrap()
        .set_default("catalog.retry.initial_interval", "50ms")
        .unwrap()
        .set_default("catalog.headers.X-Client", "quickstart")
        .unwrap()
        .set_default("db.url", "sqlite::memory:")
        .unwrap()
        .set_default("db.pool.max_size", 2)
        .unwrap()
        .add_source(File::with_name(FILE))
        .add_source(
            Environment::with_prefix("CFGRS")
                .separator("__")
                .try_parsing(true),
        )
        .build()
        .unwrap();
    config.try_deserialize().unwrap()
}

fn with_figment() -> Plain {
    use figment::Figment;
    use figment::providers::{Env, Format, Serialized, Toml};
    let defaults = serde_json::json!({
        "catalog": { "url": "http://127.0.0.1:9/api", "timeout": { "total": "5s" },
                     "retry": { "max_attempts": 3, "initial_interval": "50ms" },
                     "headers": { "X-Client": "quickstart" } },
        "db": { "url": "sqlite::memory:", "pool": { "max_size": 2 } },
    });
    Figment::from(Serialized::defaults(defaults))
        .merge(Toml::file(FILE))
        .merge(Env::prefixed("FIGMENT__").split("__"))
        .extract()
        .unwrap()
}

fn registry_file(n: usize) -> tempfile::NamedTempFile {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "[targets.svc{i}]\nprotocol = \"http\"\nurl = \"http://127.0.0.1:{}/v1\"\ntimeout = \"5s\"\n\
             [targets.svc{i}.properties.retry]\nmax_attempts = 3\njitter = 0.1\n",
            1024 + i
        ));
    }
    let file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    std::fs::write(file.path(), text).unwrap();
    file
}

fn bench(c: &mut Criterion) {
    // Every loader reads the same two overrides from the process environment, each under the
    // naming its library supports. Set once, before any thread starts.
    // SAFETY: single-threaded at this point; nothing else reads or writes the environment.
    unsafe {
        std::env::set_var("QUICKSTART_CATALOG_URL", URL);
        std::env::set_var("QUICKSTART_CATALOG_RETRY_MAX_ATTEMPTS", "5");
        std::env::set_var("CFGRS__CATALOG__URL", URL);
        std::env::set_var("CFGRS__CATALOG__RETRY__MAX_ATTEMPTS", "5");
        std::env::set_var("FIGMENT__CATALOG__URL", URL);
        std::env::set_var("FIGMENT__CATALOG__RETRY__MAX_ATTEMPTS", "5");
    }
    let ours = quickstart::Conns::load_config().unwrap();
    assert_eq!(ours.catalog.retry.as_ref().map(|r| r.max_attempts), Some(5));
    assert_eq!(with_config_rs().catalog.retry.max_attempts, 5);
    assert_eq!(with_figment().catalog.retry.max_attempts, 5);

    let mut group = c.benchmark_group("load/quickstart");
    group.bench_function("connfx", |b| {
        b.iter(|| black_box(quickstart::Conns::load_config().unwrap()))
    });
    group.bench_function("config-rs", |b| b.iter(|| black_box(with_config_rs())));
    group.bench_function("figment", |b| b.iter(|| black_box(with_figment())));
    group.finish();

    let file = registry_file(1000);
    let mut group = c.benchmark_group("load/registry");
    group.sample_size(20);
    group.bench_function("1000 connections", |b| {
        b.iter(|| {
            let config =
                connfx::registry::RegistryConfig::load(connfx::Sources::new().file(file.path())).unwrap();
            assert_eq!(config.targets.len(), 1000);
            black_box(config)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
