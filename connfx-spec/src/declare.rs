//! How a group of keys is declared: once.
//!
//! Each group (`retry(...)`, `pool(...)` …) is written in one `macro_rules!` of its own in
//! [`crate::groups`], which hands the whole declaration — docs, field types, defaults, the kind and
//! bounds of each key, the rules across keys — to a callback macro. Two callbacks read it:
//! [`spec_group!`](crate::spec_group) here makes the [`Group`](crate::Group) static that the
//! derive checks literals against at compile time, and `connfx` makes the config struct (with
//! its `Default`, its serde and schema shape, and its checks) from the very same tokens. A key
//! added, renamed or rebounded in the declaration therefore changes the derive, the loader, the
//! env names, the schema and the struct together.
//!
//! The declaration's grammar (one per group):
//!
//! ```text
//! /// docs of the config struct (with its example)
//! group STATIC = "name" for ConfigType;   // or `for ConfigType, derive(Eq, Hash);`
//! rules [NotAbove(lower, upper), AtMostOne(a, b)];
//! shorthand [key];          // or []: the key a bare value (`timeout = "10s"`) sets
//! switch [enabled];         // optional: a policy switched on and off by `enabled` (below)
//! check [path::to::fn];     // or []: a runtime-only check beyond bounds and rules
//! nested [field: Option<Type> => GROUP];  // optional: a group as a key of this group
//! keys {
//!     /// doc of the field
//!     #[serde(...)]         // serde/schemars attributes of the field
//!     field: Type = default_expression => Kind[min, max];
//! }
//! ```
//!
//! where `Kind` is a [`Kind`](crate::Kind) (`Integer[1, 100]` and `Number[0, 1]` with bounds;
//! `Duration` is at most [`MAX_DURATION`](crate::MAX_DURATION), `Duration[3600]` at most that
//! many seconds, for a key whose runtime keeps less), `OneOf["a", "b"]` (a string that is one of
//! these words) or `RetryOn` (a `retry_on` list). A `nested` group (`auth.oauth2`) is a key
//! of its group that holds a table of its own: it is an `Option` field of the config struct,
//! its own declaration gives its keys, and the loader reads it like any group (file table
//! `[api.auth.oauth2]`, env `APP_API_AUTH_OAUTH2_TOKEN_URL`). The derive's attributes do not
//! take nested groups; its name may appear in the group's rules. The
//! field types and default expressions are only ever compiled by `connfx`; this crate reads the
//! names, kinds, bounds and rules.
//!
//! # The `enabled` switch
//!
//! A policy group (`retry`, `circuit_breaker`, `rate_limit`, `bulkhead`) declares
//! `switch [enabled];`, which gives it one more key, first of its keys: `enabled`, a boolean that
//! defaults to `true`, documented by `switch_doc!()`. Being a key, it is checked by the derive,
//! read from files and the environment, listed by `env_vars()`, `explain` and the schema like any
//! other. What it means (a policy is off until a source names it; `enabled = false` switches it
//! off whatever its other keys say) is written once, in `connfx`'s crate docs, "Switching a
//! policy".

/// Makes the spec's [`Group`](crate::Group) static from a group declaration (see the
/// [module docs](crate::declare)).
#[macro_export]
#[doc(hidden)]
macro_rules! spec_group {
    (
        $(#[$meta:meta])*
        group $static:ident = $name:literal for $ty:ident $(, derive($($derive:ident),*))?;
        rules [$($rule:ident($($rule_key:ident),* $(,)?)),* $(,)?];
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
        #[doc = concat!(
            "`", $name, "(...)`: its keys, bounds and rules, from the same declaration as the ",
            "runtime's `", stringify!($ty), "`."
        )]
        pub static $static: $crate::Group = $crate::Group {
            name: $name,
            keys: &[
                $($crate::Key::new(stringify!($switch), $crate::Kind::Bool),)?
                $($crate::__spec_key!(stringify!($field), $kind $([$($arg)*])?)),*
            ],
            rules: &[$($crate::__spec_rule!($rule($($rule_key),*))),*],
            shorthand: $crate::__spec_shorthand!($($shorthand)?),
            switch: $crate::__spec_shorthand!($($switch)?),
            is_map: false,
            nested: &[$($(&$crate::groups::$nested_group),*)?],
        };
    };
}

/// The documentation of a policy's `enabled` key, one text for every switched group.
#[macro_export]
#[doc(hidden)]
macro_rules! switch_doc {
    () => {
        "`false` switches the policy off, whatever its other keys say; `true` switches it on, \
         each key left unset at its default. Unset: the policy is on when some source sets any \
         of its keys."
    };
}

/// One [`Key`](crate::Key) of a declaration.
#[macro_export]
#[doc(hidden)]
macro_rules! __spec_key {
    ($name:expr, Duration) => {
        $crate::Key::duration($name, $crate::MAX_DURATION)
    };
    ($name:expr, Duration[$longest_secs:literal]) => {
        $crate::Key::duration($name, ::std::time::Duration::from_secs($longest_secs))
    };
    ($name:expr, OneOf[$($word:literal),* $(,)?]) => {
        $crate::Key::one_of($name, &[$($word),*])
    };
    ($name:expr, RetryOn) => {
        $crate::Key::text($name, $crate::Text::RetryOn)
    };
    ($name:expr, $kind:ident[$min:literal, $max:literal]) => {
        $crate::Key::range($name, $crate::Kind::$kind, $min as f64, $max as f64)
    };
    ($name:expr, $kind:ident) => {
        $crate::Key::new($name, $crate::Kind::$kind)
    };
}

/// One [`Rule`](crate::Rule) of a declaration.
#[macro_export]
#[doc(hidden)]
macro_rules! __spec_rule {
    (NotAbove($lower:ident, $upper:ident)) => {
        $crate::Rule::NotAbove {
            lower: stringify!($lower),
            upper: stringify!($upper),
        }
    };
    (AtMostOne($($key:ident),*)) => {
        $crate::Rule::AtMostOne(&[$(stringify!($key)),*])
    };
}

/// The shorthand (or switch) key of a declaration, if any.
#[macro_export]
#[doc(hidden)]
macro_rules! __spec_shorthand {
    () => {
        None
    };
    ($key:ident) => {
        Some(stringify!($key))
    };
}

/// Makes the spec's [`Protocol`](crate::Protocol) constant from a protocol declaration: like a
/// group's, with `protocol CONST = "name" for ConfigType as ConnectionType;`, its URL
/// `schemes [...]`, the keys no source may leave unset (`required [...]`), and among its
/// `fields` the nested groups, written `field: Type => group GROUP;` (`=> map GROUP;` for a
/// free map such as `headers`), in the order the config struct has them.
#[macro_export]
#[doc(hidden)]
macro_rules! spec_protocol {
    (
        $(#[$meta:meta])*
        protocol $const:ident = $name:literal for $ty:ident as $conn:ident;
        schemes [$($scheme:literal),* $(,)?];
        required [$($required:ident),* $(,)?];
        check [$($check:path)?];
        fields { $($fields:tt)* }
    ) => {
        $crate::spec_protocol!(@fields ($const, $name, $ty, $conn, [$($scheme),*], [$($required),*]) [] [] $($fields)*);
    };
    (@fields $head:tt [$($keys:tt)*] [$($groups:tt)*]
        $(#[$field_meta:meta])* $field:ident : $field_ty:ty => $nested:ident $group:ident; $($rest:tt)*
    ) => {
        $crate::spec_protocol!(@fields $head [$($keys)*] [$($groups)* &$crate::groups::$group,] $($rest)*);
    };
    (@fields $head:tt [$($keys:tt)*] [$($groups:tt)*]
        $(#[$field_meta:meta])* $field:ident : $field_ty:ty => $kind:ident $([$($arg:tt)*])?; $($rest:tt)*
    ) => {
        $crate::spec_protocol!(@fields $head [$($keys)* $crate::__spec_key!(stringify!($field), $kind $([$($arg)*])?),] [$($groups)*] $($rest)*);
    };
    (@fields ($const:ident, $name:literal, $ty:ident, $conn:ident, [$($scheme:literal),*], [$($required:ident),*])
        [$($keys:tt)*] [$($groups:tt)*]
    ) => {
        #[doc = concat!(
            "`", $name, "`: its keys, groups and URL schemes, from the same declaration as the ",
            "runtime's `", stringify!($ty), "`."
        )]
        pub const $const: $crate::Protocol = $crate::Protocol {
            name: $name,
            type_name: stringify!($conn),
            schemes: &[$($scheme),*],
            keys: &[$($keys)*],
            groups: &[$($groups)*],
            required: &[$(stringify!($required)),*],
            rules: &[],
        };
    };
}
