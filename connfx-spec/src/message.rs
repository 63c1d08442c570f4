//! The wording of every configuration problem, shared by compile-time and boot-time checks.
//!
//! Messages are lowercase with no final period, name keys in backticks, say what was expected,
//! and never repeat a value that could hold a secret (secrets and URLs are described, not echoed).

use crate::Kind;

/// ``the `auth.oauth2` group is set in a file or the environment, not in the attribute``: a
/// nested group (see [`crate::declare`]) written in the derive's attribute.
///
/// ```
/// let msg = connfx_spec::message::nested_not_in_attribute("auth", "oauth2");
/// assert_eq!(
///     msg,
///     "the `auth.oauth2` group is set in a file (`[<field>.auth.oauth2]`) or the environment \
///      (`<PREFIX>_<FIELD>_AUTH_OAUTH2_*`), not in the attribute"
/// );
/// ```
pub fn nested_not_in_attribute(group: &str, nested: &str) -> String {
    format!(
        "the `{group}.{nested}` group is set in a file (`[<field>.{group}.{nested}]`) or the environment \
         (`<PREFIX>_<FIELD>_{}_{}_*`), not in the attribute",
        group.to_uppercase(),
        nested.to_uppercase()
    )
}

/// ``the `hosts` table is set in a file or the environment, not in the attribute``: a key
/// whose value is a table of tables (`hosts`), which the attribute grammar has no place for.
///
/// ```
/// let msg = connfx_spec::message::table_not_in_attribute("hosts");
/// assert_eq!(
///     msg,
///     "the `hosts` table is set in a file (`[<field>.hosts.\"<name>\"]`) or the environment \
///      (`<PREFIX>_<FIELD>_HOSTS`, one JSON object), not in the attribute"
/// );
/// ```
pub fn table_not_in_attribute(key: &str) -> String {
    format!(
        "the `{key}` table is set in a file (`[<field>.{key}.\"<name>\"]`) or the environment \
         (`<PREFIX>_<FIELD>_{}`, one JSON object), not in the attribute",
        key.to_uppercase()
    )
}

/// ``unknown `retry` key `max_atempts`; did you mean `max_attempts`?``
///
/// With no close key, at most the three nearest are named (a group of three keys or fewer is
/// listed whole), and the rest is left to the `schema` command: a list of fifty keys hides the
/// one that was meant.
///
/// ```
/// let msg = connfx_spec::message::unknown_key("retry", "max_atempts", ["max_attempts", "jitter"]);
/// assert_eq!(msg, "unknown `retry` key `max_atempts`; did you mean `max_attempts`?");
/// let msg = connfx_spec::message::unknown_key("tls", "ca", ["ca_file", "cert_file", "key_file"]);
/// assert_eq!(msg, "unknown `tls` key `ca`; expected one of `ca_file`, `cert_file`, `key_file`");
/// let keys = ["url", "retry", "timeout", "pool", "headers"];
/// let msg = connfx_spec::message::unknown_key("http", "verify", keys);
/// assert_eq!(msg, "unknown `http` key `verify`; nearest: `retry`, `url`, `pool` (`schema` lists every key)");
/// ```
pub fn unknown_key<'a>(scope: &str, key: &str, valid: impl IntoIterator<Item = &'a str>) -> String {
    let valid: Vec<&str> = valid.into_iter().collect();
    match crate::did_you_mean(key, valid.iter().copied()) {
        Some(near) => format!("unknown `{scope}` key `{key}`; did you mean `{near}`?"),
        None if valid.is_empty() => format!("unknown `{scope}` key `{key}`"),
        None if valid.len() <= 3 => {
            format!("unknown `{scope}` key `{key}`; expected one of {}", list(&valid))
        }
        None => format!(
            "unknown `{scope}` key `{key}`; nearest: {} (`schema` lists every key)",
            list(&crate::nearest_three(key, valid))
        ),
    }
}

/// ``unknown protocol `htp`; did you mean `http`? known protocols: `http`, `graphql`, `redis`, `sql`, `otlp`, `sse`, `websocket` ``
///
/// ```
/// let msg = connfx_spec::message::unknown_protocol("ftp");
/// assert_eq!(msg, "unknown protocol `ftp`; known protocols: `http`, `graphql`, `redis`, `sql`, `otlp`, `sse`, `websocket`");
/// ```
pub fn unknown_protocol(name: &str) -> String {
    let known: Vec<&str> = crate::protocol_names().collect();
    let hint = crate::did_you_mean(name, known.iter().copied())
        .map_or_else(|| ";".to_owned(), |near| format!("; did you mean `{near}`?"));
    format!(
        "unknown protocol `{name}`{hint} known protocols: {}",
        list(&known)
    )
}

/// ``` `backoff` must be `exponential`, `linear` or `constant`, found `"expo"`; did you mean `exponential`? ```
///
/// ```
/// let msg = connfx_spec::message::not_one_of("mode", "wiat", &["wait", "reject"]);
/// assert_eq!(msg, "`mode` must be `wait` or `reject`, found `\"wiat\"`; did you mean `wait`?");
/// ```
pub fn not_one_of(key: &str, found: &str, choices: &[&str]) -> String {
    let hint = crate::did_you_mean(found, choices.iter().copied())
        .map_or_else(String::new, |near| format!("; did you mean `{near}`?"));
    format!(
        "`{key}` must be {}, found {}{hint}",
        alternatives(choices),
        quoted(found)
    )
}

/// A found text as a message quotes it: `Debug`-quoted, with anything between `://` and the last
/// `@` after it hidden, so a URL given to a key of another kind (a duration, a number) is echoed
/// without its password. Found by the loader fuzz target.
///
/// ```
/// assert_eq!(connfx_spec::message::quoted("https://u:pw@h"), "`\"https://[redacted]@h\"`");
/// assert_eq!(connfx_spec::message::quoted("10 parsecs"), "`\"10 parsecs\"`");
/// ```
pub fn quoted(text: &str) -> String {
    format!("`{:?}`", without_userinfo(text))
}

/// `text` with anything between `://` and the last `@` after it replaced by `[redacted]`.
///
/// ```
/// assert_eq!(connfx_spec::message::without_userinfo("http://h/a@b:p@c"), "http://[redacted]@c");
/// ```
pub fn without_userinfo(text: &str) -> String {
    let Some(start) = text.find("://").map(|i| i + 3) else {
        return text.to_owned();
    };
    match text[start..].rfind('@') {
        Some(at) => format!("{}[redacted]{}", &text[..start], &text[start + at..]),
        None => text.to_owned(),
    }
}

/// ``expected a whole number, found `"abc"` ``: `found` is already quoted or described by the caller.
pub fn wrong_kind(kind: Kind, found: &str) -> String {
    format!("expected {}, found {found}", kind.expected())
}

/// ```jitter` must be between 0 and 1, found 1.5``
pub fn out_of_range(key: &str, min: Option<f64>, max: Option<f64>, value: f64) -> String {
    let bounds = match (min, max) {
        (Some(lo), Some(hi)) => format!("between {} and {}", number(lo), number(hi)),
        (Some(lo), None) => format!("at least {}", number(lo)),
        (None, Some(hi)) => format!("at most {}", number(hi)),
        (None, None) => "a finite number".to_owned(),
    };
    format!("`{key}` must be {bounds}, found {}", number(value))
}

/// ```per` must be at most 1year, found `"99999999999y"` ``: a duration longer than the key
/// allows (see [`crate::MAX_DURATION`]); `found` is already quoted or formatted by the caller.
///
/// ```
/// let msg = connfx_spec::message::too_long("slow_call_duration", std::time::Duration::from_secs(3600), "`\"2h\"`");
/// assert_eq!(msg, "`slow_call_duration` must be at most 1h, found `\"2h\"`");
/// ```
pub fn too_long(key: &str, longest: std::time::Duration, found: &str) -> String {
    format!(
        "`{key}` must be at most {}, found {found}",
        humantime::format_duration(longest)
    )
}

/// The URL did not parse; the URL itself is not repeated since it may carry credentials.
pub fn bad_url(reason: &str) -> String {
    format!("expected an absolute URL, but it does not parse: {reason}")
}

/// ``URL scheme `ftp` does not fit protocol `http`; expected `http` or `https` ``
pub fn scheme_mismatch(protocol: &str, scheme: &str, expected: &[&str]) -> String {
    format!(
        "URL scheme `{scheme}` does not fit protocol `{protocol}`; expected {}",
        alternatives(expected)
    )
}

/// ```initial_interval` (10s) must not be above `max_interval` (1s)``
pub fn not_above(lower: &str, lower_value: &str, upper: &str, upper_value: &str) -> String {
    format!("`{lower}` ({lower_value}) must not be above `{upper}` ({upper_value})")
}

/// ``set at most one of `bearer`, `username`, `api_key` ``
pub fn at_most_one(keys: &[&str]) -> String {
    format!("set at most one of {}", list(keys))
}

/// Where a value was written, so a message about it shows that source's own syntax: a
/// `#[connection(...)]` attribute, a TOML, YAML or JSON file, or an environment variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// The `#[connection(...)]` attribute (or a type's built-in default).
    Attribute,
    /// A `.toml` file.
    Toml,
    /// A `.yaml` or `.yml` file.
    Yaml,
    /// A `.json` file.
    Json,
    /// An environment variable.
    Env,
}

impl Syntax {
    /// The syntax of a config file, by its extension (as the loader reads it); TOML when the
    /// extension is none of the known ones.
    ///
    /// ```
    /// use connfx_spec::message::Syntax;
    /// assert_eq!(Syntax::of_file(std::path::Path::new("deploy/prod.YML")), Syntax::Yaml);
    /// ```
    pub fn of_file(path: &std::path::Path) -> Syntax {
        Syntax::of_config_file(path).unwrap_or(Syntax::Toml)
    }

    /// The format of a config file by its extension, the one rule the loader reads files by:
    /// `.toml`, `.yaml`/`.yml`, `.json` (any case); `None` for any other.
    ///
    /// ```
    /// use connfx_spec::message::Syntax;
    /// assert_eq!(Syntax::of_config_file(std::path::Path::new("a.json")), Some(Syntax::Json));
    /// assert_eq!(Syntax::of_config_file(std::path::Path::new("a.ini")), None);
    /// ```
    pub fn of_config_file(path: &std::path::Path) -> Option<Syntax> {
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
        match extension.to_ascii_lowercase().as_str() {
            "toml" => Some(Syntax::Toml),
            "yaml" | "yml" => Some(Syntax::Yaml),
            "json" => Some(Syntax::Json),
            _ => None,
        }
    }

    /// What this syntax calls a group of keys: a table in TOML, a mapping in YAML, an object in
    /// JSON.
    ///
    /// ```
    /// assert_eq!(connfx_spec::message::Syntax::Yaml.group_word(), "a mapping");
    /// ```
    pub fn group_word(self) -> &'static str {
        match self {
            Syntax::Attribute | Syntax::Env => "a group",
            Syntax::Toml => "a table",
            Syntax::Yaml => "a mapping",
            Syntax::Json => "an object",
        }
    }
}

/// A single value where a group of keys belongs, worded in the syntax it was written in, with
/// the group's first key as the example.
///
/// ```
/// use connfx_spec::message::{group_needs_keys, Syntax};
/// assert_eq!(group_needs_keys("retry", "max_attempts", Syntax::Attribute), "`retry` is a group of keys; write `retry(...)`");
/// assert_eq!(
///     group_needs_keys("retry", "max_attempts", Syntax::Toml),
///     "`retry` is a table of keys, not a single value; write `retry = { max_attempts = ... }` or a `[...retry]` table"
/// );
/// assert_eq!(
///     group_needs_keys("retry", "max_attempts", Syntax::Yaml),
///     "`retry` is a mapping of keys, not a single value; write `retry:` with `max_attempts: ...` indented below it"
/// );
/// assert_eq!(
///     group_needs_keys("retry", "max_attempts", Syntax::Json),
///     "`retry` is an object of keys, not a single value; write `\"retry\": { \"max_attempts\": ... }`"
/// );
/// ```
pub fn group_needs_keys(group: &str, first_key: &str, syntax: Syntax) -> String {
    let word = syntax.group_word();
    match syntax {
        Syntax::Attribute | Syntax::Env => format!("`{group}` is a group of keys; write `{group}(...)`"),
        Syntax::Toml => format!(
            "`{group}` is {word} of keys, not a single value; write `{group} = {{ {first_key} = ... }}` or a `[...{group}]` table"
        ),
        Syntax::Yaml => format!(
            "`{group}` is {word} of keys, not a single value; write `{group}:` with `{first_key}: ...` indented below it"
        ),
        Syntax::Json => format!(
            "`{group}` is {word} of keys, not a single value; write `\"{group}\": {{ \"{first_key}\": ... }}`"
        ),
    }
}

/// ```url` takes a single value; write `url = ...` ``
pub fn key_needs_value(key: &str) -> String {
    format!("`{key}` takes a single value; write `{key} = ...`")
}

/// Two variables set one key: a group's shorthand (`APP_API_TIMEOUT`) and the key it stands for
/// (`APP_API_TIMEOUT_TOTAL`).
///
/// ```
/// let msg = connfx_spec::message::set_twice("api.timeout.total", "APP_API_TIMEOUT", "APP_API_TIMEOUT_TOTAL");
/// assert_eq!(msg, "`APP_API_TIMEOUT` and `APP_API_TIMEOUT_TOTAL` both set `api.timeout.total`; set one of them");
/// ```
pub fn set_twice(path: &str, first: &str, second: &str) -> String {
    format!("`{first}` and `{second}` both set `{path}`; set one of them")
}

/// The required key has no value in any source.
pub fn missing(key: &str, env_name: &str) -> String {
    format!("`{key}` has no value; give it in the attribute, a config file, or `{env_name}`")
}

/// Two settings map to the same environment variable.
pub fn env_collision(env_name: &str, first: &str, second: &str) -> String {
    format!(
        "environment variable `{env_name}` would set both `{first}` and `{second}`; rename one of the fields"
    )
}

/// `` `a`, `b`, `c` ``
pub fn list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `` `a`, `b` or `c` ``
fn alternatives(items: &[&str]) -> String {
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or `{last}`", list(rest)),
        _ => list(items),
    }
}

/// Whole numbers without a fraction, others as they are.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// ``"`APP_API_URLL` is not a setting; did you mean `APP_API_URL`?"``: the variable as written,
/// then at most three near names (`near`, nearest first), then where every name is listed.
///
/// ```
/// use connfx_spec::message::unknown_env;
/// assert_eq!(unknown_env("APP_API_URLL", &["APP_API_URL"], "`env`"), "`APP_API_URLL` is not a setting; did you mean `APP_API_URL`?");
/// assert_eq!(
///     unknown_env("APP_API_TIMEOUT", &["APP_API_TIMEOUT_TOTAL", "APP_API_TIMEOUT_CONNECT"], "`env`"),
///     "`APP_API_TIMEOUT` is not a setting; did you mean one of `APP_API_TIMEOUT_TOTAL`, `APP_API_TIMEOUT_CONNECT`? (`env` lists every variable)"
/// );
/// assert_eq!(unknown_env("APP_X", &[], "`env`"), "`APP_X` is not a setting (`env` lists every variable)");
/// ```
pub fn unknown_env(name: &str, near: &[&str], listed_by: &str) -> String {
    match near {
        [] => format!("`{name}` is not a setting ({listed_by} lists every variable)"),
        [one] => format!("`{name}` is not a setting; did you mean `{one}`?"),
        many => format!(
            "`{name}` is not a setting; did you mean one of {}? ({listed_by} lists every variable)",
            list(&many[..many.len().min(3)])
        ),
    }
}

/// A fleet scope (`rate_limit(scope = "fleet")`, `retry(budget_scope = "fleet")`) without its
/// store key.
pub fn fleet_needs_store(scope_key: &str, store_key: &str) -> String {
    format!(
        "`{scope_key} = \"fleet\"` needs `{store_key}`, the name of the Redis connection that keeps the fleet's state"
    )
}

/// A store key (`store`, `budget_store`) without the fleet scope it belongs to.
pub fn store_needs_fleet(scope_key: &str, store_key: &str) -> String {
    format!("`{store_key}` is read only with `{scope_key} = \"fleet\"`; set both, or neither")
}

/// A fleet policy's store key (`store_key`: `store`, `budget_store`) names no connection, or one
/// that is not Redis (`found`).
pub fn store_not_redis(store_key: &str, store: &str, found: Option<&str>) -> String {
    match found {
        None => format!(
            "`{store_key}` = {} names no connection; it must name a Redis connection beside this one",
            quoted(store)
        ),
        Some(protocol) => format!(
            "`{store_key}` = {} names a `{protocol}` connection; a fleet policy is kept in a Redis connection",
            quoted(store)
        ),
    }
}
