//! `Bulkhead`: a bound on calls in flight, on a tokio semaphore.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::debug;

use super::events::Counters;
use super::{BulkheadConfig, BulkheadEvent, BulkheadFull, BulkheadLayer, BulkheadStats};
use crate::resilience::Emitter;
use crate::resilience::admission::{Admission, Admit};
use crate::resilience::timeout::Deadline;

/// At most `max_concurrent` calls in flight. A call that finds every slot taken waits up to
/// `max_wait` (never past the caller's [`Deadline`]) for one to free up, then is rejected with
/// [`BulkheadFull`]. Cheap to clone; clones share the slots.
///
/// ```
/// use connfx::BulkheadConfig;
/// use connfx::resilience::bulkhead::Bulkhead;
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let bulkhead = Bulkhead::new(BulkheadConfig { max_concurrent: 1, ..Default::default() });
/// let slot = bulkhead.acquire().await.unwrap();
/// assert_eq!(bulkhead.stats().in_flight, 1);
/// assert!(bulkhead.call(async { "second" }).await.is_err(), "full, and max_wait is zero");
/// drop(slot);
/// assert_eq!(bulkhead.call(async { "third" }).await, Ok("third"));
/// assert_eq!(bulkhead.stats().rejected, 1);
/// # });
/// ```
#[derive(Clone)]
pub struct Bulkhead {
    inner: Arc<Inner>,
}

struct Inner {
    semaphore: Arc<Semaphore>,
    max_concurrent: u32,
    max_wait: Duration,
    counters: Counters,
    events: Emitter<BulkheadEvent>,
}

/// A slot of a [`Bulkhead`], freed when dropped.
#[derive(Debug)]
pub struct BulkheadPermit {
    _permit: OwnedSemaphorePermit,
}

impl Bulkhead {
    /// The bulkhead of `config` (a `max_concurrent` of zero is read as one).
    pub fn new(config: BulkheadConfig) -> Self {
        let limit = u32::try_from(Semaphore::MAX_PERMITS).unwrap_or(u32::MAX);
        let max_concurrent = config.max_concurrent.clamp(1, limit);
        let inner = Inner {
            semaphore: Arc::new(Semaphore::new(max_concurrent as usize)),
            max_concurrent,
            max_wait: config.max_wait,
            counters: Counters::default(),
            events: Emitter::new(),
        };
        Bulkhead {
            inner: Arc::new(inner),
        }
    }

    /// Takes a slot, waiting for one up to `max_wait` and the current deadline.
    ///
    /// # Errors
    /// [`BulkheadFull`] when none frees up in time.
    pub async fn acquire(&self) -> Result<BulkheadPermit, BulkheadFull> {
        match self.decide() {
            Ok(decided) => decided,
            Err(bound) => {
                let result = self.wait(bound).await;
                self.record(result)
            }
        }
    }

    /// Takes a slot only if one is free now.
    ///
    /// # Errors
    /// [`BulkheadFull`] when none is.
    pub fn try_acquire(&self) -> Result<BulkheadPermit, BulkheadFull> {
        let result = self.take().ok_or_else(|| self.full(Duration::ZERO));
        self.record(result)
    }

    /// Runs `fut` holding a slot; `fut` is not polled if no slot frees up in time.
    ///
    /// # Errors
    /// [`BulkheadFull`] when none does.
    pub async fn call<F: Future>(&self, fut: F) -> Result<F::Output, BulkheadFull> {
        let _slot = self.acquire().await?;
        Ok(fut.await)
    }

    /// A tower layer holding a slot for each call.
    pub fn layer(&self) -> BulkheadLayer {
        BulkheadLayer::new(self.clone())
    }

    /// Slots in use and counters.
    pub fn stats(&self) -> BulkheadStats {
        let free = self.inner.semaphore.available_permits();
        let in_flight = self.inner.max_concurrent - u32::try_from(free).unwrap_or(u32::MAX);
        self.inner.counters.snapshot(self.inner.max_concurrent, in_flight)
    }

    fn take(&self) -> Option<BulkheadPermit> {
        let permit = Arc::clone(&self.inner.semaphore).try_acquire_owned().ok()?;
        Some(BulkheadPermit { _permit: permit })
    }

    /// Decides at once when it can (a free slot, or no time to wait for one, recorded); else
    /// says how long the call may wait.
    fn decide(&self) -> Result<Result<BulkheadPermit, BulkheadFull>, Duration> {
        if let Some(permit) = self.take() {
            return Ok(self.record(Ok(permit)));
        }
        let bound =
            Deadline::current().map_or(self.inner.max_wait, |d| d.remaining().min(self.inner.max_wait));
        if bound.is_zero() {
            return Ok(self.record(Err(self.full(bound))));
        }
        Err(bound)
    }

    /// Waits up to `bound` for a slot (not recorded).
    async fn wait(&self, bound: Duration) -> Result<BulkheadPermit, BulkheadFull> {
        let _waiting = Waiting::start(&self.inner.counters.waiting);
        let acquire = Arc::clone(&self.inner.semaphore).acquire_owned();
        match tokio::time::timeout(bound, acquire).await {
            Ok(Ok(permit)) => Ok(BulkheadPermit { _permit: permit }),
            _ => Err(self.full(bound)),
        }
    }

    fn full(&self, waited: Duration) -> BulkheadFull {
        BulkheadFull {
            max_concurrent: self.inner.max_concurrent,
            waited,
        }
    }

    fn record(&self, result: Result<BulkheadPermit, BulkheadFull>) -> Result<BulkheadPermit, BulkheadFull> {
        self.inner.counters.record(&result);
        if let Err(full) = &result {
            debug!(max_concurrent = full.max_concurrent, waited = ?full.waited, "bulkhead full");
            self.inner.events.emit(BulkheadEvent::Rejected(*full));
        }
        result
    }
}

/// The layer's admission: the same decision as [`Bulkhead::acquire`]; only a call that must wait
/// for a slot allocates (its wait).
impl<Req> Admission<Req> for Bulkhead {
    type Permit = BulkheadPermit;
    type Rejected = BulkheadFull;

    fn admit(&self, _request: &Req) -> Admit<BulkheadPermit, BulkheadFull> {
        match self.decide() {
            Ok(decided) => Admit::now(decided),
            Err(bound) => {
                let bulkhead = self.clone();
                Admit::after(async move {
                    let result = bulkhead.wait(bound).await;
                    bulkhead.record(result)
                })
            }
        }
    }
}

/// Counts a caller as waiting until it stops, however it stops (cancelled included).
struct Waiting<'a>(&'a AtomicU64);

impl<'a> Waiting<'a> {
    fn start(counter: &'a AtomicU64) -> Self {
        counter.fetch_add(1, Relaxed);
        Waiting(counter)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

impl fmt::Debug for Bulkhead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bulkhead")
            .field("max_wait", &self.inner.max_wait)
            .field("stats", &self.stats())
            .finish()
    }
}

crate::resilience::face::policy_face!(Bulkhead, BulkheadConfig, BulkheadEvent, inner);
