//! Commands, decoding, health, the derive and the registry against the shared Redis
//! (`CONNFX_TEST_REDIS_URL`). Every test writes under its own key prefix.

use std::collections::HashMap;
use std::time::Duration;

use connfx::prelude::*;
use connfx::redis;
use connfx::registry::RegistryConfig;
use connfx::{CallError, Sources};

use crate::services;

/// A key no other test (or run) uses.
fn key(test: &str, name: &str) -> String {
    format!("connfx-test:{test}:{}:{name}", std::process::id())
}

async fn connect(url: &str) -> RedisConnection {
    let config: RedisConfig = serde_json::from_value(serde_json::json!({
        "url": url,
        "timeout": { "per_attempt": "2s" },
    }))
    .unwrap();
    RedisConnection::connect("cache", config).await.unwrap()
}

#[tokio::test]
async fn set_get_del_and_typed_replies() {
    let Some(url) = services::redis("set_get_del_and_typed_replies") else {
        return;
    };
    let cache = connect(&url).await;
    let (name, number, missing) = (
        key("basic", "name"),
        key("basic", "number"),
        key("basic", "missing"),
    );

    cache.set(&name, "alice").await.unwrap();
    assert_eq!(
        cache.get::<Option<String>>(&name).await.unwrap().as_deref(),
        Some("alice")
    );
    assert_eq!(cache.get::<Option<String>>(&missing).await.unwrap(), None);

    cache.set(&number, 41).await.unwrap();
    let next: i64 = cache.cmd(redis::cmd("INCR").arg(&number)).query().await.unwrap();
    assert_eq!(next, 42);
    assert_eq!(cache.get::<u32>(&number).await.unwrap(), 42);

    assert_eq!(cache.del(&[&name, &number, &missing]).await.unwrap(), 2);
    assert_eq!(cache.get::<Option<String>>(&name).await.unwrap(), None);
}

#[tokio::test]
async fn hashes_pipelines_and_expiry() {
    let Some(url) = services::redis("hashes_pipelines_and_expiry") else {
        return;
    };
    let cache = connect(&url).await;
    let (user, counter, temp) = (key("pipe", "user"), key("pipe", "counter"), key("pipe", "temp"));

    cache
        .cmd(
            redis::cmd("HSET")
                .arg(&user)
                .arg("name")
                .arg("bob")
                .arg("age")
                .arg(7),
        )
        .exec()
        .await
        .unwrap();
    let fields: HashMap<String, String> = cache.query(redis::cmd("HGETALL").arg(&user)).await.unwrap();
    assert_eq!(fields["name"], "bob");
    assert_eq!(fields["age"], "7");

    let mut pipe = redis::pipe();
    pipe.atomic()
        .set(&counter, 1)
        .ignore()
        .incr(&counter, 2)
        .get(&counter);
    let (after_incr, read): (i64, String) = cache.pipeline(&pipe).query().await.unwrap();
    assert_eq!((after_incr, read.as_str()), (3, "3"));

    cache
        .set_ex(&temp, "soon gone", Duration::from_secs(60))
        .await
        .unwrap();
    let ttl: i64 = cache.query(redis::cmd("PTTL").arg(&temp)).await.unwrap();
    assert!((1..=60_000).contains(&ttl), "{ttl}");

    cache.del(&[&user, &counter, &temp]).await.unwrap();
}

#[tokio::test]
async fn error_replies_and_wrong_types_are_typed_errors() {
    let Some(url) = services::redis("error_replies_and_wrong_types_are_typed_errors") else {
        return;
    };
    let cache = connect(&url).await;
    let text = key("errors", "text");
    cache.set(&text, "not a number").await.unwrap();

    let err = cache.get::<i64>(&text).await.unwrap_err();
    assert!(
        matches!(&err, CallError::Decode { connection, .. } if connection == "cache"),
        "{err:?}"
    );

    let err = cache
        .cmd(redis::cmd("LPUSH").arg(&text).arg("x"))
        .exec()
        .await
        .unwrap_err();
    match &err {
        CallError::Server {
            connection,
            code,
            message,
        } => {
            assert_eq!((connection.as_str(), code.as_str()), ("cache", "WRONGTYPE"));
            assert!(message.contains("wrong kind of value"), "{message}");
        }
        other => panic!("expected a server error, got {other:?}"),
    }
    assert!(
        err.to_string().starts_with("`cache`: server error WRONGTYPE"),
        "{err}"
    );

    let err = cache.query::<()>(&redis::cmd("NOSUCHCOMMAND")).await.unwrap_err();
    assert!(
        matches!(&err, CallError::Server { code, .. } if code == "ERR"),
        "{err:?}"
    );
    cache.del(&text).await.unwrap();
}

#[tokio::test]
async fn health_is_ready_and_close_ends_calls() {
    let Some(url) = services::redis("health_is_ready_and_close_ends_calls") else {
        return;
    };
    let cache = connect(&url).await;
    let health = cache.health().await;
    assert_eq!(health.state, HealthState::Ready, "{health:?}");
    assert_eq!(health.message, "PING: PONG");
    assert!(health.latency < Duration::from_secs(2));

    let mut raw = cache.manager().unwrap();
    let pong: String = redis::cmd("PING").query_async(&mut raw).await.unwrap();
    assert_eq!(pong, "PONG");

    cache.close().await;
    assert!(cache.is_closed());
    let err = cache.get::<Option<String>>("any").await.unwrap_err();
    assert!(
        matches!(&err, CallError::Closed { connection } if connection == "cache"),
        "{err:?}"
    );
    assert!(matches!(cache.manager(), Err(CallError::Closed { .. })));
    assert_eq!(cache.health().await.state, HealthState::Unknown);
}

#[tokio::test]
async fn a_pool_uses_several_connections() {
    let Some(url) = services::redis("a_pool_uses_several_connections") else {
        return;
    };
    let config: RedisConfig =
        serde_json::from_value(serde_json::json!({ "url": url, "pool": { "max_size": 3 } })).unwrap();
    let cache = RedisConnection::connect("pooled", config).await.unwrap();
    let health = cache.health().await;
    assert_eq!(health.state, HealthState::Ready, "{health:?}");
    assert_eq!(health.message, "PING: PONG on 3 connections");

    // Each of the three managers answers with its own client id.
    let mut ids = std::collections::BTreeSet::new();
    for _ in 0..3 {
        let id: i64 = cache.query(redis::cmd("CLIENT").arg("ID")).await.unwrap();
        ids.insert(id);
    }
    assert_eq!(ids.len(), 3, "{ids:?}");
}

/// Connections of the derive test.
#[derive(Connections)]
#[connections(env_prefix = "RTEST")]
pub struct Conns {
    /// Session cache.
    #[connection(
        protocol = "redis",
        url = "redis://127.0.0.1:6379/0",
        timeout(per_attempt = "2s")
    )]
    cache: RedisConnection,
    /// Same server, another database, two connections and a retry policy.
    #[connection(
        url = "redis://127.0.0.1:6379",
        database = 1,
        pool(max_size = 2),
        retry(max_attempts = 2)
    )]
    jobs: RedisConnection,
}

#[tokio::test]
async fn through_the_derive() {
    let Some(url) = services::redis("through_the_derive") else {
        return;
    };
    let config = Conns::load_config_from(
        Sources::new().env_map([("RTEST_CACHE_URL", url.clone()), ("RTEST_JOBS_URL", url)]),
    )
    .unwrap();
    assert_eq!(config.jobs.database, Some(1));
    assert_eq!(config.jobs.pool.as_ref().map(|p| p.max_size), Some(2));
    let conns = config.connect().await.unwrap();

    let k = key("derive", "job");
    conns.jobs().set(&k, "queued").await.unwrap();
    let db: Option<String> = conns.jobs().get(&k).await.unwrap();
    assert_eq!(db.as_deref(), Some("queued"));
    // Database 0 does not see database 1's key.
    assert_eq!(conns.cache().get::<Option<String>>(&k).await.unwrap(), None);
    assert!(conns.jobs().retry().is_some());

    let report = conns.health().await;
    assert_eq!(report.worst(), HealthState::Ready, "{report}");
    assert_eq!(report.get("cache").unwrap().protocol, "redis");
    let same: RedisConnection = conns.registry().get("jobs").unwrap();
    assert_eq!(same.del(&k).await.unwrap(), 1);
    conns.close().await;
    assert!(conns.cache().is_closed());
}

#[test]
fn the_derive_reads_redis_keys_from_the_environment() {
    let err = Conns::load_config_from(Sources::new().env_map([
        ("RTEST_CACHE_DATABASE", "70000"),
        ("RTEST_CACHE_PASWORD", "x"),
        ("RTEST_JOBS_URL", "http://127.0.0.1:6379"),
    ]))
    .unwrap_err();
    let text = err.to_string();
    assert_eq!(err.issues().len(), 3, "{text}");
    assert!(text.contains("did you mean `RTEST_CACHE_PASSWORD`?"), "{text}");
    assert!(text.contains("cache.database"), "{text}");
    assert!(text.contains("`redis`") || text.contains("rediss"), "{text}");

    let vars = Conns::env_vars();
    let password = vars.iter().find(|v| v.name == "RTEST_CACHE_PASSWORD").unwrap();
    assert!(password.secret);
}

#[tokio::test]
async fn through_the_registry_from_env() {
    let Some(url) = services::redis("through_the_registry_from_env") else {
        return;
    };
    let config = RegistryConfig::load(Sources::new().env_map([
        ("CONN_TARGETS_SESSIONS_PROTOCOL".to_owned(), "redis".to_owned()),
        ("CONN_TARGETS_SESSIONS_URL".to_owned(), url),
        ("CONN_TARGETS_SESSIONS_TIMEOUT".to_owned(), "2s".to_owned()),
        (
            "CONN_TARGETS_SESSIONS_PROPERTIES_DATABASE".to_owned(),
            "2".to_owned(),
        ),
        (
            "CONN_TARGETS_SESSIONS_PROPERTIES_RETRY_MAX_ATTEMPTS".to_owned(),
            "2".to_owned(),
        ),
    ]))
    .unwrap();
    let registry = config.connect().await.unwrap();
    let sessions: RedisConnection = registry.get("sessions").unwrap();
    assert_eq!(sessions.config().database, Some(2));
    assert_eq!(sessions.config().timeout.total, Duration::from_secs(2));
    assert_eq!(sessions.retry().unwrap().max_attempts(), 2);

    let k = key("registry", "session");
    sessions.set(&k, "s1").await.unwrap();
    assert_eq!(sessions.get::<String>(&k).await.unwrap(), "s1");
    let info: String = sessions.query(redis::cmd("CLIENT").arg("INFO")).await.unwrap();
    let db = info.split(' ').find_map(|f| f.strip_prefix("db="));
    assert_eq!(db, Some("2"), "{info}");
    sessions.del(&k).await.unwrap();

    let report = registry.health().await;
    assert_eq!(report.worst(), HealthState::Ready, "{report}");
    registry.close().await;
    assert!(sessions.is_closed());
}

#[tokio::test]
async fn the_registry_refuses_tls_with_a_plain_url() {
    let target: connfx::registry::TargetConfig = serde_json::from_value(serde_json::json!({
        "protocol": "redis", "url": "redis://127.0.0.1:6379", "tls": true,
    }))
    .unwrap();
    let err = connfx::Registry::new().add("cache", target).await.unwrap_err();
    assert!(
        err.to_string().contains("URL scheme `redis` is not encrypted"),
        "{err}"
    );
}
