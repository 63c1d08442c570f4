//! `retry_on = "connect,timeout,429,502,503,504"`: which failures are worth another try.

use std::fmt;

use connfx_spec::retry_on::{self, Entry};

use super::Outcome;

/// Which failures a retry policy retries, parsed from the `retry_on` key: `connect` (the request
/// never left), `timeout`, `transport` (the connection broke after the request was sent), status
/// codes (`503`) and classes (`5xx`). Names are case-insensitive; the text is comma-separated.
///
/// ```
/// use connfx::resilience::retry::{Outcome, RetryOn};
/// let on = RetryOn::parse("timeout, 503, 4xx").unwrap();
/// assert!(on.contains_status(503) && on.contains_status(404) && !on.contains_status(502));
/// assert!(on.matches(&Outcome::Timeout { sent: true }));
/// assert!(!on.matches(&Outcome::Connect));
/// assert_eq!(on.to_string(), "timeout,4xx,503");
/// assert!(RetryOn::parse("connect,teapot").is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RetryOn {
    connect: bool,
    timeout: bool,
    transport: bool,
    /// One bit per status 100–599 (bit `code - 100`).
    statuses: [u64; 8],
}

const FIRST_STATUS: u16 = 100;
const LAST_STATUS: u16 = 599;

impl RetryOn {
    /// The default: `connect,timeout,429,502,503,504`.
    pub const DEFAULT_TEXT: &str = "connect,timeout,429,502,503,504";

    /// Nothing is retried.
    pub const fn none() -> RetryOn {
        RetryOn {
            connect: false,
            timeout: false,
            transport: false,
            statuses: [0; 8],
        }
    }

    /// Parses a `retry_on` value; an empty text retries nothing.
    ///
    /// # Errors
    /// The message naming the first entry that is not understood.
    pub fn parse(text: &str) -> Result<RetryOn, String> {
        let mut on = RetryOn::none();
        for entry in retry_on::parse(text)? {
            match entry {
                Entry::Connect => on.connect = true,
                Entry::Timeout => on.timeout = true,
                Entry::Transport => on.transport = true,
                Entry::Status(code) => on.set(code),
                Entry::Class(first) => (first..first + 100).for_each(|code| on.set(code)),
            }
        }
        Ok(on)
    }

    fn set(&mut self, code: u16) {
        let bit = usize::from(code - FIRST_STATUS);
        self.statuses[bit / 64] |= 1 << (bit % 64);
    }

    /// Also retries `code`.
    #[must_use]
    pub fn with_status(mut self, code: u16) -> RetryOn {
        if (FIRST_STATUS..=LAST_STATUS).contains(&code) {
            self.set(code);
        }
        self
    }

    /// Whether the status `code` is retried.
    pub fn contains_status(&self, code: u16) -> bool {
        if !(FIRST_STATUS..=LAST_STATUS).contains(&code) {
            return false;
        }
        let bit = usize::from(code - FIRST_STATUS);
        self.statuses[bit / 64] & (1 << (bit % 64)) != 0
    }

    /// Whether an attempt that ended so is worth another try (idempotency aside).
    pub fn matches(&self, outcome: &Outcome) -> bool {
        match outcome {
            Outcome::Connect => self.connect,
            Outcome::Timeout { .. } => self.timeout,
            Outcome::Transport => self.transport,
            Outcome::Status { code, .. } => self.contains_status(*code),
            Outcome::Success | Outcome::Refused | Outcome::Other | Outcome::Failed => false,
        }
    }
}

impl Default for RetryOn {
    fn default() -> Self {
        let on = RetryOn {
            connect: true,
            timeout: true,
            ..RetryOn::none()
        };
        [429, 502, 503, 504].into_iter().fold(on, RetryOn::with_status)
    }
}

/// The canonical text: kinds first, then whole classes as `5xx`, then single codes.
impl fmt::Display for RetryOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kinds = [
            ("connect", self.connect),
            ("timeout", self.timeout),
            ("transport", self.transport),
        ];
        let mut parts: Vec<String> = kinds.iter().filter(|k| k.1).map(|k| k.0.to_owned()).collect();
        let whole = |h: u16| (h * 100..h * 100 + 100).all(|c| self.contains_status(c));
        let classes: Vec<u16> = (1..=5).filter(|h| whole(*h)).collect();
        parts.extend(classes.iter().map(|h| format!("{h}xx")));
        let single = (FIRST_STATUS..=LAST_STATUS).filter(|c| !classes.contains(&(c / 100)));
        parts.extend(single.filter(|c| self.contains_status(*c)).map(|c| c.to_string()));
        f.write_str(&parts.join(","))
    }
}

impl fmt::Debug for RetryOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RetryOn({self})")
    }
}
