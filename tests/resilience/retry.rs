//! Retry, timeout, rate limit and bulkhead tests (filled in by the policy work).
