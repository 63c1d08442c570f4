//! [`Registry::reload`]: a dynamic registry takes new targets, all or nothing, as a derived
//! struct does (`conns.reload`).

use tracing::{info, warn};

use super::dynamic::Reloader;
use super::{Registry, RegistryConfig, TargetConfig};
use crate::config::{ConfigError, ConfigIssue, ValueSource};
use crate::reload::{Change, Compared, Prepared, ReloadReport};

/// One target that changed, ready to prepare.
struct Changed {
    name: String,
    target: TargetConfig,
    reloader: Reloader,
    changes: Vec<Change>,
}

impl Registry {
    /// Applies `config` to the live connections of a registry built by
    /// [`RegistryConfig::connect`] (or [`Registry::from_env`]), all or nothing, as
    /// `conns.reload` does for a derived struct: each target is compared key by key with what
    /// it runs, every changed connection is prepared, and only then are all of them applied.
    /// Load `config` as at boot ([`RegistryConfig::load`]), so its problems come with their
    /// sources. Paths in the report are `<target>.<key>`.
    ///
    /// A target added or removed, a protocol changed, or a target whose protocol was
    /// registered with [`Registry::register_adapter`] (which cannot tell a change) is refused.
    ///
    /// # Errors
    /// Every refused change and every connection that could not take its new settings; then
    /// nothing changed.
    ///
    /// ```
    /// use connfx::registry::RegistryConfig;
    /// use connfx::{Applied, Sources};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), connfx::Error> {
    /// let targets = |attempts: &str| {
    ///     RegistryConfig::load(Sources::new().env_map([
    ///         ("CONN_TARGETS_API_PROTOCOL", "http"),
    ///         ("CONN_TARGETS_API_URL", "http://127.0.0.1:8080"),
    ///         ("CONN_TARGETS_API_PROPERTIES_RETRY_MAX_ATTEMPTS", attempts),
    ///     ]))
    /// };
    /// let registry = targets("2")?.connect().await?;
    /// let report = registry.reload(targets("4")?).await?;
    /// assert_eq!(report.changes()[0].path(), "api.retry.max_attempts");
    /// assert_eq!(report.changes()[0].applied(), Applied::Live);
    /// # Ok(()) }
    /// ```
    pub async fn reload(&self, config: RegistryConfig) -> Result<ReloadReport, ConfigError> {
        let _turn = self.reload_turn().await;
        let Some(running) = self.running_targets() else {
            return Err(ConfigError::new(vec![refusal(
                "",
                "this registry was not built from a `RegistryConfig`, so it has nothing to compare with",
            )]));
        };
        let mut names: Vec<&String> = running.targets.keys().chain(config.targets.keys()).collect();
        names.sort();
        names.dedup();
        let (mut changes, mut refused, mut changed) = (Vec::new(), Vec::new(), Vec::new());
        for name in names {
            match self.compare(name, running.targets.get(name), config.targets.get(name)) {
                Ok(Some(target)) => {
                    changes.extend(target.changes.iter().cloned());
                    changed.push(target);
                }
                Ok(None) => {}
                Err(issues) => refused.extend(issues),
            }
        }
        #[cfg(feature = "redis")]
        for (name, target) in &config.targets {
            let settings = serde_json::Value::Object(target.properties.clone());
            let protocol_of = |store: &str| config.targets.get(store).map(|t| t.protocol.as_str());
            for (key, problem) in super::unknown_stores(&settings, protocol_of) {
                refused.push(refusal(&format!("targets.{name}.{key}"), &problem));
            }
        }
        let prepared = if refused.is_empty() {
            self.prepare(changed, &mut refused).await
        } else {
            Vec::new()
        };
        if !refused.is_empty() {
            warn!(
                problems = refused.len(),
                "registry reload refused; nothing changed"
            );
            return Err(ConfigError::new(refused));
        }
        for prepared in prepared {
            let _applied = prepared.apply();
        }
        // A fleet rate limit switched on by this reload meets its store (which cannot change).
        if let Err(error) = self.bind_stores() {
            warn!(%error, "a fleet rate limit's store is missing");
        }
        self.keep_targets(config);
        info!(changes = changes.len(), "registry reloaded");
        Ok(ReloadReport::new(changes))
    }

    /// The changes of one target: none when it is the same, else its changed keys with what
    /// reloads it and its new settings, or the problems that refuse them.
    fn compare(
        &self,
        name: &str,
        old: Option<&TargetConfig>,
        new: Option<&TargetConfig>,
    ) -> Result<Option<Changed>, Vec<ConfigIssue>> {
        let path = format!("targets.{name}");
        let (old, new) = match (old, new) {
            (Some(old), Some(new)) if old == new => return Ok(None),
            (Some(old), Some(new)) if old.protocol == new.protocol => (old, new),
            (Some(_), Some(_)) => {
                return Err(vec![refusal(
                    &path,
                    "a target's protocol cannot change on a running service: restart it to apply this",
                )]);
            }
            (None, _) | (_, None) => {
                return Err(vec![refusal(
                    &path,
                    "a target cannot be added or removed on a running registry: restart it to apply this",
                )]);
            }
        };
        let Some(reloader) = self.reloader(&new.protocol) else {
            let message = format!(
                "protocol `{}` was registered with `register_adapter`, which cannot reload: restart to apply this",
                new.protocol
            );
            return Err(vec![refusal(&path, &message)]);
        };
        let settings =
            |target| (reloader.settings)(name, target).map_err(|e| vec![refusal(&path, &e.to_string())]);
        let (before, after) = (settings(old)?, settings(new)?);
        let compared = Compared {
            name,
            shape: (reloader.shape)(),
            applies: reloader.applies,
        };
        let (changes, refused) = compared.changes(&before, &after, &|_| ValueSource::Default);
        match (changes.is_empty(), refused.is_empty()) {
            (_, false) => Err(refused),
            (true, true) => Ok(None),
            (false, true) => Ok(Some(Changed {
                name: name.to_owned(),
                target: new.clone(),
                reloader,
                changes,
            })),
        }
    }

    /// Prepares every changed target; a target that cannot is a problem in `refused`.
    async fn prepare(&self, changed: Vec<Changed>, refused: &mut Vec<ConfigIssue>) -> Vec<Prepared> {
        let mut prepared = Vec::new();
        for Changed {
            name,
            target,
            reloader,
            ..
        } in changed
        {
            let Some(entry) = self.entries().get(&name).cloned() else {
                refused.push(refusal(
                    &format!("targets.{name}"),
                    "no live connection of that name",
                ));
                continue;
            };
            match (reloader.prepare)(entry, name.clone(), target).await {
                Ok(ready) => prepared.push(ready),
                Err(error) => refused.push(refusal(&format!("targets.{name}"), &error.to_string())),
            }
        }
        prepared
    }
}

/// A problem of a reload's `RegistryConfig`, whose sources were reported when it was loaded.
fn refusal(path: &str, message: &str) -> ConfigIssue {
    ConfigIssue::new(path, ValueSource::Default, message)
}
