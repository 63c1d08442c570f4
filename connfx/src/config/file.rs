//! Reading config files: TOML, YAML or JSON by extension, into one JSON-like tree.
//!
//! Parser messages are reduced to the problem and its line and column: some parsers quote the
//! offending line, and that line may hold a secret.

use std::path::Path;

use connfx_spec::message::Syntax;
use serde_json::Value;

/// Reads and parses one file. `Ok(None)` when an optional file does not exist.
pub(crate) fn read(path: &Path, required: bool) -> Result<Option<Value>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err("file not found".to_owned()),
        Err(e) => return Err(format!("cannot read the file: {e}")),
    };
    parse(path, &text).map(Some)
}

/// Parses `text` in the format named by `path`'s extension.
pub(crate) fn parse(path: &Path, text: &str) -> Result<Value, String> {
    let value = match Syntax::of_config_file(path) {
        Some(Syntax::Toml) => toml::from_str::<Value>(text).map_err(|e| toml_message(&e, text))?,
        Some(Syntax::Yaml) => yaml(text)?,
        Some(Syntax::Json) => serde_json::from_str::<Value>(text).map_err(|e| {
            format!(
                "not valid JSON: {:?} error at line {} column {}",
                e.classify(),
                e.line(),
                e.column()
            )
        })?,
        Some(Syntax::Attribute | Syntax::Env) | None => {
            let other = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
            return Err(format!(
                "unknown config file format `.{}`; expected `.toml`, `.yaml`, `.yml` or `.json`",
                other.to_ascii_lowercase()
            ));
        }
    };
    match value {
        Value::Object(_) => Ok(value),
        _ => Err("expected a table of connections at the top of the file".to_owned()),
    }
}

fn toml_message(e: &toml::de::Error, text: &str) -> String {
    let (line, column) = e.span().map(|s| line_column(text, s.start)).unwrap_or((0, 0));
    format!(
        "not valid TOML: {} at line {line} column {column}",
        e.message().trim_end()
    )
}

fn yaml(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    serde_yaml_ng::from_str::<Value>(text).map_err(|e| match e.location() {
        Some(at) => format!("not valid YAML at line {} column {}", at.line(), at.column()),
        None => "not valid YAML".to_owned(),
    })
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}
