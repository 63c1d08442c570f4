//! The built-in protocols and their keys. Adding a key to a protocol's config type means adding it
//! here too; `connfx`'s `spec_matches_config_types` test fails until both agree.

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
}

impl Kind {
    /// The kind's short name: `bool`, `integer`, `number`, `duration`, `url`, `string`, `secret`, `map`.
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
        }
    }
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
}

impl Key {
    const fn new(name: &'static str, kind: Kind) -> Key {
        Key {
            name,
            kind,
            min: None,
            max: None,
        }
    }

    const fn range(name: &'static str, kind: Kind, min: f64, max: f64) -> Key {
        Key {
            name,
            kind,
            min: Some(min),
            max: Some(max),
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
    /// A free map (`headers("Name" = "value")`) rather than fixed keys.
    pub is_map: bool,
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
    /// `http`, `sql`, ...
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

use Kind::*;

/// `retry(...)`: DESIGN §3.
pub static RETRY: Group = Group {
    name: "retry",
    keys: &[
        Key::range("max_attempts", Integer, 1.0, 100.0),
        Key::new("initial_interval", Duration),
        Key::new("max_interval", Duration),
        Key::range("multiplier", Number, 1.0, 100.0),
        Key::range("jitter", Number, 0.0, 1.0),
        Key::range("budget", Number, 0.0, 1.0),
    ],
    rules: &[Rule::NotAbove {
        lower: "initial_interval",
        upper: "max_interval",
    }],
    shorthand: None,
    is_map: false,
};

/// `circuit_breaker(...)`: DESIGN §3.
pub static CIRCUIT_BREAKER: Group = Group {
    name: "circuit_breaker",
    keys: &[
        Key::range("failure_threshold", Integer, 1.0, 1_000_000.0),
        Key::range("failure_rate", Number, 0.0, 1.0),
        Key::range("minimum_calls", Integer, 1.0, 1_000_000.0),
        Key::new("reset_timeout", Duration),
        Key::range("half_open_max_calls", Integer, 1.0, 10_000.0),
        Key::range("half_open_success_needed", Integer, 1.0, 10_000.0),
        Key::range("server_error_threshold", Integer, 100.0, 599.0),
    ],
    rules: &[],
    shorthand: None,
    is_map: false,
};

/// `timeout(...)` or `timeout = "10s"` (the total).
pub static TIMEOUT: Group = Group {
    name: "timeout",
    keys: &[
        Key::new("connect", Duration),
        Key::new("per_attempt", Duration),
        Key::new("total", Duration),
    ],
    rules: &[
        Rule::NotAbove {
            lower: "connect",
            upper: "total",
        },
        Rule::NotAbove {
            lower: "per_attempt",
            upper: "total",
        },
    ],
    shorthand: Some("total"),
    is_map: false,
};

/// `rate_limit(...)`.
pub static RATE_LIMIT: Group = Group {
    name: "rate_limit",
    keys: &[
        Key::range("requests", Integer, 1.0, 1_000_000_000.0),
        Key::new("per", Duration),
        Key::range("burst", Integer, 1.0, 1_000_000_000.0),
    ],
    rules: &[],
    shorthand: None,
    is_map: false,
};

/// `bulkhead(...)`.
pub static BULKHEAD: Group = Group {
    name: "bulkhead",
    keys: &[
        Key::range("max_concurrent", Integer, 1.0, 1_000_000.0),
        Key::new("max_wait", Duration),
    ],
    rules: &[],
    shorthand: None,
    is_map: false,
};

/// `pool(...)`.
pub static POOL: Group = Group {
    name: "pool",
    keys: &[
        Key::range("max_size", Integer, 1.0, 100_000.0),
        Key::range("min_idle", Integer, 0.0, 100_000.0),
        Key::new("max_lifetime", Duration),
        Key::new("idle_timeout", Duration),
        Key::new("acquire_timeout", Duration),
    ],
    rules: &[],
    shorthand: None,
    is_map: false,
};

/// `tls(...)`.
pub static TLS: Group = Group {
    name: "tls",
    keys: &[
        Key::new("ca_file", Str),
        Key::new("cert_file", Str),
        Key::new("key_file", Str),
        Key::new("accept_invalid_certs", Bool),
    ],
    rules: &[],
    shorthand: None,
    is_map: false,
};

/// `auth(...)`: one scheme at most.
pub static AUTH: Group = Group {
    name: "auth",
    keys: &[
        Key::new("bearer", Secret),
        Key::new("username", Str),
        Key::new("password", Secret),
        Key::new("api_key", Secret),
        Key::new("api_key_header", Str),
    ],
    rules: &[Rule::AtMostOne(&["bearer", "username", "api_key"])],
    shorthand: None,
    is_map: false,
};

/// `headers("Name" = "value", ...)`.
pub static HEADERS: Group = Group {
    name: "headers",
    keys: &[],
    rules: &[],
    shorthand: None,
    is_map: true,
};

/// `health(...)`.
pub static HEALTH: Group = Group {
    name: "health",
    keys: &[Key::new("path", Str), Key::new("timeout", Duration)],
    rules: &[],
    shorthand: None,
    is_map: false,
};

/// Every built-in protocol.
pub static PROTOCOLS: &[Protocol] = &[
    Protocol {
        name: "http",
        type_name: "HttpConnection",
        schemes: &["http", "https"],
        keys: &[Key::new("url", Url), Key::new("user_agent", Str)],
        groups: &[
            &TIMEOUT,
            &RETRY,
            &CIRCUIT_BREAKER,
            &RATE_LIMIT,
            &BULKHEAD,
            &POOL,
            &TLS,
            &AUTH,
            &HEADERS,
            &HEALTH,
        ],
        required: &["url"],
    },
    Protocol {
        name: "sql",
        type_name: "SqlConnection",
        schemes: &["sqlite", "postgres", "postgresql", "mysql", "mariadb"],
        keys: &[Key::new("url", Url)],
        groups: &[&TIMEOUT, &RETRY, &CIRCUIT_BREAKER, &POOL, &HEALTH],
        required: &["url"],
    },
];
