//! What the derive tells the runtime about a struct: [`SetDescriptor`] and its fields, plus the
//! [`Plan`] worked out from them once (parsed defaults, environment names).

use std::collections::HashMap;
use std::future::Future;
use std::sync::OnceLock;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::check::ConfigType;
use super::env::{self, EnvVar};
use super::layers::FieldLayers;
use super::shape::Shape;
use super::{ConfigIssue, ValueSource};
use crate::{ConnectError, Connection, Registry};

/// Implemented by `#[derive(Connections)]` for the user's struct.
pub trait ConnectionSet: Sized + 'static {
    /// The generated `<Name>Config`.
    type Config: Serialize + DeserializeOwned;
    /// The struct's descriptor, built once.
    fn descriptor() -> &'static SetDescriptor;

    /// `config.connect()`, handing back the live connections as a [`Registry`]: how code that
    /// knows the struct only by type (the `cli` module's `check --probe`) connects it.
    ///
    /// # Errors
    /// Every connection that could not be built, as `ConnsConfig::connect` reports them.
    fn connect_registry(config: Self::Config) -> impl Future<Output = Result<Registry, ConnectError>> + Send;
}

/// A derived struct: its name, docs, environment prefix, files and fields.
pub struct SetDescriptor {
    pub(crate) name: &'static str,
    pub(crate) doc: &'static str,
    pub(crate) env_prefix: &'static str,
    pub(crate) files: &'static [&'static str],
    pub(crate) deny_unknown_env: bool,
    pub(crate) fields: Vec<FieldDescriptor>,
    plan: OnceLock<Plan>,
}

impl SetDescriptor {
    /// Called by generated code.
    pub fn new(
        name: &'static str,
        doc: &'static str,
        env_prefix: &'static str,
        files: &'static [&'static str],
        deny_unknown_env: bool,
        fields: Vec<FieldDescriptor>,
    ) -> Self {
        SetDescriptor {
            name,
            doc,
            env_prefix,
            files,
            deny_unknown_env,
            fields,
            plan: OnceLock::new(),
        }
    }

    /// The work done once per struct: defaults parsed and checked, environment names listed.
    pub(crate) fn plan(&self) -> &Plan {
        self.plan.get_or_init(|| Plan::new(self))
    }

    /// The keys a file may have at its top: the connections' names and the plain settings.
    pub(crate) fn top_level_keys(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().flat_map(|field| match field.is_settings() {
            true => (field.shape)().root.names().collect::<Vec<_>>(),
            false => vec![field.name],
        })
    }

    /// `<PREFIX>_CONFIG_FILE`.
    pub(crate) fn config_file_var(&self) -> String {
        connfx_spec::env::config_file_var(self.env_prefix)
    }
}

/// One connection field of a derived struct.
pub struct FieldDescriptor {
    pub(crate) name: &'static str,
    pub(crate) doc: &'static str,
    pub(crate) optional: bool,
    pub(crate) defaults: &'static str,
    pub(crate) shape: fn() -> &'static Shape,
    pub(crate) check: fn(&Value) -> Vec<(String, String)>,
    /// How a reload applies a change of one of its keys: `T::reload_applies`.
    pub(crate) applies: fn(&str) -> Option<crate::Applied>,
}

impl FieldDescriptor {
    /// A field of type `T`; `defaults` is the attribute's keys as a JSON object.
    pub fn required<T: Connection>(name: &'static str, doc: &'static str, defaults: &'static str) -> Self {
        let ty = ConfigType::of::<T>();
        FieldDescriptor {
            name,
            doc,
            optional: false,
            defaults,
            shape: ty.shape,
            check: ty.rules,
            applies: T::reload_applies,
        }
    }

    /// The field's config type, as the checks take it.
    pub(crate) fn config_type(&self) -> ConfigType {
        ConfigType {
            shape: self.shape,
            rules: self.check,
        }
    }

    /// A derived struct's plain `#[setting]` fields, gathered in `S`; `defaults` are their
    /// `default = …` values as a JSON object. It has no name: its keys are the top-level keys
    /// of the struct's files and its variables are `<PREFIX>_<KEY>`. A reload cannot change a
    /// setting (the struct hands out references to its values): it is refused.
    pub fn settings<S: super::check::SettingsType>(defaults: &'static str) -> Self {
        let ty = ConfigType::settings::<S>();
        FieldDescriptor {
            name: "",
            doc: "",
            optional: false,
            defaults,
            shape: ty.shape,
            check: ty.rules,
            applies: |_| None,
        }
    }

    /// Whether this is the plain settings, not a connection.
    pub(crate) fn is_settings(&self) -> bool {
        self.name.is_empty()
    }

    /// The config path of `key` (a path below this field): `payments.retry.max_attempts`, or
    /// `port` for a plain setting.
    pub(crate) fn path_of(&self, key: &str) -> String {
        super::shape::join(self.name, key)
    }

    /// Whether `path` (a config path of the set) belongs to this field.
    pub(crate) fn holds(&self, path: &str) -> bool {
        let top = path.split('.').next().unwrap_or(path);
        match self.is_settings() {
            true => (self.shape)().root.child(top).is_some(),
            false => top == self.name,
        }
    }

    /// This field's part of a whole set's tree: the connection's table, or for the plain
    /// settings the top-level keys that are settings.
    pub(crate) fn value_in(&self, tree: &Value) -> Value {
        if !self.is_settings() {
            return tree.get(self.name).cloned().unwrap_or(Value::Null);
        }
        let root = &(self.shape)().root;
        let Value::Object(map) = tree else {
            return Value::Null;
        };
        let settings = map.iter().filter(|(key, _)| root.child(key).is_some());
        Value::Object(settings.map(|(k, v)| (k.clone(), v.clone())).collect())
    }

    /// A field of type `Option<T>`.
    pub fn optional<T: Connection>(name: &'static str, doc: &'static str, defaults: &'static str) -> Self {
        FieldDescriptor {
            optional: true,
            ..FieldDescriptor::required::<T>(name, doc, defaults)
        }
    }
}

/// What is worked out once per struct.
pub(crate) struct Plan {
    /// Each field's attribute defaults, checked.
    pub defaults: Vec<FieldLayers>,
    /// Problems with the defaults or the names, reported by every load.
    pub issues: Vec<ConfigIssue>,
    /// Environment name → (field index, leaf path).
    pub env: HashMap<String, (usize, String)>,
    /// Every variable, in field and key order.
    pub env_vars: Vec<EnvVar>,
}

impl Plan {
    fn new(set: &SetDescriptor) -> Plan {
        let mut issues = Vec::new();
        let defaults = set
            .fields
            .iter()
            .map(|field| field_defaults(set.name, field, &mut issues))
            .collect::<Vec<_>>();
        let env_vars = env::variables(set, &defaults);
        let env = env::index(set, &env_vars, &mut issues);
        Plan {
            defaults,
            issues,
            env,
            env_vars,
        }
    }
}

/// A field's `#[connection(...)]` values, each with the source `attribute <Struct>`.
fn field_defaults(set: &str, field: &FieldDescriptor, issues: &mut Vec<ConfigIssue>) -> FieldLayers {
    let mut layers = FieldLayers::default();
    let source = ValueSource::Attribute(set.to_owned());
    match serde_json::from_str::<Value>(field.defaults) {
        Ok(table) => layers.absorb((field.shape)(), field.name, &table, &source, issues),
        Err(e) => issues.push(ConfigIssue::new(
            field.name,
            source,
            format!("bad attribute defaults: {e}"),
        )),
    }
    layers
}
