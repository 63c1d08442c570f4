//! [`InputValue`]: an argument or default value, written in GraphQL syntax.

use super::writer::Writer;

/// A value in GraphQL syntax, for a field argument or a variable's default.
///
/// Rendered as GraphQL writes it, not as JSON: strings quoted and escaped, enum values bare,
/// object keys unquoted (`{first: 3, after: "x"}`), variables with `$`. Build one with the
/// `From` conversions (`"text"`, `3`, `2.5`, `true`, `None::<i32>`, `vec![…]`, a
/// [`serde_json::Value`]) or the constructors.
///
/// ```
/// use connfx::protocol::graphql::InputValue;
///
/// let filter = InputValue::object([
///     ("name", InputValue::from("R2 \"D2\"")),
///     ("episode", InputValue::enum_value("JEDI")),
///     ("ids", InputValue::from(vec![1, 2])),
///     ("after", InputValue::variable("cursor")),
/// ]);
/// assert_eq!(
///     filter.to_string(),
///     r#"{name: "R2 \"D2\"", episode: JEDI, ids: [1, 2], after: $cursor}"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum InputValue {
    /// `$name`: a variable of the operation.
    Variable(String),
    /// A whole number.
    Int(i64),
    /// A number with a fraction or exponent; must be finite.
    Float(f64),
    /// A string, escaped when rendered.
    String(String),
    /// `true` or `false`.
    Boolean(bool),
    /// `null`.
    Null,
    /// An enum value such as `JEDI`: a GraphQL name other than `true`, `false` and `null`.
    Enum(String),
    /// `[a, b]`.
    List(Vec<InputValue>),
    /// `{key: value}`, keys in the order given.
    Object(Vec<(String, InputValue)>),
}

impl InputValue {
    /// `$name`.
    ///
    /// ```
    /// # use connfx::protocol::graphql::InputValue;
    /// assert_eq!(InputValue::variable("id").to_string(), "$id");
    /// ```
    pub fn variable(name: impl Into<String>) -> Self {
        InputValue::Variable(name.into())
    }

    /// An enum value, written bare.
    ///
    /// ```
    /// # use connfx::protocol::graphql::InputValue;
    /// assert_eq!(InputValue::enum_value("NEWHOPE").to_string(), "NEWHOPE");
    /// ```
    pub fn enum_value(name: impl Into<String>) -> Self {
        InputValue::Enum(name.into())
    }

    /// A list of anything that converts into values.
    ///
    /// ```
    /// # use connfx::protocol::graphql::InputValue;
    /// assert_eq!(InputValue::list(["a", "b"]).to_string(), r#"["a", "b"]"#);
    /// ```
    pub fn list<V: Into<InputValue>>(items: impl IntoIterator<Item = V>) -> Self {
        InputValue::List(items.into_iter().map(Into::into).collect())
    }

    /// An input object, keys in the order given.
    ///
    /// ```
    /// # use connfx::protocol::graphql::InputValue;
    /// assert_eq!(InputValue::object([("first", 3)]).to_string(), "{first: 3}");
    /// ```
    pub fn object<K: Into<String>, V: Into<InputValue>>(fields: impl IntoIterator<Item = (K, V)>) -> Self {
        InputValue::Object(fields.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }

    /// Writes the value; `constant` (a variable's default) rejects variables.
    pub(super) fn write(&self, w: &mut Writer, constant: bool) {
        match self {
            InputValue::Variable(name) => {
                if constant {
                    w.fail(format!("a default value cannot use the variable `${name}`"));
                }
                w.text("$");
                w.name("variable", name);
            }
            InputValue::Int(i) => w.text(&i.to_string()),
            InputValue::Float(f) => {
                if !f.is_finite() {
                    w.fail(format!("`{f}` is not a GraphQL number"));
                }
                // `Debug` keeps a fraction or exponent (`1.0`, `1e16`): a GraphQL FloatValue.
                w.text(&format!("{f:?}"));
            }
            InputValue::String(s) => write_string(w, s),
            InputValue::Boolean(b) => w.text(if *b { "true" } else { "false" }),
            InputValue::Null => w.text("null"),
            InputValue::Enum(name) => {
                if matches!(name.as_str(), "true" | "false" | "null") {
                    w.fail(format!("`{name}` cannot be an enum value"));
                }
                w.name("enum value", name);
            }
            InputValue::List(items) => {
                w.text("[");
                for (i, item) in items.iter().enumerate() {
                    w.text(if i == 0 { "" } else { ", " });
                    item.write(w, constant);
                }
                w.text("]");
            }
            InputValue::Object(fields) => {
                w.text("{");
                for (i, (key, value)) in fields.iter().enumerate() {
                    w.text(if i == 0 { "" } else { ", " });
                    w.name("object key", key);
                    w.text(": ");
                    value.write(w, constant);
                }
                w.text("}");
            }
        }
    }
}

/// A GraphQL string: `"` and `\` escaped, control characters as `\n`, `\t`, … or `\u00XX`.
fn write_string(w: &mut Writer, s: &str) {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    w.text(&out);
}

impl std::fmt::Display for InputValue {
    /// The value as GraphQL text, whether or not it is valid (see [`Operation::build`](crate::protocol::graphql::Operation::build)).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut w = Writer::default();
        self.write(&mut w, false);
        f.write_str(w.output())
    }
}

impl From<&str> for InputValue {
    fn from(s: &str) -> Self {
        InputValue::String(s.to_owned())
    }
}

impl From<String> for InputValue {
    fn from(s: String) -> Self {
        InputValue::String(s)
    }
}

impl From<bool> for InputValue {
    fn from(b: bool) -> Self {
        InputValue::Boolean(b)
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for InputValue {
            fn from(i: $t) -> Self {
                InputValue::Int(i64::from(i))
            }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<f64> for InputValue {
    fn from(f: f64) -> Self {
        InputValue::Float(f)
    }
}

impl From<f32> for InputValue {
    fn from(f: f32) -> Self {
        InputValue::Float(f64::from(f))
    }
}

impl<T: Into<InputValue>> From<Option<T>> for InputValue {
    /// `None` is `null`.
    fn from(value: Option<T>) -> Self {
        value.map_or(InputValue::Null, Into::into)
    }
}

impl<T: Into<InputValue>> From<Vec<T>> for InputValue {
    fn from(items: Vec<T>) -> Self {
        InputValue::list(items)
    }
}

impl From<serde_json::Value> for InputValue {
    /// JSON as GraphQL: objects keep their keys (which must be GraphQL names), strings stay
    /// strings (never enum values); a number that fits an `i64` is an `Int`, any other a `Float`.
    fn from(value: serde_json::Value) -> Self {
        use serde_json::Value;
        match value {
            Value::Null => InputValue::Null,
            Value::Bool(b) => InputValue::Boolean(b),
            Value::Number(n) => n.as_i64().map_or_else(
                || InputValue::Float(n.as_f64().unwrap_or(f64::NAN)),
                InputValue::Int,
            ),
            Value::String(s) => InputValue::String(s),
            Value::Array(items) => InputValue::list(items),
            Value::Object(map) => InputValue::object(map),
        }
    }
}
