//! `check`: load and validate; with `--probe`, also connect, check health and close.

use std::io;

use serde::Serialize;

use super::output::Output;
use super::{Format, Outcome};
use crate::config::descriptor::SetDescriptor;
use crate::config::load::load_config_from;
use crate::config::{ConfigIssue, ConnectionSet};
use crate::error::ConnectFailure;
use crate::table::Paint;
use crate::{HealthReport, HealthState, Sources};

/// What `check` found, as `--format json` prints it.
#[derive(Serialize)]
struct CheckReport {
    set: &'static str,
    valid: bool,
    issues: Vec<ConfigIssue>,
    connections: Vec<ConnectionStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    healthy: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    health: Option<HealthReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    connect_failures: Vec<ConnectFailure>,
}

/// One connection of the set, and whether any source configures it.
#[derive(Serialize)]
struct ConnectionStatus {
    name: &'static str,
    protocol: &'static str,
    optional: bool,
    configured: bool,
}

pub(crate) async fn run<S: ConnectionSet>(
    probe: bool,
    sources: Sources,
    out: &mut Output<'_>,
) -> io::Result<Outcome> {
    let set = S::descriptor();
    let config = match load_config_from::<S>(sources) {
        Ok(config) => config,
        Err(error) => return out.invalid(set.name, &error),
    };
    let mut report = CheckReport {
        set: set.name,
        valid: true,
        issues: Vec::new(),
        connections: statuses(set, &config),
        healthy: None,
        health: None,
        connect_failures: Vec::new(),
    };
    if probe {
        match S::connect_registry(config).await {
            Ok(registry) => {
                let health = registry.health().await;
                registry.close().await;
                report.healthy = Some(down(&health).is_empty());
                report.health = Some(health);
            }
            Err(error) => {
                report.healthy = Some(false);
                report.connect_failures = error.failures().to_vec();
            }
        }
    }
    let outcome = match report.healthy {
        Some(false) => Outcome::Unhealthy,
        _ => Outcome::Ok,
    };
    match out.format {
        Format::Json => out.json(&report)?,
        Format::Human => print(&report, out)?,
    }
    Ok(outcome)
}

/// Each field of the set; an optional one is configured when the loaded config holds it.
fn statuses<C: Serialize>(set: &SetDescriptor, config: &C) -> Vec<ConnectionStatus> {
    // Only the keys are read; the tree (which holds secrets) is dropped here, unprinted.
    let tree = serde_json::to_value(config).unwrap_or_default();
    set.fields
        .iter()
        .filter(|field| !field.is_settings())
        .map(|field| ConnectionStatus {
            name: field.name,
            protocol: (field.shape)().protocol,
            optional: field.optional,
            configured: tree.get(field.name).is_some(),
        })
        .collect()
}

/// The connections whose state means they cannot serve: `error` and `unknown`.
fn down(health: &HealthReport) -> Vec<&str> {
    health
        .entries
        .iter()
        .filter(|e| matches!(e.health.state, HealthState::Error | HealthState::Unknown))
        .map(|e| e.name.as_str())
        .collect()
}

fn print(report: &CheckReport, out: &mut Output<'_>) -> io::Result<()> {
    let left_out: Vec<&str> = report
        .connections
        .iter()
        .filter(|c| !c.configured)
        .map(|c| c.name)
        .collect();
    let mut valid = format!("valid: the configuration of `{}` has no problems", report.set);
    if !left_out.is_empty() {
        valid += &format!("; not configured (optional): {}", left_out.join(", "));
    }
    let valid = out.paint(Paint::Green, &valid);
    out.line(&valid)?;
    if let Some(health) = &report.health {
        out.line("")?;
        out.text(&health.table().render(out.color))?;
        out.line("")?;
        let line = health_summary(health, out);
        out.line(&line)?;
    }
    if !report.connect_failures.is_empty() {
        out.line("")?;
        for failure in &report.connect_failures {
            out.line(&format!("{}: {}", failure.connection, failure.message))?;
        }
        let n = report.connect_failures.len();
        let summary = format!(
            "unhealthy: {n} of {} connections could not be set up",
            report.connections.iter().filter(|c| c.configured).count()
        );
        let summary = out.paint(Paint::Red, &summary);
        out.line(&summary)?;
    }
    Ok(())
}

fn health_summary(health: &HealthReport, out: &Output<'_>) -> String {
    let (total, down) = (health.entries.len(), down(health));
    if down.is_empty() {
        out.paint(
            Paint::Green,
            &format!("healthy: {total} of {total} connections up"),
        )
    } else {
        let text = format!(
            "unhealthy: {} of {total} connections down: {}",
            down.len(),
            down.join(", ")
        );
        out.paint(Paint::Red, &text)
    }
}
