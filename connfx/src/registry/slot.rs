//! [`RegistrySlot`]: how a derived struct finds the one [`Registry`] it owns, through the
//! connection handles that are its fields.

use std::sync::OnceLock;

use super::Registry;

/// The registry of the `#[derive(Connections)]` struct whose field this connection handle is.
///
/// The derive cannot add a field to the user's struct, so the struct's registry lives in its
/// connections: the generated `connect` builds one [`Registry`] and puts it in the slot of
/// every field; `conns.registry()` reads it back. (A struct whose fields' slots are empty, as
/// a clone of the struct's are, gets one registry of its own at its first `registry()` call.) A **clone of a handle starts with an empty
/// slot**, and the registry stores clones, so the registry never holds a handle that holds the
/// registry: no reference cycle, and the registry is freed with the struct (or with the last
/// [`Registry`] handle or monitor, if one outlives it).
///
/// Built-in connection types carry one; a user's adapter carries one by keeping a
/// `RegistrySlot` beside its shared state and returning it from
/// [`Connection::registry_slot`](crate::Connection::registry_slot):
///
/// ```
/// use connfx::registry::RegistrySlot;
///
/// #[derive(Clone, Default)]
/// pub struct LedgerConnection {
///     shared: std::sync::Arc<String>,
///     slot: RegistrySlot,
/// }
///
/// let first = LedgerConnection::default();
/// let second = first.clone();
/// assert!(second.slot.is_empty(), "a clone does not carry its original's registry");
/// ```
#[derive(Default)]
pub struct RegistrySlot(OnceLock<Registry>);

impl RegistrySlot {
    /// An empty slot.
    pub const fn new() -> Self {
        RegistrySlot(OnceLock::new())
    }

    /// Whether no registry has been put here.
    pub fn is_empty(&self) -> bool {
        self.0.get().is_none()
    }

    /// The registry here, put here first by `build` if the slot is empty; with several callers
    /// at once, one builds and all get its registry.
    pub(crate) fn get_or_init(&self, build: impl FnOnce() -> Registry) -> &Registry {
        self.0.get_or_init(build)
    }

    /// Puts `registry` here unless one already is.
    pub(crate) fn fill(&self, registry: &Registry) {
        // A full slot keeps its registry: the handle already belongs to a struct.
        let _ = self.0.set(registry.clone());
    }
}

impl Clone for RegistrySlot {
    /// An empty slot: the clone is not the struct's own field (see the type's docs).
    fn clone(&self) -> Self {
        RegistrySlot::new()
    }
}

impl std::fmt::Debug for RegistrySlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_empty() {
            "RegistrySlot(empty)"
        } else {
            "RegistrySlot(filled)"
        })
    }
}
