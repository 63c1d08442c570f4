//! The operator CLI (`connfx::cli`) driven in process: arguments through clap, explicit sources,
//! output captured; exact lines and exit codes for valid and broken configurations, probes against
//! a real upstream on 127.0.0.1 and an unreachable one, and no secret in any output.

mod check;
mod env;
mod explain;
#[path = "../../examples/support/loopback.rs"]
mod loopback;
mod plan;
mod probe;
#[path = "../loader/sandbox.rs"]
mod sandbox;
mod secrets;

use std::net::SocketAddr;

use clap::Parser;
use connfx::Sources;
use connfx::cli::{Cli, Outcome};
use connfx::config::ConnectionSet;
use connfx::prelude::*;

/// Connections of the shop.
#[derive(Connections)]
#[connections(env_prefix = "SHOP")]
pub struct Shop {
    /// The catalog API.
    #[connection(protocol = "http", url = "http://127.0.0.1:9/api", retry(max_attempts = 3))]
    catalog: HttpConnection,

    /// Orders database; no default URL.
    #[connection(protocol = "sql")]
    orders: SqlConnection,

    /// Optional audit API.
    #[connection(protocol = "http")]
    audit: Option<HttpConnection>,
}

/// Runs `shop <args>` on `sources`: the outcome and everything printed.
pub async fn cli<S: ConnectionSet>(args: &[&str], sources: Sources) -> (Outcome, String) {
    let cli = Cli::try_parse_from(std::iter::once("shop").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?} does not parse: {e}"));
    let mut out = Vec::new();
    let outcome = cli
        .command
        .execute::<S>(sources, &mut out)
        .await
        .expect("writing to a Vec cannot fail");
    (outcome, String::from_utf8(out).expect("UTF-8 output"))
}

/// `cli` for [`Shop`].
pub async fn shop(args: &[&str], sources: Sources) -> (Outcome, String) {
    cli::<Shop>(args, sources).await
}

/// The smallest valid environment of [`Shop`]: the orders database in memory.
pub fn orders_in_memory() -> Sources {
    Sources::new().env_map([("SHOP_ORDERS_URL", "sqlite::memory:")])
}

/// `--format json` output as a value.
pub fn json(text: &str) -> serde_json::Value {
    assert_eq!(text.lines().count(), 1, "one JSON document on one line: {text}");
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// An HTTP upstream on 127.0.0.1 answering `GET/HEAD /api` with 200.
pub async fn upstream() -> SocketAddr {
    loopback::serve(axum::Router::new().route("/api", axum::routing::get(|| async { "up" }))).await
}

/// An address on 127.0.0.1 where nothing listens (bound once, then released).
pub fn unreachable() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address")
}

#[tokio::test]
async fn every_command_has_help_and_a_bad_argument_is_a_clap_error() {
    for command in ["check", "schema", "env", "explain"] {
        let err = Cli::try_parse_from(["shop", command, "--help"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp);
        assert!(err.to_string().contains("--format <FORMAT>"), "{command}: {err}");
    }
    let err = Cli::try_parse_from(["shop", "check", "--format", "xml"]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.to_string().contains("[possible values: human, json]"),
        "{err}"
    );
}

#[tokio::test]
async fn colour_only_when_asked_for() {
    let (_, plain) = shop(&["check"], orders_in_memory()).await;
    assert!(!plain.contains('\x1b'), "{plain:?}");
    let (_, coloured) = shop(&["check", "--color", "always"], orders_in_memory()).await;
    assert!(coloured.starts_with("\x1b[32mvalid: "), "{coloured:?}");
    let bad = Sources::new().env_map([("SHOP_ORDERS_URL", "nope")]);
    let (_, coloured) = shop(&["check", "--color", "always"], bad).await;
    assert!(
        coloured.starts_with("\x1b[1morders.url\x1b[0m (env SHOP_ORDERS_URL): "),
        "{coloured:?}"
    );
}

#[tokio::test]
async fn schema_is_the_sets_schema_pretty_or_on_one_line() {
    let (outcome, pretty) = shop(&["schema"], Sources::new()).await;
    assert_eq!(outcome, Outcome::Ok);
    assert!(
        pretty.lines().count() > 50 && pretty.starts_with("{\n  \"$schema\""),
        "{pretty}"
    );
    let parsed: serde_json::Value = serde_json::from_str(&pretty).unwrap();
    assert_eq!(parsed, Shop::json_schema());
    let (_, line) = shop(&["schema", "--format", "json"], Sources::new()).await;
    assert_eq!(json(&line), Shop::json_schema());
}
