//! The connection managers of one Redis connection: one by default, `pool.max_size` when a
//! pool is set, used in turn; each is a multiplexed connection that reconnects by itself.

use std::sync::RwLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use redis::Client;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// The managers, or none once closed. Handing one out clones an `Arc`: no I/O, no wait.
pub(super) struct Managers {
    client: Client,
    config: ConnectionManagerConfig,
    slots: Box<[RwLock<Option<ConnectionManager>>]>,
    next: AtomicUsize,
}

impl Managers {
    /// `count` managers that connect on first use.
    ///
    /// # Errors
    /// The redis crate's refusal of the settings (none is known for the ones connfx sets).
    pub(super) fn new(
        client: Client,
        config: ConnectionManagerConfig,
        count: usize,
    ) -> redis::RedisResult<Self> {
        let slots = (0..count.max(1))
            .map(|_| lazy(&client, &config).map(|m| RwLock::new(Some(m))))
            .collect::<redis::RedisResult<_>>()?;
        Ok(Managers {
            client,
            config,
            slots,
            next: AtomicUsize::new(0),
        })
    }

    /// The redis client the managers connect with.
    pub(super) fn client(&self) -> &Client {
        &self.client
    }

    /// How many managers there are.
    pub(super) fn len(&self) -> usize {
        self.slots.len()
    }

    /// The next manager in turn and its index; `None` once closed.
    pub(super) fn pick(&self) -> Option<(usize, ConnectionManager)> {
        let index = match self.slots.len() {
            1 => 0,
            n => self.next.fetch_add(1, Ordering::Relaxed) % n,
        };
        self.get(index).map(|m| (index, m))
    }

    /// The manager at `index`; `None` once closed.
    pub(super) fn get(&self, index: usize) -> Option<ConnectionManager> {
        let slot = self.slots.get(index)?;
        slot.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the manager at `index` by a fresh one, which will connect on first use. For
    /// failures the manager would otherwise return for ever (a connection setup refused for a
    /// reason other than I/O, such as a wrong password since corrected on the server).
    pub(super) fn renew(&self, index: usize) {
        let Some(slot) = self.slots.get(index) else {
            return;
        };
        let mut slot = slot.write().unwrap_or_else(|e| e.into_inner());
        if slot.is_some()
            && let Ok(fresh) = lazy(&self.client, &self.config)
        {
            *slot = Some(fresh);
        }
    }

    /// Drops every manager: later calls find none. Calls in flight keep their own handle and
    /// finish; a socket closes when its last handle is gone.
    pub(super) fn close(&self) {
        for slot in &self.slots {
            slot.write().unwrap_or_else(|e| e.into_inner()).take();
        }
    }
}

fn lazy(client: &Client, config: &ConnectionManagerConfig) -> redis::RedisResult<ConnectionManager> {
    ConnectionManager::new_lazy_with_config(client.clone(), config.clone())
}
