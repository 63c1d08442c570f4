//! Resilience policies on their own, outside any connection.

mod breaker;
mod retry;
