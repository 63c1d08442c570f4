//! Changing live connections' settings without a restart: what changed and how it was applied.
//!
//! A reload keeps what a connection has learnt and never fails a call in flight: policies
//! change in place (a breaker keeps its state, a rate limit its tokens, a bulkhead its calls
//! in flight, a retry budget its balance), and a change that needs a new client builds it
//! beside the old one, which finishes the calls already started.
//!
//! - One connection: [`HttpConnection::reload`](crate::HttpConnection::reload).
//! - A derived struct: `conns.reload(sources)` loads `sources` as a boot would, works out every
//!   [`Change`], and applies all of them or none ([`ReloadReport`]).
//! - Before a deploy: the CLI's `plan` prints the same changes without applying them.

pub(crate) mod current;
mod diff;
mod plan;
mod set;
mod watch;

use std::fmt;

use serde::Serialize;

pub(crate) use diff::Compared;
#[cfg(any(feature = "websocket", feature = "sql", feature = "redis"))]
pub(crate) use diff::applied;
pub use plan::{Plan, plan};
#[doc(hidden)]
pub use set::SetReload;
pub use watch::{ReloadEvent, Trigger, Watch, WatchError, Watcher};

/// How a reload applies a connection's new settings.
///
/// ```
/// assert_ne!(connfx::Applied::Live, connfx::Applied::Reconnected);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Applied {
    /// Swapped in place: the client, its pool and its open connections are kept.
    Live,
    /// A new client (or pool) was built beside the old one; calls started before the reload
    /// finish on the old one, which is closed when they have.
    Reconnected,
}

impl fmt::Display for Applied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Applied::Live => "live",
            Applied::Reconnected => "reconnect",
        })
    }
}

/// How a change of one key is applied on every protocol whose calls go through the policy
/// stack: its policies and its total deadline change in place ([`Applied::Live`]); `None` for
/// any other key, which the protocol decides.
///
/// ```
/// use connfx::Applied;
/// use connfx::reload::policy_key;
/// assert_eq!(policy_key("circuit_breaker.failure_threshold"), Some(Applied::Live));
/// assert_eq!(policy_key("timeout.total"), Some(Applied::Live));
/// assert_eq!(policy_key("max_hosts"), Some(Applied::Live));
/// assert_eq!(policy_key("hosts"), Some(Applied::Live));
/// assert_eq!(policy_key("url"), None);
/// ```
pub fn policy_key(path: &str) -> Option<Applied> {
    // `hosts` holds single hosts' policies (changed in place) and headers (added per request).
    const GROUPS: [&str; 5] = ["retry", "circuit_breaker", "rate_limit", "bulkhead", "hosts"];
    // The bounds of a `per_host` connection's breakers and limits, set on them in place.
    const KEYS: [&str; 3] = ["timeout.total", "max_hosts", "host_idle"];
    let group = path.split('.').next().unwrap_or(path);
    (GROUPS.contains(&group) || KEYS.contains(&path)).then_some(Applied::Live)
}

/// How a reload applies a change of the key at `path` on a built-in connection: its policies,
/// `timeout.total` and `health` change in place ([`Applied::Live`]); any other key is part of
/// how it reaches the service (the URL, TLS, headers, pool, the other timeouts) and needs a new
/// client, pool or socket beside the old one ([`Applied::Reconnected`]). The one rule of every
/// built-in protocol that reloads.
///
/// ```
/// use connfx::Applied;
/// use connfx::reload::live_unless_transport;
/// assert_eq!(live_unless_transport("health.timeout"), Some(Applied::Live));
/// assert_eq!(live_unless_transport("pool.max_size"), Some(Applied::Reconnected));
/// ```
pub fn live_unless_transport(path: &str) -> Option<Applied> {
    let live = policy_key(path).is_some() || path.starts_with("health.");
    Some(if live { Applied::Live } else { Applied::Reconnected })
}

/// One changed key of a reload (or of a `plan`): its path, the old and new values as people
/// may see them (secrets masked), and how it is applied.
///
/// ```
/// # fn run(report: connfx::ReloadReport) {
/// for change in report.changes() {
///     tracing::info!(key = change.path(), old = ?change.old_value(), new = ?change.new_value(), applied = %change.applied(), "changed");
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    path: String,
    old: Option<String>,
    new: Option<String>,
    applied: Applied,
}

impl Change {
    /// The config path, e.g. `payments.circuit_breaker.failure_threshold`.
    ///
    /// ```
    /// # fn run(change: &connfx::reload::Change) {
    /// assert!(change.path().contains('.'));
    /// # }
    /// ```
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The value before, as text (`[redacted]` for a secret, a URL's password hidden); `None`
    /// when the key had no value (a policy switched on).
    ///
    /// ```
    /// # fn run(change: &connfx::reload::Change) {
    /// println!("was {}", change.old_value().unwrap_or("unset"));
    /// # }
    /// ```
    pub fn old_value(&self) -> Option<&str> {
        self.old.as_deref()
    }

    /// The value after, shown as [`old_value`](Change::old_value) is; `None` when the key has no value now.
    ///
    /// ```
    /// # fn run(change: &connfx::reload::Change) {
    /// println!("is {}", change.new_value().unwrap_or("unset"));
    /// # }
    /// ```
    pub fn new_value(&self) -> Option<&str> {
        self.new.as_deref()
    }

    /// How the change is applied.
    ///
    /// ```
    /// # fn run(change: &connfx::reload::Change) {
    /// if change.applied() == connfx::Applied::Reconnected {
    ///     tracing::warn!(key = change.path(), "a new client was built");
    /// }
    /// # }
    /// ```
    pub fn applied(&self) -> Applied {
        self.applied
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "(unset)".to_owned());
        write!(
            f,
            "{}: {} -> {} ({})",
            self.path,
            shown(&self.old),
            shown(&self.new),
            self.applied
        )
    }
}

/// What a reload changed: every changed key, in field and key order. Empty when the sources
/// say what the connections already run with.
///
/// ```
/// # fn run(report: connfx::ReloadReport) {
/// if report.changes().is_empty() {
///     tracing::info!("configuration unchanged");
/// }
/// # }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReloadReport {
    changes: Vec<Change>,
}

impl ReloadReport {
    pub(crate) fn new(changes: Vec<Change>) -> Self {
        ReloadReport { changes }
    }

    /// Every changed key.
    ///
    /// ```
    /// # fn run(report: connfx::ReloadReport) {
    /// for change in report.changes() {
    ///     println!("{change}");
    /// }
    /// # }
    /// ```
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// The change of the key at `path`, if it changed.
    ///
    /// ```
    /// # fn run(report: connfx::ReloadReport) {
    /// if let Some(change) = report.change("payments.url") {
    ///     println!("payments moved: {change}");
    /// }
    /// # }
    /// ```
    pub fn change(&self, path: &str) -> Option<&Change> {
        self.changes.iter().find(|c| c.path == path)
    }
}

/// A connection's reload, checked and built but not applied yet: what
/// [`Connection::prepare_reload`](crate::Connection::prepare_reload) gives back. Applying it
/// cannot fail; dropping it changes nothing (a client built for it is dropped).
///
/// A reload of a derived struct prepares every changed connection first and applies them only
/// when all were prepared, so a connection that refuses its new settings leaves all of them as
/// they were.
///
/// ```
/// let prepared = connfx::reload::Prepared::new(connfx::Applied::Live, || {});
/// assert_eq!(prepared.apply(), connfx::Applied::Live);
/// ```
#[must_use = "a prepared reload changes nothing until it is applied"]
pub struct Prepared {
    applied: Applied,
    apply: Box<dyn FnOnce() + Send>,
}

impl Prepared {
    /// A reload that `apply` carries out (swapping settings in, changing policies in place).
    pub fn new(applied: Applied, apply: impl FnOnce() + Send + 'static) -> Self {
        Prepared {
            applied,
            apply: Box::new(apply),
        }
    }

    /// Carries the reload out.
    pub fn apply(self) -> Applied {
        (self.apply)();
        self.applied
    }
}

impl fmt::Debug for Prepared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prepared")
            .field("applied", &self.applied)
            .finish_non_exhaustive()
    }
}
