//! The error of a call the bulkhead turned away.

use std::fmt;
use std::time::Duration;

/// Every slot of the bulkhead was taken and none freed up within `max_wait`.
///
/// ```
/// use std::time::Duration;
/// use connfx::resilience::bulkhead::BulkheadFull;
/// let err = BulkheadFull { max_concurrent: 8, waited: Duration::from_millis(50) };
/// assert_eq!(err.to_string(), "bulkhead full: 8 calls in flight, no slot freed up within 50ms");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub struct BulkheadFull {
    /// The bulkhead's size.
    pub max_concurrent: u32,
    /// How long the call waited for a slot.
    pub waited: Duration,
}

impl fmt::Display for BulkheadFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bulkhead full: {} calls in flight", self.max_concurrent)?;
        if !self.waited.is_zero() {
            write!(f, ", no slot freed up within {:?}", self.waited)?;
        }
        Ok(())
    }
}
