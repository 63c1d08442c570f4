//! The health check: `PING` on every connection manager, within `health.timeout`.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use redis::aio::ConnectionManager;

use super::managers::Slot;
use super::{Inner, RedisConnection};
use crate::{Health, HealthState};

/// Checks `connection` once. `PONG` from every manager is Ready; a refusal, a failed
/// authentication or a timeout is Error with the cause: `PING: cannot connect: Connection
/// refused (os error 111)`, `PING: authentication failed (wrong user name or password)`.
///
/// The policies are not used: a health check reports the server's state, not the breaker's.
pub(super) async fn check(connection: &RedisConnection) -> Health {
    if connection.is_closed() {
        return Health::new(HealthState::Unknown, Duration::ZERO, "closed");
    }
    let live = connection.live();
    let managers = &live.managers;
    let held: Vec<_> = (0..managers.len())
        .filter_map(|index| managers.get(index))
        .collect();
    let pings = held
        .iter()
        .map(|(slot, manager)| ping(connection, &live, *slot, manager.clone()));
    let limit = live.config.health.timeout;
    let started = Instant::now();
    let answers = tokio::time::timeout(limit, join_all(pings)).await;
    let latency = started.elapsed();
    let Ok(answers) = answers else {
        // Unanswered: the connections may be half-open; the next call (or check) connects
        // afresh, as after a command that timed out.
        for (slot, _) in &held {
            managers.renew(*slot);
        }
        let limit = humantime::format_duration(limit);
        return Health::error(latency, format!("PING: timed out after {limit}"));
    };
    if answers.is_empty() {
        return Health::new(HealthState::Unknown, latency, "closed");
    }
    match answers.into_iter().find_map(Result::err) {
        Some(cause) => Health::error(latency, format!("PING: {cause}")),
        None if managers.len() == 1 => Health::ready(latency, "PING: PONG"),
        None => Health::ready(latency, format!("PING: PONG on {} connections", managers.len())),
    }
}

/// One `PING`. An I/O failure is asked again once: the manager has just started a new
/// connection on seeing it, so the second answer tells how the server is now (a server that
/// restarted since the last call answers; one still down refuses again).
async fn ping(
    connection: &RedisConnection,
    live: &Inner,
    slot: Slot,
    mut manager: ConnectionManager,
) -> Result<(), String> {
    let mut answer = redis::cmd("PING").query_async::<String>(&mut manager).await;
    if answer.as_ref().is_err_and(redis::RedisError::is_io_error) {
        answer = redis::cmd("PING").query_async::<String>(&mut manager).await;
    }
    answer.map(drop).map_err(|e| {
        let failure = connection.failure(live, &e, slot);
        let text = failure.error.to_string();
        let prefix = format!("`{}`: ", connection.name());
        text.strip_prefix(&prefix).unwrap_or(&text).to_owned()
    })
}
