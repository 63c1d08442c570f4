//! `rate_limit(...)` and `bulkhead(...)` on a Redis connection: declared in the attribute,
//! listed as environment variables, and acting on commands against the shared Redis.

use std::time::Duration;

use connfx::prelude::*;
use connfx::redis;
use connfx::{CallError, Sources};

use crate::services;

/// A cache whose commands are limited: 5 per minute, 2 at once, rejected beyond.
#[derive(Connections)]
#[connections(env_prefix = "RLIMITS")]
pub struct Limited {
    /// Session cache.
    #[connection(
        protocol = "redis",
        rate_limit(requests = 5, per = "1m", burst = 5, mode = "reject"),
        bulkhead(max_concurrent = 2, max_wait = "0ms"),
        timeout(per_attempt = "2s")
    )]
    cache: RedisConnection,
}

#[test]
fn the_limits_have_environment_variables() {
    let names: Vec<String> = Limited::env_vars().into_iter().map(|v| v.name).collect();
    for name in [
        "RLIMITS_CACHE_RATE_LIMIT_REQUESTS",
        "RLIMITS_CACHE_RATE_LIMIT_PER",
        "RLIMITS_CACHE_BULKHEAD_MAX_CONCURRENT",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} missing from {names:?}");
    }
}

async fn connect(test: &str, extra: &[(&str, &str)]) -> Option<Limited> {
    let url = services::redis(test)?;
    let mut env = vec![("RLIMITS_CACHE_URL".to_owned(), url)];
    env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let config = Limited::load_config_from(Sources::new().env_map(env)).unwrap();
    Some(config.connect().await.unwrap())
}

#[tokio::test]
async fn the_rate_limit_turns_commands_away_beyond_its_burst() {
    let Some(conns) = connect("the_rate_limit_turns_commands_away_beyond_its_burst", &[]).await else {
        return;
    };
    let mut served = 0;
    let mut limited = 0;
    for _ in 0..8 {
        match conns.cache().cmd(&redis::cmd("PING")).query::<String>().await {
            Ok(pong) => {
                assert_eq!(pong, "PONG");
                served += 1;
            }
            Err(CallError::RateLimited { .. }) => limited += 1,
            Err(other) => panic!("{other}"),
        }
    }
    assert_eq!((served, limited), (5, 3));
    assert_eq!(conns.cache().rate_limit().unwrap().stats().rejected, 3);
    conns.close().await;
}

#[tokio::test]
async fn the_bulkhead_turns_away_a_third_command_while_two_run() {
    let raise = [
        ("RLIMITS_CACHE_RATE_LIMIT_REQUESTS", "1000"),
        ("RLIMITS_CACHE_RATE_LIMIT_BURST", "1000"),
    ];
    let test = "the_bulkhead_turns_away_a_third_command_while_two_run";
    let Some(conns) = connect(test, &raise).await else {
        return;
    };
    // A blocking pop on a list nobody pushes to holds its slot for its whole timeout.
    let key = format!("connfx-test:{test}:{}", std::process::id());
    let mut blpop = redis::cmd("BLPOP");
    blpop.arg(&key).arg(0.5);
    let slow = || {
        conns
            .cache()
            .cmd(&blpop)
            .idempotent(true)
            .query::<Option<(String, String)>>()
    };
    let third = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        slow().await
    };
    let (first, second, third) = tokio::join!(slow(), slow(), third);
    assert!(first.is_ok() && second.is_ok(), "{first:?} {second:?}");
    assert!(matches!(third, Err(CallError::BulkheadFull { .. })), "{third:?}");
    assert_eq!(conns.cache().bulkhead().unwrap().stats().rejected, 1);
    conns.close().await;
}
