//! `explain`: the effective configuration, one setting per line with where its value came from.

use std::io;

use serde::Serialize;

use super::output::Output;
use super::{Format, Outcome};
use crate::Sources;
use crate::config::{ConnectionSet, Setting, explain};
use crate::table::{Paint, Table};

#[derive(Serialize)]
struct Explained<'a> {
    set: &'a str,
    valid: bool,
    settings: &'a [Setting],
}

pub(crate) fn run<S: ConnectionSet>(sources: Sources, out: &mut Output<'_>) -> io::Result<Outcome> {
    let set = S::descriptor().name;
    let settings = match explain::<S>(sources) {
        Ok(settings) => settings,
        Err(error) => return out.invalid(set, &error),
    };
    match out.format {
        Format::Json => out.json(&Explained {
            set,
            valid: true,
            settings: &settings,
        })?,
        Format::Human => {
            let table = table(&settings).render(out.color);
            out.text(&table)?;
        }
    }
    Ok(Outcome::Ok)
}

/// `SETTING  VALUE  SOURCE`; rows whose value the code gives (a default or the attribute) are dim, so what a deployment set
/// stands out.
fn table(settings: &[Setting]) -> Table {
    let mut table = Table::new(&["SETTING", "VALUE", "SOURCE"]);
    for s in settings {
        let paint = if !s.source.is_deployment() {
            Paint::Dim
        } else {
            Paint::Plain
        };
        table.painted_row([s.path.clone(), s.value.clone(), s.source.to_string()].map(|c| (c, paint)));
    }
    table
}
