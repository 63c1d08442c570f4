//! `Bulkhead`: a bound on calls in flight, on a tokio semaphore.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Semaphore;
use tracing::debug;

use super::events::Counters;
use super::{BulkheadConfig, BulkheadEvent, BulkheadFull, BulkheadLayer, BulkheadStats};
use crate::resilience::admission::{Admission, Admit};
use crate::resilience::timeout::Deadline;
use crate::resilience::{Emitter, InvalidConfig};

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
    slots: Arc<Slots>,
    /// In nanoseconds; changed in place by a reload.
    max_wait: AtomicU64,
    /// Serializes reloads (never taken on a call).
    resizing: Mutex<()>,
    counters: Counters,
    events: Emitter<BulkheadEvent>,
}

/// The slots: a semaphore whose permits are held by calls, and what a reload to fewer slots
/// still has to take back.
#[derive(Debug)]
struct Slots {
    semaphore: Semaphore,
    max_concurrent: AtomicU32,
    /// Slots in use beyond a lowered `max_concurrent`: each is retired when its call ends
    /// instead of going back to the semaphore, so calls in flight finish undisturbed.
    owed: AtomicU32,
}

impl Slots {
    /// A slot back from a call: it pays what a reload owes first, else frees up.
    fn release(&self) {
        let paid = self
            .owed
            .fetch_update(Relaxed, Relaxed, |owed| owed.checked_sub(1))
            .is_ok();
        if !paid {
            self.semaphore.add_permits(1);
        }
    }
}

/// A slot of a [`Bulkhead`], freed when dropped.
#[derive(Debug)]
pub struct BulkheadPermit {
    slots: Arc<Slots>,
}

impl BulkheadPermit {
    /// Holds a permit taken from `slots.semaphore` and forgotten, so this permit gives it back.
    fn holding(slots: &Arc<Slots>, permit: tokio::sync::SemaphorePermit<'_>) -> BulkheadPermit {
        permit.forget();
        BulkheadPermit {
            slots: Arc::clone(slots),
        }
    }
}

impl Drop for BulkheadPermit {
    fn drop(&mut self) {
        self.slots.release();
    }
}

impl Bulkhead {
    /// The bulkhead of `config` (a `max_concurrent` of zero is read as one).
    pub fn new(config: BulkheadConfig) -> Self {
        let max_concurrent = slots_of(&config);
        let inner = Inner {
            slots: Arc::new(Slots {
                semaphore: Semaphore::new(max_concurrent as usize),
                max_concurrent: AtomicU32::new(max_concurrent),
                owed: AtomicU32::new(0),
            }),
            max_wait: AtomicU64::new(nanos(config.max_wait)),
            resizing: Mutex::new(()),
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

    /// Applies `config` to this bulkhead in place, after checking it as
    /// [`try_new`](Bulkhead::try_new) does. More slots free up at once; with fewer, calls in
    /// flight beyond the new number finish undisturbed and their slots are retired as they end
    /// (until then new calls wait or are rejected as usual). Stats, listeners and handles are
    /// kept; `max_wait` applies to calls from now on.
    ///
    /// ```
    /// use connfx::BulkheadConfig;
    /// use connfx::resilience::bulkhead::Bulkhead;
    /// let bulkhead = Bulkhead::new(BulkheadConfig { max_concurrent: 2, ..Default::default() });
    /// let (a, b) = (bulkhead.try_acquire().unwrap(), bulkhead.try_acquire().unwrap());
    /// bulkhead.reconfigure(&BulkheadConfig { max_concurrent: 1, ..Default::default() }).unwrap();
    /// assert_eq!(bulkhead.stats().in_flight, 2, "both calls go on");
    /// drop(a);
    /// assert!(bulkhead.try_acquire().is_err(), "one still in flight: the new limit is full");
    /// drop(b);
    /// assert!(bulkhead.try_acquire().is_ok());
    /// ```
    ///
    /// # Errors
    /// [`InvalidConfig`] listing each value out of bounds; the bulkhead is then left as it was.
    pub fn reconfigure(&self, config: &BulkheadConfig) -> Result<(), InvalidConfig> {
        InvalidConfig::check(config)?;
        let _one_at_a_time = self.inner.resizing.lock().unwrap_or_else(PoisonError::into_inner);
        let slots = &*self.inner.slots;
        let new = slots_of(config);
        let old = slots.max_concurrent.swap(new, Relaxed);
        if new > old {
            // Cancel what is owed first, then free the rest.
            let mut more = new - old;
            let _ = slots.owed.fetch_update(Relaxed, Relaxed, |owed| {
                let paid = owed.min(new - old);
                more = new - old - paid;
                Some(owed - paid)
            });
            slots.semaphore.add_permits(more as usize);
        } else {
            let fewer = old - new;
            let taken = u32::try_from(slots.semaphore.forget_permits(fewer as usize)).unwrap_or(fewer);
            slots.owed.fetch_add(fewer - taken, Relaxed);
        }
        self.inner.max_wait.store(nanos(config.max_wait), Relaxed);
        Ok(())
    }

    /// A tower layer holding a slot for each call.
    pub fn layer(&self) -> BulkheadLayer {
        BulkheadLayer::new(self.clone())
    }

    /// Slots in use and counters.
    pub fn stats(&self) -> BulkheadStats {
        let slots = &*self.inner.slots;
        let max_concurrent = slots.max_concurrent.load(Relaxed);
        let free = u32::try_from(slots.semaphore.available_permits()).unwrap_or(u32::MAX);
        let in_flight = (max_concurrent + slots.owed.load(Relaxed)).saturating_sub(free);
        self.inner.counters.snapshot(max_concurrent, in_flight)
    }

    fn take(&self) -> Option<BulkheadPermit> {
        let slots = &self.inner.slots;
        let permit = slots.semaphore.try_acquire().ok()?;
        Some(BulkheadPermit::holding(slots, permit))
    }

    /// Decides at once when it can (a free slot, or no time to wait for one, recorded); else
    /// says how long the call may wait.
    fn decide(&self) -> Result<Result<BulkheadPermit, BulkheadFull>, Duration> {
        if let Some(permit) = self.take() {
            return Ok(self.record(Ok(permit)));
        }
        let max_wait = Duration::from_nanos(self.inner.max_wait.load(Relaxed));
        let bound = Deadline::current().map_or(max_wait, |d| d.remaining().min(max_wait));
        if bound.is_zero() {
            return Ok(self.record(Err(self.full(bound))));
        }
        Err(bound)
    }

    /// Waits up to `bound` for a slot (not recorded).
    async fn wait(&self, bound: Duration) -> Result<BulkheadPermit, BulkheadFull> {
        let _waiting = Waiting::start(&self.inner.counters.waiting);
        let slots = &self.inner.slots;
        match tokio::time::timeout(bound, slots.semaphore.acquire()).await {
            Ok(Ok(permit)) => Ok(BulkheadPermit::holding(slots, permit)),
            _ => Err(self.full(bound)),
        }
    }

    fn full(&self, waited: Duration) -> BulkheadFull {
        BulkheadFull {
            max_concurrent: self.inner.slots.max_concurrent.load(Relaxed),
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
            .field(
                "max_wait",
                &Duration::from_nanos(self.inner.max_wait.load(Relaxed)),
            )
            .field("stats", &self.stats())
            .finish()
    }
}

/// `max_concurrent`, within what a tokio semaphore holds (zero is read as one).
fn slots_of(config: &BulkheadConfig) -> u32 {
    let limit = u32::try_from(Semaphore::MAX_PERMITS).unwrap_or(u32::MAX);
    config.max_concurrent.clamp(1, limit)
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

crate::resilience::face::policy_face!(Bulkhead, BulkheadConfig, BulkheadEvent, inner);
