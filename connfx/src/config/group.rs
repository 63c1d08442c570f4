//! The runtime half of "one declaration per group": each group of keys (`retry(...)`,
//! `pool(...)` …) is declared once in `connfx-spec` (see `connfx_spec::declare`), and
//! [`config_group!`] turns that declaration into the config struct — fields, docs, serde and
//! schema shape, `Default`, and its checks. The same declaration gives the derive its
//! [`connfx_spec::Group`], so the key table, the struct, its defaults, its bounds, the env
//! names (read from the table) and the schema (read from the struct) cannot drift apart.
//!
//! The checks are written once for every group ([`problems`]): each key's bounds and text
//! grammar from the spec, the group's rules across keys, and a declared runtime-only check.

use std::time::Duration;

use validator::{ValidationError, ValidationErrors};

use crate::Secret;

/// A config struct made from a group declaration.
pub(crate) trait Declared {
    /// The spec's group, from the same declaration.
    const GROUP: &'static connfx_spec::Group;

    /// The value of `key`, as the checks read it.
    fn value(&self, key: &str) -> Value<'_>;

    /// The declared runtime-only check (`check [...]`), if any.
    fn extra(&self) -> Result<(), String>;
}

/// A key's value, as the bounds, text and rule checks read it.
pub(crate) enum Value<'a> {
    /// A number, checked against the key's bounds.
    Number(f64),
    /// A duration, compared by `NotAbove` rules.
    Duration(Duration),
    /// Text, checked against the key's grammar (`retry_on`, a choice of words).
    Text(&'a str),
    /// Set, with nothing more to check (a flag, a secret, a choice already parsed).
    Set,
    /// Unset (`None`).
    Unset,
}

/// How a field's type shows its value to the checks.
pub(crate) trait AsValue {
    /// The value.
    fn as_value(&self) -> Value<'_>;
}

macro_rules! numbers_as_value {
    ($($ty:ty),*) => {$(
        impl AsValue for $ty {
            fn as_value(&self) -> Value<'_> {
                Value::Number(f64::from(*self))
            }
        }
    )*};
}
numbers_as_value!(u16, u32, f64);

impl AsValue for Duration {
    fn as_value(&self) -> Value<'_> {
        Value::Duration(*self)
    }
}

impl AsValue for String {
    fn as_value(&self) -> Value<'_> {
        Value::Text(self)
    }
}

impl AsValue for bool {
    fn as_value(&self) -> Value<'_> {
        Value::Set
    }
}

impl AsValue for Secret {
    fn as_value(&self) -> Value<'_> {
        Value::Set
    }
}

impl<T: AsValue> AsValue for Option<T> {
    fn as_value(&self) -> Value<'_> {
        self.as_ref().map_or(Value::Unset, AsValue::as_value)
    }
}

/// Every problem of `config`, each with the key it belongs to (`None`: the group as a whole):
/// values out of the spec's bounds, text its grammar refuses, broken rules across keys and the
/// declared runtime check, in the spec's wording.
pub(crate) fn problems_by_key<T: Declared>(config: &T) -> Vec<(Option<&'static str>, String)> {
    let group = T::GROUP;
    let mut problems = Vec::new();
    for key in group.keys {
        let checked = match config.value(key.name) {
            Value::Number(n) => connfx_spec::check::in_range(key, n),
            Value::Text(text) => connfx_spec::check::text(key, text),
            _ => Ok(()),
        };
        problems.extend(checked.err().map(|problem| (Some(key.name), problem)));
    }
    let duration_of = |key: &str| match config.value(key) {
        Value::Duration(d) => Some(d),
        _ => None,
    };
    let is_set = |key: &str| !matches!(config.value(key), Value::Unset);
    for rule in group.rules {
        let broken = connfx_spec::check::rule(rule, duration_of, is_set).err();
        problems.extend(broken.map(|problem| (None, problem)));
    }
    problems.extend(config.extra().err().map(|problem| (None, problem)));
    problems
}

/// Every problem of `config` (see [`problems_by_key`]).
pub(crate) fn problems<T: Declared>(config: &T) -> Vec<String> {
    problems_by_key(config)
        .into_iter()
        .map(|(_, problem)| problem)
        .collect()
}

/// [`problems_by_key`] as `validator` reports them: on the key's field, or on the struct, so
/// the loader names each by its path and source.
pub(crate) fn validate<T: Declared>(config: &T) -> Result<(), ValidationErrors> {
    let problems = problems_by_key(config);
    if problems.is_empty() {
        return Ok(());
    }
    let mut errors = ValidationErrors::new();
    for (key, problem) in problems {
        let error = ValidationError::new("spec").with_message(problem.into());
        errors.add(key.unwrap_or("__all__"), error);
    }
    Err(errors)
}

/// Makes a group's config struct from its declaration in `connfx-spec` (the grammar is in
/// `connfx_spec::declare`). Called as `connfx_spec::retry_group!(crate::config::group::config_group)`
/// in the module that owns the struct, with the field types and default expressions in scope.
macro_rules! config_group {
    (
        $(#[$meta:meta])*
        group $static:ident = $name:literal for $ty:ident $(, derive($($derive:ident),*))?;
        rules [$($rule:tt)*];
        shorthand [$($shorthand:ident)?];
        check [$($check:path)?];
        keys {
            $(
                $(#[$field_meta:meta])*
                $field:ident : $field_ty:ty = $default:expr => $kind:ident $([$($arg:tt)*])?;
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema $($(, $derive)*)?)]
        #[serde(default, deny_unknown_fields)]
        pub struct $ty {
            $(
                $(#[$field_meta])*
                pub $field: $field_ty,
            )*
        }

        impl Default for $ty {
            fn default() -> Self {
                $ty {
                    $($field: $default,)*
                }
            }
        }

        impl $crate::config::group::Declared for $ty {
            const GROUP: &'static ::connfx_spec::Group = &::connfx_spec::groups::$static;

            fn value(&self, key: &str) -> $crate::config::group::Value<'_> {
                match key {
                    $(stringify!($field) => $crate::config::group::config_group!(@value $kind, &self.$field),)*
                    _ => $crate::config::group::Value::Unset,
                }
            }

            fn extra(&self) -> Result<(), String> {
                $($check(self)?;)?
                Ok(())
            }
        }

        impl ::validator::Validate for $ty {
            fn validate(&self) -> Result<(), ::validator::ValidationErrors> {
                $crate::config::group::validate(self)
            }
        }
    };
    // A choice of words is an enum that serde has already checked.
    (@value OneOf, $value:expr) => {
        $crate::config::group::Value::Set
    };
    (@value $kind:ident, $value:expr) => {
        $crate::config::group::AsValue::as_value($value)
    };
}

pub(crate) use config_group;

/// Makes a choice of words (`backoff`, `mode`, `transport`): a plain `enum` whose variants are
/// written as their snake-case words, and whose schema is a plain `enum` of those words — the
/// derive would describe documented variants as `oneOf`, and the loader reads choices from a
/// plain `enum`. The spec's `OneOf[...]` of the key lists the same words (a test checks it).
macro_rules! choice {
    (
        $(#[$meta:meta])*
        pub enum $ty:ident {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident = $word:literal,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $ty {
            $(
                $(#[$variant_meta])*
                #[serde(rename = $word)]
                $variant,
            )*
        }

        impl ::schemars::JsonSchema for $ty {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                stringify!($ty).into()
            }

            fn json_schema(_: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                ::schemars::json_schema!({ "type": "string", "enum": [$($word),*] })
            }

            fn inline_schema() -> bool {
                true
            }
        }
    };
}

pub(crate) use choice;
