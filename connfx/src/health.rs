//! Health of connections: one [`Health`] per check, a [`HealthReport`] for a whole set.

use std::fmt;
use std::time::Duration;

use serde::{Serialize, Serializer};

use crate::table::{Paint, Table};

/// What a health check found, from best to worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthState {
    /// Reachable and answering normally.
    Ready,
    /// Reachable but pushing back (HTTP 429): alive, not at full service.
    Live,
    /// Reachable, but not answering as a healthy service would (HTTP 503 or 4xx).
    Connected,
    /// Unreachable or failing.
    Error,
    /// Not checked (yet), or closed.
    Unknown,
}

impl HealthState {
    /// `Ready` or `Live`: the connection answers and takes traffic, even if it pushes back.
    /// What readiness asks of every critical connection ([`HealthReport::ready`]).
    ///
    /// ```
    /// use connfx::HealthState;
    /// assert!(HealthState::Live.is_up());
    /// assert!(!HealthState::Connected.is_up());
    /// ```
    pub fn is_up(self) -> bool {
        matches!(self, HealthState::Ready | HealthState::Live)
    }
}

impl HealthState {
    /// The state's name, as `Display` and JSON show it: `ready`, `live`, `connected`, `error`,
    /// `unknown`.
    ///
    /// ```
    /// assert_eq!(connfx::HealthState::Live.as_str(), "live");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            HealthState::Ready => "ready",
            HealthState::Live => "live",
            HealthState::Connected => "connected",
            HealthState::Error => "error",
            HealthState::Unknown => "unknown",
        }
    }
}

impl fmt::Display for HealthState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of one health check: state, how long it took, and a short message (never a secret).
///
/// ```
/// use std::time::Duration;
/// let h = connfx::Health::ready(Duration::from_millis(3), "HEAD / 200");
/// assert_eq!(h.state, connfx::HealthState::Ready);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Health {
    /// What the check found.
    pub state: HealthState,
    /// How long the check took.
    #[serde(rename = "latency_ms", serialize_with = "millis")]
    pub latency: Duration,
    /// What was seen, for people: `HEAD /health 200`, `connection refused`.
    pub message: String,
}

impl Health {
    /// A health of any state.
    pub fn new(state: HealthState, latency: Duration, message: impl Into<String>) -> Self {
        Health {
            state,
            latency,
            message: message.into(),
        }
    }

    /// [`HealthState::Ready`].
    pub fn ready(latency: Duration, message: impl Into<String>) -> Self {
        Health::new(HealthState::Ready, latency, message)
    }

    /// [`HealthState::Error`].
    pub fn error(latency: Duration, message: impl Into<String>) -> Self {
        Health::new(HealthState::Error, latency, message)
    }
}

fn millis<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1e6).round() / 1e3)
}

/// The health of one named connection in a [`HealthReport`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HealthEntry {
    /// The connection's name.
    pub name: String,
    /// Its protocol.
    pub protocol: &'static str,
    /// What its check found.
    #[serde(flatten)]
    pub health: Health,
    /// Whether the service needs it to serve (`health(critical = …)`); see [`HealthReport::ready`].
    pub critical: bool,
}

/// The health of every connection of a set, checked concurrently. `Display` prints a table:
///
/// ```text
/// CONNECTION  PROTOCOL  CRITICAL  STATE  LATENCY  MESSAGE
/// payments    http      yes       ready  1.2ms    HEAD / 200 OK
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HealthReport {
    /// One entry per connection, in registration order.
    pub entries: Vec<HealthEntry>,
}

impl HealthReport {
    /// The worst state of any connection (`Ready` for an empty report).
    ///
    /// ```
    /// assert_eq!(connfx::HealthReport::default().worst(), connfx::HealthState::Ready);
    /// ```
    pub fn worst(&self) -> HealthState {
        self.entries
            .iter()
            .map(|e| e.health.state)
            .max()
            .unwrap_or(HealthState::Ready)
    }

    /// Whether the service can serve: every critical connection is [up](HealthState::is_up)
    /// (`Ready` or `Live`). Non-critical connections never decide it; an empty report is ready.
    ///
    /// ```
    /// use std::time::Duration;
    /// use connfx::{Health, HealthEntry, HealthReport};
    /// let entry = |name: &str, health: Health, critical| HealthEntry {
    ///     name: name.into(), protocol: "http", health, critical,
    /// };
    /// let mut report = HealthReport {
    ///     entries: vec![
    ///         entry("payments", Health::ready(Duration::ZERO, "HEAD / 200 OK"), true),
    ///         entry("avatars", Health::error(Duration::ZERO, "connection refused"), false),
    ///     ],
    /// };
    /// assert!(report.ready());
    /// report.entries[1].critical = true;
    /// assert!(!report.ready());
    /// ```
    pub fn ready(&self) -> bool {
        self.entries
            .iter()
            .filter(|e| e.critical)
            .all(|e| e.health.state.is_up())
    }

    /// The entry of the connection called `name`.
    pub fn get(&self, name: &str) -> Option<&HealthEntry> {
        self.entries.iter().find(|e| e.name == name)
    }
}

impl HealthReport {
    /// The report as a table, states coloured when `color` (the CLI's `check --probe`).
    pub(crate) fn table(&self) -> Table {
        let mut table = Table::new(&[
            "CONNECTION",
            "PROTOCOL",
            "CRITICAL",
            "STATE",
            "LATENCY",
            "MESSAGE",
        ]);
        for e in &self.entries {
            table.painted_row([
                (e.name.clone(), Paint::Plain),
                (e.protocol.to_owned(), Paint::Plain),
                (if e.critical { "yes" } else { "no" }.to_owned(), Paint::Plain),
                (e.health.state.to_string(), e.health.state.paint()),
                (format!("{:.1?}", e.health.latency), Paint::Plain),
                (e.health.message.clone(), Paint::Plain),
            ]);
        }
        table
    }
}

impl HealthState {
    /// Green when serving, yellow when reachable but not at full service, red when down.
    pub(crate) fn paint(self) -> Paint {
        match self {
            HealthState::Ready => Paint::Green,
            HealthState::Live | HealthState::Connected => Paint::Yellow,
            HealthState::Error => Paint::Red,
            HealthState::Unknown => Paint::Dim,
        }
    }
}

impl fmt::Display for HealthReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.table().render(false))
    }
}
