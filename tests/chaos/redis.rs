//! The Redis connection to a private `redis-server` behind the proxy: every scenario of
//! [`scenario::run`], then the writes, counted on the server itself (not through the proxy):
//! an `INCR` whose answer was lost is applied once and not sent again, one declared idempotent
//! is sent again, and one that never left is never applied late.

use std::time::Duration;

use connfx::redis;
use connfx::resilience::circuit_breaker::CircuitBreaker;
use connfx::{CallError, Connection, Health, RedisConfig, RedisConnection};
use serde_json::{Value, json};

use crate::proxy::{Fault, FaultProxy};
use crate::scenario::{self, Inject, Subject, say, skipped, timed};
use crate::servers::PrivateRedis;

const MAX_ATTEMPTS: i64 = 3;
const RESET_TIMEOUT: Duration = Duration::from_millis(300);

struct Redis(RedisConnection);

impl Redis {
    async fn connect(addr: std::net::SocketAddr, timeout: Value) -> Redis {
        let config: RedisConfig = serde_json::from_value(json!({
            "url": format!("redis://{addr}"),
            "timeout": timeout,
            "retry": { "max_attempts": MAX_ATTEMPTS, "initial_interval": "20ms" },
            "circuit_breaker": { "failure_threshold": 1 + MAX_ATTEMPTS, "reset_timeout": "300ms" },
            "health": { "timeout": "300ms" },
        }))
        .expect("valid config");
        Redis(
            RedisConnection::connect("chaos-redis", config)
                .await
                .expect("connect"),
        )
    }

    /// The usual limits: 200 ms to connect, 300 ms a try, 1 s in all.
    async fn through(proxy: &FaultProxy) -> Redis {
        let timeout = json!({ "connect": "200ms", "per_attempt": "300ms", "total": "1s" });
        Redis::connect(proxy.addr(), timeout).await
    }

    async fn incr(&self, key: &str, idempotent: Option<bool>) -> Result<i64, CallError> {
        let cmd = redis::cmd("INCR").arg(key).clone();
        let call = self.0.cmd(&cmd);
        let call = match idempotent {
            Some(yes) => call.idempotent(yes),
            None => call,
        };
        timed(self.total(), call.query()).await.0
    }
}

impl Subject for Redis {
    async fn call(&self) -> Result<(), CallError> {
        self.0.set("chaos:probe", "v").await
    }

    async fn health(&self) -> Health {
        self.0.health().await
    }

    fn breaker(&self) -> CircuitBreaker {
        self.0.breaker().expect("configured").clone()
    }

    fn total(&self) -> Duration {
        self.0.config().timeout.total
    }

    fn health_timeout(&self) -> Duration {
        self.0.config().health.timeout
    }
}

fn private_redis(test: &str) -> Option<PrivateRedis> {
    PrivateRedis::start().map_err(|why| skipped(test, &why)).ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_survives_network_faults() {
    let Some(server) = private_redis("redis_survives_network_faults") else {
        return;
    };
    for (name, fault) in scenario::network_faults() {
        let proxy = FaultProxy::start(server.addr()).await;
        let redis = Redis::through(&proxy).await;
        scenario::run(&format!("redis {name}"), &redis, Inject::Proxy(&proxy, fault)).await;
    }
    // Only an overall limit: a try cut short by it must still count as a failure.
    let proxy = FaultProxy::start(server.addr()).await;
    let redis = Redis::connect(proxy.addr(), json!({ "connect": "200ms", "total": "1s" })).await;
    let label = "redis half-open, total timeout only";
    scenario::run(label, &redis, Inject::Proxy(&proxy, Fault::HalfOpen)).await;
    drop(server);
}

/// The value of `key` on the server itself.
async fn applied(direct: &RedisConnection, key: &str) -> Option<i64> {
    direct.get::<Option<i64>>(key).await.expect("direct read")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_writes_are_applied_as_the_retry_rules_promise() {
    let test = "redis_writes_are_applied_as_the_retry_rules_promise";
    let Some(server) = private_redis(test) else {
        return;
    };
    let direct = Redis::connect(server.addr(), json!({ "total": "2s" })).await.0;
    let proxy = FaultProxy::start(server.addr()).await;
    let redis = Redis::through(&proxy).await;
    let retries = || redis.0.retry().expect("configured").stats().retries;

    // The connection breaks as the answer to an `INCR` starts: applied, but the caller cannot
    // know. A plain `INCR` is not sent again; one declared idempotent is, on a new connection.
    redis.incr("chaos:warm", None).await.expect("healthy");
    proxy.set(Fault::BreakOpenAfter(0)).await;
    let before = retries();
    let lost = redis.incr("chaos:once", None).await.expect_err("answer lost");
    assert_eq!(applied(&direct, "chaos:once").await, Some(1), "{lost}");
    assert_eq!(retries(), before, "a plain INCR is not retried once sent");
    redis
        .incr("chaos:warm", None)
        .await
        .expect("a new connection works");
    proxy.set(Fault::BreakOpenAfter(0)).await;
    let twice = redis
        .incr("chaos:twice", Some(true))
        .await
        .expect("retried on a new connection");
    assert_eq!((twice, applied(&direct, "chaos:twice").await), (2, Some(2)));
    assert_eq!(retries(), before + 1);
    say(&format!(
        "CHAOS redis writes, broken as the answer starts: plain INCR applied once, not retried ({lost}); \
         idempotent INCR retried once and applied twice"
    ));

    // Never sent (refused at connect, or written into a connection that died with the fault):
    // the caller hears of it, and the server never applies it, not even once the fault ends.
    for fault in [Fault::Reset, Fault::HalfOpen, Fault::Blackhole] {
        let redis = Redis::through(&proxy).await;
        redis.incr("chaos:warm", None).await.expect("healthy");
        proxy.set(fault).await;
        let key = format!("chaos:never:{fault:?}");
        let err = redis.incr(&key, None).await.expect_err("INCR under the fault");
        proxy.set(Fault::Healthy).await;
        tokio::time::sleep(RESET_TIMEOUT).await;
        assert_eq!(applied(&direct, &key).await, None, "{fault:?}: {err}");
    }
    drop(server);
}
