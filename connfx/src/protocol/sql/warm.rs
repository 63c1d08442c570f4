//! Opens `pool.min_idle` connections in the background after connect. sqlx 0.9's lazy pool
//! only tops up `min_connections` after its reaper has closed an idle connection, so without
//! this a fresh pool would keep none open until then.

use std::sync::Weak;
use std::time::Duration;

use futures_util::future::join_all;

use super::pool::each_pool;
use super::{Inner, SqlDatabase, SqlPool};

/// First wait before trying again after a round that could not open every connection.
const FIRST_PAUSE: Duration = Duration::from_millis(500);
/// Longest wait between rounds.
const MAX_PAUSE: Duration = Duration::from_secs(30);

/// Spawns the task. It holds the connection only weakly, and ends once `min_idle` connections
/// are open, when the pool is closed, or when the last handle to the connection is dropped.
pub(super) fn spawn(connection: Weak<Inner>, min_idle: u32) {
    tokio::spawn(async move {
        let mut pause = FIRST_PAUSE;
        loop {
            let Some(pool) = connection.upgrade().map(|inner| SqlPool::clone(&inner.pool)) else {
                return;
            };
            if pool.is_closed() || fill_any(&pool, min_idle).await {
                return;
            }
            drop(pool);
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_PAUSE);
        }
    });
}

async fn fill_any(pool: &SqlPool, min_idle: u32) -> bool {
    each_pool!(pool, p => fill(p, min_idle).await)
}

/// Holds `min_idle` connections at once, so that at least that many are open, then lets them
/// go back to the pool idle. Returns whether it got them all.
async fn fill<DB: SqlDatabase>(pool: &sqlx::Pool<DB>, min_idle: u32) -> bool {
    if pool.size() >= min_idle {
        return true;
    }
    let held = join_all((0..min_idle).map(|_| pool.acquire())).await;
    let failed = held.iter().filter(|c| c.is_err()).count();
    if failed > 0 {
        tracing::debug!(
            failed,
            min_idle,
            "could not open every `pool.min_idle` connection yet"
        );
    }
    failed == 0
}
