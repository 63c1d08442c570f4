//! What the derive tells the runtime about a struct: [`SetDescriptor`] and its fields, plus the
//! [`Plan`] worked out from them once (parsed defaults, environment names).

use std::collections::HashMap;
use std::future::Future;
use std::sync::OnceLock;

use serde::Serialize;
use serde::de::{Deserialize, DeserializeOwned};
use serde_json::Value;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use super::env::{self, EnvVar};
use super::layers::FieldLayers;
use super::shape::{Shape, join, shape_of};
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
}

impl FieldDescriptor {
    /// A field of type `T`; `defaults` is the attribute's keys as a JSON object.
    pub fn required<T: Connection>(name: &'static str, doc: &'static str, defaults: &'static str) -> Self {
        FieldDescriptor {
            name,
            doc,
            optional: false,
            defaults,
            shape: shape_of::<T>,
            check: check_config::<T>,
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

/// Deserializes and validates one connection's merged tree: `(relative path, message)` per problem.
fn check_config<T: Connection>(value: &Value) -> Vec<(String, String)> {
    match T::Config::deserialize(value) {
        Err(e) => vec![(String::new(), e.to_string())],
        Ok(config) => match config.validate() {
            Ok(()) => Vec::new(),
            Err(errors) => {
                let mut out = Vec::new();
                flatten_validation("", &errors, &mut out);
                out
            }
        },
    }
}

fn flatten_validation(prefix: &str, errors: &ValidationErrors, out: &mut Vec<(String, String)>) {
    let mut fields: Vec<_> = errors.errors().iter().collect();
    fields.sort_by(|a, b| a.0.cmp(b.0));
    for (field, kind) in fields {
        let path = if field == "__all__" {
            prefix.to_owned()
        } else {
            join(prefix, field)
        };
        match kind {
            ValidationErrorsKind::Field(list) => out.extend(list.iter().map(|e| {
                let message = e
                    .message
                    .as_deref()
                    .map_or_else(|| format!("fails the `{}` rule", e.code), str::to_owned);
                (path.clone(), message)
            })),
            ValidationErrorsKind::Struct(inner) => flatten_validation(&path, inner, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    flatten_validation(&join(&path, &i.to_string()), inner, out);
                }
            }
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
            .map(|field| field_defaults(field, &mut issues))
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

fn field_defaults(field: &FieldDescriptor, issues: &mut Vec<ConfigIssue>) -> FieldLayers {
    let mut layers = FieldLayers::default();
    match serde_json::from_str::<Value>(field.defaults) {
        Ok(table) => layers.absorb((field.shape)(), field.name, &table, &ValueSource::Default, issues),
        Err(e) => issues.push(ConfigIssue::new(
            field.name,
            ValueSource::Default,
            format!("bad attribute defaults: {e}"),
        )),
    }
    layers
}
