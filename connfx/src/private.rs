//! Used by code that `#[derive(Connections)]` generates; not public API, may change at any time.
//!
//! The derive stays thin: it parses, checks literals against `connfx-spec`, and emits calls into
//! the functions here, where the logic is ordinary, unit-tested Rust.

pub use futures_util;
pub use serde;
pub use serde_json;
pub use std::sync::OnceLock;

pub use crate::config::descriptor::{ConnectionSet, FieldDescriptor, SetDescriptor};
pub use crate::config::load::{env_vars, json_schema, load_config, load_config_from};
pub use crate::error::ConnectErrors;
pub use crate::registry::Registry;

use crate::{ConnectError, Connection};

/// Connects a required field.
///
/// # Errors
/// The connection's own [`ConnectError`].
pub async fn connect_required<T: Connection>(name: &str, config: T::Config) -> Result<T, ConnectError> {
    T::connect(name, config).await
}

/// Connects an optional field: `None` stays `None`.
///
/// # Errors
/// The connection's own [`ConnectError`].
pub async fn connect_optional<T: Connection>(
    name: &str,
    config: Option<T::Config>,
) -> Result<Option<T>, ConnectError> {
    match config {
        Some(config) => T::connect(name, config).await.map(Some),
        None => Ok(None),
    }
}

/// `a == b` in a `const` context, for the derive's assertion that a field's type fits its protocol.
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
