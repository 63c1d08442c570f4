//! `rate_limit(...)` and `bulkhead(...)` on a SQL connection: declared in the attribute, listed
//! as environment variables, and acting on calls against the shared PostgreSQL.

use std::time::Duration;

use connfx::prelude::*;
use connfx::sqlx::{self, PgPool};
use connfx::{CallError, SqlConnection};

use super::services;

/// A database whose calls are limited: 5 per minute, 2 at once, rejected beyond.
#[derive(Connections)]
#[connections(env_prefix = "SQLLIMITS")]
pub struct Limited {
    /// Orders, on PostgreSQL.
    #[connection(
        protocol = "sql",
        rate_limit(requests = 5, per = "1m", burst = 5, mode = "reject"),
        bulkhead(max_concurrent = 2, max_wait = "0ms")
    )]
    orders: SqlConnection,
}

#[test]
fn the_limits_have_environment_variables() {
    let names: Vec<String> = Limited::env_vars().into_iter().map(|v| v.name).collect();
    for name in [
        "SQLLIMITS_ORDERS_RATE_LIMIT_REQUESTS",
        "SQLLIMITS_ORDERS_RATE_LIMIT_MODE",
        "SQLLIMITS_ORDERS_BULKHEAD_MAX_CONCURRENT",
        "SQLLIMITS_ORDERS_BULKHEAD_MAX_WAIT",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} missing from {names:?}");
    }
}

async fn connect(test: &str, extra: &[(&str, &str)]) -> Option<Limited> {
    let url = services::postgres(test)?;
    let mut env = vec![("SQLLIMITS_ORDERS_URL".to_owned(), url)];
    env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let config = Limited::load_config_from(Sources::new().env_map(env)).unwrap();
    Some(config.connect().await.unwrap())
}

#[tokio::test]
async fn the_rate_limit_turns_calls_away_beyond_its_burst() {
    let Some(db) = connect("the_rate_limit_turns_calls_away_beyond_its_burst", &[]).await else {
        return;
    };
    let mut served = 0;
    let mut limited = 0;
    for _ in 0..8 {
        let result = db
            .orders()
            .run_idempotent(|pool: PgPool| async move { sqlx::query("SELECT 1").execute(&pool).await })
            .await;
        match result {
            Ok(_) => served += 1,
            Err(CallError::RateLimited { connection }) => {
                assert_eq!(connection, "orders");
                limited += 1;
            }
            Err(other) => panic!("{other}"),
        }
    }
    assert_eq!((served, limited), (5, 3));
    assert_eq!(db.orders().rate_limit().unwrap().stats().rejected, 3);
    db.close().await;
}

#[tokio::test]
async fn the_bulkhead_turns_away_a_third_call_while_two_run() {
    // The rate limit is raised from the environment, so only the bulkhead acts.
    let raise = [
        ("SQLLIMITS_ORDERS_RATE_LIMIT_REQUESTS", "1000"),
        ("SQLLIMITS_ORDERS_RATE_LIMIT_BURST", "1000"),
    ];
    let Some(db) = connect("the_bulkhead_turns_away_a_third_call_while_two_run", &raise).await else {
        return;
    };
    let slow = || {
        db.orders().run_idempotent(|pool: PgPool| async move {
            sqlx::query("SELECT pg_sleep(0.5)").execute(&pool).await
        })
    };
    let third = async {
        // Started once the two slow calls hold both slots.
        tokio::time::sleep(Duration::from_millis(150)).await;
        slow().await
    };
    let (first, second, third) = tokio::join!(slow(), slow(), third);
    assert!(first.is_ok() && second.is_ok(), "{first:?} {second:?}");
    assert!(matches!(third, Err(CallError::BulkheadFull { .. })), "{third:?}");
    assert_eq!(db.orders().bulkhead().unwrap().stats().rejected, 1);
    db.close().await;
}
