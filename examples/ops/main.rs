//! A service that mounts connfx's operator CLI next to its own command:
//!
//! ```sh
//! cargo run --example ops -- serve            # the service's own command
//! cargo run --example ops -- check            # load and validate; exit 2 on a problem
//! cargo run --example ops -- check --probe    # also connect and check every connection's health
//! cargo run --example ops -- env              # an env-file template of every variable
//! cargo run --example ops -- explain          # every value and where it came from
//! cargo run --example ops -- schema           # the JSON Schema of the configuration
//! OPS_CONFIG_FILE=examples/config/ops-broken.toml cargo run --example ops -- check
//! ```
//!
//! Needs no server: it starts its catalog upstream on 127.0.0.1 (which wants the bearer token
//! from `examples/config/ops.toml`) and points `OPS_CATALOG_URL` at it, after the process
//! environment, so the probe always finds it; the database is SQLite in memory.
//! `schema` prints what `schemas/ops.schema.json` holds.

use std::net::SocketAddr;
use std::process::ExitCode;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use clap::{Parser, Subcommand};
use connfx::Sources;

mod conns;
#[path = "../support/loopback.rs"]
mod loopback;

use conns::Conns;

/// The ops example service.
#[derive(Parser)]
struct Ops {
    #[command(subcommand)]
    command: OpsCommand,
}

#[derive(Subcommand)]
enum OpsCommand {
    /// Connect, make a call and print the health table (the service's own work).
    Serve,
    /// connfx's operator commands: check, schema, env, explain.
    #[command(flatten)]
    Connections(connfx::cli::Command),
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let ops = Ops::parse();
    let upstream = start_upstream().await;
    // The attribute's file, then the process environment, then the upstream's address.
    let env = std::env::vars().chain([("OPS_CATALOG_URL".to_owned(), format!("http://{upstream}/api"))]);
    let sources = Sources::new().file("examples/config/ops.toml").env_map(env);
    match ops.command {
        OpsCommand::Serve => serve(sources).await,
        OpsCommand::Connections(command) => command.run_with::<Conns>(sources).await,
    }
}

async fn serve(sources: Sources) -> ExitCode {
    let conns = match Conns::load_config_from(sources) {
        Ok(config) => config.connect().await,
        Err(e) => {
            eprintln!("{e}");
            return connfx::cli::Outcome::Invalid.into();
        }
    };
    let conns = match conns {
        Ok(conns) => conns,
        Err(e) => {
            eprintln!("{e}");
            return connfx::cli::Outcome::Unhealthy.into();
        }
    };
    match conns.catalog().get("/items").send().await {
        Ok(response) => println!("GET /api/items -> {}", response.status()),
        Err(e) => eprintln!("GET /api/items failed: {e}"),
    }
    print!("{}", conns.health().await);
    conns.close().await;
    ExitCode::SUCCESS
}

/// The catalog upstream: `/api` and `/api/items` answer 200 with the right bearer token,
/// 401 without it.
async fn start_upstream() -> SocketAddr {
    async fn guarded(headers: HeaderMap) -> StatusCode {
        let token = headers.get("authorization").and_then(|v| v.to_str().ok());
        if token == Some("Bearer ops-demo-token") {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        }
    }
    let app = Router::new()
        .route("/api", get(guarded))
        .route("/api/items", get(guarded));
    loopback::serve(app).await
}
