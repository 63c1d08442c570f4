//! What a connection keeps for its whole life — its name, the calls in flight, its telemetry —
//! beside its current generation of settings and what was built from them, which a reload
//! swaps whole. A call loads the generation once and keeps it to its end, so a reload never
//! changes the settings under a call already started.
//!
//! SQL and Redis connections are built on [`Generations`] and answer their common accessors
//! through [`live_accessors!`]; one type and one macro rather than a copy in each protocol.

use std::sync::Arc;

use tokio::sync::OwnedMutexGuard;

use crate::ConnectError;
use crate::lifecycle::Lifecycle;
use crate::reload::current::{Cached, Current};
use crate::telemetry::Telemetry;

/// A connection's life and its generations (`G`: the protocol's settings, policies and
/// clients or pools of one generation).
pub(crate) struct Generations<G> {
    pub(crate) name: String,
    pub(crate) lifecycle: Lifecycle,
    pub(crate) telemetry: Telemetry,
    current: Current<G>,
    /// One reload at a time, from its preparation to its swap; `close` takes it too.
    reloading: Arc<tokio::sync::Mutex<()>>,
}

/// A reload's turn: held from its checks until its new generation is swapped in (or the
/// reload dropped), so two reloads never interleave and none swaps in behind a close.
pub(crate) type ReloadTurn = OwnedMutexGuard<()>;

impl<G: Cached> Generations<G> {
    /// A connection named `name` of `protocol` (as telemetry names it), starting at `first`.
    pub(crate) fn new(name: &str, protocol: &'static str, first: Arc<G>) -> Self {
        Generations {
            name: name.to_owned(),
            lifecycle: Lifecycle::default(),
            telemetry: Telemetry::new(name, protocol),
            current: Current::new(first),
            reloading: Arc::default(),
        }
    }

    /// The generation a call started now runs with, for all its tries.
    pub(crate) fn live(&self) -> Arc<G> {
        self.current.load_full()
    }

    /// Makes `next` the current generation; calls already started keep theirs.
    pub(crate) fn swap_in(&self, next: Arc<G>) {
        self.current.store(next);
    }

    /// Waits for the reload turn.
    ///
    /// # Errors
    /// A [`ConnectError`] once the connection is closed: a reload after `close` would open
    /// what nothing closes.
    pub(crate) async fn reload_turn(&self) -> Result<ReloadTurn, ConnectError> {
        let turn = Arc::clone(&self.reloading).lock_owned().await;
        if self.lifecycle.is_closed() {
            return Err(ConnectError::new(&self.name, "the connection is closed"));
        }
        Ok(turn)
    }

    /// Waits for a reload under way (so none swaps a new generation in behind the close), then
    /// for the turn to close; the caller closes its own clients or pools while holding it.
    pub(crate) async fn close_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.reloading.lock().await
    }
}

/// The public accessors a connection built on [`Generations`] (in its field `handle`, whose
/// generations have `config` and `policies`) answers the same way: `metrics`, `name`, `url`,
/// `config`, `breaker`, `retry`, `rate_limit`, `bulkhead`. Use it inside the connection's
/// `impl` block with its type, its config type and a variable name for the examples.
macro_rules! live_accessors {
    ($conn:ident, $config:ident, $var:literal) => {
        /// What the calls made through this connection did since it was made (each call
        /// whole, retries included): requests, errors, error rate, in flight, latency
        /// p50/p95/p99. Kept in process and always on; see [`CallStats`](crate::CallStats).
        ///
        #[doc = concat!("```\n# fn run(", $var, ": connfx::", stringify!($conn), ") {\n")]
        #[doc = concat!("println!(\"{} calls, {} failed\", ", $var, ".metrics().requests, ", $var, ".metrics().errors);\n# }\n```")]
        pub fn metrics(&self) -> crate::CallStats {
            self.handle.telemetry.metrics()
        }

        /// The connection's name (the field or registry name).
        pub fn name(&self) -> &str {
            &self.handle.name
        }

        #[doc = concat!("The URL (the current one, after a [`reload`](", stringify!($conn), "::reload)); its")]
        /// `Display` and `Debug` redact the password.
        pub fn url(&self) -> crate::ConnUrl {
            self.handle.live().config.url.clone()
        }

        /// The settings it runs with now: those it was built from, or those of its last
        #[doc = concat!("[`reload`](", stringify!($conn), "::reload).")]
        pub fn config(&self) -> ::std::sync::Arc<$config> {
            ::std::sync::Arc::clone(&self.handle.live().config)
        }

        /// The live circuit breaker (`circuit_breaker(...)` in the config), if any.
        ///
        #[doc = concat!("```no_run\n# fn run(", $var, ": connfx::", stringify!($conn), ") {\n")]
        #[doc = concat!("if let Some(breaker) = ", $var, ".breaker() {\n    println!(\"{:?}\", breaker.state());\n}\n# }\n```")]
        pub fn breaker(&self) -> Option<crate::CircuitBreaker> {
            self.handle.live().policies.breaker.as_ref()?.one().cloned()
        }

        /// The live retry policy (its stats and events), if the connection has one.
        ///
        #[doc = concat!("```no_run\n# fn run(", $var, ": connfx::", stringify!($conn), ") {\n")]
        #[doc = concat!("if let Some(retry) = ", $var, ".retry() {\n    println!(\"{} retries so far\", retry.stats().retries);\n}\n# }\n```")]
        pub fn retry(&self) -> Option<crate::Retry> {
            self.handle.live().policies.retry.clone()
        }

        /// The live rate limit (`rate_limit(...)` in the config), if any.
        ///
        #[doc = concat!("```no_run\n# fn run(", $var, ": connfx::", stringify!($conn), ") {\n")]
        #[doc = concat!("let turned_away = ", $var, ".rate_limit().map_or(0, |l| l.stats().rejected);\n# }\n```")]
        pub fn rate_limit(&self) -> Option<crate::RateLimit> {
            self.handle.live().policies.rate_limit.as_ref()?.one().cloned()
        }

        /// The live bulkhead (`bulkhead(...)` in the config), if any.
        ///
        #[doc = concat!("```no_run\n# fn run(", $var, ": connfx::", stringify!($conn), ") {\n")]
        #[doc = concat!("let in_flight = ", $var, ".bulkhead().map_or(0, |b| b.stats().in_flight);\n# }\n```")]
        pub fn bulkhead(&self) -> Option<crate::Bulkhead> {
            self.handle.live().policies.bulkhead.clone()
        }
    };
}
pub(crate) use live_accessors;
