//! `Retry-After`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).

use std::fmt;
use std::time::{Duration, SystemTime};

/// A server's `Retry-After` value: a number of seconds, or an HTTP-date.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use connfx::resilience::retry::RetryAfter;
/// assert_eq!(RetryAfter::parse(" 120 "), Some(RetryAfter::Delay(Duration::from_secs(120))));
/// let at = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
/// let date = RetryAfter::parse("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
/// assert_eq!(date, RetryAfter::At(at));
/// assert_eq!(date.delay_from(at - Duration::from_secs(60)), Duration::from_secs(60));
/// assert_eq!(date.delay_from(at + Duration::from_secs(5)), Duration::ZERO);
/// assert_eq!(RetryAfter::parse("soon"), None);
/// assert_eq!(date.to_string(), "Sun, 06 Nov 1994 08:49:37 GMT", "as a header value");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: 120`.
    Delay(Duration),
    /// `Retry-After: Fri, 31 Dec 1999 23:59:59 GMT`.
    At(SystemTime),
}

impl RetryAfter {
    /// Parses a header value; `None` for anything that is neither form (negative numbers, junk).
    pub fn parse(value: &str) -> Option<RetryAfter> {
        let value = value.trim();
        if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
            // More seconds than fit in a u64 is "a very long time", not an error.
            let secs = value.parse::<u64>().unwrap_or(u64::MAX);
            return Some(RetryAfter::Delay(Duration::from_secs(secs)));
        }
        httpdate::parse_http_date(value).ok().map(RetryAfter::At)
    }

    /// The wait it asks for, counted from `now`; a date in the past asks for none.
    pub fn delay_from(&self, now: SystemTime) -> Duration {
        match self {
            RetryAfter::Delay(delay) => *delay,
            RetryAfter::At(at) => at.duration_since(now).unwrap_or(Duration::ZERO),
        }
    }

    /// The wait it asks for, counted from the system clock's now.
    pub fn delay(&self) -> Duration {
        self.delay_from(SystemTime::now())
    }
}

/// The header value: seconds, or an IMF-fixdate (whole seconds).
impl fmt::Display for RetryAfter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryAfter::Delay(delay) => write!(f, "{}", delay.as_secs()),
            RetryAfter::At(at) => f.write_str(&httpdate::fmt_http_date(*at)),
        }
    }
}
