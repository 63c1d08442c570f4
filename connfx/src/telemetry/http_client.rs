//! The semantic conventions' HTTP client metrics (semconv 1.42.0): `http.client.request.duration`
//! and `http.client.active_requests`, one measurement per request sent (each retry is a request
//! of its own, as the conventions count them).
//!
//! Both are bound per series: the duration per (method, status, error, server), the active count
//! per (method, server) as an atomic the SDK reads at export. So a request, once its series is
//! known, costs a table lookup, an atomic add and subtract and one bound record: no attribute
//! list, no SDK lock, no allocation.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Instant;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{BoundHistogram, Histogram, Meter};
use opentelemetry_semantic_conventions::attribute::{
    ERROR_TYPE, HTTP_REQUEST_METHOD, HTTP_RESPONSE_STATUS_CODE,
};
use opentelemetry_semantic_conventions::metric::{HTTP_CLIENT_ACTIVE_REQUESTS, HTTP_CLIENT_REQUEST_DURATION};

use super::origins::{self, Origin, Origins};
use super::peer::Peer;
use super::slots::{Slots, mix, spread};
use crate::CallError;

/// (method, status, error, server) series a connection binds; more are recorded unbound.
const SERIES: usize = 64;
/// (method, server) pairs whose requests in flight are counted; more go uncounted.
const ACTIVE: usize = 32;

pub(super) struct HttpInstruments {
    duration: Histogram<f64>,
    origins: Origins,
    series: Slots<Series, SERIES>,
    /// Shared with the SDK's callback, which holds it weakly: a dropped connection stops
    /// reporting its requests in flight.
    active: Arc<Slots<Active, ACTIVE>>,
}

struct Series {
    method: &'static str,
    status: u16,
    error: &'static str,
    origin: u8,
    duration: BoundHistogram<f64>,
}

/// The requests in flight of one (method, server).
struct Active {
    method: &'static str,
    origin: u8,
    count: AtomicI64,
    attributes: Vec<KeyValue>,
}

impl HttpInstruments {
    pub(super) fn new(meter: &Meter) -> Self {
        let active = Arc::new(Slots::new());
        let read: Weak<Slots<Active, ACTIVE>> = Arc::downgrade(&active);
        meter
            .i64_observable_up_down_counter(HTTP_CLIENT_ACTIVE_REQUESTS)
            .with_unit("{request}")
            .with_description("Number of active HTTP requests")
            .with_callback(move |observer| {
                let Some(active) = read.upgrade() else { return };
                for series in active.iter() {
                    observer.observe(series.count.load(Ordering::Relaxed), &series.attributes);
                }
            })
            .build();
        HttpInstruments {
            duration: meter
                .f64_histogram(HTTP_CLIENT_REQUEST_DURATION)
                .with_unit("s")
                .with_description("Duration of HTTP client requests")
                .with_boundaries(super::instruments::DURATION_BOUNDARIES.to_vec())
                .build(),
            origins: Origins::new(),
            series: Slots::new(),
            active,
        }
    }

    /// A request of `method` to `peer` starts: counted in flight until [`Started::end`] or
    /// drop.
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(super) fn start<'a>(&'a self, method: &'static str, peer: Peer<'a>) -> Started<'a> {
        let origin = self.origins.find(&peer);
        let active = origin.and_then(|origin| {
            let index = origin.index;
            self.active.find(
                spread(mix(method) ^ usize::from(index).rotate_left(11)),
                |a| a.method == method && a.origin == index,
                |_| Active {
                    method,
                    origin: index,
                    count: AtomicI64::new(0),
                    attributes: base_attributes(method, &origin.peer()),
                },
            )
        });
        if let Some(active) = active {
            active.count.fetch_add(1, Ordering::Relaxed);
        }
        Started {
            instruments: self,
            method,
            peer,
            origin,
            active,
            started: Instant::now(),
        }
    }
}

/// One request under way.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
pub(crate) struct Started<'a> {
    instruments: &'a HttpInstruments,
    method: &'static str,
    peer: Peer<'a>,
    origin: Option<&'a Origin>,
    active: Option<&'a Active>,
    started: Instant,
}

#[cfg_attr(not(feature = "http"), allow(dead_code))]
impl Started<'_> {
    /// The request ended: with the response's `status` if one came, and `error` if it failed
    /// (a status of 400 or more is one).
    pub(crate) fn end(self, status: Option<u16>, error: Option<&CallError>) {
        let seconds = self.started.elapsed().as_secs_f64();
        // A failed status is its own error type, as the conventions ask (`"503"`).
        let error = match (error, status) {
            (None, _) => "",
            (Some(_), Some(code)) => status_text(code),
            (Some(error), None) => error.kind(),
        };
        let status = status.unwrap_or(0);
        let instruments = self.instruments;
        let method = self.method;
        let attributes = |peer: &Peer<'_>| {
            let mut attributes = base_attributes(method, peer);
            if status != 0 {
                attributes.push(KeyValue::new(HTTP_RESPONSE_STATUS_CODE, i64::from(status)));
            }
            if !error.is_empty() {
                attributes.push(KeyValue::new(ERROR_TYPE, error));
            }
            attributes
        };
        let series = self.origin.and_then(|origin| {
            let index = origin.index;
            let key = mix(method) ^ usize::from(status).rotate_left(5) ^ mix(error).rotate_left(9);
            instruments.series.find(
                spread(key ^ usize::from(index).rotate_left(13)),
                |s| s.method == method && s.status == status && s.error == error && s.origin == index,
                |_| Series {
                    method,
                    status,
                    error,
                    origin: index,
                    duration: instruments.duration.bind(&attributes(&origin.peer())),
                },
            )
        });
        match series {
            Some(series) => series.duration.record(seconds),
            // A server or series past the tables: recorded the slow way.
            None => instruments.duration.record(seconds, &attributes(&self.peer)),
        }
    }
}

impl Drop for Started<'_> {
    fn drop(&mut self) {
        if let Some(active) = self.active {
            active.count.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// `http.request.method`, `server.address`, `server.port` and `url.scheme`.
fn base_attributes(method: &'static str, peer: &Peer<'_>) -> Vec<KeyValue> {
    let mut attributes = Vec::with_capacity(6);
    attributes.push(KeyValue::new(HTTP_REQUEST_METHOD, method));
    origins::attributes(peer, true, &mut attributes);
    attributes
}

/// Every three-digit status as text, so `error.type` of a failed status is a static string.
static CODES: [[u8; 3]; 1000] = codes();

const fn codes() -> [[u8; 3]; 1000] {
    let mut codes = [[0; 3]; 1000];
    let mut code = 0;
    while code < 1000 {
        // Each digit is below 10, so the casts keep it whole.
        codes[code] = [
            b'0' + (code / 100) as u8,
            b'0' + (code / 10 % 10) as u8,
            b'0' + (code % 10) as u8,
        ];
        code += 1;
    }
    codes
}

/// `"404"` for 404; `_OTHER` for a number that is no three-digit status.
fn status_text(code: u16) -> &'static str {
    match CODES.get(usize::from(code)) {
        Some(digits) if code >= 100 => std::str::from_utf8(digits).unwrap_or("_OTHER"),
        _ => "_OTHER",
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::metrics::MeterProvider as _;

    use super::*;

    /// The hot path's promise: a request like one seen before finds its bound series, and no
    /// new one is made.
    #[test]
    fn requests_alike_share_one_bound_series() {
        let provider = opentelemetry_sdk::metrics::SdkMeterProvider::builder().build();
        let http = HttpInstruments::new(&provider.meter("test"));
        let url = url::Url::parse("http://127.0.0.1:8080/items").expect("url");
        let peer = || Peer::of_url(&url, None).expect("a peer");
        for _ in 0..100 {
            let started = http.start("GET", peer());
            assert_eq!(started.active.map(|a| a.count.load(Ordering::Relaxed)), Some(1));
            started.end(Some(200), None);
        }
        let failed = CallError::Status {
            connection: "api".into(),
            code: 503,
            body: String::new(),
        };
        http.start("GET", peer()).end(Some(503), Some(&failed));
        assert_eq!(http.series.iter().count(), 2, "GET 200 and GET 503");
        assert_eq!(http.active.iter().count(), 1);
        assert_eq!(http.origins.find(&peer()).map(|o| o.index), Some(0));
        let series: Vec<_> = http.series.iter().map(|s| (s.status, s.error)).collect();
        assert!(series.contains(&(503, "503")), "{}", series.len());
        assert!(http.active.iter().all(|a| a.count.load(Ordering::Relaxed) == 0));
        drop(http.start("GET", peer()));
        assert!(
            http.active.iter().all(|a| a.count.load(Ordering::Relaxed) == 0),
            "a dropped request leaves"
        );
    }

    #[test]
    fn a_status_is_its_three_digits() {
        assert_eq!(super::status_text(404), "404");
        assert_eq!(super::status_text(503), "503");
        assert_eq!(super::status_text(99), "_OTHER");
        assert_eq!(super::status_text(1000), "_OTHER");
    }
}
