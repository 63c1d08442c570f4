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
pub use crate::registry::{Registry, RegistrySlot};

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

/// The registry slot of a field's connection: `None` for an absent optional field or a type
/// without one.
pub fn slot<T: Connection>(connection: Option<&T>) -> Option<&RegistrySlot> {
    connection.and_then(Connection::registry_slot)
}

/// The registry a derived struct owns: the one in the first filled slot of its fields, or
/// `None` when none is filled (a struct no `connect` built, or none of whose connections has a
/// slot).
pub fn owned_registry(slots: &[Option<&RegistrySlot>]) -> Option<Registry> {
    slots.iter().flatten().find_map(|slot| slot.get()).cloned()
}

/// The last step of a derived struct's `connect`: binds the telemetry of `registry` (built from
/// the struct's fields) once, and gives it to every field's slot, so it is the struct's registry
/// for the struct's life.
pub fn own_registry(registry: &Registry, slots: &[Option<&RegistrySlot>]) {
    registry.export_telemetry();
    for slot in slots.iter().flatten() {
        slot.fill(registry);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owned_registry_is_the_one_given_to_the_slots() {
        let (first, second, unrelated) = (RegistrySlot::new(), RegistrySlot::new(), RegistrySlot::new());
        assert!(owned_registry(&[Some(&first), None, Some(&second)]).is_none());
        let registry = Registry::new();
        own_registry(&registry, &[Some(&first), None, Some(&second)]);
        let found = owned_registry(&[None, Some(&second)]).expect("a filled slot");
        assert!(Registry::ptr_eq(&found, &registry));
        assert!(owned_registry(&[Some(&unrelated)]).is_none());

        // A slot is filled once: a second registry does not replace the struct's.
        own_registry(&Registry::new(), &[Some(&first)]);
        let kept = owned_registry(&[Some(&first)]).expect("still filled");
        assert!(Registry::ptr_eq(&kept, &registry));
    }
}
