//! `pool(...)` of an HTTP connection: the idle connections reqwest keeps for reuse (its struct is
//! declared once in `connfx-spec`, see `config::group`).

use std::time::Duration;

connfx_spec::http_pool_group!(crate::config::group::config_group);

impl HttpPoolConfig {
    /// The keys that are set but have no HTTP meaning, to warn about.
    pub(super) fn ignored_keys(&self) -> impl Iterator<Item = &'static str> {
        [
            ("pool.min_idle", self.min_idle > 0),
            ("pool.max_lifetime", self.max_lifetime.is_some()),
            ("pool.acquire_timeout", self.acquire_timeout.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, set)| set.then_some(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_pool_keeps_http_defaults() {
        let p: HttpPoolConfig = serde_json::from_str(r#"{"idle_timeout": "30s"}"#).expect("valid");
        assert_eq!(p.max_size, None);
        assert_eq!(p.idle_timeout, Duration::from_secs(30));
        assert_eq!(p.ignored_keys().count(), 0);
    }

    #[test]
    fn keys_without_http_meaning_are_named() {
        let p: HttpPoolConfig =
            serde_json::from_str(r#"{"max_size": 4, "min_idle": 1, "acquire_timeout": "1s"}"#)
                .expect("valid");
        assert_eq!(p.max_size, Some(4));
        let ignored: Vec<_> = p.ignored_keys().collect();
        assert_eq!(ignored, ["pool.min_idle", "pool.acquire_timeout"]);
    }

    #[test]
    fn the_sql_pool_default_is_untouched() {
        assert_eq!(crate::PoolConfig::default().max_size, 10);
    }
}
