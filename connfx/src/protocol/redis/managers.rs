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
    slots: Box<[RwLock<Option<Held>>]>,
    next: AtomicUsize,
}

/// A manager and the number of times its slot was renewed before it.
struct Held {
    manager: ConnectionManager,
    generation: u64,
}

/// Which manager a call used: its slot and generation, so that renewing it replaces that
/// manager only, never a fresh one another call has put there since.
#[derive(Clone, Copy, Debug)]
pub(super) struct Slot {
    index: usize,
    generation: u64,
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
            .map(|_| {
                lazy(&client, &config).map(|manager| {
                    RwLock::new(Some(Held {
                        manager,
                        generation: 0,
                    }))
                })
            })
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

    /// The next manager in turn and its slot; `None` once closed.
    pub(super) fn pick(&self) -> Option<(Slot, ConnectionManager)> {
        let index = match self.slots.len() {
            1 => 0,
            n => self.next.fetch_add(1, Ordering::Relaxed) % n,
        };
        self.get(index)
    }

    /// The manager at `index` and its slot; `None` once closed.
    pub(super) fn get(&self, index: usize) -> Option<(Slot, ConnectionManager)> {
        let slot = self.slots.get(index)?;
        let held = slot.read().unwrap_or_else(|e| e.into_inner());
        held.as_ref().map(|held| {
            let slot = Slot {
                index,
                generation: held.generation,
            };
            (slot, held.manager.clone())
        })
    }

    /// Replaces the manager of `slot` by a fresh one, which will connect on first use; a no-op
    /// when another call has replaced it already (a burst of failures renews once, not once per
    /// call). For failures the manager would otherwise keep (a connection setup refused for a
    /// reason other than I/O, a stale reconnect failure) and for connections that may be dead.
    pub(super) fn renew(&self, slot: Slot) {
        let Some(lock) = self.slots.get(slot.index) else {
            return;
        };
        let mut held = lock.write().unwrap_or_else(|e| e.into_inner());
        let Some(current) = held.as_mut() else {
            return; // closed
        };
        if current.generation == slot.generation
            && let Ok(fresh) = lazy(&self.client, &self.config)
        {
            current.manager = fresh;
            current.generation += 1;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_burst_of_failures_renews_a_slot_once() {
        let client = Client::open("redis://127.0.0.1:1").expect("valid URL");
        let managers = Managers::new(client, ConnectionManagerConfig::new(), 1).expect("lazy managers");
        let (first, _) = managers.pick().expect("open");
        managers.renew(first);
        let (second, _) = managers.pick().expect("open");
        assert_eq!(second.generation, 1);
        // A second call that failed on the first manager must not replace the fresh one.
        managers.renew(first);
        assert_eq!(managers.pick().expect("open").0.generation, 1);
        managers.renew(second);
        assert_eq!(managers.pick().expect("open").0.generation, 2);
        managers.close();
        managers.renew(second);
        assert!(managers.pick().is_none(), "a closed connection stays closed");
    }
}
