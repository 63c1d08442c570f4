//! The built-in protocols, each behind its cargo feature.

#[cfg(feature = "http")]
pub mod http;
#[cfg(any(feature = "websocket", feature = "sse"))]
mod reconnect;
#[cfg(feature = "sql")]
pub mod sql;
#[cfg(feature = "sse")]
pub mod sse;
#[cfg(feature = "websocket")]
pub mod websocket;
