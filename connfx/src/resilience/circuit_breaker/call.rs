//! [`CallFuture`]: the future of [`CircuitBreaker::call`] and [`CircuitBreaker::call_with`].
//!
//! Written out by hand rather than as an `async fn`: see BENCHMARKS.md, "Session 6 — circuit
//! breaker `call`", for what the compiler-generated state machine cost per call.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;

use super::permit::Permit;
use super::{BreakerError, CircuitBreaker};
use crate::resilience::Classify;

pin_project! {
    /// The future of [`CircuitBreaker::call`] and [`CircuitBreaker::call_with`]: asks the breaker
    /// when first polled, then polls the call only if admitted and records its outcome.
    ///
    /// Dropped before the call completes, it counts the call as cancelled (ignored), as a
    /// [`Permit`] dropped unrecorded does.
    ///
    /// ```
    /// use connfx::resilience::circuit_breaker::{CallFuture, CircuitBreaker, ErrIsFailure};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let cb = CircuitBreaker::new(Default::default());
    /// let call: CallFuture<'_, ErrIsFailure, _> = cb.call(async { Ok::<_, ()>(1) });
    /// // Nothing is asked of the breaker until the future is polled.
    /// cb.force_open();
    /// assert!(call.await.unwrap_err().is_rejected());
    /// # });
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct CallFuture<'a, C, F> {
        #[pin]
        call: F,
        stage: Stage<'a>,
        classify: C,
    }
}

/// Where a [`CallFuture`] stands.
enum Stage<'a> {
    /// Not polled yet: the breaker has not been asked.
    Unpolled(&'a CircuitBreaker),
    /// Admitted: the call runs under this permit.
    Admitted(Permit<'a>),
    /// Finished, or rejected.
    Done,
}

impl<'a, C, F> CallFuture<'a, C, F> {
    #[inline]
    pub(super) fn new(breaker: &'a CircuitBreaker, classify: C, call: F) -> Self {
        CallFuture {
            call,
            stage: Stage::Unpolled(breaker),
            classify,
        }
    }
}

impl<C, F, T, E> Future for CallFuture<'_, C, F>
where
    C: Classify<T, E>,
    F: Future<Output = Result<T, E>>,
{
    type Output = Result<T, BreakerError<E>>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Stage::Unpolled(breaker) = *this.stage {
            match breaker.try_acquire() {
                Ok(permit) => *this.stage = Stage::Admitted(permit),
                Err(rejected) => {
                    *this.stage = Stage::Done;
                    return Poll::Ready(Err(BreakerError::Rejected(rejected)));
                }
            }
        }
        if !matches!(this.stage, Stage::Admitted(_)) {
            return Poll::Pending; // polled after completion, as `ResponseFuture` answers it
        }
        let result = ready!(this.call.poll(cx));
        if let Stage::Admitted(permit) = this.stage {
            permit.record_in_place(&this.classify.classify(&result));
        }
        *this.stage = Stage::Done;
        Poll::Ready(result.map_err(BreakerError::Inner))
    }
}

impl<C, F> fmt::Debug for CallFuture<'_, C, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match self.stage {
            Stage::Unpolled(_) => "unpolled",
            Stage::Admitted(_) => "admitted",
            Stage::Done => "done",
        };
        f.debug_struct("CallFuture")
            .field("stage", &stage)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(connfx_loom)))]
mod tests {
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use super::super::{CircuitBreaker, CircuitState};
    use crate::CircuitBreakerConfig;

    fn half_open_breaker() -> CircuitBreaker {
        let cb = CircuitBreaker::new(CircuitBreakerConfig {
            failure_threshold: 1,
            reset_timeout: std::time::Duration::ZERO,
            ..Default::default()
        });
        cb.trip();
        assert_eq!(cb.state(), CircuitState::HalfOpen);
        cb
    }

    /// A probe call dropped while pending is not counted and frees its slot, as a dropped permit.
    #[test]
    fn a_cancelled_probe_frees_its_slot() {
        let cb = half_open_breaker();
        {
            let mut call = pin!(cb.call(std::future::pending::<Result<(), ()>>()));
            let pending = call.as_mut().poll(&mut Context::from_waker(Waker::noop()));
            assert!(pending.is_pending());
            assert_eq!(cb.stats().half_open_in_flight, 1);
            assert!(cb.try_acquire().is_err(), "the only probe slot is taken");
        }
        assert_eq!(cb.stats().half_open_in_flight, 0);
        assert_eq!(cb.state(), CircuitState::HalfOpen);
        assert!(cb.try_acquire().is_ok());
    }

    /// The breaker is asked at the first poll, not when the future is made; an unpolled future
    /// takes no slot.
    #[test]
    fn admission_waits_for_the_first_poll() {
        let cb = half_open_breaker();
        let call = cb.call(async { Ok::<_, ()>(1) });
        assert_eq!(cb.stats().half_open_in_flight, 0);
        drop(call);
        let mut call = pin!(cb.call(async { Ok::<_, ()>(1) }));
        let ready = call.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        assert!(matches!(ready, Poll::Ready(Ok(1))));
        assert_eq!(cb.state(), CircuitState::Closed, "the probe succeeded");
        let again = call.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        assert!(again.is_pending(), "polled after completion");
    }
}
