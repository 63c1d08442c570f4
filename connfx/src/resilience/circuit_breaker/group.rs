//! [`CircuitBreakerGroup`]: one breaker per name (per host, per endpoint), made on first use.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use tokio::sync::broadcast;

use super::events::CHANNEL_CAPACITY;
use super::{
    CircuitBreaker, CircuitBreakerConfig, CircuitEvent, CircuitState, CircuitStats, Clock, InvalidConfig,
};

/// Breakers by name, all built from one config, made on first use.
///
/// Looking up an existing member takes a shared read lock (members are created rarely); the
/// member itself is an ordinary [`CircuitBreaker`] handle. Members are named by their key, and
/// [`subscribe`](CircuitBreakerGroup::subscribe) gives the events of every member.
///
/// ```
/// use connfx::resilience::circuit_breaker::{CircuitBreakerGroup, CircuitState};
/// let group = CircuitBreakerGroup::new(connfx::CircuitBreakerConfig { failure_threshold: 1, ..Default::default() });
/// group.get("api.example.com").try_acquire().unwrap().failure();
/// assert_eq!(group.get("api.example.com").state(), CircuitState::Open);
/// assert_eq!(group.get("cdn.example.com").state(), CircuitState::Closed);
/// group.reset_all();
/// assert!(group.stats().iter().all(|(_, s)| s.state == CircuitState::Closed));
/// ```
pub struct CircuitBreakerGroup {
    /// What new members are built from; changed by [`reconfigure`](Self::reconfigure).
    config: Mutex<CircuitBreakerConfig>,
    clock: Option<Arc<dyn Clock>>,
    members: RwLock<HashMap<Arc<str>, CircuitBreaker>>,
    events: broadcast::Sender<CircuitEvent>,
}

impl CircuitBreakerGroup {
    /// An empty group whose members will use `config`.
    ///
    /// ```
    /// let hosts = connfx::resilience::circuit_breaker::CircuitBreakerGroup::new(connfx::CircuitBreakerConfig { failure_threshold: 3, ..Default::default() });
    /// assert!(hosts.is_empty());
    /// ```
    pub fn new(config: CircuitBreakerConfig) -> CircuitBreakerGroup {
        CircuitBreakerGroup {
            config: Mutex::new(config),
            clock: None,
            members: RwLock::default(),
            events: broadcast::channel(CHANNEL_CAPACITY).0,
        }
    }

    /// Members will read time from `clock` (for tests).
    ///
    /// ```
    /// use connfx::resilience::circuit_breaker::{CircuitBreakerGroup, ManualClock};
    /// let group = CircuitBreakerGroup::new(Default::default()).with_clock(ManualClock::new());
    /// assert!(group.is_empty());
    /// ```
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock) -> CircuitBreakerGroup {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The member called `name`, made now if it does not exist yet.
    ///
    /// ```
    /// let group = connfx::resilience::circuit_breaker::CircuitBreakerGroup::new(Default::default());
    /// assert_eq!(group.get("a").name(), Some("a"));
    /// assert_eq!(group.len(), 1);
    /// ```
    pub fn get(&self, name: &str) -> CircuitBreaker {
        if let Some(member) = self.read().get(name) {
            return member.clone();
        }
        let mut members = self.members.write().unwrap_or_else(PoisonError::into_inner);
        members
            .entry(Arc::from(name))
            .or_insert_with_key(|name| self.make(name.clone()))
            .clone()
    }

    fn make(&self, name: Arc<str>) -> CircuitBreaker {
        let builder = CircuitBreaker::builder(self.config().clone())
            .name(name)
            .group_channel(self.events.clone());
        match &self.clock {
            Some(clock) => builder.shared_clock(clock.clone()).build(),
            None => builder.build(),
        }
    }

    /// Applies `config` to every member in place (see [`CircuitBreaker::reconfigure`]: each
    /// keeps its state) and to members made from now on.
    ///
    /// ```
    /// use connfx::resilience::circuit_breaker::{CircuitBreakerGroup, CircuitState};
    /// let group = CircuitBreakerGroup::new(connfx::CircuitBreakerConfig { failure_threshold: 1, ..Default::default() });
    /// group.get("a").try_acquire().unwrap().failure();
    /// group.reconfigure(&connfx::CircuitBreakerConfig { failure_threshold: 5, ..Default::default() }).unwrap();
    /// assert_eq!(group.get("a").state(), CircuitState::Open, "kept");
    /// group.get("b").try_acquire().unwrap().failure();
    /// assert_eq!(group.get("b").state(), CircuitState::Closed, "a new member has the new threshold");
    /// ```
    ///
    /// # Errors
    /// [`InvalidConfig`] listing each value out of bounds; nothing changes then.
    pub fn reconfigure(&self, config: &CircuitBreakerConfig) -> Result<(), InvalidConfig> {
        config.check()?;
        // Under the members' write lock, so no member is made from the old config after this.
        let members = self.members.write().unwrap_or_else(PoisonError::into_inner);
        *self.config() = config.clone();
        for member in members.values() {
            member.reconfigure(config)?;
        }
        Ok(())
    }

    fn config(&self) -> std::sync::MutexGuard<'_, CircuitBreakerConfig> {
        self.config.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The member called `name`, if it exists.
    ///
    /// ```
    /// let group = connfx::resilience::circuit_breaker::CircuitBreakerGroup::new(Default::default());
    /// assert!(group.find("a").is_none());
    /// ```
    pub fn find(&self, name: &str) -> Option<CircuitBreaker> {
        self.read().get(name).cloned()
    }

    /// Removes the member called `name`; handles already given out keep working on their own.
    ///
    /// ```
    /// let group = connfx::resilience::circuit_breaker::CircuitBreakerGroup::new(Default::default());
    /// group.get("a");
    /// assert!(group.remove("a").is_some());
    /// ```
    pub fn remove(&self, name: &str) -> Option<CircuitBreaker> {
        self.members
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name)
    }

    /// Every member's name and stats, sorted by name.
    ///
    /// ```
    /// let group = connfx::resilience::circuit_breaker::CircuitBreakerGroup::new(Default::default());
    /// group.get("b");
    /// group.get("a");
    /// let names: Vec<_> = group.stats().into_iter().map(|(name, _)| name).collect();
    /// assert_eq!(names, ["a", "b"]);
    /// ```
    pub fn stats(&self) -> Vec<(String, CircuitStats)> {
        let mut stats: Vec<_> = self
            .members()
            .into_iter()
            .map(|(name, cb)| (name.to_string(), cb.stats()))
            .collect();
        stats.sort_by(|a, b| a.0.cmp(&b.0));
        stats
    }

    /// Resets every member to closed, counts cleared.
    ///
    /// ```
    /// let group = connfx::resilience::circuit_breaker::CircuitBreakerGroup::new(Default::default());
    /// group.get("a").force_open();
    /// group.reset_all();
    /// assert!(group.get("a").try_acquire().is_ok());
    /// ```
    pub fn reset_all(&self) {
        self.members().iter().for_each(|(_, cb)| cb.reset());
    }

    /// A receiver of every member's events; each event carries its member's name.
    ///
    /// ```
    /// let group = connfx::resilience::circuit_breaker::CircuitBreakerGroup::new(Default::default());
    /// let mut events = group.subscribe();
    /// group.get("a").trip();
    /// assert_eq!(events.try_recv().unwrap().name.as_deref(), Some("a"));
    /// ```
    pub fn subscribe(&self) -> broadcast::Receiver<CircuitEvent> {
        self.events.subscribe()
    }

    /// How many members there are.
    ///
    /// ```
    /// let group = connfx::resilience::circuit_breaker::CircuitBreakerGroup::new(Default::default());
    /// group.get("a");
    /// group.get("a");
    /// assert_eq!(group.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether there are no members.
    ///
    /// ```
    /// assert!(connfx::resilience::circuit_breaker::CircuitBreakerGroup::new(Default::default()).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// A copy of the member list, so no lock is held while members are used.
    /// The worst state among the members (open over half-open over closed): what a gauge of
    /// the whole group shows.
    pub(crate) fn worst_state(&self) -> CircuitState {
        let rank = |s: &CircuitState| match s {
            CircuitState::Closed => 0,
            CircuitState::HalfOpen => 1,
            CircuitState::Open => 2,
        };
        self.read()
            .values()
            .map(CircuitBreaker::state)
            .max_by_key(rank)
            .unwrap_or(CircuitState::Closed)
    }

    fn members(&self) -> Vec<(Arc<str>, CircuitBreaker)> {
        self.read()
            .iter()
            .map(|(name, cb)| (name.clone(), cb.clone()))
            .collect()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<Arc<str>, CircuitBreaker>> {
        self.members.read().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for CircuitBreakerGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreakerGroup")
            .field("config", &*self.config())
            .field("members", &self.len())
            .finish_non_exhaustive()
    }
}
