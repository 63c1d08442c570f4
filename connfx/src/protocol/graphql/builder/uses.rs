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

/// One kind of name a document defines and uses: how messages write it and what using it is
/// called.
pub(super) struct NameKind {
    /// `variable`, `fragment`.
    pub(super) noun: &'static str,
    /// What comes before the name in the text: `$` for a variable.
    pub(super) sigil: &'static str,
    /// What using one is called: `used`, `spread`.
    pub(super) used: &'static str,
}

impl NameKind {
    /// Variables: `$id`, used in arguments.
    pub(super) const VARIABLE: NameKind = NameKind {
        noun: "variable",
        sigil: "$",
        used: "used",
    };

    /// Fragments: defined with `fragment F on T`, spread with `...F`.
    pub(super) const FRAGMENT: NameKind = NameKind {
        noun: "fragment",
        sigil: "",
        used: "spread",
    };

    /// The first fault of the names of this kind, checked in this order: one defined twice, one
    /// used but not defined, one defined but not used.
    ///
    /// # Errors
    /// A message naming the name and the fault.
    pub(super) fn check(&self, defined: &[&str], used: &BTreeSet<String>) -> Result<(), String> {
        let fault = |name: &str, what: &str| {
            let NameKind { noun, sigil, .. } = self;
            Err(format!("the {noun} `{sigil}{name}` is {what}"))
        };
        if let Some(name) = first_duplicate(defined.iter().copied()) {
            return fault(name, "defined twice");
        }
        if let Some(name) = used.iter().find(|u| !defined.contains(&u.as_str())) {
            return fault(name, &format!("{} but not defined", self.used));
        }
        if let Some(name) = defined.iter().find(|d| !used.contains(**d)) {
            return fault(name, "defined but not used");
        }
        Ok(())
    }
}

/// The first name of `names` seen twice.
fn first_duplicate<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut seen = BTreeSet::new();
    names.into_iter().find(|name| !seen.insert(*name))
}
