//! The runtime half of "one declaration per group": each group of keys (`retry(...)`,
//! `pool(...)` …) is declared once in `connfx-spec` (see `connfx_spec::declare`), and
//! [`config_group!`] turns that declaration into the config struct — fields, docs, serde and
//! schema shape, `Default`, and its checks. The same declaration gives the derive its
//! [`connfx_spec::Group`], so the key table, the struct, its defaults, its bounds, the env
//! names (read from the table) and the schema (read from the struct) cannot drift apart.
//!
//! The checks are written once for every group ([`problems`]): each key's bounds, longest
//! duration and text grammar from the spec, the group's rules across keys, and a declared runtime-only check.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use validator::{ValidationError, ValidationErrors, ValidationErrorsKind};

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

    /// The problems of the declared runtime-only check (`check [...]`), if any.
    fn extra(&self) -> Vec<Problem>;

    /// The problems of its nested groups that are set (`nested [...]`), each at its path
    /// below this struct.
    fn nested(&self) -> Vec<Problem> {
        Vec::new()
    }
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

    fn extra(&self) -> Vec<Problem> {
        (**self).extra()
    }

    fn nested(&self) -> Vec<Problem> {
        (**self).nested()
    }
}

/// One problem of a config: the key it is about, as a path below the checked struct
/// (`ca_file` in a `tls` group, `tls.ca_file` or `health.path` in a protocol's config; empty
/// for the struct as a whole), and what is wrong. The loader joins the key onto the
/// connection's path and names the source of that value, so a declared check names the key it
/// is about rather than leaving the reader to find it in the group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    /// The key, relative to the checked struct; empty for the struct as a whole.
    pub key: String,
    /// What is wrong; names the key as well, since `connect` reports it without a path. Never
    /// holds a secret.
    pub message: String,
}

impl Problem {
    /// A problem of `key`.
    pub(crate) fn at(key: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// A problem of the struct as a whole.
impl From<String> for Problem {
    fn from(message: String) -> Self {
        Problem::at("", message)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// What a declared check (`check [f]`) may return: one message about the struct, one
/// [`Problem`], or every problem it found.
pub(crate) trait IntoProblems {
    /// The problems, none when the check passed.
    fn into_problems(self) -> Vec<Problem>;
}

impl IntoProblems for Result<(), String> {
    fn into_problems(self) -> Vec<Problem> {
        self.err().map(Problem::from).into_iter().collect()
    }
}

impl IntoProblems for Result<(), Problem> {
    fn into_problems(self) -> Vec<Problem> {
        self.err().into_iter().collect()
    }
}

impl IntoProblems for Vec<Problem> {
    fn into_problems(self) -> Vec<Problem> {
        self
    }
}

/// `problems` as one connect error's message (a config built in code that the loader never
/// saw): each names its key.
pub(crate) fn connect_message(problems: &[Problem]) -> String {
    let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
    messages.join("; ")
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

impl AsValue for Vec<String> {
    fn as_value(&self) -> Value<'_> {
        match self.is_empty() {
            true => Value::Unset,
            false => Value::Set,
        }
    }
}

impl<T: AsValue> AsValue for Option<T> {
    fn as_value(&self) -> Value<'_> {
        self.as_ref().map_or(Value::Unset, AsValue::as_value)
    }
}

/// Every problem of `config`, each with the key it belongs to (empty: the group as a whole):
/// values out of the spec's bounds, durations longer than the key allows, text its grammar
/// refuses, broken rules across keys and the declared runtime check, in the spec's wording.
pub(crate) fn problems_by_key<T: Declared>(config: &T) -> Vec<Problem> {
    let mut problems = Vec::new();
    for key in T::keys() {
        let checked = match config.value(key.name) {
            Value::Number(n) => connfx_spec::check::in_range(key, n),
            Value::Duration(d) => connfx_spec::check::not_too_long(key, d),
            Value::Text(text) => connfx_spec::check::text(key, text),
            _ => Ok(()),
        };
        problems.extend(checked.err().map(|problem| Problem::at(key.name, problem)));
    }
    let duration_of = |key: &str| match config.value(key) {
        Value::Duration(d) => Some(d),
        _ => None,
    };
    let is_set = |key: &str| !matches!(config.value(key), Value::Unset);
    for rule in T::rules() {
        let broken = connfx_spec::check::rule(rule, duration_of, is_set).err();
        problems.extend(broken.map(Problem::from));
    }
    problems.extend(config.extra());
    problems
}

/// The problems of `group`, when set ([`problems_by_key`]), each at its path below `path`
/// (`auth.oauth2.token_url` for `auth.oauth2`).
pub(crate) fn problems_at<T: Declared>(path: &str, group: Option<&T>) -> Vec<Problem> {
    let problems = group.map(problems_by_key).unwrap_or_default();
    let at = |problem: Problem| Problem::at(crate::config::shape::join(path, &problem.key), problem.message);
    problems.into_iter().map(at).collect()
}

/// Every problem of `config` (see [`problems_by_key`]) and of its nested groups, as messages:
/// what a connection checks at connect for a config the loader never saw.
pub(crate) fn problems<T: Declared>(config: &T) -> Vec<String> {
    let mut problems = problems_by_key(config);
    problems.extend(config.nested());
    problems.into_iter().map(|problem| problem.message).collect()
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

/// [`problems_by_key`] as `validator` reports them: on the key's field (a path below the
/// struct, such as `tls.ca_file`), or on the struct, so the loader names each by its path and
/// source.
pub(crate) fn validate<T: Declared>(config: &T) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    for problem in problems_by_key(config) {
        add(&mut errors, problem);
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(errors),
    }
}

/// Adds `problem` to `errors` at its key (`__all__` for the struct as a whole). A key that is
/// a nested group with problems of its own gets this one as a problem of the group as a whole.
fn add(errors: &mut ValidationErrors, problem: Problem) {
    let error = ValidationError::new("spec").with_message(problem.message.into());
    let key = match problem.key.is_empty() {
        true => Cow::Borrowed("__all__"),
        false => Cow::Owned(problem.key),
    };
    match errors
        .errors_mut()
        .entry(key)
        .or_insert_with(|| ValidationErrorsKind::Field(Vec::new()))
    {
        ValidationErrorsKind::Field(list) => list.push(error),
        ValidationErrorsKind::Struct(inner) => inner.add("__all__", error),
        ValidationErrorsKind::List(_) => {}
    }
}

/// A protocol's config: the problems of its own keys and declared check ([`validate`]), and
/// those of each nested group (`(key, its problems)`, `Ok` for a group that is unset) under the
/// group's key.
pub(crate) fn validate_protocol<T: Declared>(
    config: &T,
    groups: Vec<(&'static str, Result<(), ValidationErrors>)>,
) -> Result<(), ValidationErrors> {
    let mut errors = validate(config).err().unwrap_or_default();
    for (name, checked) in groups {
        let Err(mut inner) = checked else { continue };
        // A problem the protocol's own check put at the group's key joins the group's.
        if let Some(ValidationErrorsKind::Field(list)) = errors.errors_mut().remove(name) {
            list.into_iter().for_each(|error| inner.add("__all__", error));
        }
        errors.merge_self(name, Err(inner));
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(errors),
    }
}

/// A nested group of a protocol's config, always set (`TimeoutConfig`) or maybe unset
/// (`Option<RetryConfig>`).
pub(crate) trait Nested {
    /// The group's problems; none when it is unset.
    fn check_nested(&self) -> Result<(), ValidationErrors>;
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
        $(nested [$($(#[$nested_meta:meta])* $nested:ident : $nested_ty:ty => $nested_group:ident),* $(,)?];)?
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
        $(#[schemars(extend("x-connfx-shorthand" = stringify!($shorthand)))])?
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
            $($(
                $(#[$nested_meta])*
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $nested: $nested_ty,
            )*)?
        }

        impl Default for $ty {
            fn default() -> Self {
                $ty {
                    $($switch: true,)?
                    $($field: $default,)*
                    $($($nested: None,)*)?
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
            @declared $ty, ::connfx_spec::groups::$static,
            [$(($switch, Bool))? $(($field, $kind))* $($(($nested, Nested))*)?], [$($check)?]
            $(, nested [$($nested)*])?
        );

        /// Its own keys, rules and check, and each nested group that is set, at its key.
        impl ::validator::Validate for $ty {
            fn validate(&self) -> Result<(), ::validator::ValidationErrors> {
                $crate::config::group::validate_protocol(self, vec![
                    $($((stringify!($nested), $crate::config::group::Nested::check_nested(&self.$nested)),)*)?
                ])
            }
        }

        $(
            impl $ty {
                /// The problems of each nested group that is set, at its path.
                fn nested_problems(&self) -> Vec<$crate::config::group::Problem> {
                    let mut problems = Vec::new();
                    $(
                        problems.extend($crate::config::group::problems_at(stringify!($nested), self.$nested.as_ref()));
                    )*
                    problems
                }
            }
        )?

        impl $crate::config::group::Unset for $ty {
            fn is_unset(&self) -> bool {
                false
            }
        }

        impl $crate::config::group::Nested for $ty {
            fn check_nested(&self) -> Result<(), ::validator::ValidationErrors> {
                ::validator::Validate::validate(self)
            }
        }

        impl $crate::config::group::Nested for Option<$ty> {
            fn check_nested(&self) -> Result<(), ::validator::ValidationErrors> {
                self.as_ref().map_or(Ok(()), ::validator::Validate::validate)
            }
        }
    };
    // How a struct made from a declaration (`spec`: its group or protocol) answers the checks.
    (@declared $ty:ident, $spec:expr, [$(($key:ident, $kind:ident))*], [$($check:path)?]
        $(, nested [$($nested:ident)*])?
    ) => {
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

            fn extra(&self) -> Vec<$crate::config::group::Problem> {
                $crate::config::group::config_group!(@extra self $(, $check)?)
            }

            $(
                fn nested(&self) -> Vec<$crate::config::group::Problem> {
                    $(let _ = &self.$nested;)*
                    self.nested_problems()
                }
            )?
        }
    };
    (@extra $self:ident) => {
        Vec::new()
    };
    (@extra $self:ident, $check:path) => {
        $crate::config::group::IntoProblems::into_problems($check($self))
    };
    // A choice of words is an enum that serde has already checked.
    (@value OneOf, $value:expr) => {
        $crate::config::group::Value::Set
    };
    // A nested group counts as set (for the rules) when a source named it.
    (@value Nested, $value:expr) => {
        match $value {
            Some(_) => $crate::config::group::Value::Set,
            None => $crate::config::group::Value::Unset,
        }
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
            @fields ({$(#[$meta])*}, $const, $ty, [$($check)?]) [] [] [] $($fields)*
        );
    };
    // Three lists are gathered: the struct's fields, its own keys (with their kinds) and its
    // nested groups, which `Validate` checks (an optional one only when it is set, through
    // `Nested`).
    (@fields $head:tt [$($out:tt)*] [$($values:tt)*] [$($groups:ident)*]
        $(#[$field_meta:meta])* $field:ident : $field_ty:ty => group $group:ident;
        $($rest:tt)*
    ) => {
        $crate::config::group::config_protocol!(@fields $head [$($out)*
            $(#[$field_meta])*
            #[serde(default, skip_serializing_if = "crate::config::group::Unset::is_unset")]
            pub $field: $field_ty,
        ] [$($values)*] [$($groups)* $field] $($rest)*);
    };
    (@fields $head:tt [$($out:tt)*] [$($values:tt)*] [$($groups:ident)*]
        $(#[$field_meta:meta])* $field:ident : $field_ty:ty => map $group:ident; $($rest:tt)*
    ) => {
        $crate::config::group::config_protocol!(@fields $head [$($out)*
            $(#[$field_meta])*
            #[serde(default, skip_serializing_if = "crate::config::group::Unset::is_unset")]
            pub $field: $field_ty,
        ] [$($values)*] [$($groups)*] $($rest)*);
    };
    (@fields $head:tt [$($out:tt)*] [$($values:tt)*] [$($groups:ident)*]
        $(#[$field_meta:meta])* $field:ident : $field_ty:ty => $kind:ident $([$($arg:tt)*])?; $($rest:tt)*
    ) => {
        $crate::config::group::config_protocol!(@fields $head [$($out)*
            $(#[$field_meta])*
            pub $field: $field_ty,
        ] [$($values)* ($field, $kind)] [$($groups)*] $($rest)*);
    };
    (@fields ({$($meta:tt)*}, $const:ident, $ty:ident, [$($check:path)?]) [$($out:tt)*]
        [$(($key:ident, $kind:ident))*] [$($groups:ident)*]
    ) => {
        $($meta)*
        #[derive(Clone, Debug, PartialEq, ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $ty {
            $($out)*
        }

        /// Its own keys against the spec, its declared check, and each nested group that is
        /// set: every problem at its key.
        impl ::validator::Validate for $ty {
            fn validate(&self) -> Result<(), ::validator::ValidationErrors> {
                $crate::config::group::validate_protocol(self, vec![
                    $((stringify!($groups), $crate::config::group::Nested::check_nested(&self.$groups)),)*
                ])
            }
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
