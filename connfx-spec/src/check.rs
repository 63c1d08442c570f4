//! Checks of single values and of rules across keys, returning the messages of [`crate::message`].

use std::time::Duration;

use crate::{Key, Kind, Protocol, Rule, Text, message};

/// A value as written in an attribute, a file or (after parsing) the environment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Literal<'a> {
    /// A string.
    Str(&'a str),
    /// A whole number.
    Int(i128),
    /// A number with a fraction.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

impl Literal<'_> {
    /// How the value is shown in a message; a secret's or URL's string is described, not shown.
    pub fn describe(&self, kind: Kind) -> String {
        match self {
            Literal::Str(_) if matches!(kind, Kind::Secret | Kind::Url) => "a string".to_owned(),
            Literal::Str(s) => crate::message::quoted(s),
            Literal::Int(i) => format!("`{i}`"),
            Literal::Float(f) => format!("`{f}`"),
            Literal::Bool(b) => format!("`{b}`"),
        }
    }
}

/// Checks one value for `key` of `protocol`: its kind, its range, a duration's form, a URL's scheme.
///
/// ```
/// use connfx_spec::check::{literal, Literal};
/// let http = connfx_spec::protocol("http").unwrap();
/// let retry = http.group("retry").unwrap();
/// let jitter = retry.key("jitter").unwrap();
/// assert_eq!(literal(http, jitter, Literal::Float(1.5)).unwrap_err(), "`jitter` must be between 0 and 1, found 1.5");
/// ```
///
/// # Errors
/// The message saying what is wrong and what would be right.
pub fn literal(protocol: &Protocol, key: &Key, value: Literal<'_>) -> Result<(), String> {
    let wrong = || message::wrong_kind(key.kind, &value.describe(key.kind));
    match (key.kind, value) {
        (Kind::Bool, Literal::Bool(_)) => Ok(()),
        (Kind::Integer, Literal::Int(i)) => in_range(key, i as f64),
        (Kind::Number, Literal::Int(i)) => in_range(key, i as f64),
        (Kind::Number, Literal::Float(f)) => in_range(key, f),
        (Kind::Duration, Literal::Str(s)) => duration_of_key(key, s).map(drop),
        (Kind::Url, Literal::Str(s)) => url(protocol, s),
        (Kind::Str, Literal::Str(s)) => text(key, s),
        (Kind::Secret, Literal::Str(_)) => Ok(()),
        _ => Err(wrong()),
    }
}

/// Checks a string against the key's [`Text`]: one of its words, or its grammar.
///
/// ```
/// let retry = connfx_spec::protocol("http").unwrap().group("retry").unwrap();
/// let backoff = retry.key("backoff").unwrap();
/// assert!(connfx_spec::check::text(backoff, "linear").is_ok());
/// assert!(connfx_spec::check::text(backoff, "expo").unwrap_err().contains("did you mean `exponential`"));
/// assert!(connfx_spec::check::text(retry.key("retry_on").unwrap(), "503,teapot").is_err());
/// ```
///
/// # Errors
/// What is wrong with the text.
pub fn text(key: &Key, value: &str) -> Result<(), String> {
    match key.text {
        Text::Any => Ok(()),
        Text::OneOf(words) if words.contains(&value) => Ok(()),
        Text::OneOf(words) => Err(message::not_one_of(key.name, value, words)),
        Text::RetryOn => crate::retry_on::parse(value).map(drop),
    }
}

/// Checks a number against the key's bounds.
///
/// # Errors
/// ``"`max_attempts` must be between 1 and 100, found 0"``.
pub fn in_range(key: &Key, value: f64) -> Result<(), String> {
    range(key.name, key.min, key.max, value)
}

/// [`in_range`] for a key known only by name and bounds (a user adapter's, read from its schema).
///
/// # Errors
/// ``"`jitter` must be between 0 and 1, found 1.5"``.
pub fn range(name: &str, min: Option<f64>, max: Option<f64>, value: f64) -> Result<(), String> {
    let below = min.is_some_and(|min| value < min);
    let above = max.is_some_and(|max| value > max);
    if below || above || !value.is_finite() {
        return Err(message::out_of_range(name, min, max, value));
    }
    Ok(())
}

/// Parses a humantime duration.
///
/// ```
/// assert_eq!(connfx_spec::check::duration("1m30s"), Ok(std::time::Duration::from_secs(90)));
/// assert!(connfx_spec::check::duration("10 parsecs").is_err());
/// ```
///
/// # Errors
/// What was expected, with the text found.
pub fn duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|_| message::wrong_kind(Kind::Duration, &message::quoted(text)))
}

/// Parses the text of the duration key `key` and checks it against the key's longest value
/// ([`Key::longest`]): what the derive checks in an attribute and the loader in a file or a
/// variable.
///
/// ```
/// let rate_limit = connfx_spec::protocol("http").unwrap().group("rate_limit").unwrap();
/// let per = rate_limit.key("per").unwrap();
/// assert_eq!(connfx_spec::check::duration_of_key(per, "1m"), Ok(std::time::Duration::from_secs(60)));
/// assert_eq!(
///     connfx_spec::check::duration_of_key(per, "99999999999y").unwrap_err(),
///     "`per` must be at most 1year, found `\"99999999999y\"`"
/// );
/// ```
///
/// # Errors
/// What was expected when the text is no duration; the longest allowed when it is too long
/// (including a number too large to parse at all).
pub fn duration_of_key(key: &Key, text: &str) -> Result<Duration, String> {
    duration_within(key.name, longest(key), text)
}

/// [`duration_of_key`] for a key known only by name and longest value (a user adapter's,
/// whose durations are at most [`MAX_DURATION`](crate::MAX_DURATION)).
///
/// # Errors
/// As [`duration_of_key`].
pub fn duration_within(name: &str, longest: Duration, text: &str) -> Result<Duration, String> {
    let too_long = || message::too_long(name, longest, &message::quoted(text));
    match humantime::parse_duration(text.trim()) {
        Ok(value) if value > longest => Err(too_long()),
        Ok(value) => Ok(value),
        // More seconds than a `u64` holds is a duration still, only a long one.
        Err(humantime::DurationError::NumberOverflow) => Err(too_long()),
        Err(_) => Err(message::wrong_kind(Kind::Duration, &message::quoted(text))),
    }
}

/// The longest value of the duration key `key`: its declared one, else
/// [`MAX_DURATION`](crate::MAX_DURATION).
pub fn longest(key: &Key) -> Duration {
    key.longest.unwrap_or(crate::MAX_DURATION)
}

/// Checks a duration already parsed (a config built in code, given to `Registry::add` or a
/// policy's `try_new`) against the longest value of `key`, in the words of [`duration_of_key`].
///
/// ```
/// use std::time::Duration;
/// let pool = connfx_spec::protocol("sql").unwrap().group("pool").unwrap();
/// let acquire = pool.key("acquire_timeout").unwrap();
/// assert!(connfx_spec::check::not_too_long(acquire, Duration::from_secs(5)).is_ok());
/// assert_eq!(
///     connfx_spec::check::not_too_long(acquire, Duration::from_secs(u64::MAX)).unwrap_err(),
///     "`acquire_timeout` must be at most 1year, found 584542046090years 7months 15days 17h 5m 3s"
/// );
/// ```
///
/// # Errors
/// The longest allowed, and the value found.
pub fn not_too_long(key: &Key, value: Duration) -> Result<(), String> {
    let longest = longest(key);
    match value > longest {
        true => Err(message::too_long(
            key.name,
            longest,
            &humantime::format_duration(value).to_string(),
        )),
        false => Ok(()),
    }
}

/// Parses a boolean as the environment writes it: `true`/`false`/`1`/`0` (any case).
///
/// # Errors
/// What was expected, with the text found.
pub fn boolean(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(message::wrong_kind(Kind::Bool, &message::quoted(text))),
    }
}

/// Checks that `text` is an absolute URL with a scheme of `protocol`.
///
/// # Errors
/// Why it does not parse (without repeating it), or which schemes would fit.
pub fn url(protocol: &Protocol, text: &str) -> Result<(), String> {
    url_with_schemes(protocol.name, protocol.schemes, text)
}

/// [`url()`] for a protocol known only by name and schemes (user adapters may state no schemes).
///
/// # Errors
/// As [`url()`].
pub fn url_with_schemes(protocol: &str, schemes: &[&str], text: &str) -> Result<(), String> {
    let parsed = url::Url::parse(text).map_err(|e| message::bad_url(&e.to_string()))?;
    if !schemes.is_empty() && !schemes.contains(&parsed.scheme()) {
        return Err(message::scheme_mismatch(protocol, parsed.scheme(), schemes));
    }
    Ok(())
}

/// A JSON Schema `pattern` (ECMA-262) for a URL of one of `schemes` (any case), as
/// [`url_with_schemes`] reads it: `scheme://[user-info@]host[:port][/path][?query][#fragment]`
/// with no blank in it, a port of at most 65535, and a host unless the scheme may go without
/// one (not `http`, `https`, `ws`, `wss`); `sqlite:` may be followed by anything without a
/// blank (`sqlite::memory:`, `sqlite:data.db`). A `file:/path` value is also accepted: the
/// loader reads the URL from that file (a secret kept out of the config).
///
/// It is stricter than the loader in one way, listed in the README: the URL standard repairs
/// some forms (`http:host`, blanks it encodes) that the pattern refuses.
///
/// ```
/// let re = connfx_spec::check::url_pattern(&["redis", "rediss"]);
/// assert!(re.contains("[rR][eE][dD][iI][sS]"));
/// ```
pub fn url_pattern(schemes: &[&str]) -> String {
    let any_case = |scheme: &str| -> String {
        scheme
            .chars()
            .map(|c| match c {
                c if c.is_ascii_alphabetic() => {
                    format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
                }
                c if c.is_ascii_alphanumeric() => c.to_string(),
                c => format!("\\{c}"),
            })
            .collect()
    };
    const PORT: &str =
        r"(?::0*(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})?)?";
    const USER_INFO: &str = r"(?:[^\s/?#@]*@)?";
    const HOST: &str = r"(?:\[[0-9A-Fa-f:.]+\]|[^\s/?#@:\[\]\\<>^|%]";
    const REST: &str = r"(?:[/?#]\S*)?";
    let mut alternatives = Vec::new();
    for scheme in schemes {
        let special = matches!(*scheme, "http" | "https" | "ws" | "wss");
        let host = format!("{HOST}{})", if special { "+" } else { "*" });
        let authority = format!("//{USER_INFO}{host}{PORT}{REST}");
        let body = match *scheme {
            "sqlite" => format!("(?:{authority}|[^\\s/]\\S*|/\\S*)?"),
            _ => authority,
        };
        alternatives.push(format!("{}:{body}", any_case(scheme)));
    }
    alternatives.push(r"file:/?[^/].*".to_owned());
    format!("^(?:{})$", alternatives.join("|"))
}

/// Checks one rule of a group, given the group's durations and which keys are set.
///
/// ```
/// use std::time::Duration;
/// let rule = connfx_spec::Rule::NotAbove { lower: "initial_interval", upper: "max_interval" };
/// let durations = |k: &str| match k { "initial_interval" => Some(Duration::from_secs(10)), _ => Some(Duration::from_secs(1)) };
/// let err = connfx_spec::check::rule(&rule, durations, |_| true).unwrap_err();
/// assert_eq!(err, "`initial_interval` (10s) must not be above `max_interval` (1s)");
/// ```
///
/// # Errors
/// The rule's message.
pub fn rule(
    rule: &Rule,
    duration_of: impl Fn(&str) -> Option<Duration>,
    is_set: impl Fn(&str) -> bool,
) -> Result<(), String> {
    match *rule {
        Rule::NotAbove { lower, upper } => match (duration_of(lower), duration_of(upper)) {
            (Some(lo), Some(hi)) if lo > hi => Err(message::not_above(
                lower,
                &humantime::format_duration(lo).to_string(),
                upper,
                &humantime::format_duration(hi).to_string(),
            )),
            _ => Ok(()),
        },
        Rule::AtMostOne(keys) => {
            if keys.iter().filter(|k| is_set(k)).count() > 1 {
                Err(message::at_most_one(keys))
            } else {
                Ok(())
            }
        }
    }
}
