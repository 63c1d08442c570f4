//! The built-in protocols, each behind its cargo feature.

#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "otlp")]
pub mod otlp;
#[cfg(feature = "sql")]
pub mod sql;
