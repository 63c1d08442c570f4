//! What a document refers to by name (fragment spreads, variables), for the checks of
//! [`Operation::build`](super::Operation::build) that a single pass of rendering cannot make.

use std::collections::BTreeSet;

use super::selection::{Fragment, Selection};
use super::value::InputValue;

/// Fragments spread and variables used.
#[derive(Debug, Default)]
pub(super) struct Uses {
    pub(super) spreads: BTreeSet<String>,
    pub(super) variables: BTreeSet<String>,
}

impl Uses {
    pub(super) fn of(selections: &[Selection], fragments: &[Fragment]) -> Uses {
        let mut uses = Uses::default();
        uses.set(selections);
        fragments.iter().for_each(|f| uses.set(&f.selections));
        uses
    }

    fn set(&mut self, selections: &[Selection]) {
        for selection in selections {
            match selection {
                Selection::Field(field) => {
                    field.arguments.iter().for_each(|(_, v)| self.value(v));
                    self.set(&field.selections);
                }
                Selection::Spread(name) => {
                    self.spreads.insert(name.clone());
                }
                Selection::Inline(inline) => self.set(&inline.selections),
            }
        }
    }

    fn value(&mut self, value: &InputValue) {
        match value {
            InputValue::Variable(name) => {
                self.variables.insert(name.clone());
            }
            InputValue::List(items) => items.iter().for_each(|v| self.value(v)),
            InputValue::Object(fields) => fields.iter().for_each(|(_, v)| self.value(v)),
            _ => {}
        }
    }
}

/// The first name of `names` seen twice.
pub(super) fn first_duplicate<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut seen = BTreeSet::new();
    names.into_iter().find(|name| !seen.insert(*name))
}
