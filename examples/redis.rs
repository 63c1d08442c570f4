//! Redis through connfx: `cargo run --example redis --features redis`.
//!
//! Talks to `CONNFX_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`) under `connfx-example:*`
//! keys, which it removes again, and prints what it did.

use std::time::Duration;

use connfx::prelude::*;
use connfx::{Sources, redis};

/// Connections of the example.
#[derive(Connections)]
#[connections(env_prefix = "EXAMPLE")]
pub struct Conns {
    /// Session cache: every command bounded, retried and behind a circuit breaker.
    #[connection(
        protocol = "redis",
        url = "redis://127.0.0.1:6379/0",
        timeout(per_attempt = "500ms", total = "2s"),
        retry(max_attempts = 3, initial_interval = "50ms"),
        circuit_breaker(failure_threshold = 5, reset_timeout = "10s")
    )]
    cache: RedisConnection,
}

#[tokio::main]
async fn main() -> Result<(), connfx::Error> {
    let url = std::env::var("CONNFX_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let config = Conns::load_config_from(Sources::new().env_map([("EXAMPLE_CACHE_URL", url)]))?;
    let conns = config.connect().await?;
    let cache = conns.cache();
    println!("connected to {}", cache.url());

    cache
        .set_ex("connfx-example:greeting", "hello", Duration::from_secs(60))
        .await?;
    let greeting: Option<String> = cache.get("connfx-example:greeting").await?;
    println!("GET connfx-example:greeting -> {greeting:?}");

    let visits: i64 = cache
        .cmd(redis::cmd("INCR").arg("connfx-example:visits"))
        .query()
        .await?;
    println!("INCR connfx-example:visits -> {visits}");

    let removed = cache
        .del(&["connfx-example:greeting", "connfx-example:visits"])
        .await?;
    println!("DEL -> {removed} key(s) removed");

    print!("{}", conns.health().await);
    conns.close().await;
    Ok(())
}
