//! The emitter every policy uses to hand its events to callbacks and to
//! `tokio::sync::broadcast` subscribers.

use std::sync::{Arc, PoisonError, RwLock};

use tokio::sync::broadcast;

type Callback<E> = Arc<dyn Fn(&E) + Send + Sync>;

/// Hands events to callbacks (synchronously, in registration order) and to broadcast
/// subscribers (a slow subscriber loses the oldest events, never blocks the policy). Events are
/// rare (retries, rejections), so emitting may lock; the policies' success paths never emit.
pub(crate) struct Emitter<E> {
    sender: broadcast::Sender<E>,
    callbacks: RwLock<Vec<Callback<E>>>,
}

/// Events a subscriber may fall behind by before it loses the oldest.
const CAPACITY: usize = 256;

impl<E: Clone> Emitter<E> {
    pub(crate) fn new() -> Self {
        Emitter {
            sender: broadcast::Sender::new(CAPACITY),
            callbacks: RwLock::default(),
        }
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<E> {
        self.sender.subscribe()
    }

    pub(crate) fn add(&self, callback: impl Fn(&E) + Send + Sync + 'static) {
        let mut callbacks = self.callbacks.write().unwrap_or_else(PoisonError::into_inner);
        callbacks.push(Arc::new(callback));
    }

    pub(crate) fn emit(&self, event: E) {
        // Cloned out of the lock, so a callback may register another without deadlock.
        let callbacks = self
            .callbacks
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        callbacks.iter().for_each(|callback| callback(&event));
        // No subscriber is not an error.
        let _ = self.sender.send(event);
    }
}
