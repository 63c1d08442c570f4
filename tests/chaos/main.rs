//! The chaos suite: connfx's HTTP, Redis and PostgreSQL connections behind a fault-injecting
//! proxy on 127.0.0.1 (latency, resets, half-open TCP, blackholes, connections broken as the
//! answer starts) and an HTTP upstream in a 5xx storm. Redis and PostgreSQL are private
//! instances the suite starts on free ports and kills at the end, even when a test fails.
//!
//! Every scenario asserts: no panic; no call longer than the configured total timeout (plus
//! [`scenario::SLACK`]); the breaker opens under the fault and closes again after it through a
//! half-open probe; health is not `Ready` while faulted and `Ready` after; and, where the retry
//! rules promise it, no write lost or repeated (counted at the upstream or on the real server).
//! The figures each scenario measures are printed as `CHAOS …` lines on stderr.

#[path = "../support/ports.rs"]
mod ports;
#[path = "../support/private_postgres.rs"]
mod private_postgres;

mod http;
mod postgres;
mod proxy;
mod redis;
mod scenario;
mod servers;
mod upstream;
