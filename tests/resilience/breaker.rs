//! Circuit breaker tests (filled in by the breaker work).
