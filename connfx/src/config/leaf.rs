//! Checking and normalizing one value, from a file (JSON-like) or the environment (text).
//! Messages come from `connfx-spec`, worded as the derive words the same mistake.

use connfx_spec::{Kind, check, message};
use serde_json::Value;

use super::shape::{Leaf, Shape};

/// The key being checked: its name (for messages), its leaf, and the protocol's URL rules.
pub(crate) struct Target<'a> {
    pub key: &'a str,
    pub leaf: &'a Leaf,
    pub shape: &'a Shape,
}

/// Checks a value read from a file or an attribute default; gives back the value to keep.
pub(crate) fn from_value(t: &Target<'_>, value: &Value) -> Result<Value, String> {
    let kind = t.leaf.kind;
    let found = || describe(t.leaf, value);
    match (kind, value) {
        (Kind::Bool, Value::Bool(_)) => Ok(value.clone()),
        (Kind::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => number(t, value),
        (Kind::Number, Value::Number(_)) => number(t, value),
        (Kind::Map, Value::Object(_)) | (Kind::List, Value::Array(_)) => Ok(value.clone()),
        (Kind::Duration | Kind::Url | Kind::Str | Kind::Secret, Value::String(s)) => text(t, s),
        _ => Err(message::wrong_kind(kind, &found())),
    }
}

/// Checks a value of another library's layer (config-rs, figment): as a file's, except that
/// text where a number, a switch, a map or a list is expected is read as the environment's text
/// is, because config-rs's environment gives only text.
pub(crate) fn from_foreign(t: &Target<'_>, value: &Value) -> Result<Value, String> {
    match (t.leaf.kind, value) {
        (Kind::Bool | Kind::Integer | Kind::Number | Kind::Map | Kind::List, Value::String(raw)) => {
            from_env(t, raw)
        }
        _ => from_value(t, value),
    }
}

/// Parses a value from an environment variable's text.
pub(crate) fn from_env(t: &Target<'_>, raw: &str) -> Result<Value, String> {
    let kind = t.leaf.kind;
    let wrong = || message::wrong_kind(kind, &describe(t.leaf, &Value::String(raw.to_owned())));
    match kind {
        Kind::Bool => check::boolean(raw).map(Value::Bool),
        Kind::Integer => {
            let text = raw.trim();
            match (text.parse::<i64>(), text.parse::<u64>()) {
                (Ok(n), _) => number(t, &Value::from(n)),
                (_, Ok(n)) => number(t, &Value::from(n)),
                // A whole number too large for any integer is out of range, not of another kind.
                _ if is_whole(text) => {
                    let n = text.parse::<f64>().ok().and_then(serde_json::Number::from_f64);
                    number(t, &Value::Number(n.ok_or_else(wrong)?))
                }
                _ => Err(wrong()),
            }
        }
        Kind::Number => {
            let n: f64 = raw.trim().parse().map_err(|_| wrong())?;
            let n = serde_json::Number::from_f64(n).ok_or_else(wrong)?;
            number(t, &Value::Number(n))
        }
        Kind::Map => match serde_json::from_str::<Value>(raw) {
            Ok(v @ Value::Object(_)) => Ok(v),
            _ => Err(message::wrong_kind(kind, "text that is not a JSON object")),
        },
        Kind::List => match serde_json::from_str::<Value>(raw) {
            Ok(v @ Value::Array(_)) => Ok(v),
            _ => Err(message::wrong_kind(kind, "text that is not a JSON array")),
        },
        Kind::Duration | Kind::Url | Kind::Str | Kind::Secret => text(t, raw),
    }
}

/// `-123`, `456`: a whole number as the environment writes it, whatever its size.
fn is_whole(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn number(t: &Target<'_>, value: &Value) -> Result<Value, String> {
    let v = value.as_f64().unwrap_or(f64::NAN);
    check::range(t.key, t.leaf.min, t.leaf.max, v)?;
    Ok(value.clone())
}

fn text(t: &Target<'_>, raw: &str) -> Result<Value, String> {
    let kind = t.leaf.kind;
    let value = match kind {
        Kind::Secret | Kind::Url => indirect(raw)?,
        _ => raw.to_owned(),
    };
    match kind {
        Kind::Duration => check::duration_within(t.key, t.leaf.longest, &value).map(drop)?,
        Kind::Url => {
            let schemes = if t.leaf.protocol_url { t.shape.schemes } else { &[] };
            check::url_with_schemes(t.shape.protocol, schemes, &value)?;
        }
        _ if !t.leaf.choices.is_empty() && !t.leaf.choices.contains(&value) => {
            let choices: Vec<&str> = t.leaf.choices.iter().map(String::as_str).collect();
            return Err(message::not_one_of(t.key, &value, &choices));
        }
        _ => {}
    }
    Ok(Value::String(value))
}

/// `file:/run/secrets/x` → the file's content without the trailing newline.
fn indirect(raw: &str) -> Result<String, String> {
    let Some(path) = raw.strip_prefix("file:") else {
        return Ok(raw.to_owned());
    };
    // A `file:` URL (`file:///x`) is a URL, not an indirection.
    if path.starts_with("//") {
        return Ok(raw.to_owned());
    }
    let content =
        std::fs::read_to_string(path).map_err(|e| format!("cannot read secret file `{path}`: {e}"))?;
    Ok(content
        .strip_suffix('\n')
        .map(|c| c.strip_suffix('\r').unwrap_or(c))
        .unwrap_or(&content)
        .to_owned())
}

/// How a found value is shown: never the text of a secret, of a URL, or of any key marked secret
/// (a secret map such as `headers`, given a string by mistake).
fn describe(leaf: &Leaf, value: &Value) -> String {
    match value {
        // `secret` holds for every `Kind::Secret` key and for secret maps (see `shape.rs`).
        Value::String(_) if leaf.secret || leaf.kind == Kind::Url => "a string".to_owned(),
        Value::String(s) => message::quoted(s),
        Value::Object(_) => "a table".to_owned(),
        Value::Array(_) => "a list".to_owned(),
        Value::Null => "nothing (null)".to_owned(),
        other => format!("`{other}`"),
    }
}

#[cfg(test)]
mod userinfo_tests {
    use super::*;

    fn leaf(kind: Kind, secret: bool) -> Leaf {
        Leaf {
            kind,
            min: None,
            max: None,
            longest: connfx_spec::MAX_DURATION,
            choices: Vec::new(),
            description: String::new(),
            default: None,
            secret,
            switch: false,
            protocol_url: false,
        }
    }

    /// Regression (loader fuzz target): a URL with a password in an integer key was echoed whole.
    #[test]
    fn a_url_in_a_key_of_another_kind_is_echoed_without_its_password() {
        let integer = leaf(Kind::Integer, false);
        let shown = describe(&integer, &Value::from("https://user:hunter2@127.0.0.1/x"));
        assert_eq!(shown, r#"`"https://[redacted]@127.0.0.1/x"`"#);
        assert_eq!(describe(&integer, &Value::from("abc")), r#"`"abc"`"#);
        assert_eq!(
            message::without_userinfo("http://h/a@b:p@c"),
            "http://[redacted]@c"
        );
    }

    /// A whole number too large for `i64` is out of the key's range, not "not a whole number".
    #[test]
    fn a_huge_whole_number_in_the_environment_is_out_of_range() {
        let shape = &Shape {
            protocol: "http",
            schemes: &[],
            schema: Value::Null,
            root: Default::default(),
        };
        let mut bounded = leaf(Kind::Integer, false);
        bounded.min = Some(1.0);
        bounded.max = Some(100.0);
        let t = Target {
            key: "max_attempts",
            leaf: &bounded,
            shape,
        };
        for raw in ["18446744073709551615", "99999999999999999999999"] {
            let err = from_env(&t, raw).unwrap_err();
            assert!(
                err.starts_with("`max_attempts` must be between 1 and 100, found"),
                "{err}"
            );
        }
        assert!(
            from_env(&t, "1x")
                .unwrap_err()
                .starts_with("expected a whole number")
        );
    }

    /// Regression (loader fuzz target, session 5): a secret map (`headers` of an OTLP
    /// connection) given a plain string in a file echoed the string, which was the secret.
    #[test]
    fn a_string_given_to_a_secret_map_is_not_echoed() {
        let headers = leaf(Kind::Map, true);
        assert_eq!(describe(&headers, &Value::from("hunter2")), "a string");
        assert_eq!(
            describe(&leaf(Kind::Map, false), &Value::from("plain")),
            r#"`"plain"`"#
        );
    }

    /// Regression (loader fuzz target, second run): durations, booleans and choices quote what
    /// they found through their own messages, and echoed the password there too.
    #[test]
    fn every_kind_error_hides_a_url_password() {
        let url = "https://user:hunter2@127.0.0.1";
        let errors = [
            check::duration(url).unwrap_err(),
            check::boolean(url).unwrap_err(),
            message::not_one_of("mode", url, &["wait", "reject"]),
        ];
        for error in errors {
            assert!(!error.contains("hunter2"), "{error}");
            assert!(error.contains("[redacted]"), "{error}");
        }
    }
}
