//! Settings shared by several protocols: connection pool, TLS, authentication, headers, health
//! check.

mod auth;
pub(crate) mod headers;
mod health_check;
mod oauth2;
pub(crate) mod pool;
mod secret_headers;
pub(crate) mod tls;

pub use auth::AuthConfig;
pub use headers::Headers;
pub use health_check::HealthCheckConfig;
pub use oauth2::{OAuth2ClientAuth, OAuth2Config};
pub use pool::PoolConfig;
pub use secret_headers::SecretHeaders;
pub use tls::TlsConfig;
