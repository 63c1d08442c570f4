//! [`ConnUrl`]: a connection URL whose credentials never show.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An absolute URL that may carry credentials (`postgres://user:pass@host/db`). `Debug` and
/// `Display` replace the password with `[redacted]`; [`ConnUrl::expose`] gives the real URL to the
/// one place that connects with it.
///
/// ```
/// let url: connfx::ConnUrl = "postgres://app:hunter2@db:5432/orders".parse().unwrap();
/// assert_eq!(url.to_string(), "postgres://app:[redacted]@db:5432/orders");
/// assert!(!format!("{url:?}").contains("hunter2"));
/// assert_eq!(url.expose().password(), Some("hunter2"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ConnUrl(url::Url);

impl ConnUrl {
    /// The full URL, credentials included.
    pub fn expose(&self) -> &url::Url {
        &self.0
    }

    /// The URL with its password replaced by `[redacted]`.
    pub fn redacted(&self) -> String {
        if self.0.password().is_none() {
            return self.0.to_string();
        }
        let mut shown = self.0.clone();
        // Only fails for URLs that cannot have credentials, which have no password to hide.
        let _ = shown.set_password(Some("[redacted]"));
        shown.to_string().replace("%5Bredacted%5D", "[redacted]")
    }

    /// The scheme, e.g. `https`.
    pub fn scheme(&self) -> &str {
        self.0.scheme()
    }
}

impl From<url::Url> for ConnUrl {
    fn from(url: url::Url) -> Self {
        ConnUrl(url)
    }
}

impl std::str::FromStr for ConnUrl {
    type Err = url::ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        url::Url::parse(s).map(ConnUrl)
    }
}

impl fmt::Display for ConnUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for ConnUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConnUrl({:?})", self.redacted())
    }
}

impl Serialize for ConnUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.as_str())
    }
}

impl<'de> Deserialize<'de> for ConnUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        // The message must not repeat the URL: it may carry a password.
        url::Url::parse(&text)
            .map(ConnUrl)
            .map_err(|e| serde::de::Error::custom(connfx_spec::message::bad_url(&e.to_string())))
    }
}

crate::config::inline_schema!(ConnUrl, "ConnUrl", { "type": "string", "format": "uri", "x-connfx-kind": "url" });
