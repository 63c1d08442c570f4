//! Every key of the derive's own grammar, named once. The protocol keys (`url`, `retry`, ...) are
//! not here: they come from `connfx_spec`'s table.

/// The struct's attribute: `#[connections(...)]`.
pub const CONNECTIONS: &str = "connections";
/// A field's attribute: `#[connection(...)]`.
pub const CONNECTION: &str = "connection";
/// `#[connections(env_prefix = "APP")]`.
pub const ENV_PREFIX: &str = "env_prefix";
/// `#[connections(file = "path.toml")]`, may repeat.
pub const FILE: &str = "file";
/// `#[connections(deny_unknown_env = false)]`.
pub const DENY_UNKNOWN_ENV: &str = "deny_unknown_env";
/// A plain setting's attribute: `#[setting]`.
pub const SETTING: &str = "setting";
/// `#[setting(default = 8080)]`.
pub const DEFAULT: &str = "default";
/// `#[setting(secret)]`.
pub const SECRET: &str = "secret";
/// A setting's `validator` rules: `#[validate(range(min = 1))]`.
pub const VALIDATE: &str = "validate";
/// `#[connection(protocol = "http")]`.
pub const PROTOCOL: &str = "protocol";

/// The keys of `#[connections(...)]`, for "did you mean".
pub const CONTAINER_KEYS: [&str; 3] = [ENV_PREFIX, FILE, DENY_UNKNOWN_ENV];

/// The methods `expand::methods` adds to the struct: a field of the same name would clash with
/// them (its accessor has the field's name). A unit test keeps this list and the expansion equal.
pub const GENERATED_METHODS: [&str; 10] = [
    "load_config",
    "load_config_from",
    "connect",
    "registry",
    "reload",
    "watch",
    "health",
    "close",
    "json_schema",
    "env_vars",
];
