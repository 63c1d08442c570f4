//! How a setting is named in the environment: `<PREFIX>_<FIELD>_<KEY>`, nested keys joined by
//! `_`, all upper case.
//!
//! The rule is written here once. The derive uses it to report, at compile time, two settings
//! that would share a variable; the loader uses it to list and read the variables at boot; the
//! dynamic registry uses [`env_key`] to map `CONN_TARGETS_<NAME>_PROPERTIES_<KEY>` onto a key.
//! Because every key of a connection is known, a single `_` is unambiguous; a name that two
//! settings would share is reported by both crates, with [`CONFIG_FILE_OWNER`] as the owner of
//! [`config_file_var`].

/// Who owns `<PREFIX>_CONFIG_FILE` when a setting's name collides with it, as messages say it.
pub const CONFIG_FILE_OWNER: &str = "the config file variable";

/// The variable that setting `path` (dotted, relative to the connection) of connection `field`
/// is read from, under the struct's `prefix`. A plain `#[setting]` has no connection: its
/// `field` is empty and its variable is `<PREFIX>_<PATH>`.
///
/// ```
/// use connfx_spec::env::env_name;
/// assert_eq!(env_name("CHECKOUT", "payments", "retry.max_attempts"), "CHECKOUT_PAYMENTS_RETRY_MAX_ATTEMPTS");
/// assert_eq!(env_name("APP", "db", "url"), "APP_DB_URL");
/// assert_eq!(env_name("APP", "", "listen.port"), "APP_LISTEN_PORT");
/// ```
pub fn env_name(prefix: &str, field: &str, path: &str) -> String {
    match field.is_empty() {
        true => env_key(&format!("{prefix}_{path}")),
        false => env_key(&format!("{prefix}_{field}_{path}")),
    }
}

/// The part of a variable's name that names key `path`: dots become `_`, letters upper case.
///
/// ```
/// assert_eq!(connfx_spec::env::env_key("retry.max_attempts"), "RETRY_MAX_ATTEMPTS");
/// ```
pub fn env_key(path: &str) -> String {
    path.replace('.', "_").to_ascii_uppercase()
}

/// `<PREFIX>_CONFIG_FILE`: the variable naming one more config file, read before the rest of the
/// environment.
///
/// ```
/// assert_eq!(connfx_spec::env::config_file_var("CHECKOUT"), "CHECKOUT_CONFIG_FILE");
/// ```
pub fn config_file_var(prefix: &str) -> String {
    format!("{prefix}_CONFIG_FILE")
}
