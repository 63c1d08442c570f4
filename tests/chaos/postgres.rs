//! The SQL connection to a private PostgreSQL behind the proxy: every scenario of
//! [`scenario::run`], then the writes, counted on the server itself (not through the proxy): an
//! `INSERT` whose answer was lost is applied once and not run again by `run`, run again by
//! `run_idempotent`, and one that never left is never applied late.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use connfx::resilience::circuit_breaker::CircuitBreaker;
use connfx::sqlx::{self, PgPool};
use connfx::{CallError, Connection, Health, SqlConfig, SqlConnection};
use serde_json::json;

use crate::private_postgres::PrivatePostgres;
use crate::proxy::{Fault, FaultProxy};
use crate::scenario::{self, Inject, Subject, say, skipped, timed};

const MAX_ATTEMPTS: u32 = 3;

struct Sql(SqlConnection);

impl Sql {
    async fn connect(addr: std::net::SocketAddr, extra: serde_json::Value) -> Sql {
        let mut config = json!({
            "url": format!("postgres://postgres@{addr}/postgres"),
            "timeout": { "connect": "300ms", "per_attempt": "500ms", "total": "1500ms" },
            "pool": { "max_size": 4, "acquire_timeout": "300ms" },
            "retry": { "max_attempts": MAX_ATTEMPTS, "initial_interval": "20ms" },
            "circuit_breaker": { "failure_threshold": 1 + MAX_ATTEMPTS, "reset_timeout": "300ms" },
            "health": { "timeout": "1s" },
        });
        if let (Some(config), Some(extra)) = (config.as_object_mut(), extra.as_object()) {
            config.extend(extra.clone());
        }
        let config: SqlConfig = serde_json::from_value(config).expect("valid config");
        Sql(SqlConnection::connect("chaos-sql", config)
            .await
            .expect("connect"))
    }

    /// Inserts a row keyed `key` with `run` (not idempotent) or `run_idempotent`; before the
    /// statement, on the first try only, `fault` is switched on. Returns how often the closure
    /// sent the statement.
    async fn insert(
        &self,
        key: &str,
        idempotent: bool,
        proxy: &FaultProxy,
        fault: Fault,
    ) -> (Result<(), CallError>, u32) {
        let sent = AtomicU32::new(0);
        let op = |pool: PgPool| {
            let sent = &sent;
            let statement = format!("INSERT INTO chaos_writes (key) VALUES ('{key}')");
            async move {
                let mut connection = pool.acquire().await?;
                if sent.fetch_add(1, Ordering::SeqCst) == 0 {
                    proxy.set(fault).await;
                }
                // The simple protocol: one message, applied as it arrives (a prepared statement
                // would wait for a round trip first).
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                    .execute(&mut *connection)
                    .await
                    .map(drop)
            }
        };
        let call = async {
            match idempotent {
                true => self.0.run_idempotent(op).await,
                false => self.0.run(op).await,
            }
        };
        let (result, _) = timed(self.total(), call).await;
        (result, sent.load(Ordering::SeqCst))
    }
}

impl Subject for Sql {
    async fn call(&self) -> Result<(), CallError> {
        let select =
            |pool: PgPool| async move { sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&pool).await };
        self.0.run_idempotent(select).await.map(drop)
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

async fn private_postgres(test: &str) -> Option<PrivatePostgres> {
    let started = tokio::task::spawn_blocking(PrivatePostgres::start)
        .await
        .expect("no panic");
    started.map_err(|why| skipped(test, &why)).ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_survives_network_faults() {
    let Some(server) = private_postgres("postgres_survives_network_faults").await else {
        return;
    };
    for (name, fault) in scenario::network_faults() {
        let proxy = FaultProxy::start(server.addr()).await;
        let sql = Sql::connect(proxy.addr(), json!({})).await;
        scenario::run(&format!("postgres {name}"), &sql, Inject::Proxy(&proxy, fault)).await;
    }
    // Only an overall limit (and a pool wait longer than it): a try cut short by it must still
    // count as a failure.
    let proxy = FaultProxy::start(server.addr()).await;
    let total_only = json!({
        "timeout": { "total": "1s" },
        "pool": { "max_size": 4, "acquire_timeout": "10s" },
    });
    let sql = Sql::connect(proxy.addr(), total_only).await;
    let label = "postgres half-open, total timeout only";
    scenario::run(label, &sql, Inject::Proxy(&proxy, Fault::HalfOpen)).await;
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_writes_are_applied_as_the_retry_rules_promise() {
    let test = "postgres_writes_are_applied_as_the_retry_rules_promise";
    let Some(server) = private_postgres(test).await else {
        return;
    };
    let direct = Sql::connect(server.addr(), json!({})).await;
    let ddl = |pool: PgPool| async move {
        sqlx::query("CREATE TABLE chaos_writes (key text NOT NULL)")
            .execute(&pool)
            .await
    };
    direct.0.run(ddl).await.expect("create table");
    let applied = |key: &'static str| {
        let count = move |pool: PgPool| async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM chaos_writes WHERE key = $1")
                .bind(key)
                .fetch_one(&pool)
                .await
        };
        let direct = &direct;
        async move { direct.0.run_idempotent(count).await.expect("direct count") }
    };
    let proxy = FaultProxy::start(server.addr()).await;
    let sql = Sql::connect(proxy.addr(), json!({})).await;
    sql.call().await.expect("healthy");

    let (lost, sent) = sql.insert("once", false, &proxy, Fault::BreakOpenAfter(0)).await;
    let lost = lost.expect_err("answer lost");
    assert_eq!((sent, applied("once").await), (1, 1), "{lost}");
    let (twice, sent) = sql.insert("twice", true, &proxy, Fault::BreakOpenAfter(0)).await;
    twice.expect("run_idempotent tries again on a new connection");
    assert_eq!((sent, applied("twice").await), (2, 2));
    say(&format!(
        "CHAOS postgres writes, broken as the answer starts: `run` INSERT applied once, not run again ({lost}); \
         `run_idempotent` INSERT run again and applied twice"
    ));

    // Never sent: the caller hears of it, and the server never applies it, not even later.
    for (key, fault) in [
        ("never-reset", Fault::Reset),
        ("never-half-open", Fault::HalfOpen),
        ("never-blackhole", Fault::Blackhole),
    ] {
        let sql = Sql::connect(proxy.addr(), json!({})).await;
        sql.call().await.expect("healthy");
        proxy.set(fault).await;
        let (err, _) = sql.insert(key, false, &proxy, fault).await;
        let err = err.expect_err("INSERT under the fault");
        proxy.set(Fault::Healthy).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(applied(key).await, 0, "{fault:?}: {err}");
    }
    drop(server);
}
