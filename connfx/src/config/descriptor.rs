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
