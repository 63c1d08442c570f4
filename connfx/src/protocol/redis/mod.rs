//! Redis connections on the [`redis`] crate: a multiplexed connection that reconnects by
//! itself, with the connection's retry, circuit breaker and timeouts on every command.
//!
//! ```no_run
//! use connfx::{Connection, RedisConfig, RedisConnection};
//!
//! # async fn run() -> Result<(), connfx::Error> {
//! let config: RedisConfig = serde_json::from_value(serde_json::json!({
//!     "url": "redis://127.0.0.1:6379/0",
//!     "timeout": { "per_attempt": "200ms", "total": "1s" },
//!     "retry": { "max_attempts": 3, "initial_interval": "20ms" },
//! }))
//! .expect("a valid config");
//! let cache = RedisConnection::connect("cache", config).await?; // no I/O yet
//! cache.set("greeting", "hello").await?;
//! let greeting: Option<String> = cache.get("greeting").await?;
//! let n: i64 = cache.cmd(redis::cmd("INCR").arg("visits")).query().await?;
//! # Ok(()) }
//! ```
//!
//! # How the settings map onto the redis crate
//!
//! | setting | effect |
//! |---|---|
//! | `url` | host, port, user, password and database (`/2`); `rediss://` for TLS (rustls, aws-lc-rs, the system's roots) |
//! | `password`, `database` | win over the URL's |
//! | `timeout.connect` | time to open a connection (TCP, TLS, `AUTH`, `SELECT`); default 1 s |
//! | `timeout.per_attempt` | one try of a command, connecting included; unset: no own limit (`total` bounds it) |
//! | `timeout.total` | the whole command, retries and the waits between them included; 30 s unless set |
//! | `retry`, `circuit_breaker` | applied to every [`RedisConnection::cmd`] and [`RedisConnection::pipeline`] call |
//! | `pool` | unset: one multiplexed connection; set: `pool.max_size` of them, used in turn (the other pool keys do not apply) |
//! | `tls` | `ca_file` (instead of the system's roots), `cert_file` + `key_file` (client certificate), `accept_invalid_certs` |
//! | `health` | `timeout`: how long the `PING` of [`Connection::health`] may take (`path` does not apply) |
//!
//! # Decisions
//!
//! - **One multiplexed connection** by default: a
//!   [`ConnectionManager`] pipelines every caller's commands over
//!   one socket, which is how Redis is fastest; a pool of exclusive connections would only add
//!   waiting. `pool(max_size = N)` opens N managers used in turn, for very high throughput.
//!   Blocking commands (`BLPOP`, `XREAD BLOCK`) stall a multiplexed connection: run them on a
//!   connection of their own from [`RedisConnection::client`].
//! - **Connecting does no network I/O**: the managers connect on first use, so a service boots
//!   while Redis is down and health shows it. A manager whose connection broke reconnects on
//!   the next command; after a Redis restart the first command on an old connection fails
//!   (`connection lost`) and the next one works, so a retry policy hides restarts.
//! - **One connect attempt per try**: the manager's own reconnect loop is turned off, so a
//!   command while Redis is down fails at once (`cannot connect`) instead of waiting through
//!   the crate's backoff; the retry policy decides about further tries.
//! - **What is retried**: `retry_on` keeps its meaning — `connect` (refused, nothing sent),
//!   `timeout`, `transport` (connection lost, maybe after the command was sent) and status `503`,
//!   which stands for the error replies that mean "not now": `BUSY`, `LOADING`, `TRYAGAIN`,
//!   `MASTERDOWN`, `CLUSTERDOWN`. Left at its default (an HTTP list), Redis reads it as
//!   `connect,timeout,transport,503`. Other error replies (`WRONGTYPE`, `ERR syntax error`,
//!   `NOSCRIPT`) and replies of the wrong type are never retried.
//! - **Idempotency**: after a try that may have reached the server (timeout, connection lost),
//!   only reads and plain writes (`GET`, `MGET`, `SET` without `NX`/`XX`/`GET`, `DEL`, `HSET`,
//!   `EXPIRE` …) are sent again; `INCR`, `LPUSH`, `EVAL`, `SET … NX` and unknown commands only
//!   when the call says [`RedisCall::idempotent`] or the connection `retry(non_idempotent = true)`.
//!   A pipeline is idempotent when all its commands are.
//! - **What the breaker counts**: refusals, timeouts, lost connections, failed authentication
//!   and "not now" replies. Other error replies and decode errors are the caller's, not counted.
//! - **Errors** are [`CallError`]s: `Transport` (`cannot connect`,
//!   `connection lost`, `authentication failed`), `Timeout`, `Server { code, message }` for an
//!   error reply, `Decode`, `CircuitOpen`, `RetriesExhausted`, `Closed`. None holds the password.
//! - **An unanswered command renews its connection**: a try that times out (its own limit or
//!   the call's deadline) replaces the manager it used, so the next call connects afresh. A
//!   connection that left a command unanswered may be half-open (the server, or a NAT or
//!   firewall on the way, lost it without a word); kept, it would hang every later command until
//!   TCP gave up, minutes later. Commands in flight on the old connection keep it until they end.
//!   A try the call's deadline cuts short counts as a timeout for the breaker, as one its own
//!   limit ends does. An I/O failure (refused, reset, lost) renews the manager too: the redis
//!   crate's manager would hand the stale failure of its own reconnect to the next command,
//!   which behind an open breaker is the half-open probe, even once the server is back.
//! - **A failed connection setup is not kept**: the redis crate keeps a setup refused for a
//!   reason other than I/O (wrong password, database out of range) for ever; connfx replaces
//!   that manager, so fixing the server's side heals the connection without a restart.
//! - **Raw access bypasses the policies**: [`RedisConnection::manager`] (pipelines, transactions,
//!   any `redis::AsyncCommands` call) and [`RedisConnection::client`] (Pub/Sub, blocking commands,
//!   dedicated connections) see no retry, breaker or connfx timeout, and report `redis` errors.
//! - **`close`** drops the managers: later calls fail with `Closed`; calls in flight finish.

mod attempt;
mod call;
mod client;
mod config;
mod failure;
mod health;
mod idempotency;
mod managers;
mod operation;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{Cmd, FromRedisValue, Pipeline, ToRedisArgs, ToSingleRedisArg};

use super::generations::Generations;
use crate::lifecycle::{DRAIN_LIMIT, InFlight};
use crate::registry::RegistrySlot;
use crate::reload::Prepared;
use crate::telemetry::Telemetry;
use crate::{Applied, CallError, ConnectError, Connection};
use managers::Managers;

pub use call::RedisCall;
pub use config::RedisConfig;

/// What `retry_on` means for Redis when it is left at its (HTTP) default.
const REDIS_RETRY_ON: &str = "connect,timeout,transport,503";

/// A live Redis connection: one or more multiplexed connection managers and the policies every
/// command goes through.
///
/// Cheap to clone (an `Arc` inside); every clone shares the connections, the policies and the
/// closed state. `Debug` shows the name and the URL with its password redacted, nothing else.
///
/// ```
/// use connfx::{Connection, RedisConfig, RedisConnection};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), connfx::ConnectError> {
/// let config: RedisConfig =
///     serde_json::from_str(r#"{"url": "redis://:hunter2@127.0.0.1:1/0"}"#).expect("valid");
/// let cache = RedisConnection::connect("cache", config).await?; // nothing listens: still fine
/// assert_eq!(cache.name(), "cache");
/// assert!(!format!("{cache:?}").contains("hunter2"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisConnection {
    /// Its life and its generations: [`RedisConnection::reload`] swaps them whole (a call loads
    /// one once, for all its tries).
    handle: Arc<Generations<Inner>>,
    /// The derived struct's registry, when this handle is one of its fields.
    slot: RegistrySlot,
}

/// One generation: the connection managers and the settings they were built from. Dropped
/// (its connections with it) when no call holds it any more.
struct Inner {
    config: Arc<RedisConfig>,
    /// Shared with the next generation when a reload keeps the connections.
    managers: Arc<Managers>,
    policies: crate::resilience::stack::Policies,
}
crate::reload::current::cached!(Inner);

impl RedisConnection {
    super::generations::live_accessors!(RedisConnection, RedisConfig, "cache");

    /// Starts a call of `cmd` through the connection's policies; finish it with
    /// [`RedisCall::query`] or [`RedisCall::exec`].
    ///
    /// ```no_run
    /// # async fn run(cache: connfx::RedisConnection) -> Result<(), connfx::CallError> {
    /// let name: Option<String> = cache.cmd(redis::cmd("HGET").arg("user:1").arg("name")).query().await?;
    /// # Ok(()) }
    /// ```
    pub fn cmd<'a>(&'a self, cmd: &'a Cmd) -> RedisCall<'a> {
        RedisCall::command(self, cmd)
    }

    /// Starts a call of a whole pipeline (or `MULTI`/`EXEC` transaction with
    /// [`Pipeline::atomic`]) through the policies, as one try. It is retried after a try that
    /// may have reached the server only if every command in it is idempotent (or the call says
    /// so).
    ///
    /// ```no_run
    /// # async fn run(cache: connfx::RedisConnection) -> Result<(), connfx::CallError> {
    /// let mut pipe = redis::pipe();
    /// pipe.atomic().set("a", 1).ignore().incr("a", 1);
    /// let (a,): (i64,) = cache.pipeline(&pipe).query().await?;
    /// # Ok(()) }
    /// ```
    pub fn pipeline<'a>(&'a self, pipeline: &'a Pipeline) -> RedisCall<'a> {
        RedisCall::pipeline(self, pipeline)
    }

    /// Sends `cmd` and decodes the reply: `self.cmd(cmd).query().await`.
    ///
    /// ```no_run
    /// # async fn run(cache: connfx::RedisConnection) -> Result<(), connfx::CallError> {
    /// let size: i64 = cache.query(&redis::cmd("DBSIZE")).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// See [`RedisCall::query`].
    pub async fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T, CallError> {
        self.cmd(cmd).query().await
    }

    /// `GET key`, decoded as `T` (`Option<String>` for a key that may be missing).
    ///
    /// ```no_run
    /// # async fn run(cache: connfx::RedisConnection) -> Result<(), connfx::CallError> {
    /// let session: Option<String> = cache.get("session:42").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// See [`RedisCall::query`].
    pub async fn get<T: FromRedisValue>(&self, key: impl ToSingleRedisArg) -> Result<T, CallError> {
        self.query(redis::cmd("GET").arg(key)).await
    }

    /// `SET key value`.
    ///
    /// ```no_run
    /// # async fn run(cache: connfx::RedisConnection) -> Result<(), connfx::CallError> {
    /// cache.set("session:42", "alice").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// See [`RedisCall::exec`].
    pub async fn set(
        &self,
        key: impl ToSingleRedisArg,
        value: impl ToSingleRedisArg,
    ) -> Result<(), CallError> {
        self.cmd(redis::cmd("SET").arg(key).arg(value)).exec().await
    }

    /// `SET key value PX ttl`: the key expires after `ttl` (whole milliseconds, at least 1).
    ///
    /// ```no_run
    /// # async fn run(cache: connfx::RedisConnection) -> Result<(), connfx::CallError> {
    /// cache.set_ex("session:42", "alice", std::time::Duration::from_secs(600)).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// See [`RedisCall::exec`].
    pub async fn set_ex(
        &self,
        key: impl ToSingleRedisArg,
        value: impl ToSingleRedisArg,
        ttl: Duration,
    ) -> Result<(), CallError> {
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut cmd = redis::cmd("SET");
        cmd.arg(key).arg(value).arg("PX").arg(millis);
        self.cmd(&cmd).exec().await
    }

    /// `DEL key…`: the number of keys removed. `keys` is one key or a slice/`Vec` of them.
    ///
    /// ```no_run
    /// # async fn run(cache: connfx::RedisConnection) -> Result<(), connfx::CallError> {
    /// let removed = cache.del(&["session:42", "session:43"]).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// See [`RedisCall::query`].
    pub async fn del(&self, keys: impl ToRedisArgs) -> Result<u64, CallError> {
        self.query(redis::cmd("DEL").arg(keys)).await
    }

    /// A handle to a connection manager (the next one in turn), for what [`RedisCall`] does not
    /// cover: `redis::AsyncCommands`, scripts, `Pipeline::query_async`. Calls made with it
    /// **bypass** the retry policy, circuit breaker and connfx timeouts, and report the redis
    /// crate's own errors; the manager still reconnects by itself.
    ///
    /// ```no_run
    /// # async fn run(cache: connfx::RedisConnection) -> Result<(), Box<dyn std::error::Error>> {
    /// use redis::AsyncCommands;
    /// let mut manager = cache.manager()?;
    /// let len: usize = manager.rpush("queue", "job-1").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`CallError::Closed`] once the connection is closed.
    pub fn manager(&self) -> Result<ConnectionManager, CallError> {
        self.live()
            .managers
            .pick()
            .map(|(_, manager)| manager)
            .ok_or_else(|| self.closed_error())
    }

    /// The redis client (URL, password, database and TLS resolved), for connections of your own:
    /// Pub/Sub (`client().get_async_pubsub()`), blocking commands, `MONITOR`. They bypass every
    /// connfx policy and are not closed by [`Connection::close`].
    ///
    /// ```no_run
    /// # async fn run(cache: connfx::RedisConnection) -> Result<(), Box<dyn std::error::Error>> {
    /// let mut pubsub = cache.client().get_async_pubsub().await?;
    /// pubsub.subscribe("events").await?;
    /// # Ok(()) }
    /// ```
    pub fn client(&self) -> redis::Client {
        self.live().managers.client().clone()
    }

    /// Whether [`Connection::close`] was called.
    ///
    /// ```no_run
    /// # async fn run(cache: connfx::RedisConnection) {
    /// use connfx::Connection;
    /// cache.close().await;
    /// assert!(cache.is_closed());
    /// # }
    /// ```
    pub fn is_closed(&self) -> bool {
        self.handle.lifecycle.is_closed()
    }

    /// Applies `config` to this live connection, checked as [`Connection::connect`] checks it,
    /// and says how ([`Applied`]). Policies change in place keeping their state (an open
    /// breaker stays open, a limit keeps its tokens) and `timeout.total` and `health` apply as
    /// they are ([`Applied::Live`]). Any other key (the URL, TLS, `pool.max_size`, the other
    /// timeouts) builds new connections beside the old ones ([`Applied::Reconnected`], lazily:
    /// they connect on their first command): commands already started, their retries
    /// included, finish on the old ones, which close when the last of them ends; later
    /// commands use the new ones. A manager taken earlier with [`manager`](Self::manager) keeps
    /// the old connection.
    ///
    /// # Errors
    /// A [`ConnectError`] when `config` cannot make a client or a policy refuses it; the
    /// connection then keeps running as it was.
    ///
    /// ```no_run
    /// use connfx::{Applied, Connection, RedisConfig, RedisConnection};
    /// # async fn run(cache: RedisConnection) -> Result<(), connfx::ConnectError> {
    /// let config = |json| serde_json::from_value::<RedisConfig>(json).expect("valid");
    /// let moved = config(serde_json::json!({ "url": "redis://127.0.0.1:6379/1" }));
    /// assert_eq!(cache.reload(moved).await?, Applied::Reconnected);
    /// # Ok(()) }
    /// ```
    pub async fn reload(&self, config: RedisConfig) -> Result<Applied, ConnectError> {
        Ok(self.prepare(config).await?.apply())
    }

    /// The checks and, when needed, the new managers of a reload to `config`; applying it
    /// changes the policies in place and swaps. The reload's turn is held until it is applied
    /// or dropped.
    async fn prepare(&self, config: RedisConfig) -> Result<Prepared, ConnectError> {
        let turn = self.handle.reload_turn().await?;
        let name = self.name();
        crate::resilience::stack::Policies::check(config.policies())
            .map_err(|e| ConnectError::new(name, e.to_string()))?;
        let applied = crate::reload::applied::<Self>(&self.live().config, &config);
        let managers = match applied {
            Applied::Live => None,
            Applied::Reconnected => Some(managers_of(name, &config)?),
        };
        let handle = Arc::clone(&self.handle);
        Ok(Prepared::new(applied, move || {
            let _turn = turn;
            let now = handle.live();
            let Some(policies) = now
                .policies
                .carried_on(&handle.name, config.policies(), &handle.telemetry)
            else {
                return;
            };
            let managers = managers.map_or_else(|| Arc::clone(&now.managers), Arc::new);
            handle.swap_in(Arc::new(Inner {
                config: Arc::new(config),
                managers,
                policies,
            }));
            tracing::info!(connection = %handle.name, ?applied, "redis connection reloaded");
        }))
    }

    /// The connections and settings a call started now runs with, for all its tries.
    fn live(&self) -> Arc<Inner> {
        self.handle.live()
    }

    /// Counts a call in flight until the guard drops; `None` once closed.
    fn enter(&self) -> Option<InFlight<'_>> {
        self.handle.lifecycle.enter()
    }

    fn telemetry_handle(&self) -> &Telemetry {
        &self.handle.telemetry
    }

    fn closed_error(&self) -> CallError {
        CallError::Closed {
            connection: self.name().to_owned(),
        }
    }
}

impl Connection for RedisConnection {
    // Name and schemes from the protocol's one declaration in `connfx-spec`.
    const PROTOCOL: &'static str = connfx_spec::protocols::REDIS.name;
    const URL_SCHEMES: &'static [&'static str] = connfx_spec::protocols::REDIS.schemes;
    type Config = RedisConfig;

    /// Sets the connection up without any network I/O: the managers connect on first use.
    async fn connect(name: &str, config: RedisConfig) -> Result<Self, ConnectError> {
        let managers = managers_of(name, &config)?;
        tracing::debug!(connection = name, url = %config.url, connections = managers.len(), "redis connection set up");
        let inner = Inner {
            policies: crate::resilience::stack::Policies::new(name, config.policies()),
            config: Arc::new(config),
            managers: Arc::new(managers),
        };
        let handle = Arc::new(Generations::new(name, "redis", Arc::new(inner)));
        offer_gauges(&handle);
        Ok(RedisConnection {
            handle,
            slot: RegistrySlot::new(),
        })
    }

    /// Marks the connection closed, so new calls fail with
    /// [`CallError::Closed`](crate::CallError::Closed), and drops its managers: calls in flight
    /// finish, and each socket closes with its last handle.
    async fn close(&self) {
        let _turn = self.handle.close_turn().await;
        if self.handle.lifecycle.close(DRAIN_LIMIT).await {
            self.live().managers.close();
            tracing::debug!(connection = self.name(), "redis connection closed");
        }
    }

    super::handle::handle_methods!(
        health = health::check,
        telemetry = handle.telemetry,
        reload,
        fleet
    );

    #[cfg(feature = "redis")]
    fn fleet_breaker(&self) -> Option<Arc<crate::resilience::circuit_breaker::FleetBreaker>> {
        self.live().policies.fleet_breaker.clone()
    }
}

impl fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::handle::fmt_handle(f, "RedisConnection", &self.handle.name, &self.live().config.url)
    }
}

/// Retries and breaker transitions, and the gauges: `connfx.pool.size` (managers) and
/// `connfx.pool.in_use` (commands in flight). There is no waiters gauge: a multiplexed
/// connection never makes a command wait for a connection.
/// The connection managers of `config` (lazy: they connect on their first command).
fn managers_of(name: &str, config: &RedisConfig) -> Result<Managers, ConnectError> {
    let client = client::build(config).map_err(|message| ConnectError::new(name, message))?;
    let count = match &config.pool {
        Some(pool) => {
            warn_unused_pool_keys(name, pool);
            usize::try_from(pool.max_size).unwrap_or(1)
        }
        None => 1,
    };
    Managers::new(client, client::manager_config(config), count)
        .map_err(|e| ConnectError::new(name, format!("invalid Redis settings: {e}")))
}

fn offer_gauges(handle: &Arc<Generations<Inner>>) {
    let telemetry = &handle.telemetry;
    handle.live().policies.watch(telemetry);
    // Each reads the current generation.
    telemetry.gauge_of("connfx.pool.size", "Connections of the pool", handle, |h| {
        i64::try_from(h.live().managers.len()).unwrap_or(i64::MAX)
    });
    telemetry.gauge_of("connfx.pool.in_use", "Calls in flight", handle, |h| {
        h.lifecycle.in_flight().max(0)
    });
}

/// The pool keys other than `max_size` have no meaning for multiplexed connections.
fn warn_unused_pool_keys(name: &str, pool: &crate::PoolConfig) {
    let defaults = crate::PoolConfig::default();
    let unused = pool.min_idle != defaults.min_idle
        || pool.max_lifetime != defaults.max_lifetime
        || pool.idle_timeout != defaults.idle_timeout
        || pool.acquire_timeout != defaults.acquire_timeout;
    if unused {
        tracing::warn!(
            connection = name,
            "redis: only `pool.max_size` applies (multiplexed connections); the other pool keys are ignored"
        );
    }
}
