use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Secret;

/// `headers("Name" = "value", ...)` where every value is a credential: the API keys and tokens a
/// telemetry collector wants. Unlike [`Headers`](crate::Headers), which hides values by header
/// name, no value of this map is ever shown: `Debug` prints `[redacted]`, the JSON Schema marks
/// the values `writeOnly`, and the environment listing, `explain` and the schema's defaults hide
/// them. One JSON object in an environment variable.
///
/// ```
/// let h: connfx::SecretHeaders = [("x-honeycomb-team", "k3y")].into_iter().collect();
/// assert_eq!(format!("{h:?}"), r#"{"x-honeycomb-team": [redacted]}"#);
/// assert_eq!(h.get("x-honeycomb-team"), Some("k3y"));
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretHeaders(pub BTreeMap<String, Secret>);

impl SecretHeaders {
    /// Whether there are no headers.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of the header `name` (exact name), exposed.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(Secret::expose)
    }

    /// Every header with its value exposed, for the one place that sends them.
    pub fn exposed(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.expose()))
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for SecretHeaders {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        SecretHeaders(
            iter.into_iter()
                .map(|(k, v)| (k.into(), Secret::new(v)))
                .collect(),
        )
    }
}

impl fmt::Debug for SecretHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter()).finish()
    }
}

crate::config::inline_schema!(SecretHeaders, "SecretHeaders", {
    "type": "object",
    "additionalProperties": { "type": "string", "writeOnly": true },
    "writeOnly": true,
    "x-connfx-kind": "map",
});
