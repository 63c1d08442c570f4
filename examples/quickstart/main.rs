//! The connfx quickstart: `cargo run --example quickstart`.
//!
//! Needs no server: it starts its own HTTP upstream on 127.0.0.1 and uses an in-memory SQLite
//! database. It loads `examples/config/quickstart.toml` plus environment overrides, prints where
//! each value came from, connects, makes a few calls and prints the health table.
//!
//! Try a broken deployment: `QUICKSTART_CATALOG_RETRY_MAX_ATTEMPTS=0 cargo run --example quickstart`.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use connfx::{Error, Sources};
use serde::Deserialize;

mod conns;
#[path = "../support/loopback.rs"]
mod loopback;

use conns::Conns;

#[derive(Debug, Deserialize)]
struct Item {
    id: u32,
    name: String,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(Error::Config(e)) => {
            eprintln!("{e}");
            std::process::ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Error> {
    let upstream = start_upstream().await;

    // The file, then the process environment, then our override pointing at the upstream.
    let env = std::env::vars().chain([(
        "QUICKSTART_CATALOG_URL".to_owned(),
        format!("http://{upstream}/api"),
    )]);
    let sources = Sources::new()
        .file("examples/config/quickstart.toml")
        .env_map(env);

    let settings = connfx::config::explain::<Conns>(sources.clone())?;
    println!("== where each value came from");
    let width = settings.iter().map(|s| s.path.len()).max().unwrap_or(0);
    for s in &settings {
        println!("{:<width$}  {:<28}  {}", s.path, s.value, s.source);
    }

    let conns = Conns::load_config_from(sources)?.connect().await?;
    assert!(conns.audit().is_none());
    println!("\n== the service would listen on port {}", conns.port());

    println!("\n== calls");
    let item: Item = conns.catalog().get("/items/7").send().await?.json().await?;
    println!("GET /api/items/7 -> {item:?} (id {}, {})", item.id, item.name);

    // The typed sqlx pool: a `SqlitePool` here (`postgres()` or `mysql()` for other URLs).
    let not_sqlite = || connfx::ConnectError::new("db", "the quickstart expects a sqlite: URL");
    let pool = &conns.db().sqlite().ok_or_else(not_sqlite)?;
    let mut db_conn = pool.acquire().await.map_err(db)?;
    let create = "CREATE TABLE orders (id INTEGER PRIMARY KEY, item INTEGER NOT NULL)";
    connfx::sqlx::query(create)
        .execute(&mut *db_conn)
        .await
        .map_err(db)?;
    connfx::sqlx::query("INSERT INTO orders (item) VALUES (7), (8)")
        .execute(&mut *db_conn)
        .await
        .map_err(db)?;
    let count = "SELECT COUNT(*) FROM orders";
    let (count,): (i64,) = connfx::sqlx::query_as(count)
        .fetch_one(&mut *db_conn)
        .await
        .map_err(db)?;
    drop(db_conn);
    println!("orders in SQLite: {count}");

    println!("\n== health");
    print!("{}", conns.health().await);
    conns.close().await;
    Ok(())
}

fn db(e: connfx::sqlx::Error) -> Error {
    Error::Connect(connfx::ConnectError::new("db", e.to_string()))
}

/// The catalog upstream: `HEAD/GET /api` for health, `GET /api/items/{id}`.
async fn start_upstream() -> SocketAddr {
    let app = Router::new().route("/api", get(|| async { "catalog up" })).route(
        "/api/items/{id}",
        get(|Path(id): Path<u32>| async move { format!(r#"{{"id":{id},"name":"item {id}"}}"#) }),
    );
    loopback::serve(app).await
}
