//! `schema`: the JSON Schema of the configuration (pretty for people, one line for machines).

use std::io;

use super::output::Output;
use super::{Format, Outcome};
use crate::config::ConnectionSet;
use crate::config::load::json_schema;

pub(crate) fn run<S: ConnectionSet>(out: &mut Output<'_>) -> io::Result<Outcome> {
    let schema = json_schema::<S>();
    match out.format {
        Format::Json => out.json(&schema)?,
        Format::Human => {
            let pretty = serde_json::to_string_pretty(&schema)?;
            out.line(&pretty)?;
        }
    }
    Ok(Outcome::Ok)
}
