//! The built-in protocols, each behind its cargo feature.

#[cfg(any(feature = "http", feature = "redis", feature = "sql"))]
mod call_span;
#[cfg(any(feature = "redis", feature = "sql"))]
mod generations;
#[cfg(feature = "graphql")]
pub mod graphql;
#[cfg(any(
    feature = "http",
    feature = "otlp",
    feature = "redis",
    feature = "sql",
    feature = "sse",
    feature = "websocket"
))]
mod handle;
#[cfg(any(feature = "http", feature = "otlp", feature = "websocket"))]
mod header;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "otlp")]
pub mod otlp;
#[cfg(any(feature = "websocket", feature = "sse"))]
mod reconnect;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(feature = "sql")]
pub mod sql;
#[cfg(feature = "sse")]
pub mod sse;
#[cfg(feature = "websocket")]
pub mod websocket;
