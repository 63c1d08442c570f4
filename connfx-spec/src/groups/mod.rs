//! One file per nested group of keys (`retry(...)`, `pool(...)` …), so each policy's keys sit
//! next to nothing else.

mod auth;
mod bulkhead;
mod call_timeout;
mod circuit_breaker;
mod headers;
mod health;
mod http_pool;
mod oauth2;
mod pool;
mod rate_limit;
mod resource;
mod retry;
mod timeout;
mod tls;

pub use auth::AUTH;
pub use bulkhead::BULKHEAD;
pub use call_timeout::CALL_TIMEOUT;
pub use circuit_breaker::CIRCUIT_BREAKER;
pub use headers::HEADERS;
pub use health::HEALTH;
pub use http_pool::HTTP_POOL;
pub use oauth2::OAUTH2;
pub use pool::POOL;
pub use rate_limit::RATE_LIMIT;
pub use resource::RESOURCE;
pub use retry::RETRY;
pub use timeout::TIMEOUT;
pub use tls::TLS;
