//! The open-loop load generator: request `n` is sent when it is due (`n / rate` after the
//! start), whether or not the earlier ones have been answered, so a slow service cannot slow
//! the offered load down and hide its own latency. Latency counts from when a request was due.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use crate::timeline::{Request, Timeline};

/// The client's limit on one request: answers later than this count as errors. It also bounds
/// how long the run waits for the last answers after the offered load ends.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

/// Offers the plan's load to the service at `service` and records every request.
pub async fn run(service: SocketAddr, timeline: Arc<Timeline>) -> reqwest::Result<()> {
    let client = reqwest::Client::builder().timeout(CLIENT_TIMEOUT).build()?;
    let url = format!("http://{service}/work");
    let plan = *timeline.plan();
    let start = timeline.start();
    let mut in_flight = JoinSet::new();
    for n in 0..plan.requests() {
        let due = plan.due(n);
        tokio::time::sleep_until(start + due).await;
        let request = client.get(&url).send();
        let timeline = Arc::clone(&timeline);
        in_flight.spawn(async move {
            let ok = match request.await {
                Ok(response) => {
                    response.status() == reqwest::StatusCode::OK && response.bytes().await.is_ok()
                }
                Err(_) => false,
            };
            let latency = timeline.now().unwrap_or_default().saturating_sub(due);
            timeline.record(Request { due, latency, ok });
        });
        // Reap finished requests as we go, so the set stays as small as the requests in flight.
        while in_flight.try_join_next().is_some() {}
    }
    while in_flight.join_next().await.is_some() {}
    Ok(())
}
