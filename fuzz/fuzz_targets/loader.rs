//! Fuzzes a derived struct's loader with arbitrary environments and TOML/YAML/JSON files.
//!
//! Properties checked on every input:
//! - the loader never panics;
//! - every issue names a path (a whole-file problem may leave it empty, and so may an unknown
//!   variable that resembles no real one: its source then names it) and one of the input's
//!   sources;
//! - no secret from the input appears in an error's `Display` or `Debug`, nor in a loaded
//!   config's `Debug` or in `explain`'s values.
//!
//! The input is structure-aware (see `connfx_fuzz::loader_input`): variable names are drawn
//! mostly from `Conns::env_vars()` and file paths from the same key set, so most cases get past
//! parsing into validation.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use connfx::prelude::*;
use connfx::{ConfigError, ValueSource};
use connfx_fuzz::loader_input::{Keys, LoaderInput, Rendered};
use libfuzzer_sys::fuzz_target;

/// Connections of a shop: several protocols, secrets in URLs, auth, headers and OTLP headers.
#[derive(Connections)]
#[connections(env_prefix = "FZ")]
pub struct Conns {
    /// Payment API: every policy, a bearer token and headers.
    #[connection(
        protocol = "http",
        url = "https://api.pay.example/v1",
        timeout = "10s",
        retry(max_attempts = 3, initial_interval = "100ms", multiplier = 2.0, jitter = 0.2),
        circuit_breaker(failure_threshold = 5, reset_timeout = "30s"),
        rate_limit(requests = 100, per = "1s"),
        bulkhead(max_concurrent = 10),
        headers("X-Client" = "fuzz")
    )]
    payments: HttpConnection,

    /// Orders database; no default URL.
    #[connection(protocol = "sql", pool(max_size = 20))]
    orders: SqlConnection,

    /// Session cache.
    #[connection(protocol = "redis", url = "redis://127.0.0.1:6379/0")]
    cache: RedisConnection,

    /// Optional catalogue API.
    #[connection(protocol = "graphql")]
    catalog: Option<GraphqlConnection>,

    /// Optional price feed.
    #[connection(protocol = "websocket")]
    feed: Option<WebSocketConnection>,

    /// Optional collector.
    #[connection(protocol = "otlp", service_name = "fuzz")]
    otel: Option<OtlpConnection>,
}

/// The key set and the scratch directory for the case's files.
struct World {
    keys: Keys,
    dir: PathBuf,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let vars = Conns::env_vars();
        let dir = std::env::temp_dir().join(format!("connfx-fuzz-loader-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        World {
            keys: Keys::new(
                "FZ",
                vars.iter()
                    .map(|v| (v.name.clone(), v.path.clone(), v.kind, v.secret)),
            ),
            dir,
        }
    })
}

fuzz_target!(|input: LoaderInput| {
    let world = world();
    let rendered = input.render(&world.keys, &world.dir);
    let sources = rendered.write(&world.dir);
    match Conns::load_config_from(sources.clone()) {
        Ok(config) => {
            let shown = format!("{config:?}");
            assert_no_secret(&rendered, &shown, "the loaded config's Debug");
            if let Ok(settings) = connfx::config::explain::<Conns>(sources) {
                for s in settings {
                    assert_no_secret(&rendered, &s.value, "explain");
                }
            }
        }
        Err(error) => check_error(&rendered, &error),
    }
});

fn check_error(rendered: &Rendered, error: &ConfigError) {
    assert!(!error.issues().is_empty(), "an error with no issue");
    assert_no_secret(rendered, &error.to_string(), "an error's Display");
    assert_no_secret(rendered, &format!("{error:?}"), "an error's Debug");
    for issue in error.issues() {
        match issue.source() {
            ValueSource::File(path) => {
                assert!(
                    rendered.known_paths.contains(path),
                    "issue names a file not given: {issue}"
                )
            }
            ValueSource::Env(name) => assert!(
                rendered.env.iter().any(|(k, _)| k == name),
                "issue names a variable not given: {issue}"
            ),
            ValueSource::Default | ValueSource::Attribute(_) => {}
            // The target gives files and variables only, never another library's layer.
            other => panic!("issue names a source not given ({other}): {issue}"),
        }
        let whole_source = matches!(issue.source(), ValueSource::File(_) | ValueSource::Env(_));
        assert!(
            !issue.path().is_empty() || whole_source,
            "issue without a path: {issue:?}"
        );
        assert!(!issue.message().is_empty(), "issue without a message: {issue:?}");
    }
}

fn assert_no_secret(rendered: &Rendered, text: &str, what: &str) {
    for secret in &rendered.secrets {
        assert!(
            !text.contains(secret.as_str()),
            "secret `{secret}` appears in {what}: {text}\ninput: {rendered:#?}"
        );
    }
}
