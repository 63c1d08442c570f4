//! Environments written for another library's own variables, read as registry targets: CodeAI's
//! `integration.ConfigFromEnv(service)` (`STRIPE_BASE_URL`, `STRIPE_MAX_RETRIES` …) and
//! reynard-connection's Vite variables (`VITE_CONNECTION_TIMEOUT`, `VITE_HTTP_URL` …). Each
//! variable is translated into its `CONN_TARGETS_<NAME>_…` counterpart and read by the registry's
//! one reader, keeping its own name as its source, so a problem names the variable as written.
//! The guides (`docs/migrating-from-codeai-integration.md`,
//! `docs/migrating-from-reynard-connection.md`) give each library's table and why.

use serde_json::{Map, Value, json};

/// An environment written for another library, to read as registry targets with
/// [`RegistryConfig::load_with`](super::RegistryConfig::load_with).
///
/// ```
/// use connfx::registry::{RegistryConfig, SeedEnv};
/// let env = [("STRIPE_BASE_URL", "https://api.stripe.com/v1"), ("STRIPE_MAX_RETRIES", "3")];
/// let config = RegistryConfig::load_with(connfx::Sources::new().env_map(env), &[SeedEnv::codeai("stripe")]).unwrap();
/// assert_eq!(config.targets["stripe"].properties["retry"]["max_attempts"], 3);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SeedEnv {
    /// CodeAI's `integration.ConfigFromEnv(service)`: `<SERVICE>_BASE_URL` (the service name
    /// upper case, as CodeAI's docs write it), `_TIMEOUT`,
    /// `_CONNECT_TIMEOUT`, `_MAX_RETRIES`, `_RETRY_DELAY`, `_CIRCUIT_THRESHOLD`,
    /// `_CIRCUIT_TIMEOUT`, `_USER_AGENT`, as one HTTP target named after the service (lower
    /// case), starting from CodeAI's documented defaults. Other `<SERVICE>_…` variables belong
    /// to the application and are left alone.
    CodeAi {
        /// The service name as given to `ConfigFromEnv` (`"stripe"`, `"GitHub"`).
        service: String,
    },
    /// reynard-connection's Vite variables: `<PREFIX>_HTTP_URL`, `_WEBSOCKET_URL` and `_SSE_URL`
    /// make the targets `http`, `websocket` and `sse`, and `<PREFIX>_CONNECTION_*` apply to
    /// each where the protocol has the setting.
    Reynard {
        /// The variables' prefix, `VITE` in Vite applications.
        prefix: String,
    },
}

impl SeedEnv {
    /// CodeAI's `ConfigFromEnv(service)`.
    pub fn codeai(service: impl Into<String>) -> Self {
        SeedEnv::CodeAi {
            service: service.into(),
        }
    }

    /// reynard-connection's variables under `prefix` (`"VITE"`).
    pub fn reynard(prefix: impl Into<String>) -> Self {
        SeedEnv::Reynard {
            prefix: prefix.into(),
        }
    }
}

/// One seed variable in `CONN_TARGETS_*` terms: `(its own name, the registry's name, the value)`.
pub(super) type Translated = (String, String, String);

/// A target and the library's defaults for it: `(target, its table)`, the lowest layer.
pub(super) type Defaults = (String, Map<String, Value>);

/// What `seed` makes of `env`: the library's defaults per target, the translated variables
/// (protocols first), and the problems, each `(variable, message)`.
pub(super) fn translate(
    seed: &SeedEnv,
    env: &[(String, String)],
) -> (Vec<Defaults>, Vec<Translated>, Vec<(String, String)>) {
    match seed {
        SeedEnv::CodeAi { service } => codeai(service, env),
        SeedEnv::Reynard { prefix } => reynard(prefix, env),
    }
}

/// The prefix CodeAI documents for `ConfigFromEnv(service)`: the name upper case, `-` and spaces
/// as `_` (`GitHub` → `GITHUB_`, its docs' example). (Its `envPrefix` also puts a `_` before every
/// capital but the first, so `ConfigFromEnv("STRIPE")` read `S_T_R_I_P_E_…`, unlike its README.)
fn codeai_prefix(service: &str) -> String {
    let upper: String = service
        .chars()
        .map(|c| match c {
            '-' | ' ' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    upper + "_"
}

/// CodeAI's variables: `(suffix, CONN_TARGETS suffix, value kind)`.
const CODEAI: &[(&str, &str, Unit)] = &[
    ("BASE_URL", "URL", Unit::Text),
    ("TIMEOUT", "TIMEOUT", Unit::Seconds),
    ("CONNECT_TIMEOUT", "PROPERTIES_TIMEOUT_CONNECT", Unit::Seconds),
    // `MaxRetries` sets CodeAI's `Retry.MaxAttempts`, tries in all: connfx's `max_attempts`.
    ("MAX_RETRIES", "PROPERTIES_RETRY_MAX_ATTEMPTS", Unit::Text),
    ("RETRY_DELAY", "PROPERTIES_RETRY_INITIAL_INTERVAL", Unit::Seconds),
    (
        "CIRCUIT_THRESHOLD",
        "PROPERTIES_CIRCUIT_BREAKER_FAILURE_THRESHOLD",
        Unit::Text,
    ),
    (
        "CIRCUIT_TIMEOUT",
        "PROPERTIES_CIRCUIT_BREAKER_RESET_TIMEOUT",
        Unit::Seconds,
    ),
    ("USER_AGENT", "PROPERTIES_USER_AGENT", Unit::Text),
];

/// How a seed writes a value, and how connfx reads it.
#[derive(Clone, Copy)]
enum Unit {
    /// As connfx reads it.
    Text,
    /// A duration, or a whole number of seconds (CodeAI's `envDuration`).
    Seconds,
    /// A whole number of milliseconds (reynard's).
    Millis,
    /// A count of retries: connfx counts the first try too.
    Retries,
}

impl Unit {
    fn convert(self, raw: &str) -> Result<String, String> {
        let number = || raw.trim().parse::<u64>();
        match self {
            Unit::Text => Ok(raw.to_owned()),
            Unit::Seconds => Ok(number().map_or_else(|_| raw.to_owned(), |n| format!("{n}s"))),
            Unit::Millis => number().map(|n| format!("{n}ms")).map_err(|_| {
                format!(
                    "expected a whole number of milliseconds, found {}",
                    connfx_spec::message::quoted(raw)
                )
            }),
            Unit::Retries => number().map(|n| n.saturating_add(1).to_string()).map_err(|_| {
                format!(
                    "expected a whole number of retries, found {}",
                    connfx_spec::message::quoted(raw)
                )
            }),
        }
    }
}

fn codeai(
    service: &str,
    env: &[(String, String)],
) -> (Vec<Defaults>, Vec<Translated>, Vec<(String, String)>) {
    let prefix = codeai_prefix(service);
    let target = service.to_ascii_lowercase().replace([' ', '-'], "_");
    let registry = format!("{}{}_", super::TARGETS_PREFIX, target.to_ascii_uppercase());
    let mut translated = Vec::new();
    let mut problems = Vec::new();
    for (name, raw) in env {
        let Some(suffix) = name.strip_prefix(&prefix) else {
            continue;
        };
        let Some((_, ours, unit)) = CODEAI.iter().find(|(s, _, _)| *s == suffix) else {
            continue;
        };
        match unit.convert(raw) {
            Ok(value) => translated.push((name.clone(), format!("{registry}{ours}"), value)),
            Err(message) => problems.push((name.clone(), message)),
        }
    }
    if translated.is_empty() && problems.is_empty() {
        return (Vec::new(), translated, problems);
    }
    // CodeAI's `DefaultConfig()`, which `ConfigFromEnv` starts from: every client retries and
    // has a breaker, with these documented values.
    let defaults = json!({
        "protocol": "http",
        "timeout": "30s",
        "properties": {
            "user_agent": "CodeAI-Client/1.0",
            "timeout": { "connect": "10s" },
            "retry": {
                "max_attempts": 3, "initial_interval": "100ms", "max_interval": "30s",
                "multiplier": 2.0, "jitter": 0.25,
                "retry_on": "connect,timeout,transport,429,500,502,503,504"
            },
            "circuit_breaker": { "failure_threshold": 5, "reset_timeout": "60s", "half_open_success_needed": 3 }
        }
    });
    let defaults = match defaults {
        Value::Object(table) => vec![(target, table)],
        _ => Vec::new(),
    };
    (defaults, translated, problems)
}

/// reynard's targets: `(URL variable suffix, target, protocol)`.
const REYNARD_TARGETS: &[(&str, &str, &str)] = &[
    ("HTTP_URL", "http", "http"),
    ("WEBSOCKET_URL", "websocket", "websocket"),
    ("SSE_URL", "sse", "sse"),
];

/// reynard's `CONNECTION_*` settings: `(suffix, unit, CONN_TARGETS suffix for http, for
/// websocket, for sse)`; `None` where the protocol has no such setting.
type ReynardRow = (
    &'static str,
    Unit,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

const REYNARD: &[ReynardRow] = &[
    (
        "TIMEOUT",
        Unit::Millis,
        Some("TIMEOUT"),
        Some("PROPERTIES_TIMEOUT_CONNECT"),
        Some("PROPERTIES_TIMEOUT_CONNECT"),
    ),
    (
        "RETRY_COUNT",
        Unit::Retries,
        Some("PROPERTIES_RETRY_MAX_ATTEMPTS"),
        Some("PROPERTIES_RETRY_MAX_ATTEMPTS"),
        Some("PROPERTIES_RETRY_MAX_ATTEMPTS"),
    ),
    (
        "RETRY_DELAY",
        Unit::Millis,
        Some("PROPERTIES_RETRY_INITIAL_INTERVAL"),
        Some("PROPERTIES_RETRY_INITIAL_INTERVAL"),
        Some("PROPERTIES_RETRY_INITIAL_INTERVAL"),
    ),
    (
        "BACKOFF_MULTIPLIER",
        Unit::Text,
        Some("PROPERTIES_RETRY_MULTIPLIER"),
        Some("PROPERTIES_RETRY_MULTIPLIER"),
        Some("PROPERTIES_RETRY_MULTIPLIER"),
    ),
    (
        "MAX_POOL_SIZE",
        Unit::Text,
        Some("PROPERTIES_POOL_MAX_SIZE"),
        None,
        None,
    ),
    (
        "KEEP_ALIVE",
        Unit::Millis,
        Some("PROPERTIES_POOL_IDLE_TIMEOUT"),
        Some("PROPERTIES_PING_INTERVAL"),
        None,
    ),
    ("ENCRYPTION", Unit::Text, Some("TLS"), Some("TLS"), Some("TLS")),
    (
        "AUTO_RECONNECT",
        Unit::Text,
        None,
        Some("PROPERTIES_RETRY_ENABLED"),
        Some("PROPERTIES_RETRY_ENABLED"),
    ),
    (
        "CIRCUIT_BREAKER",
        Unit::Text,
        Some("PROPERTIES_CIRCUIT_BREAKER_ENABLED"),
        None,
        None,
    ),
    (
        "CIRCUIT_BREAKER_THRESHOLD",
        Unit::Text,
        Some("PROPERTIES_CIRCUIT_BREAKER_FAILURE_THRESHOLD"),
        None,
        None,
    ),
    (
        "CIRCUIT_BREAKER_TIMEOUT",
        Unit::Millis,
        Some("PROPERTIES_CIRCUIT_BREAKER_RESET_TIMEOUT"),
        None,
        None,
    ),
];

/// reynard's settings with no connfx counterpart, and why.
const REYNARD_NO_EFFECT: &[(&str, &str)] = &[
    (
        "COMPRESSION",
        "connfx sends no compressed bodies and accepts any response encoding reqwest decodes",
    ),
    (
        "SECURITY_LEVEL",
        "connfx has no security levels: TLS is the URL's scheme, credentials are `auth`",
    ),
    (
        "HEALTH_CHECK_INTERVAL",
        "the interval is the registry monitor's: `registry.monitor(interval)`",
    ),
];

fn reynard(
    prefix: &str,
    env: &[(String, String)],
) -> (Vec<Defaults>, Vec<Translated>, Vec<(String, String)>) {
    let var = |suffix: &str| format!("{prefix}_{suffix}");
    let mut translated = Vec::new();
    let mut problems = Vec::new();
    let mut targets = Vec::new();
    for (suffix, target, protocol) in REYNARD_TARGETS {
        let Some((name, url)) = env.iter().find(|(k, _)| *k == var(suffix)) else {
            continue;
        };
        let registry = format!("{}{}_", super::TARGETS_PREFIX, target.to_ascii_uppercase());
        translated.push((
            name.clone(),
            format!("{registry}PROTOCOL"),
            (*protocol).to_owned(),
        ));
        translated.push((name.clone(), format!("{registry}URL"), url.clone()));
        targets.push(registry);
    }
    let settings = format!("{prefix}_CONNECTION_");
    for (name, raw) in env {
        let Some(suffix) = name.strip_prefix(&settings) else {
            continue;
        };
        if let Some((_, why)) = REYNARD_NO_EFFECT.iter().find(|(s, _)| *s == suffix) {
            tracing::warn!(
                variable = name.as_str(),
                "`{name}` has no effect in connfx: {why}"
            );
            continue;
        }
        let Some(&(_, unit, http, websocket, sse)) = REYNARD.iter().find(|row| row.0 == suffix) else {
            let known = REYNARD
                .iter()
                .map(|row| row.0)
                .chain(REYNARD_NO_EFFECT.iter().map(|(s, _)| *s));
            let names: Vec<String> = known.map(|s| format!("{settings}{s}")).collect();
            let near = connfx_spec::near_names(name, names.iter().map(String::as_str));
            let message =
                connfx_spec::message::unknown_env(name, &near, "docs/migrating-from-reynard-connection.md");
            problems.push((name.clone(), message));
            continue;
        };
        let value = match unit.convert(raw) {
            Ok(value) => value,
            Err(message) => {
                problems.push((name.clone(), message));
                continue;
            }
        };
        for registry in &targets {
            let ours = match registry.as_str() {
                r if r.ends_with("_HTTP_") => http,
                r if r.ends_with("_WEBSOCKET_") => websocket,
                _ => sse,
            };
            if let Some(ours) = ours {
                translated.push((name.clone(), format!("{registry}{ours}"), value.clone()));
            }
        }
    }
    (Vec::new(), translated, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codeai_names_its_prefix_as_its_docs_do() {
        assert_eq!(codeai_prefix("stripe"), "STRIPE_");
        assert_eq!(codeai_prefix("STRIPE"), "STRIPE_");
        assert_eq!(codeai_prefix("GitHub"), "GITHUB_");
        assert_eq!(codeai_prefix("payment-service"), "PAYMENT_SERVICE_");
    }

    #[test]
    fn units_convert_to_connfx_values() {
        assert_eq!(Unit::Seconds.convert("30").unwrap(), "30s");
        assert_eq!(Unit::Seconds.convert("100ms").unwrap(), "100ms");
        assert_eq!(Unit::Millis.convert("5000").unwrap(), "5000ms");
        assert_eq!(Unit::Retries.convert("3").unwrap(), "4");
        assert!(Unit::Millis.convert("5s").unwrap_err().contains("milliseconds"));
    }
}
