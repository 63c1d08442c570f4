//! The sockets of one connection: one, or a pool of them (`pool(...)`), each kept open by a
//! driver task of its own and reconnecting on its own. A send takes the next free open socket
//! in turn; every socket's messages go to the connection's one inbound queue.
//!
//! Written here rather than taken from a pool crate (bb8, deadpool): those lend a connection
//! to one caller at a time and check it back in, where a WebSocket takes frames from many
//! callers at once and keeps itself open; what is left is choosing a socket, growing when all
//! are busy and letting idle ones go, about a hundred lines.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, Weak};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, mpsc, oneshot, watch};

use super::driver::Driver;
use super::link::{Command, LinkState, Settings, Shared};
use super::{Inner, WebSocketMessage};

/// How often the pool looks for idle or old sockets at most, and at least.
const REAP_FLOOR: Duration = Duration::from_millis(10);
const REAP_CEILING: Duration = Duration::from_secs(5);

/// One socket: the commands its driver takes, the state it publishes, and how it is used.
pub(super) struct Link {
    pub(super) commands: mpsc::UnboundedSender<Command>,
    pub(super) state: watch::Receiver<LinkState>,
    /// How many sockets it has opened: the number of the open one.
    #[cfg_attr(not(feature = "graphql"), allow(dead_code))]
    pub(super) opened: watch::Receiver<u64>,
    /// Sends handed to it and not answered yet.
    busy: AtomicU32,
    /// When it last took a send (or was made), in ms since the pool's epoch: `idle_timeout`.
    used: AtomicU64,
    /// When its socket was last (re)opened for `max_lifetime`, in ms since the epoch.
    born: AtomicU64,
}

impl Link {
    fn is_open(&self) -> bool {
        matches!(*self.state.borrow(), LinkState::Open)
    }
}

/// A send's hold on its socket: counted busy until dropped, which marks it used (of a pool
/// that may let sockets go: a single socket's last use matters to no one, and reading the
/// clock on every send would cost each one for nothing).
pub(super) struct Held<'a> {
    pub(super) link: Arc<Link>,
    sockets: Option<&'a Sockets>,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.link.busy.fetch_sub(1, Relaxed);
        if let Some(sockets) = self.sockets {
            self.link.used.store(sockets.now(), Relaxed);
        }
    }
}

/// The connection's sockets.
pub(super) struct Sockets {
    shared: Arc<Shared>,
    inbound: mpsc::Sender<WebSocketMessage>,
    links: RwLock<Vec<Arc<Link>>>,
    /// Where the next send starts looking, so sends go round.
    next: AtomicUsize,
    /// The most sockets the settings allow (`pool.max_size`, else 1), as of the last
    /// [`settings_changed`](Sockets::settings_changed): read by every send without loading the
    /// settings.
    max: AtomicUsize,
    /// Wakes the keeper (new settings, close, drop), so it need not poll for a pool a reload
    /// adds, nor for its connection's end. Its own `Arc`: the keeper holds the connection weakly.
    woken: Arc<Notify>,
    epoch: Instant,
}

impl Drop for Sockets {
    fn drop(&mut self) {
        self.wake_keeper();
    }
}

/// How many sockets `settings` keep at least (one) and at most.
fn bounds(settings: &Settings) -> (usize, usize) {
    match &settings.config.pool {
        None => (1, 1),
        Some(pool) => {
            let max = pool.max_size.max(1) as usize;
            ((pool.min_idle as usize).clamp(1, max), max)
        }
    }
}

impl Sockets {
    /// The sockets `shared`'s settings keep at least, opening in the background.
    pub(super) fn new(shared: Arc<Shared>, inbound: mpsc::Sender<WebSocketMessage>) -> Sockets {
        let sockets = Sockets {
            shared,
            inbound,
            links: RwLock::default(),
            next: AtomicUsize::new(0),
            max: AtomicUsize::new(1),
            woken: Arc::default(),
            epoch: Instant::now(),
        };
        sockets.fill();
        sockets
    }

    /// Takes new settings (a reload): the bounds apply at once, and the keeper looks again.
    pub(super) fn settings_changed(&self) {
        self.fill();
        self.wake_keeper();
    }

    /// Makes the keeper look now (it ends if the connection is closed or gone).
    pub(super) fn wake_keeper(&self) {
        self.woken.notify_one();
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn read(&self) -> RwLockReadGuard<'_, Vec<Arc<Link>>> {
        self.links.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every socket now.
    pub(super) fn all(&self) -> Vec<Arc<Link>> {
        self.read().clone()
    }

    /// The first socket, which lives as long as the connection.
    #[cfg_attr(not(feature = "graphql"), allow(dead_code))]
    pub(super) fn first(&self) -> Option<Arc<Link>> {
        self.read().first().cloned()
    }

    /// The socket for one send: the next open one that has no send under way; when every
    /// open one is busy, the least busy, and one more opens in the background if the pool has
    /// room; when none is open, the next in turn (the send waits for its reconnect).
    pub(super) fn pick(&self) -> Held<'_> {
        let links = self.read();
        let max = self.max.load(Relaxed);
        let hold = |link: &Arc<Link>| {
            link.busy.fetch_add(1, Relaxed);
            Held {
                link: Arc::clone(link),
                sockets: (max > 1).then_some(self),
            }
        };
        // Counted under the read lock, so the reaper (holding the write lock) never lets a
        // socket go between its choice and its send.
        if let ([only], 1) = (links.as_slice(), max) {
            return hold(only);
        }
        // Never empty: `new` opens at least one socket and `reap` keeps at least one.
        let start = self.next.fetch_add(1, Relaxed) % links.len().max(1);
        let turn = links.iter().cycle().skip(start).take(links.len());
        let open = turn.filter(|link| link.is_open());
        let Some(least) = open.min_by_key(|link| link.busy.load(Relaxed)) else {
            return hold(&links[start]);
        };
        let held = hold(least);
        let (busy, seen) = (held.link.busy.load(Relaxed) > 1, links.len());
        drop(links);
        if busy && seen < max {
            // One more; a send that saw as many sockets and grew first leaves nothing to do.
            self.open_until(seen + 1);
        }
        held
    }

    /// Opens sockets up to the settings' least number, and notes their most.
    fn fill(&self) {
        let (least, most) = bounds(&self.shared.settings.load());
        self.max.store(most, Relaxed);
        self.open_until(least);
    }

    /// Opens sockets until there are `wanted`.
    fn open_until(&self, wanted: usize) {
        let mut links = self.links.write().unwrap_or_else(PoisonError::into_inner);
        while links.len() < wanted {
            let link = self.open(links.is_empty());
            links.push(link);
            tracing::debug!(connection = %self.shared.name, sockets = links.len(), "websocket socket added");
        }
    }

    /// A new socket and its driver task (which opens it at once).
    fn open(&self, first: bool) -> Arc<Link> {
        let (commands, orders) = mpsc::unbounded_channel();
        let (publish, state) = watch::channel(LinkState::Connecting);
        let (count, opened) = watch::channel(0);
        let shared = Arc::clone(&self.shared);
        let driver = Driver::new(shared, orders, self.inbound.clone(), publish, count, first);
        tokio::spawn(driver.run());
        let now = self.now();
        Arc::new(Link {
            commands,
            state,
            opened,
            busy: AtomicU32::new(0),
            used: AtomicU64::new(now),
            born: AtomicU64::new(now),
        })
    }

    /// Lets go of sockets beyond the least number that sent nothing for `idle_timeout` (the
    /// newest first), reopens those older than `max_lifetime`, and opens up to the least
    /// number (a reload may have raised it).
    fn reap(&self) {
        let settings = self.shared.settings.load();
        let Some(pool) = &settings.config.pool else {
            return;
        };
        let (floor, _) = bounds(&settings);
        let idle = u64::try_from(pool.idle_timeout.as_millis()).unwrap_or(u64::MAX);
        let now = self.now();
        let mut retired = Vec::new();
        {
            let mut links = self.links.write().unwrap_or_else(PoisonError::into_inner);
            let mut index = links.len();
            while index > floor {
                index -= 1;
                let link = &links[index];
                if link.busy.load(Relaxed) == 0 && now.saturating_sub(link.used.load(Relaxed)) >= idle {
                    retired.push(links.remove(index));
                }
            }
            if let Some(lifetime) = pool.max_lifetime {
                let lifetime = u64::try_from(lifetime.as_millis()).unwrap_or(u64::MAX);
                for link in links.iter() {
                    if now.saturating_sub(link.born.load(Relaxed)) >= lifetime {
                        link.born.store(now, Relaxed);
                        // Frames already handed to it are written first; later ones wait.
                        let _ = link.commands.send(Command::Reconnect);
                    }
                }
            }
        }
        if !retired.is_empty() {
            tracing::debug!(connection = %self.shared.name, retired = retired.len(), "websocket pool let idle sockets go");
        }
        for link in retired {
            let (done, _) = oneshot::channel();
            let _ = link.commands.send(Command::Close { done });
        }
        self.fill();
    }

    /// How long until the next look: a quarter of the shortest of `idle_timeout` and
    /// `max_lifetime`, within bounds; `None` without a pool (nothing to look at until a reload
    /// adds one).
    fn period(&self) -> Option<Duration> {
        let settings = self.shared.settings.load();
        let pool = settings.config.pool.as_ref()?;
        let shortest = pool
            .max_lifetime
            .map_or(pool.idle_timeout, |lifetime| lifetime.min(pool.idle_timeout));
        Some((shortest / 4).clamp(REAP_FLOOR, REAP_CEILING))
    }
}

/// Keeps the pool of `inner` to its settings until the connection is closed or dropped: looks
/// every [`period`](Sockets::period) (without a pool, never) and whenever the keeper is woken
/// (new settings, close, drop). Holds the connection only weakly, so it never keeps it alive.
pub(super) async fn keep(inner: Weak<Inner>) {
    let Some(woken) = inner.upgrade().map(|inner| Arc::clone(&inner.sockets.woken)) else {
        return;
    };
    loop {
        let Some(period) = inner.upgrade().map(|inner| inner.sockets.period()) else {
            return;
        };
        // A wake given while no one waits is kept for the next wait (`notify_one`), so one
        // given between the look above and this wait is not lost.
        match period {
            Some(period) => {
                tokio::select! {
                    () = tokio::time::sleep(period) => {}
                    () = woken.notified() => {}
                }
            }
            None => woken.notified().await,
        }
        let Some(inner) = inner.upgrade() else {
            return;
        };
        if inner.is_closed() {
            return;
        }
        inner.sockets.reap();
    }
}
