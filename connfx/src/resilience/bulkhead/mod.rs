//! Bulkhead: a bound on calls in flight, so one slow dependency cannot take every task.
//!
//! - [`BulkheadConfig`]: `bulkhead(max_concurrent = 64, max_wait = "0s")`.
//! - [`Bulkhead`]: a tokio semaphore of `max_concurrent` slots; `acquire`, `try_acquire`, `call`,
//!   `layer()`. A call that finds every slot taken waits up to `max_wait` (and never past the
//!   caller's deadline) for one, then fails with [`BulkheadFull`].
//! - [`BulkheadStats`] (in flight, waiting, admitted, rejected) and [`BulkheadEvent`]s.
//!
//! ```
//! use std::time::Duration;
//! use connfx::resilience::bulkhead::Bulkhead;
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let bulkhead = Bulkhead::new(connfx::BulkheadConfig { max_concurrent: 2, max_wait: Duration::from_millis(10), ..Default::default() });
//! let (_a, _b) = (bulkhead.acquire().await.unwrap(), bulkhead.acquire().await.unwrap());
//! let full = bulkhead.acquire().await.unwrap_err();
//! assert_eq!(full.waited, Duration::from_millis(10));
//! # });
//! ```

mod config;
mod error;
mod events;
mod layer;
mod policy;

pub use config::BulkheadConfig;
pub use error::BulkheadFull;
pub use events::{BulkheadEvent, BulkheadStats};
pub use layer::{BulkheadLayer, BulkheadService};
pub use policy::{Bulkhead, BulkheadPermit};
