//! Resilience policies declared next to each connection: retry, circuit breaker, timeouts,
//! rate limit and bulkhead. This module holds their config types, shared by the derive, the
//! loader, the environment names and the JSON Schema.

pub mod admission;
pub mod budget;
pub mod bulkhead;
pub mod circuit_breaker;
mod events;
mod face;
mod invalid;
mod outcome;
pub mod rate_limit;
pub mod recent;
pub mod retry;
mod scope;
#[cfg(any(feature = "http", feature = "sql", feature = "redis"))]
pub(crate) mod stack;
#[cfg(feature = "redis")]
pub(crate) mod store;
pub(crate) mod striped;
pub mod timeout;

pub use budget::RetryBudget;
pub use bulkhead::Bulkhead;
pub use bulkhead::BulkheadConfig;
pub use circuit_breaker::{CircuitBreaker, CircuitBreakerConfig, CircuitBreakerGroup, CircuitState};
pub(crate) use events::Emitter;
pub use invalid::InvalidConfig;
pub use outcome::{Classify, ErrIsFailure, Outcome};
pub use rate_limit::RateLimitConfig;
pub use rate_limit::{KeyedRateLimit, RateLimit};
pub use retry::Retry;
pub use retry::RetryConfig;
pub use scope::Scope;
pub use timeout::{CallTimeoutConfig, TimeoutConfig};
pub use timeout::{Deadline, Timeout};
