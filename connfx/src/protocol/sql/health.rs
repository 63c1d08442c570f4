//! The health check: `SELECT 1` on a pooled connection; when the pool gives none in time, one
//! plain connection finds out why (sqlx's pool only says "pool timed out").

use std::time::Duration;

use sqlx::{ConnectOptions, Connection as _};
use tokio::time::{Instant, timeout, timeout_at};

use super::pool::each_pool;
use super::{SqlConnection, SqlDatabase, SqlPool, cause};
use crate::{Health, HealthState};

/// What one check found, before its latency is known.
struct Found {
    state: HealthState,
    message: String,
}

impl Found {
    fn new(state: HealthState, message: impl Into<String>) -> Self {
        Found {
            state,
            message: message.into(),
        }
    }
}

/// What a check needs to know besides the pool.
struct Check<'a> {
    /// `127.0.0.1:5432`, for messages.
    target: &'a str,
    /// When the whole check must be done (`health.timeout`).
    deadline: Instant,
    /// How long the pool may take to give a connection before the check looks for the cause.
    acquire: Duration,
    /// `timeout.connect`, bounding the diagnostic connection.
    connect: Option<Duration>,
}

/// Checks `connection` once, within `health.timeout`: `Ready` when `SELECT 1` answers; `Live`
/// when the server answers but every pooled connection is busy; `Error` with the cause
/// (`cannot connect to 127.0.0.1:5432: connection refused`, `authentication failed: …`,
/// `unknown database: …`); `Unknown` once closed.
pub(super) async fn check(connection: &SqlConnection) -> Health {
    let started = Instant::now();
    let live = connection.live();
    let pool = &*live.pool;
    if pool.is_closed() {
        return Health::new(HealthState::Unknown, Duration::ZERO, "closed");
    }
    // A little under `health.timeout`, so that the check's own words win the race against the
    // registry's timer, which stops it at `health.timeout`.
    let config = &live.config;
    let limit = config.health.timeout.mul_f64(0.9);
    let check = Check {
        target: &live.target,
        deadline: started + limit,
        acquire: config.health.timeout / 2,
        connect: config.timeout.connect,
    };
    let found = match timeout(limit, check_any(pool, &check)).await {
        Ok(found) => found,
        Err(_) => {
            let configured = config.health.timeout;
            Found::new(
                HealthState::Error,
                format!("no answer within {}", human(configured)),
            )
        }
    };
    Health::new(found.state, started.elapsed(), found.message)
}

async fn check_any(pool: &SqlPool, check: &Check<'_>) -> Found {
    each_pool!(pool, p => check_pool(p, check).await)
}

async fn check_pool<DB: SqlDatabase>(pool: &sqlx::Pool<DB>, check: &Check<'_>) -> Found {
    match timeout(check.acquire, pool.acquire()).await {
        Ok(Ok(mut conn)) => select_one::<DB>(&mut *conn, check, "SELECT 1 ok").await,
        Ok(Err(sqlx::Error::PoolClosed)) => Found::new(HealthState::Unknown, "closed"),
        Ok(Err(sqlx::Error::PoolTimedOut)) | Err(_) => diagnose(pool, check).await,
        Ok(Err(e)) => Found::new(HealthState::Error, cause::describe(&e, check.target)),
    }
}

async fn select_one<DB: SqlDatabase>(conn: &mut DB::Connection, check: &Check<'_>, ok: &str) -> Found {
    match DB::select_one(conn).await {
        Ok(()) => Found::new(HealthState::Ready, ok),
        Err(e) => Found::new(HealthState::Error, cause::describe(&e, check.target)),
    }
}

/// The pool gave no connection in time: open one directly, outside the pool, so the report
/// names the cause. If that works, the server is fine and the pool is busy: `Live`.
async fn diagnose<DB: SqlDatabase>(pool: &sqlx::Pool<DB>, check: &Check<'_>) -> Found {
    let options = pool.connect_options();
    let deadline = match check.connect {
        Some(connect) => check.deadline.min(Instant::now() + connect),
        None => check.deadline,
    };
    let opened = timeout_at(deadline, options.connect()).await;
    let mut conn = match opened {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => return Found::new(HealthState::Error, cause::describe(&e, check.target)),
        Err(_) => {
            let message = format!("cannot connect to {}: no answer in time", check.target);
            return Found::new(HealthState::Error, message);
        }
    };
    let busy = format!(
        "a new connection answers SELECT 1, but the pool gave none within {} ({} open, {} idle)",
        human(check.acquire),
        pool.size(),
        pool.num_idle()
    );
    let mut found = select_one::<DB>(&mut conn, check, &busy).await;
    if found.state == HealthState::Ready {
        found.state = HealthState::Live;
    }
    // Closing politely is best effort: the check's answer is known already.
    let _ = timeout_at(check.deadline, conn.close()).await;
    found
}

fn human(d: Duration) -> humantime::FormattedDuration {
    humantime::format_duration(d)
}
