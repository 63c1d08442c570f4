//! Configuration at its edges: every value the loader accepts connects and serves calls, and
//! every value it cannot represent is refused at load, with the key and the longest allowed.

mod edges;
#[cfg(all(feature = "config-rs", feature = "figment"))]
mod foreign;
