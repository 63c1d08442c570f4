//! `conns.reload(sources)`: a derived struct's reload, all or nothing. The generated method
//! calls [`SetReload::start`], then [`SetReload::field`] for each field with its typed handle
//! and new config, then [`SetReload::finish`].

use serde_json::Value;
use tracing::{info, warn};

use super::diff::{Planned, changes, source_of};
use super::{Prepared, ReloadReport};
use crate::config::descriptor::{ConnectionSet, SetDescriptor};
use crate::config::layers::FieldLayers;
use crate::config::{ConfigError, ConfigIssue, Sources, ValueSource};
use crate::{Connection, Registry};

/// One reload of a derived struct under way. Used by generated code; not public API.
#[doc(hidden)]
pub struct SetReload {
    set: &'static SetDescriptor,
    registry: Registry,
    loaded: Value,
    layers: Vec<FieldLayers>,
    planned: Planned,
    prepared: Vec<Prepared>,
    failed: Vec<ConfigIssue>,
    /// One reload of a struct at a time: held from the load to the last swap.
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl SetReload {
    /// Loads `sources` as a boot would and works out what changes against what the struct
    /// last loaded; gives back the new typed config for the fields.
    ///
    /// # Errors
    /// Every problem of the new configuration, as a boot reports them.
    pub async fn start<S: ConnectionSet>(
        registry: Registry,
        sources: Sources,
    ) -> Result<(S::Config, SetReload), ConfigError> {
        let set = S::descriptor();
        let turn = registry.reload_turn().await;
        let (config, loaded, layers) = crate::config::load::load_normalized::<S>(sources)?;
        let Some(running) = registry.loaded() else {
            return Err(ConfigError::new(vec![ConfigIssue::new(
                "",
                ValueSource::Default,
                format!(
                    "`{}` cannot reload: none of its connections keeps the struct's registry (see `RegistrySlot`)",
                    set.name
                ),
            )]));
        };
        let planned = changes(set, &running, &loaded, &layers);
        let reload = SetReload {
            set,
            registry,
            loaded,
            layers,
            planned,
            prepared: Vec::new(),
            failed: Vec::new(),
            _turn: turn,
        };
        Ok((config, reload))
    }

    /// Prepares the field at `index` (its live handle and its new config, `None` when absent)
    /// if one of its keys changed and nothing was refused.
    pub async fn field<T: Connection>(
        &mut self,
        index: usize,
        running: Option<&T>,
        config: Option<T::Config>,
    ) {
        let changed = self.planned.changes.iter().find(|(i, _)| *i == index);
        let (Some((_, first)), true) = (changed, self.planned.refused.is_empty()) else {
            return;
        };
        // An added or removed connection is refused in `changes`, so both are here.
        let (Some(running), Some(config)) = (running, config) else {
            return;
        };
        let name = self.set.fields[index].name;
        match running.prepare_reload(config).await {
            Ok(prepared) => self.prepared.push(prepared),
            Err(error) => {
                let key = first
                    .path
                    .strip_prefix(name)
                    .unwrap_or("")
                    .trim_start_matches('.');
                let source = source_of(self.layers.get(index), key);
                self.failed
                    .push(ConfigIssue::new(name, source, error.to_string()));
            }
        }
    }

    /// Each fleet store key of the new configuration that names no Redis connection of the
    /// struct, with its source.
    #[cfg(feature = "redis")]
    fn unknown_stores(&self) -> Vec<ConfigIssue> {
        let mut issues = Vec::new();
        for (index, field) in self.set.fields.iter().enumerate() {
            let Some(settings) = self.loaded.get(field.name) else {
                continue;
            };
            let protocol_of = |store: &str| self.registry.entry(store).map(|e| e.protocol());
            for (key, problem) in crate::registry::unknown_stores(settings, protocol_of) {
                let source = source_of(self.layers.get(index), &key);
                issues.push(ConfigIssue::new(format!("{}.{key}", field.name), source, problem));
            }
        }
        issues
    }

    /// Applies every prepared connection, or none when one change was refused or one
    /// connection could not be prepared.
    ///
    /// # Errors
    /// Every refused change and every connection that refused its new settings.
    pub fn finish(self) -> Result<ReloadReport, ConfigError> {
        #[cfg(feature = "redis")]
        let unknown = self.unknown_stores();
        #[cfg(not(feature = "redis"))]
        let unknown = Vec::new();
        let mut problems = self.planned.refused;
        problems.extend(self.failed);
        problems.extend(unknown);
        if !problems.is_empty() {
            warn!(
                set = self.set.name,
                problems = problems.len(),
                "reload refused; nothing changed"
            );
            return Err(ConfigError::new(problems));
        }
        for prepared in self.prepared {
            let _applied = prepared.apply();
        }
        // A fleet rate limit switched on by this reload meets its store (which cannot change).
        if let Err(error) = self.registry.bind_stores() {
            warn!(set = self.set.name, %error, "a fleet rate limit's store is missing");
        }
        self.registry.keep_loaded(self.loaded);
        let changes: Vec<_> = self.planned.changes.into_iter().map(|(_, c)| c).collect();
        info!(
            set = self.set.name,
            changes = changes.len(),
            "configuration reloaded"
        );
        Ok(ReloadReport { changes })
    }
}
