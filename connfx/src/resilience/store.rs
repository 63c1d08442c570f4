//! Where a fleet policy keeps its state: a key in a Redis connection of the registry (its
//! `store`), bound after connect, and how the store has been answering. One piece for the three
//! fleet policies (`rate_limit`, the retry budget, the quorum breaker), so they bind, time out,
//! count round trips and report the store's health the same way.

use std::future::Future;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicU8, AtomicU64};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use arc_swap::ArcSwapOption;

use crate::RedisConnection;

// The store's health is `0` (the default) until it is first asked.
/// The store answered the last round trip.
const UP: u8 = 1;
/// The last round trip failed or went unanswered.
const DOWN: u8 = 2;

/// A fleet policy's place in Redis: its key, its connection once bound, and the store's health
/// as the policy's round trips found it.
#[derive(Default)]
pub(crate) struct Store {
    key: OnceLock<String>,
    connection: ArcSwapOption<RedisConnection>,
    state: AtomicU8,
    round_trips: AtomicU64,
}

impl Store {
    /// The key of the policy's state (its hash tag, for a policy with several keys); empty
    /// until bound.
    pub(crate) fn key(&self) -> &str {
        self.key.get().map_or("", String::as_str)
    }

    /// Binds the store to `connection`, its state under the key `key` makes (asked the first
    /// time only: a reload may bind another connection, not another key). `true` the first
    /// time, when a policy that works in the background starts its task.
    pub(crate) fn bind(&self, key: impl FnOnce() -> String, connection: RedisConnection) -> bool {
        self.key.get_or_init(key);
        self.connection.swap(Some(Arc::new(connection))).is_none()
    }

    /// Whether a connection was bound.
    pub(crate) fn is_bound(&self) -> bool {
        self.connection.load().is_some()
    }

    /// Whether the bound connection was closed (a background task then ends).
    pub(crate) fn is_closed(&self) -> bool {
        self.connection.load().as_ref().is_some_and(|c| c.is_closed())
    }

    /// Whether the store answered the last round trip.
    pub(crate) fn is_up(&self) -> bool {
        self.state.load(Relaxed) == UP
    }

    /// Whether the last round trip failed (not merely: none made yet).
    pub(crate) fn is_down(&self) -> bool {
        self.state.load(Relaxed) == DOWN
    }

    /// Records whether the store answered; `true` when that is news (the first answer, or a
    /// turn from up to down or back), for the caller to log and tell once.
    pub(crate) fn answered(&self, up: bool) -> bool {
        let now = if up { UP } else { DOWN };
        self.state.swap(now, Relaxed) != now
    }

    /// Round trips made to the store.
    pub(crate) fn round_trips(&self) -> u64 {
        self.round_trips.load(Relaxed)
    }

    /// One round trip: `call` on the bound connection, within the connection's
    /// `timeout.per_attempt`, else `timeout`. Errors are texts for the log: a fleet policy
    /// falls back on a failed round trip, it does not hand the error to a caller.
    pub(crate) async fn invoke<T: redis::FromRedisValue>(
        &self,
        call: &redis::ScriptInvocation<'_>,
        timeout: Duration,
    ) -> Result<T, String> {
        let connection = self
            .connection
            .load_full()
            .ok_or("no store is bound (the registry binds it at connect)")?;
        let mut manager = connection.manager().map_err(|e| e.to_string())?;
        let timeout = connection.config().timeout.per_attempt.unwrap_or(timeout);
        self.round_trips.fetch_add(1, Relaxed);
        match tokio::time::timeout(timeout, call.invoke_async::<T>(&mut manager)).await {
            Ok(answer) => answer.map_err(|e| e.to_string()),
            Err(_) => Err(format!("no answer within {timeout:?}")),
        }
    }
}

/// Starts a fleet policy's background `task` (`what`, of the connection `connection`) on the
/// current tokio runtime; outside one the policy stays this instance's, and says so.
pub(crate) fn spawn(connection: &str, what: &str, task: impl Future<Output = ()> + Send + 'static) {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => drop(runtime.spawn(task)),
        Err(_) => tracing::warn!(
            connection,
            "a fleet {what} was bound outside a tokio runtime: it stays local"
        ),
    }
}
