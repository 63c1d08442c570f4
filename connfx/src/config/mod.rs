//! Loading configuration: sources, layering, environment names, checks, errors and the schema.
//!
//! The pipeline of one load, all in this module:
//! 1. `shape` turns each connection's config type into a key tree (from its JSON Schema, with
//!    the bounds of `connfx-spec` for built-in protocols), once per type;
//! 2. `layers` collects values leaf by leaf from the attribute defaults, the files
//!    ([`file`]) and the environment ([`env`]), remembering each value's [`ValueSource`];
//! 3. `leaf` checks and normalizes every value as it arrives, so every problem is found;
//! 4. `load` assembles the merged tree, deserializes and runs each type's `validator` rules,
//!    and reports all issues together in a [`ConfigError`].

mod check;
pub(crate) mod descriptor;
mod env;
mod file;
#[cfg(any(feature = "config-rs", feature = "figment"))]
mod foreign;
pub(crate) mod group;
mod issue;
pub(crate) mod layers;
mod leaf;
pub(crate) mod load;
mod schema;
pub(crate) mod shape;
mod source;
mod targets;

pub use check::SettingsType;
pub(crate) use check::{ConfigType, Scope, check_tables, missing_without_env};
pub use connfx_spec::Kind;
pub use descriptor::ConnectionSet;
pub use env::EnvVar;
#[cfg(feature = "figment")]
pub use foreign::FigmentProvider;
pub use issue::{ConfigError, ConfigIssue};
pub use load::{Setting, explain};
pub(crate) use schema::inline_schema;
pub(crate) use source::Layer;
pub use source::{Sources, ValueSource};
pub(crate) use targets::{env_value, insert_path, read_file};
