//! Settings shared by several protocols: connection pool, TLS, authentication, health check.

mod auth;
mod headers;
mod health_check;
mod pool;
mod tls;

pub use auth::AuthConfig;
pub use headers::Headers;
pub use health_check::HealthCheckConfig;
pub use pool::PoolConfig;
pub use tls::TlsConfig;
