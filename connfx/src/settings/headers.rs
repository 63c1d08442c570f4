use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// `headers("Name" = "value", ...)`: headers sent with every request. One JSON object in an
/// environment variable. `Debug` hides the values of headers whose names suggest credentials
/// (`authorization`, `cookie`, anything with `token`, `secret`, `key`, `auth` or `password`).
///
/// ```
/// let h: connfx::Headers = [("Authorization", "Bearer x"), ("X-Client", "checkout")].into_iter().collect();
/// assert_eq!(format!("{h:?}"), r#"{"Authorization": "[redacted]", "X-Client": "checkout"}"#);
/// ```
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Headers(pub BTreeMap<String, String>);

impl Headers {
    /// Whether a header of this name may carry a credential.
    pub fn is_sensitive(name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        [
            "authorization",
            "cookie",
            "token",
            "secret",
            "key",
            "auth",
            "password",
        ]
        .iter()
        .any(|s| name.contains(s))
    }

    /// Whether there are no headers.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Headers(iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self
            .0
            .iter()
            .map(|(k, v)| (k, if Headers::is_sensitive(k) { "[redacted]" } else { v }));
        f.debug_map().entries(shown).finish()
    }
}

crate::config::inline_schema!(Headers, "Headers", { "type": "object", "additionalProperties": { "type": "string" }, "x-connfx-kind": "map" });

/// Whether `value` can be sent as a header value: no control character but a tab (a line
/// break would end the header). The one rule of every header a connection sends, as `http`
/// reads it; the loader and `connect` both ask.
#[cfg(any(feature = "http", feature = "otlp", feature = "websocket"))]
pub(crate) fn fits_value(value: &str) -> bool {
    http::HeaderValue::from_str(value).is_ok()
}

/// Whether `name` is a header name (a token: letters, digits and ``!#$%&'*+-.^_`|~``).
#[cfg(any(feature = "http", feature = "otlp", feature = "websocket"))]
pub(crate) fn fits_name(name: &str) -> bool {
    http::HeaderName::from_bytes(name.as_bytes()).is_ok()
}

/// Without a protocol that sends headers, nothing reads one: every value is accepted.
#[cfg(not(any(feature = "http", feature = "otlp", feature = "websocket")))]
pub(crate) fn fits_value(_value: &str) -> bool {
    true
}

/// Without a protocol that sends headers, nothing reads one: every name is accepted.
#[cfg(not(any(feature = "http", feature = "otlp", feature = "websocket")))]
pub(crate) fn fits_name(_name: &str) -> bool {
    true
}
