//! Reopening a long-lived stream (WebSocket, SSE) with the retry policy's backoff and rules:
//! the same `retry(...)` keys as a request's retries, applied to the handshakes that reopen it.

use std::time::Duration;

use crate::RetryConfig;
use crate::resilience::retry::{Backoff, Classifier, Decision, Outcome, RequestInfo};

/// The reconnect policy of one connection.
#[derive(Debug)]
pub(crate) struct Reconnect {
    config: RetryConfig,
    backoff: Backoff,
    classifier: Classifier,
}

impl Reconnect {
    /// The policy of `retry`, or of `RetryConfig::default()` when the connection sets none.
    pub(crate) fn new(retry: Option<&RetryConfig>) -> Self {
        let config = retry.cloned().unwrap_or_default();
        Reconnect {
            backoff: Backoff::from_config(&config),
            classifier: Classifier::from_config(&config),
            config,
        }
    }

    /// Handshakes in a row that may fail before the connection gives up (at least 1); one when
    /// `retry(enabled = false)` switches reconnecting off.
    pub(crate) fn max_attempts(&self) -> u32 {
        if crate::config::group::switched_on(Some(&self.config)).is_none() {
            return 1;
        }
        self.config.max_attempts.max(1)
    }

    /// The wait before reopening for the `n`th time in a row (1 for the first): the backoff, or
    /// the server's `Retry-After` when it sent one, capped at `max_interval` either way.
    pub(crate) fn delay(&self, n: u32, server_asked: Option<Duration>) -> Duration {
        match server_asked {
            Some(wait) => wait.min(self.backoff.max_interval()),
            None => self.backoff.delay(n),
        }
    }

    /// The same backoff started from `initial` instead of `initial_interval` (an SSE server's
    /// `retry:`), with `max_interval` raised to it when it is larger: the server's word wins.
    #[cfg_attr(not(feature = "sse"), allow(dead_code))]
    pub(crate) fn delay_from(&self, initial: Duration, n: u32) -> Duration {
        let max = self.config.max_interval.max(initial);
        Backoff::new(self.config.backoff, initial, max)
            .multiplier(self.config.multiplier)
            .jitter(self.config.jitter)
            .delay(n)
    }

    /// Whether a failed handshake is worth another one (`retry_on`; a handshake is a `GET`).
    pub(crate) fn decide(&self, outcome: &Outcome) -> Decision {
        self.classifier.decide(&RequestInfo::new("GET"), outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_waits_are_capped_and_backoff_grows() {
        let config = RetryConfig {
            jitter: 0.0,
            max_interval: Duration::from_secs(1),
            ..RetryConfig::default()
        };
        let policy = Reconnect::new(Some(&config));
        let ms = Duration::from_millis;
        assert_eq!(policy.delay(1, None), ms(100));
        assert_eq!(policy.delay(3, None), ms(400));
        assert_eq!(policy.delay(1, Some(Duration::from_secs(60))), ms(1000));
        assert_eq!(policy.delay_from(ms(300), 1), ms(300));
        assert_eq!(policy.delay_from(ms(300), 3), ms(1000));
        assert_eq!(policy.delay_from(ms(5000), 2), ms(5000));
    }

    #[test]
    fn refused_connections_are_retried_and_forbidden_upgrades_are_not() {
        let policy = Reconnect::new(None);
        assert!(policy.decide(&Outcome::Connect).is_retry());
        let forbidden = Outcome::Status {
            code: 403,
            retry_after: None,
        };
        assert!(!policy.decide(&forbidden).is_retry());
    }
}
