//! The one table of connfx's built-in protocols, keys and bounds, and the rules that check values
//! against it.
//!
//! Two crates read it: `connfx-macros`, which checks the literals of `#[connection(...)]` at compile
//! time, and `connfx`, which checks the merged values from defaults, files and the environment at
//! boot. Both print the messages made here, so a bad environment variable reads exactly like a bad
//! attribute. This crate has no knowledge of Rust types: the runtime's config structs are tested
//! against this table so the two cannot drift apart.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod check;
pub mod declare;
pub mod env;
pub mod groups;
pub mod message;
pub mod protocols;
pub mod retry_on;
pub mod table;

pub use table::{Group, Key, Kind, MAX_DURATION, PROTOCOLS, Protocol, Rule, Text};

/// The built-in protocol called `name`.
///
/// ```
/// assert_eq!(connfx_spec::protocol("http").unwrap().type_name, "HttpConnection");
/// ```
pub fn protocol(name: &str) -> Option<&'static Protocol> {
    PROTOCOLS.iter().find(|p| p.name == name)
}

/// The built-in protocol whose connection type is named `type_name` (the last path segment).
///
/// ```
/// assert_eq!(connfx_spec::protocol_for_type("SqlConnection").unwrap().name, "sql");
/// ```
pub fn protocol_for_type(type_name: &str) -> Option<&'static Protocol> {
    PROTOCOLS.iter().find(|p| p.type_name == type_name)
}

/// The names of every built-in protocol, in table order.
pub fn protocol_names() -> impl Iterator<Item = &'static str> {
    PROTOCOLS.iter().map(|p| p.name)
}

/// The closest of `candidates` to `unknown`, if one is close enough to be a likely typo.
///
/// ```
/// let keys = ["max_attempts", "jitter"];
/// assert_eq!(connfx_spec::did_you_mean("max_atempts", keys), Some("max_attempts"));
/// assert_eq!(connfx_spec::did_you_mean("zzz", keys), None);
/// ```
pub fn did_you_mean<'a>(unknown: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let unknown = unknown.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&unknown, &c.to_ascii_lowercase()), c))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// At most three of `candidates`, nearest to `unknown` first (by edits, case ignored): what a
/// message about an unknown name lists when no candidate is a likely typo.
///
/// ```
/// let keys = ["url", "retry", "timeout", "pool", "headers"];
/// assert_eq!(connfx_spec::nearest_three("retries", keys), ["retry", "headers", "url"]);
/// ```
pub fn nearest_three<'a>(unknown: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let unknown = unknown.to_ascii_lowercase();
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&unknown, &c.to_ascii_lowercase()), c))
        .collect();
    // Stable: equally near candidates keep their order.
    scored.sort_by_key(|(edits, _)| *edits);
    scored.dedup_by_key(|(_, c)| *c);
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

/// The names worth suggesting for `unknown`, a long name such as an environment variable (where
/// a shared prefix makes every name look alike), nearest first: the nearest alone when it is a
/// likely typo (a few edits away), else at most three that share most of the name.
///
/// ```
/// let names = ["APP_API_RETRY_MAX_ATTEMPTS", "APP_API_URL", "APP_API_TIMEOUT_TOTAL", "APP_API_TIMEOUT_CONNECT"];
/// assert_eq!(connfx_spec::near_names("APP_API_RETRY_MAX_ATEMPTS", names), ["APP_API_RETRY_MAX_ATTEMPTS"]);
/// assert_eq!(connfx_spec::near_names("APP_API_TIMEOUT", names), ["APP_API_TIMEOUT_TOTAL", "APP_API_TIMEOUT_CONNECT", "APP_API_URL"]);
/// assert!(connfx_spec::near_names("APP_DB_PASSWORD", names).is_empty());
/// ```
pub fn near_names<'a>(unknown: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let typo = 2 + unknown.len() / 16;
    let shared = 2 + unknown.len() / 3;
    let mut near: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(unknown, c), c))
        .filter(|(edits, c)| *edits <= shared || c.starts_with(unknown))
        .collect();
    // A name that extends what was written (`…_TIMEOUT` → `…_TIMEOUT_TOTAL`) comes first.
    near.sort_by_key(|(edits, c)| (!c.starts_with(unknown), *edits));
    near.dedup_by_key(|(_, c)| *c);
    match near.first() {
        Some(&(edits, best)) if edits <= typo && !best.starts_with(unknown) => vec![best],
        _ => near.into_iter().take(3).map(|(_, c)| c).collect(),
    }
}
