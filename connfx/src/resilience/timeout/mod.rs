//! Timeouts: connect, per attempt and total, as deadlines that compose.
//!
//! - [`TimeoutConfig`]: `timeout(connect = "2s", per_attempt = "5s", total = "10s")`, or
//!   `timeout = "10s"` for the total.
//! - [`Deadline`]: a point in time and the [`Limit`] it stands for. The earlier of two deadlines
//!   wins ([`Deadline::min`]); a deadline in [`Deadline::scope`] is seen by everything inside it
//!   ([`Deadline::current`]), so a caller's shorter deadline bounds every timeout, retry and wait
//!   below it.
//! - [`Timeout`]: `run`, `run_attempt`, `run_connect`, `run_within` bound a future; `layer()` and
//!   `attempt_layer()` do the same as tower layers. A [`TimeoutError`] names the limit that fired.
//!
//! Timeouts read tokio's clock, so `tokio::time::pause()` drives them in tests.
//!
//! ```
//! use std::time::Duration;
//! use connfx::resilience::timeout::{Limit, Timeout};
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let timeout = Timeout::new(connfx::TimeoutConfig {
//!     per_attempt: Some(Duration::from_millis(10)),
//!     ..Default::default()
//! });
//! let err = timeout.run_attempt(tokio::time::sleep(Duration::from_secs(1))).await.unwrap_err();
//! assert_eq!(err.limit, Limit::PerAttempt);
//! # });
//! ```

mod config;
mod deadline;
mod error;
mod events;
mod layer;
mod policy;

pub use config::{CallTimeoutConfig, TimeoutConfig};
pub use deadline::Deadline;
pub use error::{Limit, TimeoutError};
pub use events::{TimeoutEvent, TimeoutStats};
pub use layer::{ResponseFuture, TimeoutLayer, TimeoutService};
pub use policy::Timeout;
