//! [`ConfigError`]: every problem of one load, each with its path and source.

use std::fmt;

use serde::Serialize;

use super::ValueSource;

/// One problem of a load: which setting, from which source, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConfigIssue {
    path: String,
    source: ValueSource,
    message: String,
}

impl ConfigIssue {
    pub(crate) fn new(path: impl Into<String>, source: ValueSource, message: impl Into<String>) -> Self {
        ConfigIssue {
            path: path.into(),
            source,
            message: without_passwords(message.into()),
        }
    }

    /// The config path, e.g. `payments.retry.max_attempts` (empty for a whole file).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Where the bad value came from.
    pub fn source(&self) -> &ValueSource {
        &self.source
    }

    /// What is wrong and what would be right; never contains a secret.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// `path: message`, for a problem whose source the reader already knows (a target given
    /// to `Registry::add` in code).
    pub(crate) fn without_source(&self) -> String {
        if self.path.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.path, self.message)
        }
    }
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.source, self.message)
        } else {
            write!(f, "{} ({}): {}", self.path, self.source, self.message)
        }
    }
}

/// The configuration could not be loaded; [`ConfigError::issues`] lists every problem found.
///
/// `Display` prints a count and then one issue per line:
///
/// ```text
/// configuration has 2 problems:
///   payments.retry.max_attempts (env CHECKOUT_PAYMENTS_RETRY_MAX_ATTEMPTS): `max_attempts` must be between 1 and 100, found 0
///   orders.url (default): `url` has no value; give it in the attribute, a config file, or `CHECKOUT_ORDERS_URL`
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    issues: Vec<ConfigIssue>,
}

impl ConfigError {
    pub(crate) fn new(issues: Vec<ConfigIssue>) -> Self {
        ConfigError { issues }
    }

    /// Every problem found, in the order found.
    pub fn issues(&self) -> &[ConfigIssue] {
        &self.issues
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.issues.len();
        write!(
            f,
            "configuration has {n} problem{}:",
            if n == 1 { "" } else { "s" }
        )?;
        self.issues.iter().try_for_each(|issue| write!(f, "\n  {issue}"))
    }
}

/// A message with every URL-shaped password (`scheme://user:password@host`) replaced by
/// `[redacted]`: a value echoed by a check (a header name, a file path) may be a URL with
/// credentials pasted into the wrong key, and no message may show a secret. One pass over every
/// issue's message, so no check has to remember it (the loader fuzz target found two that did
/// not).
fn without_passwords(message: String) -> String {
    if !message.contains("://") {
        return message;
    }
    let mut out = String::with_capacity(message.len());
    let mut rest = message.as_str();
    while let Some(start) = rest.find("://").map(|i| i + 3) {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        // The authority ends at the first `/`, `?`, `#` or quote. Not at whitespace: a password
        // followed by a space before its `@` (`://u:pw @h`, found by the loader fuzz target) is
        // still a password, and hiding a little too much is the safe mistake.
        let end = rest.find(['/', '?', '#', '`', '\'', '"']).unwrap_or(rest.len());
        let authority = &rest[..end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at), Some(colon)) if colon < at => {
                out.push_str(&authority[..colon]);
                out.push_str(":[redacted]");
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::without_passwords;

    #[test]
    fn url_shaped_passwords_are_hidden() {
        let shown =
            without_passwords("`x` `redis://user:SeKrEt0Q@ho st` and ://u:p@:1 and http://h/a:b@c".into());
        assert_eq!(
            shown,
            "`x` `redis://user:[redacted]@ho st` and ://u:[redacted]@:1 and http://h/a:b@c"
        );
        assert!(!shown.contains("SeKrEt0Q"));
        let spaced = without_passwords("`x` `://user:SeKrEt0Q @[::1:2576980377/` is not valid".into());
        assert!(!spaced.contains("SeKrEt0Q"), "{spaced}");
    }
}
