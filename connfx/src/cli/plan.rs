//! `plan`: what a candidate configuration would change on a running service, and how each
//! change would apply (`live`, `reconnect`, or refused as needing a restart).

use std::io;
use std::path::PathBuf;

use serde::Serialize;

use super::output::Output;
use super::{Format, Outcome};
use crate::Sources;
use crate::config::{ConfigError, ConfigIssue, ConnectionSet};
use crate::reload::{Change, plan};
use crate::table::{Paint, Table};

#[derive(Serialize)]
struct Planned<'a> {
    set: &'a str,
    valid: bool,
    applicable: bool,
    changes: &'a [Change],
    refused: &'a [ConfigIssue],
}

/// Compares what `sources` give with what they give once `candidate` files are added after
/// theirs (the environment still wins over every file, as at boot).
pub(crate) fn run<S: ConnectionSet>(
    sources: Sources,
    candidate: &[PathBuf],
    out: &mut Output<'_>,
) -> io::Result<Outcome> {
    let set = S::descriptor().name;
    let with_candidate = candidate.iter().fold(sources.clone(), |s, file| s.file(file));
    let planned = match plan::<S>(sources, with_candidate) {
        Ok(planned) => planned,
        Err(error) => return out.invalid(set, &error),
    };
    let applicable = planned.is_applicable();
    match out.format {
        Format::Json => out.json(&Planned {
            set,
            valid: true,
            applicable,
            changes: planned.changes(),
            refused: planned.refused(),
        })?,
        Format::Human if applicable => {
            if !planned.changes().is_empty() {
                let table = table(planned.changes()).render(out.color);
                out.text(&table)?;
            }
            let n = planned.changes().len();
            let summary = match n {
                0 => "no change: the candidate says what runs now".to_owned(),
                1 => "1 change, applicable without a restart".to_owned(),
                n => format!("{n} changes, all applicable without a restart"),
            };
            let summary = out.paint(Paint::Green, &summary);
            out.line(&summary)?;
        }
        Format::Human => {
            return out.invalid(set, &ConfigError::new(planned.refused().to_vec()));
        }
    }
    Ok(if applicable { Outcome::Ok } else { Outcome::Invalid })
}

/// `SETTING  OLD  NEW  APPLIES`.
fn table(changes: &[Change]) -> Table {
    let mut table = Table::new(&["SETTING", "OLD", "NEW", "APPLIES"]);
    let unset = |v: Option<&str>| v.unwrap_or("(unset)").to_owned();
    for c in changes {
        let cells = [
            c.path().to_owned(),
            unset(c.old_value()),
            unset(c.new_value()),
            c.applied().to_string(),
        ];
        table.painted_row(cells.map(|cell| (cell, Paint::Plain)));
    }
    table
}
