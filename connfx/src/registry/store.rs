//! The registry's connections by name: a lookup that costs the same at 10 connections as at
//! 1,000, and the order they were added in, which `names()` and health reports show.

use std::collections::HashMap;

use super::entry::Entry;

/// Connections by name, in the order their names were first added.
#[derive(Default)]
pub(super) struct Store {
    /// Where each name's entry sits in `ordered`.
    index: HashMap<String, usize>,
    ordered: Vec<(String, Entry)>,
}

impl Store {
    /// The entry called `name`: one hash lookup, no scan.
    pub(super) fn get(&self, name: &str) -> Option<&Entry> {
        self.index.get(name).map(|&at| &self.ordered[at].1)
    }

    /// Adds `entry` under `name`; a name already present keeps its place and gets the new entry.
    pub(super) fn insert(&mut self, name: String, entry: Entry) {
        match self.index.get(&name) {
            Some(&at) => self.ordered[at].1 = entry,
            None => {
                self.index.insert(name.clone(), self.ordered.len());
                self.ordered.push((name, entry));
            }
        }
    }

    /// Every name and entry, in order.
    pub(super) fn ordered(&self) -> &[(String, Entry)] {
        &self.ordered
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ConnectError, Connection, Health};

    #[derive(Clone)]
    struct Named(&'static str);

    #[derive(
        Clone, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema, validator::Validate,
    )]
    struct NoConfig {}

    impl Connection for Named {
        const PROTOCOL: &'static str = "named";
        type Config = NoConfig;
        async fn connect(_: &str, _: Self::Config) -> Result<Self, ConnectError> {
            Ok(Named("built"))
        }
        async fn health(&self) -> Health {
            Health::ready(std::time::Duration::ZERO, self.0)
        }
        async fn close(&self) {}
    }

    fn label(store: &Store, name: &str) -> Option<&'static str> {
        store.get(name).and_then(|e| e.downcast::<Named>()).map(|n| n.0)
    }

    #[test]
    fn names_keep_the_order_they_were_first_added_in() {
        let mut store = Store::default();
        for (name, label) in [("b", "one"), ("a", "two"), ("c", "three"), ("a", "four")] {
            store.insert(name.into(), Entry::new(Named(label)));
        }
        let names: Vec<&str> = store.ordered().iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["b", "a", "c"]);
        assert_eq!(label(&store, "a"), Some("four"), "replaced in place");
        assert_eq!(label(&store, "c"), Some("three"));
        assert_eq!(label(&store, "d"), None);
    }
}
