//! Fuzzes what happens after a successful load: every config the loader accepts must connect
//! and serve calls without a panic (issue "configuration parity", item 8).
//!
//! Each case is the loader target's structure-aware input (environments and TOML/YAML/JSON
//! files drawn from the real key set, values at the edges of their kinds), applied to an HTTP
//! connection and a SQL connection on SQLite with every policy declared. The URLs are not
//! fuzzed: the HTTP one always names a loopback server of this process, so no case reaches
//! another host. When the load succeeds, the case connects, makes one HTTP request, one SQL
//! `run_idempotent`, one health check and closes, all within 250 ms (a config may ask a rate
//! limit to wait a year; a slow call is not a failure, a panic is). Errors are fine; a panic,
//! an abort or a sanitizer report is a failure.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use connfx::prelude::*;
use connfx::sqlx::SqlitePool;
use connfx_fuzz::loader_input::{Keys, LoaderInput};
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::Runtime;

/// An API and a database, every policy on.
#[derive(Connections)]
#[connections(env_prefix = "FC")]
pub struct Conns {
    /// The loopback API.
    #[connection(
        protocol = "http",
        url = "http://127.0.0.1:9",
        retry(max_attempts = 2, initial_interval = "1ms"),
        circuit_breaker(failure_threshold = 5),
        rate_limit(requests = 1000, per = "1s"),
        bulkhead(max_concurrent = 10),
        timeout(total = "200ms")
    )]
    api: HttpConnection,

    /// An in-memory database.
    #[connection(
        protocol = "sql",
        url = "sqlite::memory:",
        retry(max_attempts = 2, initial_interval = "1ms"),
        circuit_breaker(failure_threshold = 5),
        rate_limit(requests = 1000, per = "1s"),
        bulkhead(max_concurrent = 10),
        timeout(total = "200ms")
    )]
    db: SqlConnection,
}

/// The runtime, the loopback server's URL, the key set and the scratch directory.
struct World {
    runtime: Runtime,
    api_url: String,
    keys: Keys,
    dir: std::path::PathBuf,
    /// The struct connected on its defaults and kept open for the whole run: connections with
    /// equal transport settings share one HTTP client while one of them lives, so a case whose
    /// transport keys are at their defaults reuses it instead of building a client (TLS roots
    /// included) per case, as a service connects once. Cases that change a transport key still
    /// build their own.
    _keeper: Conns,
}

/// The longest one case may take once loaded.
const CASE_LIMIT: Duration = Duration::from_millis(250);

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        // Every case that changes a transport key builds an HTTP client, and reqwest's verifier
        // then parses the machine's whole trust store (about two thirds of a case's time here,
        // by perf). The fuzzer is after connfx's code, not that parse: the store is one CA file
        // of the repository's, read by the same code (rustls-native-certs honours these).
        let ca = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/http/fixtures/ca-bundle.pem"
        );
        // SAFETY: set before the runtime exists; no other thread of this process (libFuzzer has
        // only its RSS watcher) reads the environment.
        unsafe {
            std::env::set_var("SSL_CERT_FILE", ca);
            std::env::set_var("SSL_CERT_DIR", "/nonexistent-connfx-fuzz");
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let api_url = runtime.block_on(serve_ok());
        let defaults = Sources::new().env_map([("FC_API_URL", api_url.as_str())]);
        let keeper = runtime.block_on(async {
            let config = Conns::load_config_from(defaults).expect("the defaults load");
            config.connect().await.expect("the defaults connect")
        });
        // URLs stay ours: a fuzzed one could name any host.
        let vars = Conns::env_vars()
            .into_iter()
            .filter(|v| !v.path.ends_with(".url"));
        let dir = std::env::temp_dir().join(format!("connfx-fuzz-connect-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        World {
            runtime,
            api_url,
            keys: Keys::new("FC", vars.map(|v| (v.name, v.path, v.kind, v.secret))),
            dir,
            _keeper: keeper,
        }
    })
}

/// A loopback HTTP/1.1 server answering every request `200 ok`, on the case runtime.
async fn serve_ok() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut seen = Vec::new();
                loop {
                    let Ok(n) = stream.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    seen.extend_from_slice(&buf[..n]);
                    // One answer per request head; requests here carry no body.
                    while let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                        seen.drain(..end + 4);
                        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                        if stream.write_all(answer).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

fuzz_target!(|input: LoaderInput| {
    let world = world();
    let rendered = input.render(&world.keys, &world.dir);
    let sources = rendered.write(&world.dir).env_map([
        ("FC_API_URL", world.api_url.as_str()),
        ("FC_DB_URL", "sqlite::memory:"),
    ]);
    let Ok(config) = Conns::load_config_from(sources) else {
        return;
    };
    world.runtime.block_on(async move {
        let case = async move {
            let Ok(conns) = config.connect().await else {
                return;
            };
            let _ = conns.api().get("/").send().await;
            let select =
                |pool: SqlitePool| async move { connfx::sqlx::query("SELECT 1").execute(&pool).await };
            let _ = conns.db().run_idempotent(select).await;
            let _ = conns.health().await;
            conns.close().await;
        };
        let _ = tokio::time::timeout(CASE_LIMIT, case).await;
    });
});
