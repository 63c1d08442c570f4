//! The runtime half of "one declaration per group": each group of keys (`retry(...)`,
//! `pool(...)` …) is declared once in `connfx-spec` (see `connfx_spec::declare`), and
//! [`config_group!`] turns that declaration into the config struct — fields, docs, serde and
//! schema shape, `Default`, and its checks. The same declaration gives the derive its
//! [`connfx_spec::Group`], so the key table, the struct, its defaults, its bounds, the env
//! names (read from the table) and the schema (read from the struct) cannot drift apart.
//!
//! The checks are written once for every group ([`problems`]): each key's bounds, longest
//! duration and text grammar from the spec, the group's rules across keys, and a declared runtime-only check.

use std::time::Duration;

use validator::{ValidationError, ValidationErrors};

use crate::Secret;

/// A config struct made from a group's or a protocol's declaration.
pub(crate) trait Declared {
    /// The group's or protocol's name, as written in attributes and files.
    fn name() -> &'static str;

    /// The spec's keys, from the same declaration.
    fn keys() -> &'static [connfx_spec::Key];

    /// The spec's rules across keys, from the same declaration.
    fn rules() -> &'static [connfx_spec::Rule];

    /// The value of `key`, as the checks read it.
    fn value(&self, key: &str) -> Value<'_>;

    /// The declared runtime-only check (`check [...]`), if any.
    fn extra(&self) -> Result<(), String>;
}

// `validator` hands a struct-level check `&self` by reference.
impl<T: Declared> Declared for &T {
    fn name() -> &'static str {
        T::name()
    }

    fn keys() -> &'static [connfx_spec::Key] {
        T::keys()
    }

    fn rules() -> &'static [connfx_spec::Rule] {
        T::rules()
    }

    fn value(&self, key: &str) -> Value<'_> {
        (**self).value(key)
    }

    fn extra(&self) -> Result<(), String> {
        (**self).extra()
    }
}

/// A key's value, as the bounds, text and rule checks read it.
pub(crate) enum Value<'a> {
    /// A number, checked against the key's bounds.
    Number(f64),
    /// A duration, checked against the key's longest value and compared by `NotAbove` rules.
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

impl AsValue for u64 {
    fn as_value(&self) -> Value<'_> {
        // Exact up to 2^53, far above every bound in the spec.
        Value::Number(*self as f64)
    }
}

impl AsValue for crate::ConnUrl {
    fn as_value(&self) -> Value<'_> {
        Value::Set
    }
}

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
/// values out of the spec's bounds, durations longer than the key allows, text its grammar refuses, broken rules across keys and the
/// declared runtime check, in the spec's wording.
pub(crate) fn problems_by_key<T: Declared>(config: &T) -> Vec<(Option<&'static str>, String)> {
    let mut problems = Vec::new();
    for key in T::keys() {
        let checked = match config.value(key.name) {
            Value::Number(n) => connfx_spec::check::in_range(key, n),
            Value::Duration(d) => connfx_spec::check::not_too_long(key, d),
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
    for rule in T::rules() {
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

/// The first of [`problems`], for `validator`'s struct-level check of a protocol's own keys (its
/// groups are checked as nested structs); the loader has checked each value it read already, so
/// this speaks for configs built in code.
pub(crate) fn check_keys<T: Declared>(config: &T) -> Result<(), ValidationError> {
    match problems(config).into_iter().next() {
        Some(problem) => Err(ValidationError::new("spec").with_message(problem.into())),
        None => Ok(()),
    }
}

/// A policy group with the `enabled` switch (`connfx_spec::declare`, "The `enabled` switch").
pub(crate) trait Switched {
    /// Its `enabled` key.
    fn is_on(&self) -> bool;
}

/// The policy a connection runs: the group if some source named it and did not switch it off.
/// Every reader of a connection's policy groups goes through here, so `enabled = false` means
/// the same to each.
pub(crate) fn switched_on<T: Switched>(group: Option<&T>) -> Option<&T> {
    group.filter(|group| group.is_on())
}

/// Whether a field of a config struct holds nothing worth writing out (`None`, an empty map);
/// a group struct always is written.
pub(crate) trait Unset {
    /// Whether it is unset.
    fn is_unset(&self) -> bool;
}

impl<T> Unset for Option<T> {
    fn is_unset(&self) -> bool {
        self.is_none()
    }
}

impl Unset for std::collections::BTreeMap<String, String> {
    fn is_unset(&self) -> bool {
        self.is_empty()
    }
}

impl Unset for crate::Headers {
    fn is_unset(&self) -> bool {
        self.is_empty()
    }
}

impl Unset for crate::SecretHeaders {
    fn is_unset(&self) -> bool {
        self.is_empty()
    }
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
        $(switch [$switch:ident];)?
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
                #[doc = ::connfx_spec::switch_doc!()]
                #[schemars(extend("x-connfx-switch" = true))]
                pub $switch: bool,
            )?
            $(
                $(#[$field_meta])*
                pub $field: $field_ty,
            )*
        }

        impl Default for $ty {
            fn default() -> Self {
                $ty {
                    $($switch: true,)?
                    $($field: $default,)*
                }
            }
        }

        $(
            impl $crate::config::group::Switched for $ty {
                fn is_on(&self) -> bool {
                    self.$switch
                }
            }
        )?

        $crate::config::group::config_group!(
            @declared $ty, ::connfx_spec::groups::$static, [$(($switch, Bool))? $(($field, $kind))*], [$($check)?]
        );

        impl ::validator::Validate for $ty {
            fn validate(&self) -> Result<(), ::validator::ValidationErrors> {
                $crate::config::group::validate(self)
            }
        }

        impl $crate::config::group::Unset for $ty {
            fn is_unset(&self) -> bool {
                false
            }
        }
    };
    // How a struct made from a declaration (`spec`: its group or protocol) answers the checks.
    (@declared $ty:ident, $spec:expr, [$(($key:ident, $kind:ident))*], [$($check:path)?]) => {
        impl $crate::config::group::Declared for $ty {
            fn name() -> &'static str {
                $spec.name
            }

            fn keys() -> &'static [::connfx_spec::Key] {
                $spec.keys
            }

            fn rules() -> &'static [::connfx_spec::Rule] {
                $spec.rules
            }

            fn value(&self, key: &str) -> $crate::config::group::Value<'_> {
                match key {
                    $(stringify!($key) => $crate::config::group::config_group!(@value $kind, &self.$key),)*
                    _ => $crate::config::group::Value::Unset,
                }
            }

            fn extra(&self) -> Result<(), String> {
                $($check(self)?;)?
                Ok(())
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

/// Makes a protocol's config struct from its declaration in `connfx-spec` (the grammar is in
/// `connfx_spec::declare`): its own keys as declared, each nested group (`=> group GROUP`)
/// defaulted, left out when unset and validated as a nested struct, each map (`=> map GROUP`)
/// defaulted and left out when empty; the protocol's own keys are checked against the spec.
macro_rules! config_protocol {
    (
        $(#[$meta:meta])*
        protocol $const:ident = $name:literal for $ty:ident as $conn:ident;
        schemes [$($scheme:literal),* $(,)?];
        required [$($required:ident),* $(,)?];
        check [$($check:path)?];
        fields { $($fields:tt)* }
    ) => {
        $crate::config::group::config_protocol!(
            @fields ({$(#[$meta])*}, $const, $ty, [$($check)?]) [] [] $($fields)*
        );
    };
    // The group's type is matched as tokens (`Option<RetryConfig>`, `TimeoutConfig`), not as a
    // `ty` fragment: the derive of `Validate` must see `Option<...>` to validate an optional
    // group only when it is set.
    (@fields $head:tt [$($out:tt)*] [$($values:tt)*]
        $(#[$field_meta:meta])* $field:ident : $outer:ident $(<$inner:ident>)? => group $group:ident;
        $($rest:tt)*
    ) => {
        $crate::config::group::config_protocol!(@fields $head [$($out)*
            $(#[$field_meta])*
            #[serde(default, skip_serializing_if = "crate::config::group::Unset::is_unset")]
            #[validate(nested)]
            pub $field: $outer $(<$inner>)?,
        ] [$($values)*] $($rest)*);
    };
    (@fields $head:tt [$($out:tt)*] [$($values:tt)*]
        $(#[$field_meta:meta])* $field:ident : $field_ty:ty => map $group:ident; $($rest:tt)*
    ) => {
        $crate::config::group::config_protocol!(@fields $head [$($out)*
            $(#[$field_meta])*
            #[serde(default, skip_serializing_if = "crate::config::group::Unset::is_unset")]
            pub $field: $field_ty,
        ] [$($values)*] $($rest)*);
    };
    (@fields $head:tt [$($out:tt)*] [$($values:tt)*]
        $(#[$field_meta:meta])* $field:ident : $field_ty:ty => $kind:ident $([$($arg:tt)*])?; $($rest:tt)*
    ) => {
        $crate::config::group::config_protocol!(@fields $head [$($out)*
            $(#[$field_meta])*
            pub $field: $field_ty,
        ] [$($values)* ($field, $kind)] $($rest)*);
    };
    (@fields ({$($meta:tt)*}, $const:ident, $ty:ident, [$($check:path)?]) [$($out:tt)*]
        [$(($key:ident, $kind:ident))*]
    ) => {
        // The derive of `Validate` calls `.validate()` on nested groups.
        #[allow(unused_imports)]
        use ::validator::Validate as _;

        $($meta)*
        #[derive(
            Clone, Debug, PartialEq, ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema,
            ::validator::Validate,
        )]
        #[serde(deny_unknown_fields)]
        #[validate(schema(function = "crate::config::group::check_keys"))]
        pub struct $ty {
            $($out)*
        }


        $crate::config::group::config_group!(
            @declared $ty, ::connfx_spec::protocols::$const, [$(($key, $kind))*], [$($check)?]
        );
    };
}

pub(crate) use config_protocol;

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

        $crate::config::inline_schema!($ty, stringify!($ty), { "type": "string", "enum": [$($word),*] });
    };
}

pub(crate) use choice;
