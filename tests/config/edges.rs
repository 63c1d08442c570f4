//! Every numeric and duration key of an HTTP and a SQL connection, set to the edges of its kind
//! (0, 1 ns, the longest allowed and 1 ns more, the largest `u64` seconds, the key's bounds, the
//! largest integer of each width, the extremes of `f64`), one key at a time. Each value is either
//! refused at load, by an issue that names the key, or loaded exactly as written, connected, and
//! used for calls (a failing and a succeeding one) and a health check, with no panic anywhere in
//! the process. The keys come from the spec's table (`connfx_spec::protocol`), so a key added
//! there is covered here without an edit.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use connfx::prelude::*;
use connfx::registry::TargetConfig;
use connfx::sqlx::SqlitePool;
use connfx_spec::{Key, Kind, Protocol};
use serde_json::Value;

/// An HTTP connection with no attribute values: every key is at its type's default but the one
/// under test.
#[derive(Connections)]
#[connections(env_prefix = "EDGE")]
pub struct Web {
    /// The loopback server.
    #[connection(protocol = "http")]
    api: HttpConnection,
}

/// A SQLite database that answers, and one that cannot be opened (its tries fail, so retry,
/// backoff, budget and breaker all run with the edge value).
#[derive(Connections)]
#[connections(env_prefix = "EDGE")]
pub struct Db {
    /// In memory.
    #[connection(protocol = "sql")]
    db: SqlConnection,
    /// A file in a directory that does not exist.
    #[connection(protocol = "sql")]
    down: SqlConnection,
}

/// How long one case may take before it is taken as waiting, as configured, rather than stuck
/// on a bug (a one-year `max_wait` is allowed to wait); the total timeout is 30 s by default.
const CASE_LIMIT: Duration = Duration::from_secs(40);

/// What one case came to.
#[derive(Debug)]
enum Outcome {
    /// Refused at load, by an issue naming the key.
    Refused,
    /// Loaded, connected and called; whether the call to `/ok` (the live database) succeeded.
    Served { ok: bool },
    /// Still waiting when the case's time was up (no panic).
    Waiting,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_numeric_and_duration_key_at_its_edges_is_refused_at_load_or_serves_calls() {
    let panics = watch_panics();
    let base = upstream().await;
    let http = connfx_spec::protocol("http").expect("http in the spec");
    let sql = connfx_spec::protocol("sql").expect("sql in the spec");
    let http_keys = numeric_keys(http);
    let sql_keys = numeric_keys(sql);
    for expected in [
        "rate_limit.per",
        "timeout.total",
        "retry.multiplier",
        "circuit_breaker.window_size",
    ] {
        assert!(
            http_keys.iter().any(|(path, _)| path == expected),
            "{expected} missing"
        );
    }
    for expected in ["pool.acquire_timeout", "health.timeout", "pool.min_idle"] {
        assert!(
            sql_keys.iter().any(|(path, _)| path == expected),
            "{expected} missing"
        );
    }

    let mut cases = tokio::task::JoinSet::new();
    for (path, key) in &http_keys {
        for value in edges(key) {
            let (path, base) = (path.clone(), base.clone());
            cases.spawn(async move {
                let outcome = tokio::time::timeout(CASE_LIMIT, http_case(&base, &path, &value)).await;
                (
                    format!("http {path} = {value}"),
                    outcome.unwrap_or(Ok(Outcome::Waiting)),
                )
            });
        }
    }
    for (path, key) in &sql_keys {
        for value in edges(key) {
            let path = path.clone();
            cases.spawn(async move {
                let outcome = tokio::time::timeout(CASE_LIMIT, sql_case(&path, &value)).await;
                (
                    format!("sql {path} = {value}"),
                    outcome.unwrap_or(Ok(Outcome::Waiting)),
                )
            });
        }
    }

    let (mut refused, mut served, mut ok, mut waiting, mut wrong) = (0, 0, 0, Vec::new(), Vec::new());
    while let Some(joined) = cases.join_next().await {
        match joined {
            Ok((_, Ok(Outcome::Refused))) => refused += 1,
            Ok((_, Ok(Outcome::Served { ok: answered }))) => {
                served += 1;
                ok += usize::from(answered);
            }
            Ok((case, Ok(Outcome::Waiting))) => waiting.push(case),
            Ok((case, Err(problem))) => wrong.push(format!("{case}: {problem}")),
            Err(join) => wrong.push(format!("a case panicked: {join}")),
        }
    }
    let panicked = panics.lock().unwrap_or_else(|e| e.into_inner()).clone();
    println!("{refused} refused at load, {served} served ({ok} answered `/ok`), waiting: {waiting:?}");
    assert!(panicked.is_empty(), "panics: {panicked:#?}");
    assert!(wrong.is_empty(), "{} wrong:\n{}", wrong.len(), wrong.join("\n"));
    assert!(refused > 0 && served > 0);
    // Edge values may make calls fail (a zero total timeout), but most leave a working
    // connection: a connection that never answers would hide behind "no panic".
    assert!(ok * 2 > served, "only {ok} of {served} served cases answered");
}

/// The keys of `protocol` (its own and its groups', dotted) that hold numbers or durations.
fn numeric_keys(protocol: &'static Protocol) -> Vec<(String, &'static Key)> {
    let numeric = |k: &&Key| matches!(k.kind, Kind::Integer | Kind::Number | Kind::Duration);
    let own = protocol
        .keys
        .iter()
        .filter(numeric)
        .map(|k| (k.name.to_owned(), k));
    let grouped = protocol.groups.iter().flat_map(move |g| {
        g.keys
            .iter()
            .filter(numeric)
            .map(move |k| (format!("{}.{}", g.name, k.name), k))
    });
    own.chain(grouped).collect()
}

/// The edges of `key`'s kind, as an environment variable writes them.
fn edges(key: &Key) -> Vec<String> {
    let bounds = [key.min, key.max].into_iter().flatten();
    match key.kind {
        Kind::Duration => {
            let longest = connfx_spec::check::longest(key);
            let beyond = longest + Duration::from_nanos(1);
            let mut out: Vec<String> = ["0s", "1ns", "18446744073709551615s", "99999999999y"]
                .map(str::to_owned)
                .into();
            out.extend([longest, beyond].map(|d| humantime::format_duration(d).to_string()));
            out
        }
        Kind::Integer => {
            let mut out: Vec<String> = ["0", "1", "-1"].map(str::to_owned).into();
            out.extend(bounds.map(|b| format!("{}", b as i64)));
            out.extend([u16::MAX.to_string(), u32::MAX.to_string(), u64::MAX.to_string()]);
            out.push(i64::MIN.to_string());
            out
        }
        _ => {
            let mut out: Vec<String> = ["0", "1", "0.5", "-0.0", "5e-324", "1e308", "inf", "NaN"]
                .map(str::to_owned)
                .into();
            out.extend(bounds.map(|b| b.to_string()));
            out.push(f64::MAX.to_string());
            out
        }
    }
}

async fn http_case(base: &str, path: &str, value: &str) -> Result<Outcome, String> {
    let env = [
        (connfx_spec::env::env_name("EDGE", "api", "url"), base.to_owned()),
        (connfx_spec::env::env_name("EDGE", "api", path), value.to_owned()),
    ];
    let config = match Web::load_config_from(Sources::new().env_map(env)) {
        Ok(config) => config,
        Err(error) => return refused(&error, path),
    };
    kept_as_written(&serde_json::to_value(&config.api), path, value)?;
    let web = config.connect().await.map_err(|e| format!("connect: {e}"))?;
    let _ = web.api().get("/fail").send().await;
    let ok = match web.api().get("/ok").send().await {
        Ok(response) => response.text().await.is_ok_and(|t| t == "ok"),
        Err(_) => false,
    };
    let _ = web.health().await;
    web.close().await;
    Ok(Outcome::Served { ok })
}

async fn sql_case(path: &str, value: &str) -> Result<Outcome, String> {
    let mut env = Vec::new();
    for (field, url) in [
        ("db", "sqlite::memory:"),
        ("down", "sqlite:///nonexistent-connfx-edges/x.db"),
    ] {
        env.push((connfx_spec::env::env_name("EDGE", field, "url"), url.to_owned()));
        env.push((connfx_spec::env::env_name("EDGE", field, path), value.to_owned()));
    }
    let config = match Db::load_config_from(Sources::new().env_map(env)) {
        Ok(config) => config,
        Err(error) => return refused(&error, path),
    };
    kept_as_written(&serde_json::to_value(&config.db), path, value)?;
    let db = config.connect().await.map_err(|e| format!("connect: {e}"))?;
    let select = |pool: SqlitePool| async move { connfx::sqlx::query("SELECT 1").execute(&pool).await };
    let _ = db.down().run_idempotent(select).await;
    let ok = db.db().run_idempotent(select).await.is_ok();
    let _ = db.health().await;
    db.close().await;
    Ok(Outcome::Served { ok })
}

/// A refusal is right when one issue is about the key: at its path, or naming it (a rule across
/// keys names each of them).
fn refused(error: &ConfigError, path: &str) -> Result<Outcome, String> {
    let name = path.rsplit('.').next().unwrap_or(path);
    let named = error.issues().iter().any(|issue| {
        issue.path().ends_with(&format!(".{path}"))
            || issue.message().contains(&format!("`{name}`"))
            || issue.message().contains(&format!("`{path}`"))
    });
    match named {
        true => Ok(Outcome::Refused),
        false => Err(format!("refused without naming the key: {error}")),
    }
}

/// The loaded config holds the value as written: nothing accepted is clamped.
fn kept_as_written(config: &serde_json::Result<Value>, path: &str, written: &str) -> Result<(), String> {
    let config = config
        .as_ref()
        .map_err(|e| format!("config does not serialize: {e}"))?;
    let held = path
        .split('.')
        .try_fold(config, |node, segment| node.get(segment))
        .ok_or_else(|| format!("`{path}` is not in the loaded config: {config}"))?;
    let same = match held {
        Value::String(text) => {
            humantime::parse_duration(text).ok() == humantime::parse_duration(written).ok()
        }
        Value::Number(n) if n.is_f64() => n.as_f64() == written.parse::<f64>().ok(),
        Value::Number(n) => n.to_string() == written,
        _ => false,
    };
    match same {
        true => Ok(()),
        false => Err(format!("loaded as {held}, written {written}")),
    }
}

/// A loopback server: `/ok` answers, `/fail` is always busy.
async fn upstream() -> String {
    let app = Router::new()
        .route("/ok", get(|| async { "ok" }))
        .route(
            "/fail",
            get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "busy") }),
        )
        .route("/", get(|| async { "up" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// Every panic of the process from now on, in any thread or task (a background task's panic
/// never reaches the test otherwise).
fn watch_panics() -> Arc<Mutex<Vec<String>>> {
    static PANICS: OnceLock<Arc<Mutex<Vec<String>>>> = OnceLock::new();
    PANICS
        .get_or_init(|| {
            let panics = Arc::new(Mutex::new(Vec::new()));
            let seen = panics.clone();
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                seen.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(info.to_string());
                previous(info);
            }));
            panics
        })
        .clone()
}

/// The loader's refusal of a duration longer than any clock keeps, from a file: the key, the
/// file, and the longest allowed.
#[test]
fn a_duration_too_long_in_a_file_names_the_key_the_file_and_the_longest_allowed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("edge.toml");
    std::fs::write(
        &file,
        "[api]\nurl = \"http://127.0.0.1:1\"\n[api.rate_limit]\nper = \"99999999999y\"\n",
    )
    .expect("write");
    let error = Web::load_config_from(Sources::new().file(&file)).unwrap_err();
    let issue = &error.issues()[0];
    assert_eq!(error.issues().len(), 1, "{error}");
    assert_eq!(issue.path(), "api.rate_limit.per");
    assert_eq!(issue.source(), &connfx::ValueSource::File(file.clone()));
    assert_eq!(
        issue.message(),
        "`per` must be at most 1year, found `\"99999999999y\"`"
    );
}

/// `Registry::add` refuses what the loader refuses, in the same words, and a target's own
/// `timeout` (a `Duration` in code) is held to the same longest value.
#[tokio::test]
async fn registry_add_refuses_a_duration_too_long_as_the_loader_does() {
    let registry = Registry::new();
    let target: TargetConfig = serde_json::from_value(serde_json::json!({
        "protocol": "sql",
        "dsn": "sqlite::memory:",
        "properties": { "pool": { "acquire_timeout": "18446744073709551615s" } }
    }))
    .expect("target");
    let error = registry.add("db", target).await.unwrap_err().to_string();
    assert!(
        error.contains("`acquire_timeout` must be at most 1year, found `\"18446744073709551615s\"`"),
        "{error}"
    );

    let target = TargetConfig {
        timeout: Some(Duration::from_secs(u64::MAX)),
        ..serde_json::from_value(serde_json::json!({ "protocol": "sql", "dsn": "sqlite::memory:" }))
            .expect("target")
    };
    let error = registry.add("db", target).await.unwrap_err().to_string();
    assert!(error.contains("`total` must be at most 1year"), "{error}");
    assert!(registry.names().is_empty());
}
