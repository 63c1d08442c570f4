//! `RedisConnection::reload` against the shared Redis: policies change in place, a URL change
//! moves later commands to new connections, commands in flight finish on the old ones.

use std::time::Duration;

use connfx::prelude::*;
use connfx::resilience::circuit_breaker::CircuitState;
use connfx::{Applied, redis};

use crate::services;

fn key(name: &str) -> String {
    format!("connfx-test:reload:{}:{name}", std::process::id())
}

/// `url` with the logical database `db`.
fn on_db(url: &str, db: u8) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.set_path(&format!("/{db}"));
    url.to_string()
}

fn config(url: &str, extra: serde_json::Value) -> RedisConfig {
    let mut value = serde_json::json!({ "url": url, "timeout": { "per_attempt": "2s" } });
    if let (Some(value), Some(extra)) = (value.as_object_mut(), extra.as_object()) {
        value.extend(extra.clone());
    }
    serde_json::from_value(value).unwrap()
}

#[tokio::test]
async fn a_policy_change_is_live_and_keeps_an_open_breaker_open() {
    let Some(url) = services::redis("a_policy_change_is_live_and_keeps_an_open_breaker_open") else {
        return;
    };
    let breaker =
        |n: u32| serde_json::json!({ "circuit_breaker": { "failure_threshold": n, "reset_timeout": "60s" } });
    let cache = RedisConnection::connect("cache", config(&url, breaker(2)))
        .await
        .unwrap();
    cache.breaker().unwrap().trip();
    assert_eq!(
        cache.reload(config(&url, breaker(9))).await.unwrap(),
        Applied::Live
    );
    assert_eq!(cache.breaker().unwrap().state(), CircuitState::Open, "kept");
    let err = cache.get::<Option<String>>(key("x")).await.unwrap_err();
    assert!(matches!(err, connfx::CallError::CircuitOpen { .. }), "{err}");
}

#[tokio::test]
async fn a_url_change_moves_later_commands_and_a_command_in_flight_finishes_on_the_old_connection() {
    let Some(url) = services::redis("a_url_change_moves_later_commands") else {
        return;
    };
    let (db0, db1) = (on_db(&url, 0), on_db(&url, 1));
    let (list, marker) = (key("list"), key("marker"));
    let cache = RedisConnection::connect("cache", config(&db0, serde_json::json!({})))
        .await
        .unwrap();
    cache.del(&[&list, &marker]).await.unwrap();
    cache.set(&marker, "db0").await.unwrap();

    // A blocking pop on database 0, answered after the reload by a push on database 0.
    let waiting = {
        let cache = cache.clone();
        let list = list.clone();
        tokio::spawn(async move {
            cache
                .query::<Option<(String, String)>>(redis::cmd("BLPOP").arg(&list).arg(5))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        cache.reload(config(&db1, serde_json::json!({}))).await.unwrap(),
        Applied::Reconnected
    );
    assert_eq!(
        cache.get::<Option<String>>(&marker).await.unwrap(),
        None,
        "database 1 now"
    );

    let pusher = redis::Client::open(db0.as_str()).unwrap();
    let mut pusher = pusher.get_multiplexed_async_connection().await.unwrap();
    let _: i64 = redis::cmd("RPUSH")
        .arg(&list)
        .arg("item")
        .query_async(&mut pusher)
        .await
        .unwrap();
    let popped = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        popped,
        Some((list.clone(), "item".to_owned())),
        "finished on database 0"
    );
    let _: i64 = redis::cmd("DEL")
        .arg(&marker)
        .query_async(&mut pusher)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_commands_in_flight_through_five_reloads_none_fails() {
    let Some(url) = services::redis("a_hundred_commands_in_flight_through_five_reloads_none_fails") else {
        return;
    };
    let counter = key("counter");
    let cache = RedisConnection::connect("cache", config(&url, serde_json::json!({})))
        .await
        .unwrap();
    cache.del(&counter).await.unwrap();
    let calls: Vec<_> = (0..100u64)
        .map(|i| {
            let (cache, counter) = (cache.clone(), counter.clone());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(i % 50)).await;
                cache.query::<i64>(redis::cmd("INCR").arg(&counter)).await
            })
        })
        .collect();
    for i in 0..5u32 {
        tokio::time::sleep(Duration::from_millis(8)).await;
        let extra = serde_json::json!({ "pool": { "max_size": 1 + i % 3 }, "timeout": { "total": format!("{}s", 5 + i) } });
        cache.reload(config(&url, extra)).await.unwrap();
    }
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(
        cache.get::<i64>(&counter).await.unwrap(),
        100,
        "each command ran once"
    );
    cache.del(&counter).await.unwrap();
}
