//! Connection names as `&'static str`, each leaked once, for metric attributes that cost nothing
//! to build on every call.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock, PoisonError};

/// The one static copy of `name`. Only bound connections' names get here: they are few, and a
/// name seen again (a connection reopened) reuses its copy, so the leak is bounded by the set
/// of distinct names.
pub(super) fn name(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(known) = names.get(name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_same_name_is_the_same_copy() {
        let a = super::name("payments");
        let b = super::name(&String::from("payments"));
        assert!(std::ptr::eq(a, b));
    }
}
