//! The types of the key table (kinds, keys, rules, groups, protocols) and the table of built-in
//! protocols. Each group and protocol is declared once (see [`crate::declare`]); the runtime's
//! config types come from the same declarations, and `connfx`'s `spec_matches_config_types` test
//! checks what the schema and the env names make of them.

use std::time::Duration;

/// The longest duration any key accepts unless its declaration allows less: one year
/// (`1y`, humantime's 365.25 days).
///
/// Every duration a connection is given ends up added to a clock, multiplied by a count or
/// turned into nanoseconds by some library, and a value none of them can represent used to load
/// and then panic in `connect` or on a call (a rate limit keeps `u64` nanoseconds, 584 years, and
/// multiplies a rate limit's period by its burst; `Instant + Duration` panics where `std`'s clock
/// overflows). No connection setting needs more than a year, and a year leaves a margin of
/// 500 times for those products. A key whose runtime keeps less declares its own maximum
/// (`Duration[secs]`, see [`crate::declare`]). The loader, the derive, `Registry::add` and
/// `check` refuse a longer value with [`crate::message::too_long`]; nothing is clamped.
///
/// ```
/// assert_eq!(humantime::format_duration(connfx_spec::MAX_DURATION).to_string(), "1year");
/// ```
pub const MAX_DURATION: Duration = Duration::from_secs(31_557_600);

/// What a key holds, as written in an attribute, a file or an environment variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `true`/`false` (and `1`/`0` in the environment).
    Bool,
    /// A whole number.
    Integer,
    /// A number, whole or not.
    Number,
    /// A humantime duration: `250ms`, `30s`, `1m30s`.
    Duration,
    /// An absolute URL whose scheme fits the protocol.
    Url,
    /// Free text.
    Str,
    /// Free text that must never be shown (password, token).
    Secret,
    /// A map of names to text; one JSON object in an environment variable.
    Map,
    /// A list (of a plain `#[setting]`); one JSON array in an environment variable.
    List,
}

impl Kind {
    /// The kind's short name: `bool`, `integer`, `number`, `duration`, `url`, `string`, `secret`,
    /// `map`, `list`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Bool => "bool",
            Kind::Integer => "integer",
            Kind::Number => "number",
            Kind::Duration => "duration",
            Kind::Url => "url",
            Kind::Str => "string",
            Kind::Secret => "secret",
            Kind::Map => "map",
            Kind::List => "list",
        }
    }

    /// How the kind is named in messages: "a duration such as `250ms`, `30s` or `1m30s`".
    pub fn expected(self) -> &'static str {
        match self {
            Kind::Bool => "`true` or `false`",
            Kind::Integer => "a whole number",
            Kind::Number => "a number",
            Kind::Duration => "a duration such as `250ms`, `30s` or `1m30s`",
            Kind::Url => "an absolute URL",
            Kind::Str | Kind::Secret => "a string",
            Kind::Map => "a map of names to strings (a JSON object in an environment variable)",
            Kind::List => "a list (a JSON array in an environment variable)",
        }
    }
}

/// What the text of a [`Kind::Str`] key must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Text {
    /// Any text.
    Any,
    /// One of these words (an enumeration: `backoff`, `mode`).
    OneOf(&'static [&'static str]),
    /// A `retry_on` list (see [`crate::retry_on`]).
    RetryOn,
}

/// One key of a protocol or of a group.
#[derive(Clone, Copy, Debug)]
pub struct Key {
    /// The key as written in attributes and files.
    pub name: &'static str,
    /// What it holds.
    pub kind: Kind,
    /// Smallest allowed value (numbers only).
    pub min: Option<f64>,
    /// Largest allowed value (numbers only).
    pub max: Option<f64>,
    /// What a string must be, beyond a string.
    pub text: Text,
    /// The longest value of a duration key ([`MAX_DURATION`] unless declared shorter); `None`
    /// for the other kinds.
    pub longest: Option<Duration>,
}

impl Key {
    pub(crate) const fn new(name: &'static str, kind: Kind) -> Key {
        Key {
            name,
            kind,
            min: None,
            max: None,
            text: Text::Any,
            longest: None,
        }
    }

    /// A duration key of at most `longest`.
    pub(crate) const fn duration(name: &'static str, longest: Duration) -> Key {
        Key {
            longest: Some(longest),
            ..Key::new(name, Kind::Duration)
        }
    }

    pub(crate) const fn range(name: &'static str, kind: Kind, min: f64, max: f64) -> Key {
        Key {
            name,
            kind,
            min: Some(min),
            max: Some(max),
            text: Text::Any,
            longest: None,
        }
    }

    /// A string key that holds one of `words`.
    pub(crate) const fn one_of(name: &'static str, words: &'static [&'static str]) -> Key {
        Key {
            text: Text::OneOf(words),
            ..Key::new(name, Kind::Str)
        }
    }

    /// A string key with a grammar of its own.
    pub(crate) const fn text(name: &'static str, text: Text) -> Key {
        Key {
            text,
            ..Key::new(name, Kind::Str)
        }
    }

    /// Whether the value must never be displayed.
    pub fn is_secret(&self) -> bool {
        self.kind == Kind::Secret
    }
}

/// A rule across two or more keys of one group.
#[derive(Clone, Copy, Debug)]
pub enum Rule {
    /// The duration `lower` must not be above the duration `upper`.
    NotAbove {
        /// The key that must be the smaller one.
        lower: &'static str,
        /// The key that must be the larger one.
        upper: &'static str,
    },
    /// At most one of these keys may be set.
    AtMostOne(&'static [&'static str]),
}

/// A nested group of keys: `retry(...)`, `pool(...)`, `headers(...)`.
#[derive(Debug)]
pub struct Group {
    /// The group's name as written in attributes and files.
    pub name: &'static str,
    /// Its keys.
    pub keys: &'static [Key],
    /// Rules across its keys.
    pub rules: &'static [Rule],
    /// `timeout = "10s"` stands for `timeout(total = "10s")`: the key a bare value sets.
    pub shorthand: Option<&'static str>,
    /// `enabled`, for a policy that can be switched on and off (see
    /// [`crate::declare`], "The `enabled` switch").
    pub switch: Option<&'static str>,
    /// A free map (`headers("Name" = "value")`) rather than fixed keys.
    pub is_map: bool,
    /// Groups that are keys of this one (`auth.oauth2`), set from files and the environment.
    pub nested: &'static [&'static Group],
}

impl Group {
    /// The key called `name`.
    pub fn key(&self, name: &str) -> Option<&'static Key> {
        self.keys.iter().find(|k| k.name == name)
    }
}

/// A built-in protocol: its name, connection type, URL schemes and keys.
#[derive(Debug)]
pub struct Protocol {
    /// `http`, `graphql`, `sql`, ...
    pub name: &'static str,
    /// The connection type's name, e.g. `HttpConnection`.
    pub type_name: &'static str,
    /// The URL schemes that fit it.
    pub schemes: &'static [&'static str],
    /// Its top-level keys.
    pub keys: &'static [Key],
    /// Its nested groups.
    pub groups: &'static [&'static Group],
    /// Keys that must have a value from some source.
    pub required: &'static [&'static str],
    /// Rules across its top-level keys (none of the built-in protocols has one yet).
    pub rules: &'static [Rule],
}

impl Protocol {
    /// The top-level key called `name`.
    pub fn key(&self, name: &str) -> Option<&'static Key> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// The group called `name`.
    pub fn group(&self, name: &str) -> Option<&'static Group> {
        self.groups.iter().copied().find(|g| g.name == name)
    }

    /// Every key and group name, for "expected one of" and "did you mean".
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.keys
            .iter()
            .map(|k| k.name)
            .chain(self.groups.iter().map(|g| g.name))
    }
}

use crate::protocols::*;

/// Every built-in protocol, each made from its one declaration in [`crate::protocols`].
pub static PROTOCOLS: &[Protocol] = &[HTTP, GRAPHQL, REDIS, SQL, OTLP, SSE, WEBSOCKET];
