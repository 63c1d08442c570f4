//! [`CallMetrics`]: what a connection's calls did, kept in process so it can be read without a
//! collector (seed 002's `GetMetrics`, seed 004's `EnableMetrics`): requests, errors, calls in
//! flight, and the latency's p50/p95/p99; per host for a `per_host` connection.
//!
//! Always on, so recording must cost next to nothing: three relaxed atomic additions and two
//! clock reads per call, no lock, no allocation (a `per_host` connection adds one read lock to
//! find its host's entry). The latency is kept in a fixed log-linear histogram written here —
//! 8 buckets per power of two from 16 µs, exact below, so a percentile is at most 12.5 % above
//! the truth — because the histogram crates either need `&mut` to record (hdrhistogram) or
//! allocate per bucket; 256 counters are 2 KiB per connection (per host).

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::resilience::recent::{Bounds, Recent};

/// Buckets of the latency histogram: 16 exact (0–15 µs), then 8 per power of two.
const BUCKETS: usize = 256;

/// What a connection's calls did since it was made ([`HttpConnection::metrics`]).
///
/// ```
/// let stats = connfx::CallStats::default();
/// assert_eq!((stats.requests, stats.error_rate), (0, 0.0));
/// ```
///
/// [`HttpConnection::metrics`]: crate::HttpConnection::metrics
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct CallStats {
    /// Calls finished, each with its retries (one call, however many tries).
    pub requests: u64,
    /// Calls that ended with an error.
    pub errors: u64,
    /// `errors / requests` (0 before any call).
    pub error_rate: f64,
    /// Calls started and not yet finished.
    pub in_flight: u64,
    /// Latency percentiles of the finished calls (at most 12.5 % above the true value).
    #[serde(with = "humantime_serde")]
    pub p50: Duration,
    /// 95th percentile.
    #[serde(with = "humantime_serde")]
    pub p95: Duration,
    /// 99th percentile.
    #[serde(with = "humantime_serde")]
    pub p99: Duration,
    /// The same by `host:port`, for a `per_host` connection (the hosts its `max_hosts` and
    /// `host_idle` keep); else empty.
    pub hosts: BTreeMap<String, CallStats>,
}

/// The counters behind [`CallStats`]: what every connection's [`Telemetry`] keeps (HTTP,
/// GraphQL, SQL, Redis), and what an adapter's calls get when it records them through one.
///
/// [`Telemetry`]: super::Telemetry
///
/// ```
/// use connfx::telemetry::CallMetrics;
/// let metrics = CallMetrics::new();
/// let call = metrics.start(None);
/// // ... the call ...
/// metrics.end(call, false);
/// assert_eq!(metrics.stats().requests, 1);
/// ```
pub struct CallMetrics {
    requests: AtomicU64,
    errors: AtomicU64,
    started: AtomicU64,
    latency: Box<[AtomicU64; BUCKETS]>,
    /// Each host's own counters, once [`keep_hosts`](CallMetrics::keep_hosts) asked for them.
    hosts: OnceLock<Recent<String, Arc<CallMetrics>>>,
}

impl Default for CallMetrics {
    fn default() -> Self {
        CallMetrics::new()
    }
}

/// One call being counted, from [`CallMetrics::start`]; give it back to [`CallMetrics::end`].
#[must_use = "a started call is counted in flight until it is ended"]
pub struct Started {
    at: Instant,
    host: Option<Arc<CallMetrics>>,
}

impl Started {
    /// How long the call has run.
    pub(crate) fn elapsed(&self) -> std::time::Duration {
        self.at.elapsed()
    }
}

impl CallMetrics {
    /// Counters for a connection (or a host); none by host until
    /// [`keep_hosts`](CallMetrics::keep_hosts).
    pub fn new() -> Self {
        CallMetrics {
            requests: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            started: AtomicU64::new(0),
            latency: Box::new(std::array::from_fn(|_| AtomicU64::new(0))),
            hosts: OnceLock::new(),
        }
    }

    /// Keeps counters by host from now on, within `bounds` (a later call changes the bounds).
    ///
    /// ```
    /// let metrics = connfx::telemetry::CallMetrics::new();
    /// metrics.keep_hosts(connfx::resilience::recent::Bounds { max: 100, idle: std::time::Duration::from_secs(60) });
    /// let call = metrics.start(Some("api.example:443"));
    /// metrics.end(call, false);
    /// assert_eq!(metrics.stats().hosts["api.example:443"].requests, 1);
    /// ```
    pub fn keep_hosts(&self, bounds: Bounds) {
        let mut made = false;
        let hosts = self.hosts.get_or_init(|| {
            made = true;
            Recent::new(bounds)
        });
        if !made {
            hosts.set_bounds(bounds);
        }
    }

    /// A call (to `host`, counted by host when the counters keep hosts) starts.
    pub fn start(&self, host: Option<&str>) -> Started {
        self.started.fetch_add(1, Relaxed);
        let host = match (self.hosts.get(), host) {
            (Some(hosts), Some(host)) => {
                let made = || (host.to_owned(), Arc::new(CallMetrics::new()));
                let entry = hosts.get_or_make(host, made, |_| false);
                entry.started.fetch_add(1, Relaxed);
                Some(entry)
            }
            _ => None,
        };
        Started {
            at: Instant::now(),
            host,
        }
    }

    /// The call `started` ended, failed or not.
    pub fn end(&self, started: Started, failed: bool) {
        let elapsed = started.elapsed();
        self.end_after(started, elapsed, failed);
    }

    /// [`end`](CallMetrics::end) with the call's time already read (one clock read serves
    /// every record of a call).
    pub(crate) fn end_after(&self, started: Started, elapsed: std::time::Duration, failed: bool) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.count(micros, failed);
        if let Some(host) = started.host {
            host.count(micros, failed);
        }
    }

    fn count(&self, micros: u64, failed: bool) {
        self.latency[bucket(micros)].fetch_add(1, Relaxed);
        if failed {
            self.errors.fetch_add(1, Relaxed);
        }
        // Last: a reader that sees the request counted sees its latency and error.
        self.requests.fetch_add(1, Relaxed);
    }

    /// A snapshot; the counters go on.
    pub fn stats(&self) -> CallStats {
        let requests = self.requests.load(Relaxed);
        let errors = self.errors.load(Relaxed);
        let counts: Vec<u64> = self.latency.iter().map(|b| b.load(Relaxed)).collect();
        let mut hosts = BTreeMap::new();
        if let Some(map) = self.hosts.get() {
            map.for_each(|host, metrics| {
                hosts.insert(host.clone(), metrics.stats());
            });
        }
        CallStats {
            requests,
            errors,
            error_rate: if requests == 0 {
                0.0
            } else {
                errors as f64 / requests as f64
            },
            in_flight: self.started.load(Relaxed).saturating_sub(requests),
            p50: percentile(&counts, 0.50),
            p95: percentile(&counts, 0.95),
            p99: percentile(&counts, 0.99),
            hosts,
        }
    }
}

/// The bucket of a latency in microseconds.
fn bucket(micros: u64) -> usize {
    if micros < 16 {
        return micros as usize;
    }
    let exponent = 63 - micros.leading_zeros() as usize; // ≥ 4
    let sub = ((micros >> (exponent - 3)) & 7) as usize;
    (16 + (exponent - 4) * 8 + sub).min(BUCKETS - 1)
}

/// The largest latency in `bucket`, in microseconds.
fn upper(bucket: usize) -> u64 {
    if bucket < 16 {
        return bucket as u64;
    }
    let exponent = (bucket - 16) / 8 + 4;
    let sub = ((bucket - 16) % 8) as u64;
    ((8 + sub + 1) << (exponent - 3)) - 1
}

/// The `q` percentile of the histogram `counts`: the upper bound of the bucket holding it.
fn percentile(counts: &[u64], q: f64) -> Duration {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return Duration::ZERO;
    }
    let rank = ((q * total as f64).ceil() as u64).max(1);
    let mut seen = 0;
    for (i, count) in counts.iter().enumerate() {
        seen += count;
        if seen >= rank {
            return Duration::from_micros(upper(i));
        }
    }
    Duration::from_micros(upper(BUCKETS - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_keep_a_value_within_an_eighth() {
        for micros in [0, 1, 15, 16, 17, 100, 1_000, 12_345, 1_000_000, 3_600_000_000] {
            let b = bucket(micros);
            assert!(upper(b) >= micros, "{micros}");
            assert!(
                upper(b) as f64 <= micros as f64 * 1.125 + 1.0,
                "{micros}: {}",
                upper(b)
            );
            assert!(b == 0 || upper(b - 1) < micros, "{micros}");
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn percentiles_and_rates_of_a_known_spread() {
        let metrics = CallMetrics::new();
        for i in 1..=100u64 {
            metrics.count(i * 1_000, i % 10 == 0);
        }
        let stats = metrics.stats();
        assert_eq!((stats.requests, stats.errors), (100, 10));
        assert!((stats.error_rate - 0.1).abs() < 1e-9);
        let near = |d: Duration, ms: f64| {
            let got = d.as_secs_f64() * 1_000.0;
            assert!(got >= ms && got <= ms * 1.125, "{got} ms for {ms}");
        };
        near(stats.p50, 50.0);
        near(stats.p95, 95.0);
        near(stats.p99, 99.0);
    }
}
