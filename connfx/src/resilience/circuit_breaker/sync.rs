//! The atomics of the breaker's state machine: std's, or loom's in a build with
//! `RUSTFLAGS="--cfg connfx_loom"`, so the model tests in `loom_tests.rs` can explore every
//! interleaving of the state word, the window and the counters.
//!
//! In a normal build these are re-exports of the std types, so the hot path compiles to exactly
//! what it would with `std::sync::atomic` written out. The cfg is connfx's own rather than the
//! customary `loom`: tokio and other dependencies switch to loom under `--cfg loom` and then fail
//! to build outside their own test suites.

#[cfg(connfx_loom)]
pub(crate) use loom::sync::atomic::{AtomicU32, AtomicU64};
#[cfg(not(connfx_loom))]
pub(crate) use std::sync::atomic::{AtomicU32, AtomicU64};
