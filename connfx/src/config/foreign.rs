//! Other libraries' built configurations as layers of a load: a `config::Config` (config-rs)
//! and a `figment::Figment`, each value kept with the origin its library recorded; and a
//! derived struct's load as a figment `Provider`, for the other direction.
//!
//! Each becomes one table per origin (their keys are disjoint: the library has already merged
//! its own sources), read by the loader as a file's table is, so a value from config-rs meets
//! the same checks, messages and `explain` as one from a file.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::ValueSource;
use super::source::Layer;

/// Leaves of a library's tree, each with its origin, gathered into one table per origin.
#[derive(Default)]
struct ByOrigin(BTreeMap<String, Value>);

impl ByOrigin {
    fn insert(&mut self, origin: String, path: &[String], value: Value) {
        let mut node = self.0.entry(origin).or_insert_with(|| Value::Object(Map::new()));
        for (i, key) in path.iter().enumerate() {
            let Value::Object(map) = node else { return };
            if i + 1 == path.len() {
                map.insert(key.clone(), value);
                return;
            }
            node = map
                .entry(key.clone())
                .or_insert_with(|| Value::Object(Map::new()));
        }
    }

    fn into_layer(self, library: &str) -> Layer {
        let tables = self.0.into_iter().map(|(origin, table)| {
            let source = ValueSource::Layer {
                library: library.to_owned(),
                origin,
            };
            (source, table)
        });
        Layer::Tables(tables.collect())
    }
}

/// A library's configuration that could not be read, as a problem of the load.
fn unreadable(library: &str, origin: &str, error: &dyn std::fmt::Display) -> Layer {
    let source = ValueSource::Layer {
        library: library.to_owned(),
        origin: origin.to_owned(),
    };
    Layer::Unreadable(source, error.to_string())
}

#[cfg(feature = "config-rs")]
pub(crate) use config_rs::config_rs;

#[cfg(feature = "config-rs")]
mod config_rs {
    use config::{Source, ValueKind};
    use serde_json::Value;

    use super::{ByOrigin, Layer, unreadable};

    /// The library's name in [`ValueSource::Layer`](crate::ValueSource::Layer).
    const LIBRARY: &str = "config-rs";

    /// A built config-rs configuration as a layer.
    pub(crate) fn config_rs(config: &config::Config) -> Layer {
        let table = match config.collect() {
            Ok(table) => table,
            Err(error) => return unreadable(LIBRARY, "its sources", &error),
        };
        let mut by_origin = ByOrigin::default();
        for (key, value) in table {
            walk(&mut by_origin, &mut vec![key], value);
        }
        by_origin.into_layer(LIBRARY)
    }

    fn walk(out: &mut ByOrigin, path: &mut Vec<String>, value: config::Value) {
        let origin = value.origin().unwrap_or("code").to_owned();
        match value.kind {
            ValueKind::Table(table) => {
                for (key, inner) in table {
                    path.push(key);
                    walk(out, path, inner);
                    path.pop();
                }
            }
            ValueKind::Nil => {}
            kind => out.insert(origin, path, json(kind)),
        }
    }

    fn json(kind: ValueKind) -> Value {
        match kind {
            ValueKind::Nil => Value::Null,
            ValueKind::Boolean(b) => Value::Bool(b),
            ValueKind::I64(n) => Value::from(n),
            ValueKind::U64(n) => Value::from(n),
            // Out of JSON's whole numbers: kept as text, which the key's check then reports.
            ValueKind::I128(n) => i64::try_from(n).map_or_else(|_| Value::from(n.to_string()), Value::from),
            ValueKind::U128(n) => u64::try_from(n).map_or_else(|_| Value::from(n.to_string()), Value::from),
            ValueKind::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
            ValueKind::String(s) => Value::String(s),
            ValueKind::Array(items) => Value::Array(items.into_iter().map(|v| json(v.kind)).collect()),
            ValueKind::Table(table) => {
                Value::Object(table.into_iter().map(|(k, v)| (k, json(v.kind))).collect())
            }
        }
    }
}

#[cfg(feature = "figment")]
pub(crate) use figment_layer::figment;

#[cfg(feature = "figment")]
mod figment_layer {
    use figment::value::Value as FigmentValue;
    use figment::{Figment, Profile};

    use super::{ByOrigin, Layer, unreadable};

    /// The library's name in [`ValueSource::Layer`](crate::ValueSource::Layer).
    const LIBRARY: &str = "figment";

    /// A figment, its selected profile merged, as a layer.
    pub(crate) fn figment(figment: &Figment) -> Layer {
        let root = match figment.find_value("") {
            Ok(root) => root,
            Err(error) => return unreadable(LIBRARY, "its providers", &error),
        };
        let mut by_origin = ByOrigin::default();
        if let FigmentValue::Dict(_, dict) = root {
            for (key, value) in dict {
                walk(figment, &mut by_origin, &mut vec![key], value);
            }
        }
        by_origin.into_layer(LIBRARY)
    }

    fn walk(figment: &Figment, out: &mut ByOrigin, path: &mut Vec<String>, value: FigmentValue) {
        match value {
            FigmentValue::Dict(_, dict) => {
                for (key, inner) in dict {
                    path.push(key);
                    walk(figment, out, path, inner);
                    path.pop();
                }
            }
            FigmentValue::Empty(..) => {}
            leaf => {
                let origin = origin(figment, figment.profile(), path, &leaf);
                // figment's values serialize as plain data (no tags).
                let json = serde_json::to_value(&leaf).unwrap_or(serde_json::Value::Null);
                out.insert(origin, path, json);
            }
        }
    }

    /// The provider's name and its file (`TOML file config/app.toml`), or the name a provider
    /// gives the key (figment's `Env` gives the variable: `APP_PORT`).
    fn origin(figment: &Figment, profile: &Profile, path: &[String], value: &FigmentValue) -> String {
        let Some(metadata) = figment.get_metadata(value.tag()) else {
            return "code".to_owned();
        };
        match &metadata.source {
            Some(source) => format!("{} {source}", metadata.name),
            None => format!("{} {}", metadata.name, metadata.interpolate(profile, path)),
        }
    }
}

#[cfg(feature = "figment")]
pub use provider::FigmentProvider;

#[cfg(feature = "figment")]
mod provider {
    use std::marker::PhantomData;

    use figment::value::{Dict, Map, Value as FigmentValue};
    use figment::{Metadata, Profile, Provider};

    use crate::config::{ConnectionSet, Sources};

    /// A derived struct's configuration, loaded by connfx from `sources` (checked as at boot,
    /// every problem reported), as a figment provider: an app on figment merges it like any
    /// other. Its values are the config as its type serializes it, secrets included, at the
    /// struct's keys (`payments.url`, `port`); its name is `connfx`.
    ///
    /// ```
    /// # use connfx::prelude::*;
    /// #[derive(Connections)]
    /// struct Conns {
    ///     #[connection(url = "http://127.0.0.1:8080")]
    ///     api: HttpConnection,
    /// }
    /// let figment = figment::Figment::from(connfx::config::FigmentProvider::<Conns>::new(connfx::Sources::new()));
    /// let url: String = figment.extract_inner("api.url").unwrap();
    /// assert_eq!(url, "http://127.0.0.1:8080/");
    /// ```
    pub struct FigmentProvider<S> {
        sources: Sources,
        set: PhantomData<fn() -> S>,
    }

    impl<S: ConnectionSet> FigmentProvider<S> {
        /// The configuration of `S` that `sources` give (plus its attribute defaults).
        pub fn new(sources: Sources) -> Self {
            FigmentProvider {
                sources,
                set: PhantomData,
            }
        }
    }

    impl<S: ConnectionSet> Provider for FigmentProvider<S> {
        fn metadata(&self) -> Metadata {
            Metadata::named("connfx")
        }

        fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
            let loaded = crate::config::load::load_normalized::<S>(self.sources.clone());
            let (_, normalized, _) = loaded.map_err(|e| figment::Error::from(e.to_string()))?;
            let dict = FigmentValue::serialize(&normalized)?
                .into_dict()
                .ok_or_else(|| figment::Error::from("a derived struct's config is a table".to_owned()))?;
            Ok(Profile::Default.collect(dict))
        }
    }
}
