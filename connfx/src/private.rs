//! Used by code that `#[derive(Connections)]` generates; not public API, may change at any time.
//!
//! The derive stays thin: it parses, checks literals against `connfx-spec`, and emits calls into
//! the functions here, where the logic is ordinary, unit-tested Rust.

pub use futures_util;
pub use serde;
pub use serde_json;
pub use std::sync::OnceLock;

pub use crate::config::SettingsType;
pub use crate::config::descriptor::{ConnectionSet, FieldDescriptor, SetDescriptor};
pub use crate::config::load::{env_vars, json_schema, load_config, load_config_from};
pub use crate::error::ConnectErrors;
pub use crate::registry::{Registry, RegistrySlot};
pub use crate::reload::SetReload;
pub use schemars;
pub use validator;

use crate::{ConnectError, Connection};

/// Shown in place of a secret setting by `<Name>Config`'s `Debug`.
pub struct Redacted;

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

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

/// The last steps of a derived struct's `connect`, once every field is connected: binds the
/// telemetry and the fleet limits' stores of its registry, and keeps the configuration for its
/// first reload to compare with.
///
/// # Errors
/// A fleet limit whose `store` is not connected (an optional field left out).
pub fn connected(registry: &Registry, config: Option<serde_json::Value>) -> Result<(), ConnectError> {
    registry.export_telemetry();
    registry.bind_stores()?;
    keep_loaded(registry, config);
    Ok(())
}

/// Keeps the configuration a derived struct was connected with in its registry, for its first
/// reload to compare with (see [`SetReload`]).
pub fn keep_loaded(registry: &Registry, config: Option<serde_json::Value>) {
    if let Some(config) = config {
        registry.keep_loaded(config);
    }
}

/// The registry slot of a field's connection: `None` for an absent optional field or a type
/// without one.
pub fn slot<T: Connection>(connection: Option<&T>) -> Option<&RegistrySlot> {
    connection.and_then(Connection::registry_slot)
}

/// The registry a derived struct owns: the one in its fields' slots, put there by `build` at
/// the first call (`connect` makes it). Without any slot (every optional field absent, or only
/// adapters without one), `build` runs on every call.
///
/// The first present slot decides, so callers racing on a struct whose slots are empty all get
/// the registry that won it, and the other slots are given that one.
pub fn struct_registry(slots: &[Option<&RegistrySlot>], build: impl FnOnce() -> Registry) -> Registry {
    let mut present = slots.iter().flatten();
    let Some(first) = present.next() else {
        return build();
    };
    let registry = first.get_or_init(build);
    present.for_each(|slot| slot.fill(registry));
    registry.clone()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_call_builds_the_registry_every_slot_then_keeps() {
        let (first, second) = (RegistrySlot::new(), RegistrySlot::new());
        let built = struct_registry(&[None, Some(&first), Some(&second)], Registry::new);
        assert!(!second.is_empty(), "every present slot is given the registry");
        let again = struct_registry(&[None, Some(&first), Some(&second)], || {
            unreachable!("built once")
        });
        assert!(Registry::ptr_eq(&built, &again));
        let from_second = struct_registry(&[Some(&second)], || unreachable!("built once"));
        assert!(Registry::ptr_eq(&built, &from_second));
    }

    #[test]
    fn without_a_slot_every_call_builds() {
        let one = struct_registry(&[None], Registry::new);
        let two = struct_registry(&[], Registry::new);
        assert!(!Registry::ptr_eq(&one, &two));
    }
}
