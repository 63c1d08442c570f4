//! Circuit breaker: stop calling a dependency that keeps failing, probe it again later.
//!
//! # States
//!
//! - **Closed**: calls go through and their outcomes are counted. The circuit opens after
//!   `failure_threshold` failures in a row, or when the failure rate over the window reaches
//!   `failure_rate` (or the share of calls slower than `slow_call_duration` reaches
//!   `slow_call_rate`), once the window holds at least `minimum_calls` calls.
//! - **Open**: calls are rejected at once with [`Rejected`], without being attempted, for
//!   `reset_timeout`; each reopening without an intervening close multiplies the period by
//!   `backoff_multiplier`, up to `max_reset_timeout`.
//! - **Half-open**: at most `half_open_max_calls` probes are in flight at once; after
//!   `half_open_success_needed` successes the circuit closes (counts cleared), and any failing
//!   probe (or a slow one, when the slow-call rate is on) reopens it.
//!
//! [`force_open`](CircuitBreaker::force_open) and [`force_closed`](CircuitBreaker::force_closed)
//! pin a state until [`reset`](CircuitBreaker::reset); [`trip`](CircuitBreaker::trip) opens as a
//! failure would.
//!
//! # Using it
//!
//! ```
//! use std::time::Duration;
//! use connfx::CircuitBreakerConfig;
//! use connfx::resilience::circuit_breaker::{BreakerError, CircuitBreaker, CircuitState};
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let cb = CircuitBreaker::new(CircuitBreakerConfig {
//!     failure_threshold: 5,
//!     reset_timeout: Duration::from_secs(30),
//!     half_open_success_needed: 2,
//!     ..Default::default()
//! });
//! match cb.call(async { Ok::<_, std::io::Error>("pong") }).await {
//!     Ok(reply) => assert_eq!(reply, "pong"),
//!     Err(BreakerError::Rejected(rejected)) => eprintln!("not attempted: {rejected}"),
//!     Err(BreakerError::Inner(e)) => eprintln!("failed: {e}"),
//! }
//! assert_eq!(cb.state(), CircuitState::Closed);
//! # });
//! ```
//!
//! Other faces: [`CircuitBreaker::try_acquire`] and [`Permit`] to report outcomes yourself
//! (e.g. per HTTP attempt), [`CircuitBreakerLayer`] for tower, [`CircuitBreakerGroup`] for one
//! breaker per host or endpoint, [`CircuitBreaker::subscribe`] and
//! [`CircuitBreaker::on_event`] for [`events`], [`CircuitBreaker::wait_until_ready`] and
//! [`CircuitBreaker::call_with_fallback`].
//!
//! # Decisions
//!
//! - **Rates trip when reached** (`≥`), as in Resilience4j: `failure_rate = 0.5` opens on 5
//!   failures out of 10. A success can open the circuit only at the moment the window reaches
//!   `minimum_calls`, when the rate is first judged.
//! - **The window is two halves** (see [`CircuitBreakerConfig`]): exact at half-window
//!   granularity and a fixed 24 bytes, rather than one slot per call. It is kept only when a rate
//!   or a trip predicate needs it, so the default closed path counts nothing but failures.
//! - **A trip predicate replaces the built-in rules** (as `ReadyToTrip` does in sony/gobreaker)
//!   and is asked on closed-state failures and slow calls.
//! - **Stale outcomes are dropped**: a call admitted before a transition does not count after it
//!   (sony/gobreaker's generations), so a slow call from the closed period cannot close a
//!   half-open circuit.
//! - **[`state`](CircuitBreaker::state) moves an ended open period to half-open**, as in
//!   sony/gobreaker, so the state read is the state a call would meet.
//! - **Time** is read from a [`Clock`]: [`SystemClock`] (tokio's `Instant`, so
//!   `tokio::time::pause` works with tokio's `test-util`) or a [`ManualClock`] for tests.
//!
//! # Cost
//!
//! In the closed state, admitting a call and recording its success take no lock and allocate
//! nothing: a few atomic loads, plus one `fetch_add` on the window while it is being filled (a
//! count-based window already full of successes is not written at all). The orderings are
//! explained where they are used, in the source of the state word and the window. A plain
//! breaker takes 128 bytes in all ([`CircuitBreaker::memory_footprint`]).
//!
//! Lifetime counts (`count_calls`, [`LifetimeCounts`]) are the one exception, and off by
//! default: with them on, each call adds to two per-thread counters (admitted, then its
//! outcome), on stripes of their own so threads do not contend, and the breaker carries 2.5 KB
//! more for them.
//!
//! Measured by `cargo bench --bench circuit_breaker` (see `BENCHMARKS.md`): a few nanoseconds
//! per call, more than ten times faster than failsafe's default policy and tens of times faster
//! than tower-resilience's breaker.

mod breaker;
mod builder;
mod call;
mod clock;
mod config;
mod error;
pub mod events;
mod extras;
#[cfg(feature = "redis")]
mod fleet;
mod group;
mod layer;
mod machine;
mod permit;
mod policy;
mod state;
mod stats;
mod sync;
mod window;

#[cfg(all(test, connfx_loom))]
mod loom_tests;

pub use breaker::CircuitBreaker;
pub use builder::CircuitBreakerBuilder;
pub use call::CallFuture;
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::CircuitBreakerConfig;
pub use error::{BreakerError, Rejected};
pub use events::{CircuitEvent, EventKind, TransitionReason};
#[cfg(feature = "redis")]
pub(crate) use fleet::Quorum;
#[cfg(feature = "redis")]
pub use fleet::{FleetBreaker, FleetBreakerStats, VOTE_EVERY, VOTE_TTL};
pub use group::CircuitBreakerGroup;
pub use layer::{CircuitBreakerLayer, CircuitBreakerService, ResponseFuture};
pub use permit::{OwnedPermit, Permit};
// The one vocabulary, also at the breaker's paths.
pub use crate::resilience::{Classify, ErrIsFailure, InvalidConfig, Outcome};
pub use state::CircuitState;
pub use stats::{CircuitStats, LifetimeCounts, TripCounts};
pub use window::WindowCounts;
