//! Turns successive [`HealthReport`]s into [`HealthEvent`]s: one per connection whose state
//! differs from the previous report's.

use std::collections::HashMap;

use super::HealthEvent;
use crate::{HealthEntry, HealthReport, HealthState};

/// The last state seen of each connection, by name.
#[derive(Debug, Default)]
pub(super) struct Changes {
    last: HashMap<String, HealthState>,
}

impl Changes {
    /// The events between the previous report and `report`, in the report's order; remembers
    /// `report` for the next call. A connection seen for the first time changes from `Unknown`.
    pub(super) fn between(&mut self, report: &HealthReport) -> Vec<HealthEvent> {
        report
            .entries
            .iter()
            .filter_map(|entry| self.change(entry))
            .collect()
    }

    fn change(&mut self, entry: &HealthEntry) -> Option<HealthEvent> {
        let to = entry.health.state;
        let from = self
            .last
            .insert(entry.name.clone(), to)
            .unwrap_or(HealthState::Unknown);
        (from != to).then(|| HealthEvent {
            connection: entry.name.clone(),
            protocol: entry.protocol,
            from,
            to,
            health: entry.health.clone(),
            critical: entry.critical,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::Health;

    fn report(states: &[(&str, HealthState)]) -> HealthReport {
        let entries = states
            .iter()
            .map(|(name, state)| HealthEntry {
                name: (*name).to_owned(),
                protocol: "http",
                health: Health::new(*state, Duration::ZERO, "seen"),
                critical: true,
            })
            .collect();
        HealthReport { entries }
    }

    fn moves(events: &[HealthEvent]) -> Vec<(&str, HealthState, HealthState)> {
        events
            .iter()
            .map(|e| (e.connection.as_str(), e.from, e.to))
            .collect()
    }

    #[test]
    fn the_first_report_changes_every_connection_from_unknown() {
        use HealthState::*;
        let mut changes = Changes::default();
        let events = changes.between(&report(&[("a", Ready), ("b", Error)]));
        assert_eq!(moves(&events), [("a", Unknown, Ready), ("b", Unknown, Error)]);
    }

    #[test]
    fn only_connections_whose_state_moved_have_an_event() {
        use HealthState::*;
        let mut changes = Changes::default();
        changes.between(&report(&[("a", Ready), ("b", Ready)]));
        assert!(changes.between(&report(&[("a", Ready), ("b", Ready)])).is_empty());
        let events = changes.between(&report(&[("a", Ready), ("b", Error)]));
        assert_eq!(moves(&events), [("b", Ready, Error)]);
        let events = changes.between(&report(&[("a", Ready), ("b", Ready), ("c", Live)]));
        assert_eq!(moves(&events), [("b", Error, Ready), ("c", Unknown, Live)]);
    }

    #[test]
    fn a_first_check_that_finds_unknown_is_no_change() {
        let mut changes = Changes::default();
        assert!(
            changes
                .between(&report(&[("a", HealthState::Unknown)]))
                .is_empty()
        );
    }
}
