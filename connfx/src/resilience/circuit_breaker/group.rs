//! [`CircuitBreakerGroup`]: one breaker per name (per host, per endpoint), made on first use.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use tokio::sync::broadcast;

use super::events::CHANNEL_CAPACITY;
use super::{
    CircuitBreaker, CircuitBreakerConfig, CircuitEvent, CircuitState, CircuitStats, Clock, InvalidConfig,
};
use crate::resilience::recent::{Bounds, Recent};

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
    members: Recent<Arc<str>, CircuitBreaker>,
    /// Members with a config of their own (`register`, `insert`): a group `reconfigure`
    /// leaves them as they are, and bounds never evict them.
    own_config: RwLock<HashSet<Arc<str>>>,
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
            members: Recent::new(Bounds::NONE),
            own_config: RwLock::default(),
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

    /// Keeps at most `bounds.max` members made on first use, and drops those unused for
    /// `bounds.idle` (members with a config of their own stay): a `per_host` connection's
    /// breakers, one per host it called. A dropped member starts afresh, closed, when its name
    /// is used again. Unbounded unless set; may be set again later.
    ///
    /// ```
    /// use std::time::Duration;
    /// use connfx::resilience::circuit_breaker::CircuitBreakerGroup;
    /// use connfx::resilience::recent::Bounds;
    /// let hosts = CircuitBreakerGroup::new(Default::default());
    /// hosts.set_bounds(Bounds { max: 100, idle: Duration::from_secs(600) });
    /// for i in 0..1000 {
    ///     hosts.get(&format!("host-{i}"));
    /// }
    /// assert!(hosts.len() <= 100);
    /// ```
    pub fn set_bounds(&self, bounds: Bounds) {
        self.members.set_bounds(bounds);
    }

    /// The member called `name`, made now if it does not exist yet.
    ///
    /// ```
    /// let group = connfx::resilience::circuit_breaker::CircuitBreakerGroup::new(Default::default());
    /// assert_eq!(group.get("a").name(), Some("a"));
    /// assert_eq!(group.len(), 1);
    /// ```
    pub fn get(&self, name: &str) -> CircuitBreaker {
        if let Some(member) = self.members.get(name) {
            return member;
        }
        let own = self.own();
        let make = || {
            let name: Arc<str> = Arc::from(name);
            (name.clone(), self.make(name))
        };
        self.members.get_or_make(name, make, |name| own.contains(name))
    }

    /// Adds a member called `name` with a config of its own (seed 001's `register`), replacing
    /// any member of that name; a group [`reconfigure`](Self::reconfigure) leaves it as it is.
    /// Its events reach the group's subscribers like any member's.
    ///
    /// ```
    /// use connfx::resilience::circuit_breaker::{CircuitBreakerGroup, CircuitState};
    /// let group = CircuitBreakerGroup::new(connfx::CircuitBreakerConfig::standard());
    /// group.register("payments", connfx::CircuitBreakerConfig::aggressive()).unwrap();
    /// for _ in 0..3 {
    ///     group.get("payments").try_acquire().unwrap().failure();
    /// }
    /// assert_eq!(group.get("payments").state(), CircuitState::Open);
    /// ```
    ///
    /// # Errors
    /// [`InvalidConfig`] listing each value out of bounds; nothing changes then.
    pub fn register(
        &self,
        name: &str,
        config: CircuitBreakerConfig,
    ) -> Result<CircuitBreaker, InvalidConfig> {
        config.check()?;
        let name: Arc<str> = Arc::from(name);
        let member = self.make_from(config, name.clone());
        self.pin(name.clone());
        let own = self.own();
        self.members
            .insert(name, member.clone(), |name| own.contains(name));
        Ok(member)
    }

    /// Adds `breaker`, built elsewhere, as the member called `name`, replacing any member of
    /// that name; it keeps its config (a group `reconfigure` leaves it alone), its state and its
    /// own subscribers, and the group's subscribers do not see its events.
    ///
    /// ```
    /// use connfx::resilience::circuit_breaker::{CircuitBreaker, CircuitBreakerGroup};
    /// let group = CircuitBreakerGroup::new(Default::default());
    /// let legacy = CircuitBreaker::new(connfx::CircuitBreakerConfig::conservative());
    /// group.insert("legacy", legacy.clone());
    /// assert_eq!(group.get("legacy").stats(), legacy.stats());
    /// ```
    pub fn insert(&self, name: &str, breaker: CircuitBreaker) {
        let name: Arc<str> = Arc::from(name);
        self.pin(name.clone());
        let own = self.own();
        self.members.insert(name, breaker, |name| own.contains(name));
    }

    /// Runs `call` through the member called `name` (made now if it does not exist yet), as
    /// [`CircuitBreaker::call`] does: seed 001's execute by name.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let group = connfx::resilience::circuit_breaker::CircuitBreakerGroup::new(Default::default());
    /// let answer = group.call("ledger", async { Ok::<_, std::io::Error>(42) }).await;
    /// assert_eq!(answer.unwrap(), 42);
    /// # });
    /// ```
    ///
    /// # Errors
    /// As [`CircuitBreaker::call`]: the call's own error, or the rejection of an open member.
    pub async fn call<F, T, E>(&self, name: &str, call: F) -> Result<T, super::BreakerError<E>>
    where
        F: std::future::Future<Output = Result<T, E>>,
    {
        self.get(name).call(call).await
    }

    fn pin(&self, name: Arc<str>) {
        self.own_config
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name);
    }

    /// The members with a config of their own, copied (few), so no lock on them is held while
    /// the members' lock is.
    fn own(&self) -> HashSet<Arc<str>> {
        self.own_config
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn make(&self, name: Arc<str>) -> CircuitBreaker {
        self.make_from(self.config().clone(), name)
    }

    fn make_from(&self, config: CircuitBreakerConfig, name: Arc<str>) -> CircuitBreaker {
        let builder = CircuitBreaker::builder(config)
            .name(name)
            .group_channel(self.events.clone());
        match &self.clock {
            Some(clock) => builder.shared_clock(clock.clone()).build(),
            None => builder.build(),
        }
    }

    /// Applies `config` to every member in place (see [`CircuitBreaker::reconfigure`]: each
    /// keeps its state) and to members made from now on; members with a config of their own
    /// ([`register`](Self::register), [`insert`](Self::insert)) keep theirs.
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
        let own = self.own();
        // Under the members' write lock, so no member is made from the old config after this.
        self.members.exclusive(|members| {
            *self.config() = config.clone();
            members
                .filter(|(name, _)| !own.contains(*name))
                .try_for_each(|(_, member)| member.reconfigure(config))
        })
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
        self.members.get(name)
    }

    /// Removes the member called `name`; handles already given out keep working on their own.
    ///
    /// ```
    /// let group = connfx::resilience::circuit_breaker::CircuitBreakerGroup::new(Default::default());
    /// group.get("a");
    /// assert!(group.remove("a").is_some());
    /// ```
    pub fn remove(&self, name: &str) -> Option<CircuitBreaker> {
        self.own_config
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name);
        self.members.remove(name)
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
        self.members.len()
    }

    /// Whether there are no members.
    ///
    /// ```
    /// assert!(connfx::resilience::circuit_breaker::CircuitBreakerGroup::new(Default::default()).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.members.len() == 0
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
        let mut worst = CircuitState::Closed;
        self.members.for_each(|_, member| {
            let state = member.state();
            if rank(&state) > rank(&worst) {
                worst = state;
            }
        });
        worst
    }

    fn members(&self) -> Vec<(Arc<str>, CircuitBreaker)> {
        let mut members = Vec::new();
        self.members
            .for_each(|name, member| members.push((name.clone(), member.clone())));
        members
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
