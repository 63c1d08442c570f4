//! Rate limit: at most `requests` per `per`, with a `burst`; calls beyond it wait or fail.
//!
//! - [`RateLimitConfig`]: `rate_limit(requests = 100, per = "1s", burst = 20, mode = "wait",
//!   max_wait = "1s")`.
//! - [`RateLimit`]: one limit on GCRA (one atomic per call); `acquire`, `try_acquire`, `call`,
//!   `layer()`, and `reconfigure`, which keeps its tokens. In `wait` mode a call waits for its turn while that is within `max_wait`
//!   and the caller's deadline; one that would wait longer fails at once with [`RateLimited`],
//!   which says when the next call is allowed. In `reject` mode every call beyond the rate fails.
//! - [`KeyedRateLimit`]: the same limit for each key separately (per host), with per-key stats;
//!   [`KeyedRateLimitLayer`] finds the key in each request.
//! - `scope = "fleet"` (feature `redis`): one limit for every instance of a service, kept in a
//!   Redis connection named by `store`, one round trip per `lease` calls, with a fallback
//!   (`on_store_error`) while the store is down. See [`RateLimit::bind_store`].
//! - [`RateLimitStats`] and [`RateLimitEvent`]s (`on_event`, `subscribe`).
//!
//! The limits read tokio's clock: `tokio::time::pause()` stops them too, and advancing the paused
//! clock refills them.
//!
//! ```
//! use std::time::Duration;
//! use connfx::resilience::rate_limit::{RateLimit, RateLimitMode};
//! let limit = RateLimit::new(connfx::RateLimitConfig {
//!     requests: 5,
//!     per: Duration::from_secs(1),
//!     mode: RateLimitMode::Reject,
//!     ..Default::default()
//! });
//! let admitted = (0..10).filter(|_| limit.try_acquire().is_ok()).count();
//! assert_eq!(admitted, 5, "a burst of `requests` when unset");
//! ```

mod admit;
mod config;
mod error;
mod events;
#[cfg(feature = "redis")]
mod fleet;
mod gcra;
mod keyed;
mod layer;
mod limiter;

pub use config::{RateLimitConfig, RateLimitMode, StoreErrorRule};
pub use error::RateLimited;
pub use events::{FleetStats, KeyedEvent, RateLimitEvent, RateLimitStats};
#[cfg(feature = "redis")]
pub(crate) use fleet::instance_id;
#[cfg(feature = "redis")]
pub use fleet::{INSTANCE_TTL, LEASE_LIFE, RECHECK, STORE_TIMEOUT};
pub use keyed::KeyedRateLimit;
pub use layer::{ByKey, KeyedRateLimitLayer, KeyedRateLimitService, RateLimitLayer, RateLimitService};
pub use limiter::RateLimit;
