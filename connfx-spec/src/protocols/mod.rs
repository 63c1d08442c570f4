//! One file per built-in protocol, each the one declaration of its keys and groups (see
//! [`crate::declare`]); [`crate::PROTOCOLS`] lists them.

mod http;
mod otlp;
mod redis;
mod sql;
mod sse;
mod websocket;

pub use http::{GRAPHQL, HTTP};
pub use otlp::OTLP;
pub use redis::REDIS;
pub use sql::SQL;
pub use sse::SSE;
pub use websocket::WEBSOCKET;
