//! `env`: an env-file template a deployer can copy, one block per variable.
//!
//! Each line shows the value in force when the variable is unset, so any line may be uncommented
//! as it is without changing what runs: a policy that is off shows `…_ENABLED=false`, and that
//! switch wins over the policy's other keys (`connfx_spec::declare`, "The `enabled` switch").
//! Lines are still commented out, because the environment wins over config files: a line left
//! set would hide the value a file gives. One that must be given is left as `NAME=` to fill in.

use std::io;

use serde::Serialize;

use super::output::Output;
use super::{Format, Outcome};
use crate::EnvVar;
use crate::config::ConnectionSet;
use crate::config::descriptor::{FieldDescriptor, SetDescriptor};
use crate::config::load::env_vars;
use crate::config::shape::Node;
use crate::table::Paint;

/// One variable as `--format json` prints it: the [`EnvVar`] and whether it must be given.
#[derive(Serialize)]
struct TemplateVar<'a> {
    #[serde(flatten)]
    var: &'a EnvVar,
    required: bool,
}

#[derive(Serialize)]
struct Template<'a> {
    set: &'a str,
    config_file_var: String,
    variables: Vec<TemplateVar<'a>>,
}

pub(crate) fn run<S: ConnectionSet>(out: &mut Output<'_>) -> io::Result<Outcome> {
    let set = S::descriptor();
    let vars = env_vars::<S>();
    if out.format == Format::Json {
        let variables = vars
            .iter()
            .map(|var| TemplateVar {
                var,
                required: required(set, var),
            })
            .collect();
        out.json(&Template {
            set: set.name,
            config_file_var: set.config_file_var(),
            variables,
        })?;
        return Ok(Outcome::Ok);
    }
    preamble(set, out)?;
    for field in &set.fields {
        out.line("")?;
        let heading = out.paint(Paint::Bold, &heading(field));
        out.line(&heading)?;
        for var in vars.iter().filter(|v| field.holds(&v.path)) {
            out.line("")?;
            block(var, required(set, var), out)?;
        }
    }
    Ok(Outcome::Ok)
}

fn preamble(set: &SetDescriptor, out: &mut Output<'_>) -> io::Result<()> {
    out.line(&format!(
        "# Environment of `{}`: copy into an env file and fill in.",
        set.name
    ))?;
    out.line("# A commented line shows the value in force; uncomment it to change the value (as it")?;
    out.line("# is, it changes nothing, but it would hide the value a config file gives). A policy")?;
    out.line("# (retry, circuit_breaker, rate_limit, bulkhead) runs when its `_ENABLED` is true;")?;
    out.line("# `_ENABLED=false` keeps it off whatever its other keys say.")?;
    out.line("")?;
    out.line("# A config file read after the built-in ones; it must exist. (path)")?;
    out.line(&format!("#{}=", set.config_file_var()))
}

/// `## payments (http): Payment provider API.`, or `## settings` for the plain settings.
fn heading(field: &FieldDescriptor) -> String {
    let protocol = (field.shape)().protocol;
    if field.is_settings() {
        return format!("## {protocol}");
    }
    let optional = if field.optional {
        ", optional: leave every variable unset to go without it"
    } else {
        ""
    };
    let doc = first_line(field.doc);
    let doc = if doc.is_empty() {
        String::new()
    } else {
        format!(": {doc}")
    };
    format!("## {} ({protocol}{optional}){doc}", field.name)
}

/// `# <description> (<kind>, default <x>, required, secret)` then the assignment.
fn block(var: &EnvVar, required: bool, out: &mut Output<'_>) -> io::Result<()> {
    let mut notes = vec![var.kind.name().to_owned()];
    match (&var.default, var.secret) {
        (Some(_), true) => notes.push("has a default".to_owned()),
        (Some(default), false) => notes.push(format!("default {default}")),
        (None, _) => {}
    }
    if required {
        notes.push("required unless a config file gives it".to_owned());
    }
    if var.secret && var.kind.name() != "secret" {
        notes.push("secret".to_owned());
    }
    let mut lines: Vec<&str> = var
        .description
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let notes = format!("({})", notes.join(", "));
    let last = lines.pop().map_or(notes.clone(), |l| format!("{l} {notes}"));
    for line in lines.into_iter().chain([last.as_str()]) {
        out.line(&format!("# {line}"))?;
    }
    let shown = if var.secret { None } else { var.default.as_deref() };
    let assignment = format!("{}={}", var.name, shown.unwrap_or(""));
    if required {
        let assignment = out.paint(Paint::Yellow, &assignment);
        out.line(&assignment)
    } else {
        out.line(&format!("#{assignment}"))
    }
}

/// Whether a variable must be given: a required top-level key of a required connection, with
/// no default from the attribute or the type.
fn required(set: &SetDescriptor, var: &EnvVar) -> bool {
    let Some(field) = set.fields.iter().find(|f| f.holds(&var.path)) else {
        return false;
    };
    let key = match field.is_settings() {
        true => var.path.as_str(),
        false => var.path.split_once('.').map_or("", |(_, key)| key),
    };
    let root = &(field.shape)().root;
    !field.optional
        && var.default.is_none()
        && root.required.iter().any(|r| r == key)
        && matches!(root.child(key), Some(Node::Leaf(_)))
}

fn first_line(doc: &str) -> &str {
    doc.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("")
}
