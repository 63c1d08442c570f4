//! The runtime half of the table of built-in protocols: for each, its connection type's config
//! (key tree and rules) and the factory the registry builds it with.
//!
//! The other half, the names, keys and bounds, is `connfx_spec::PROTOCOLS`, which the derive reads
//! at compile time. Adding a protocol is one row there and one row here; the registry's adapters
//! ([`Registry::new`](super::Registry::new)) and the loader of `CONN_TARGETS_*` and registry files
//! both read this table, and a test holds the two tables to the same protocols.

use super::dynamic::{AdapterFactory, typed_factory};
use crate::Connection;
use crate::config::ConfigType;

/// One built-in protocol's runtime pieces.
pub(crate) struct Builtin {
    /// The protocol's name, `T::PROTOCOL`.
    pub protocol: &'static str,
    /// Its config, as the loader checks it.
    pub config: ConfigType,
    /// Builds a connection from a target.
    pub factory: fn() -> AdapterFactory,
}

impl Builtin {
    const fn of<T: Connection>() -> Self {
        Builtin {
            protocol: T::PROTOCOL,
            config: ConfigType::of::<T>(),
            factory: typed_factory::<T>,
        }
    }
}

/// `"feature": Type` rows, each compiled in with its feature (named as the protocol).
macro_rules! rows {
    ($($feature:literal: $ty:ident,)*) => {
        &[$(#[cfg(feature = $feature)] Builtin::of::<crate::$ty>(),)*]
    };
}

/// Every built-in protocol compiled in, one row each, in `connfx_spec::PROTOCOLS` order.
pub(crate) const BUILTINS: &[Builtin] = rows![
    "http": HttpConnection,
    "graphql": GraphqlConnection,
    "redis": RedisConnection,
    "sql": SqlConnection,
    "otlp": OtlpConnection,
    "sse": SseConnection,
    "websocket": WebSocketConnection,
];

/// The built-in protocol called `protocol`, if it is compiled in.
pub(crate) fn builtin(protocol: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.protocol == protocol)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row names a spec protocol, in the spec's order, and its shape carries that
    /// protocol's scope; with every feature on, every spec protocol has a row.
    #[test]
    fn the_runtime_rows_match_the_spec_rows() {
        let spec: Vec<&connfx_spec::Protocol> = connfx_spec::PROTOCOLS
            .iter()
            .filter(|p| builtin(p.name).is_some())
            .collect();
        assert_eq!(spec.len(), BUILTINS.len());
        for (row, spec) in BUILTINS.iter().zip(spec) {
            assert_eq!(row.protocol, spec.name);
            assert_eq!((row.config.shape)().protocol, spec.name);
        }
        #[cfg(all(
            feature = "http",
            feature = "graphql",
            feature = "redis",
            feature = "sql",
            feature = "otlp",
            feature = "sse",
            feature = "websocket"
        ))]
        assert_eq!(BUILTINS.len(), connfx_spec::PROTOCOLS.len());
    }
}
