//! `CircuitBreakerGroup`: get-or-create by name, stats of all, reset all, events of all.

use std::time::Duration;

use connfx::CircuitBreakerConfig;
use connfx::resilience::circuit_breaker::{CircuitBreakerGroup, CircuitState, EventKind, ManualClock};

use super::fail;

fn group() -> (CircuitBreakerGroup, ManualClock) {
    let clock = ManualClock::new();
    let config = CircuitBreakerConfig {
        failure_threshold: 2,
        reset_timeout: Duration::from_secs(10),
        ..Default::default()
    };
    (CircuitBreakerGroup::new(config).with_clock(clock.clone()), clock)
}

#[test]
fn get_creates_once_and_shares_the_member() {
    let (group, _) = group();
    assert!(group.is_empty());
    let a = group.get("api.example.com");
    fail(&a);
    let again = group.get("api.example.com");
    assert_eq!(again.stats().consecutive_failures, 1, "the same breaker");
    assert_eq!(group.len(), 1);
    assert_eq!(again.name(), Some("api.example.com"));
    assert!(group.find("cdn.example.com").is_none());
}

#[test]
fn concurrent_gets_agree_on_one_member() {
    let (group, _) = group();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..100 {
                    let _ = group.get("shared").try_acquire().map(|p| p.failure());
                }
            });
        }
    });
    assert_eq!(group.len(), 1);
    assert_eq!(group.get("shared").state(), CircuitState::Open);
}

#[test]
fn members_keep_their_own_state_and_members_use_the_group_clock() {
    let (group, clock) = group();
    let down = group.get("down");
    fail(&down);
    fail(&down);
    assert_eq!(group.get("down").state(), CircuitState::Open);
    assert_eq!(group.get("up").state(), CircuitState::Closed);
    clock.advance(Duration::from_secs(10));
    assert_eq!(down.state(), CircuitState::HalfOpen);
}

#[test]
fn stats_of_all_members_sorted_by_name() {
    let (group, _) = group();
    for name in ["c", "a", "b"] {
        group.get(name);
    }
    fail(&group.get("b"));
    let stats = group.stats();
    let names: Vec<_> = stats.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(stats[1].1.consecutive_failures, 1);
}

#[test]
fn reset_all_closes_every_member() {
    let (group, _) = group();
    for name in ["a", "b", "c"] {
        let cb = group.get(name);
        fail(&cb);
        fail(&cb);
    }
    group.get("d").force_open();
    assert!(group.stats().iter().all(|(_, s)| s.state == CircuitState::Open));
    group.reset_all();
    assert!(
        group
            .stats()
            .iter()
            .all(|(_, s)| s.state == CircuitState::Closed && !s.forced)
    );
}

#[test]
fn the_group_channel_carries_every_members_events() {
    let (group, _) = group();
    let mut events = group.subscribe();
    let a = group.get("a");
    let mut own = a.subscribe();
    fail(&a);
    fail(&a);
    group.get("b").force_open();
    let names: Vec<_> = std::iter::from_fn(|| events.try_recv().ok())
        .filter(|e| e.kind.is_state_change())
        .map(|e| e.name.as_deref().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(names, ["a", "b"]);
    let mine = own.try_recv().unwrap();
    assert!(matches!(
        mine.kind,
        EventKind::StateChanged {
            to: CircuitState::Open,
            ..
        }
    ));
    assert!(
        own.try_recv().is_err(),
        "a member's own channel has only its events"
    );
}

#[test]
fn removed_members_are_made_anew() {
    let (group, _) = group();
    fail(&group.get("a"));
    assert!(group.remove("a").is_some());
    assert_eq!(group.get("a").stats().consecutive_failures, 0);
}
