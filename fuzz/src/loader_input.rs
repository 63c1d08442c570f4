//! The loader target's structure-aware input: environment variables named mostly from the real
//! key set, config files built from the same paths, and values drawn from strings that reach the
//! checks (durations, bounds, URLs with passwords, header maps, `file:` secrets).
//!
//! Every secret put into the input is a unique marker (`SeKrEt<n>Q`) recorded in
//! [`Rendered::secrets`] when it stands where connfx must treat it as secret: the value of a
//! secret key, a URL's password, or a credential header's value in a map key. Free text from the
//! fuzzer has the marker's spelling removed, so a marker seen in an error was a real secret.

use std::path::{Path, PathBuf};

use arbitrary::Arbitrary;
use serde_json::{Map, Value};

/// The spelling every secret marker starts with.
pub const SECRET_MARK: &str = "SeKrEt";

/// How many variables and files one case uses at most (longer inputs are cut).
const MAX_ENV: usize = 32;
const MAX_FILES: usize = 3;
const MAX_FILE_ENTRIES: usize = 24;

/// One variable the loader reads: its name, config path, and whether it is a secret or a map.
#[derive(Clone, Debug)]
pub struct Key {
    pub name: String,
    pub path: String,
    pub secret: bool,
    pub map: bool,
}

/// The struct's variables, from `Conns::env_vars()`.
#[derive(Debug)]
pub struct Keys {
    prefix: String,
    keys: Vec<Key>,
}

impl Keys {
    /// `vars` as `(name, path, kind, secret)`, from `connfx::EnvVar`.
    pub fn new(
        prefix: &str,
        vars: impl IntoIterator<Item = (String, String, connfx_spec::Kind, bool)>,
    ) -> Self {
        let keys = vars
            .into_iter()
            .map(|(name, path, kind, secret)| Key {
                name,
                path,
                secret: secret || kind == connfx_spec::Kind::Secret,
                map: kind == connfx_spec::Kind::Map,
            })
            .collect();
        Keys {
            prefix: prefix.to_owned(),
            keys,
        }
    }

    fn pick(&self, index: u16) -> &Key {
        &self.keys[usize::from(index) % self.keys.len()]
    }
}

/// One fuzz case.
#[derive(Arbitrary, Debug)]
pub struct LoaderInput {
    env: Vec<EnvEntry>,
    files: Vec<FileInput>,
}

#[derive(Arbitrary, Debug)]
struct EnvEntry {
    name: Name,
    value: ValueGen,
}

#[derive(Arbitrary, Debug)]
enum Name {
    /// A real variable.
    Known(u16),
    /// A real variable with one edit: a typo the loader should catch and explain.
    Typo { key: u16, at: u8, op: u8 },
    /// The prefix and free text.
    Prefixed(String),
    /// Any name at all.
    Raw(String),
    /// `FZ_CONFIG_FILE` naming one of the case's files (or one that does not exist).
    ConfigFile(u8),
}

#[derive(Arbitrary, Debug)]
enum ValueGen {
    Interesting(u8),
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Duration {
        amount: u32,
        unit: u8,
    },
    /// The marker as the whole value.
    Secret,
    /// An URL with user-info whose password is a marker.
    UrlWithPassword {
        scheme: u8,
        host: u8,
        port: Option<u32>,
        path: u8,
        junk: Option<u8>,
    },
    /// A JSON object of headers; credential headers carry a marker.
    Headers(Vec<(u8, bool)>),
    /// `file:<path>` of a file holding a marker (a secret given indirectly).
    SecretFile,
    /// Only in files: a list, or an explicit null.
    List(Vec<u8>),
    Null,
}

#[derive(Arbitrary, Debug)]
struct FileInput {
    format: u8,
    entries: Vec<FileEntry>,
    /// A line of junk inserted at this line, to reach the parsers' error paths.
    junk: Option<(u16, u8)>,
    /// Free text instead of the rendered entries.
    raw: Option<String>,
}

#[derive(Arbitrary, Debug)]
struct FileEntry {
    path: PathGen,
    value: ValueGen,
}

#[derive(Arbitrary, Debug)]
enum PathGen {
    Known(u16),
    /// A real path with one more or one changed last segment.
    Extended(u16, String),
    /// The parent group of a real path (a table where a value may be expected, or the reverse).
    Parent(u16),
    Raw(String),
}

/// A file of the case, to be written before the load.
#[derive(Debug)]
pub struct FileOut {
    pub path: PathBuf,
    pub text: String,
}

/// The case in concrete form.
#[derive(Debug)]
pub struct Rendered {
    /// The environment, in order (later names win).
    pub env: Vec<(String, String)>,
    /// The files given to `Sources::file`, in order.
    pub files: Vec<FileOut>,
    /// Files a value points at (`file:` secrets, the config-file variable's target).
    pub side_files: Vec<FileOut>,
    /// Every file path an issue may name.
    pub known_paths: Vec<PathBuf>,
    /// Every marker that must never be shown.
    pub secrets: Vec<String>,
    /// Markers made so far, secret or not (each one's number is unique in the case).
    markers: usize,
}

impl Rendered {
    /// Writes the case's files under `dir` (removing what an earlier case left that this one
    /// names as missing) and gives its sources: the files in order, then the environment.
    pub fn write(&self, dir: &Path) -> connfx::Sources {
        let _ = std::fs::remove_file(dir.join("missing.toml"));
        for file in self.files.iter().chain(&self.side_files) {
            std::fs::write(&file.path, &file.text).expect("write scratch file");
        }
        self.files
            .iter()
            .fold(connfx::Sources::new(), |s, f| s.file(&f.path))
            .env_map(self.env.iter().cloned())
    }
}

const INTERESTING: &[&str] = &[
    "",
    " ",
    "0",
    "1",
    "-1",
    "2",
    "3",
    "5",
    "100",
    "101",
    "65536",
    "4294967296",
    "18446744073709551616",
    "true",
    "false",
    "yes",
    "TRUE",
    "0.0",
    "0.5",
    "1.0",
    "1.5",
    "2.0",
    "-0.1",
    "NaN",
    "inf",
    "-inf",
    "1e309",
    "250ms",
    "30s",
    "1m30s",
    "0s",
    "0ms",
    "1ns",
    "99999999999999h",
    "10 s",
    "s",
    "http://127.0.0.1:1",
    "https://api.example/v1",
    "http://[::1]:8080/",
    "ftp://h/",
    "sqlite::memory:",
    "sqlite:",
    "postgres://u@127.0.0.1/db",
    "mysql://root@127.0.0.1/test",
    "redis://127.0.0.1:6379/0",
    "rediss://h:1/2",
    "unix:///tmp/s",
    "ws://127.0.0.1:1/feed",
    "wss://h/",
    "grpc",
    "http/protobuf",
    "http",
    "sql",
    "{}",
    "[]",
    r#"{"a":"b"}"#,
    r#"{"a":1}"#,
    r#"{"a":null}"#,
    "null",
    "file:",
    "file:/nonexistent/x",
    "\u{0}",
    "é",
    "\n",
    "\t",
    "GET",
    "POST",
    "503",
    "500",
    "600",
    "99",
    "x-api-key",
    "://",
    "http://",
    "http://h:99999",
    "http://u@",
    "%zz",
    "a b",
    // The edges the loader's longest duration and the integer kinds meet (`connect` target).
    "1year",
    "8760h",
    "365days",
    "1year 1s",
    "18446744073709551615s",
    "18446744073709551615",
    "9223372036854775807",
    "4294967295",
    "1e-9",
    "0.000001",
];

const SCHEMES: &[&str] = &[
    "https", "http", "postgres", "mysql", "redis", "rediss", "ws", "wss", "sqlite", "grpc", "",
];
const HOSTS: &[&str] = &["127.0.0.1", "api.example", "[::1]", "", "ho st", "h%zz", "[::1"];
const URL_PATHS: &[&str] = &["", "/", "/v1", "/0", "/test", "/a b", "?q=1", "#f"];
const HEADER_NAMES: &[&str] = &[
    "Authorization",
    "X-Api-Key",
    "Cookie",
    "X-Auth-Token",
    "x-honeycomb-team",
    "X-Client",
    "Accept",
    "",
    "bad name",
    "Proxy-Authorization",
];
/// Lines that break a file's syntax without turning the lines around them into other values.
const JUNK_LINES: &[&str] = &[
    "]]", "= = =", "{", "}", "@@@", ":::", "[[", "<<", "%%%", "[a.b", ",,",
];
const FORMATS: &[&str] = &["toml", "yaml", "json", "yml", "ini"];

impl LoaderInput {
    /// The case as an environment, files and the secrets they hold, with files under `dir`.
    pub fn render(&self, keys: &Keys, dir: &Path) -> Rendered {
        let mut out = Rendered {
            env: Vec::new(),
            files: Vec::new(),
            side_files: Vec::new(),
            known_paths: Vec::new(),
            secrets: Vec::new(),
            markers: 0,
        };
        let file_count = self.files.len().min(MAX_FILES);
        for (i, file) in self.files.iter().take(MAX_FILES).enumerate() {
            let format = FORMATS[usize::from(file.format) % FORMATS.len()];
            let path = dir.join(format!("f{i}.{format}"));
            let text = file.render(keys, format, dir, &mut out);
            out.known_paths.push(path.clone());
            out.files.push(FileOut { path, text });
        }
        for entry in self.env.iter().take(MAX_ENV) {
            let (name, value) = match &entry.name {
                Name::ConfigFile(i) => {
                    let path = match usize::from(*i) {
                        i if i < file_count => out.files[i].path.clone(),
                        _ => dir.join("missing.toml"),
                    };
                    out.known_paths.push(path.clone());
                    (format!("{}_CONFIG_FILE", keys.prefix), path.display().to_string())
                }
                name => {
                    let (name, key) = name.render(keys);
                    let value = entry.value.render_env(key.as_ref(), dir, &mut out);
                    (name, value)
                }
            };
            out.env.push((name, value));
        }
        out
    }
}

impl Name {
    /// The name, and the real key it names (which decides whether its value is secret).
    fn render(&self, keys: &Keys) -> (String, Option<Key>) {
        match self {
            Name::Known(i) => {
                let key = keys.pick(*i);
                (key.name.clone(), Some(key.clone()))
            }
            Name::Typo { key, at, op } => (typo(&keys.pick(*key).name, *at, *op), None),
            Name::Prefixed(rest) => (format!("{}_{}", keys.prefix, clean(rest)), None),
            Name::Raw(name) => (clean(name), None),
            Name::ConfigFile(_) => unreachable!("handled by the caller"),
        }
    }
}

/// `name` with one character removed, doubled, or replaced; the result may still be a real name
/// (a typo back into another key), which the loader must then accept.
fn typo(name: &str, at: u8, op: u8) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    let i = usize::from(at) % chars.len().max(1);
    match op % 3 {
        0 if !chars.is_empty() => {
            chars.remove(i);
        }
        1 if !chars.is_empty() => chars.insert(i, chars[i]),
        _ => chars.insert(i, char::from(b'A' + op % 26)),
    }
    chars.into_iter().collect()
}

/// Free text without the marker's spelling, so it cannot fake a secret.
fn clean(text: &str) -> String {
    text.replace(SECRET_MARK, "sekret")
}

impl ValueGen {
    /// The value as an environment variable's text.
    fn render_env(&self, key: Option<&Key>, dir: &Path, out: &mut Rendered) -> String {
        match self.render(key, dir, out) {
            Value::String(s) => s,
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }

    /// The value as a file holds it.
    fn render(&self, key: Option<&Key>, dir: &Path, out: &mut Rendered) -> Value {
        let secret_key = key.is_some_and(|k| k.secret);
        let map_key = key.is_some_and(|k| k.map);
        match self {
            ValueGen::Interesting(i) => Value::from(INTERESTING[usize::from(*i) % INTERESTING.len()]),
            ValueGen::Text(s) => Value::from(clean(s)),
            ValueGen::Int(n) => Value::from(*n),
            ValueGen::Float(x) => Value::from(*x),
            ValueGen::Bool(b) => Value::from(*b),
            ValueGen::Duration { amount, unit } => {
                let units = ["ms", "s", "m", "h", "d", "us", "ns", "", "sec", "w"];
                Value::from(format!("{amount}{}", units[usize::from(*unit) % units.len()]))
            }
            ValueGen::Secret => Value::from(marker(out, secret_key)),
            ValueGen::UrlWithPassword {
                scheme,
                host,
                port,
                path,
                junk,
            } => {
                let scheme = SCHEMES[usize::from(*scheme) % SCHEMES.len()];
                let host = HOSTS[usize::from(*host) % HOSTS.len()];
                let path = URL_PATHS[usize::from(*path) % URL_PATHS.len()];
                let port = port.map(|p| format!(":{p}")).unwrap_or_default();
                let password = marker(out, true);
                let junk = junk
                    .map(|j| ["", " ", "%", "@", ":", "\n"][usize::from(j) % 6])
                    .unwrap_or("");
                Value::from(format!("{scheme}://user:{password}{junk}@{host}{port}{path}"))
            }
            ValueGen::Headers(entries) => {
                let mut map = Map::new();
                for (name, carries_secret) in entries {
                    let name = HEADER_NAMES[usize::from(*name) % HEADER_NAMES.len()];
                    let credential = map_key && (secret_key || connfx::Headers::is_sensitive(name));
                    let value = if *carries_secret {
                        format!("Bearer {}", marker(out, credential))
                    } else {
                        "plain".to_owned()
                    };
                    map.insert(name.to_owned(), Value::from(value));
                }
                Value::Object(map)
            }
            ValueGen::SecretFile => {
                let secret = marker(out, secret_key);
                let path = dir.join(format!("secret{}", out.side_files.len()));
                out.side_files.push(FileOut {
                    path: path.clone(),
                    text: format!("{secret}\n"),
                });
                Value::from(format!("file:{}", path.display()))
            }
            ValueGen::List(items) => Value::from(
                items
                    .iter()
                    .map(|i| Value::from(INTERESTING[usize::from(*i) % INTERESTING.len()]))
                    .collect::<Vec<_>>(),
            ),
            ValueGen::Null => Value::Null,
        }
    }
}

/// A fresh marker, recorded as secret when `secret`.
fn marker(out: &mut Rendered, secret: bool) -> String {
    // The closing `Q` keeps one marker from being a prefix of another (`…1Q`, `…11Q`).
    let text = format!("{SECRET_MARK}{}Q", out.markers);
    out.markers += 1;
    if secret {
        out.secrets.push(text.clone());
    }
    text
}

impl FileInput {
    fn render(&self, keys: &Keys, format: &str, dir: &Path, out: &mut Rendered) -> String {
        if let Some(raw) = &self.raw {
            return clean(raw);
        }
        let mut tree = Map::new();
        for entry in self.entries.iter().take(MAX_FILE_ENTRIES) {
            let (segments, key) = entry.path.render(keys);
            let value = entry.value.render(key.as_ref(), dir, out);
            insert(&mut tree, &segments, value);
        }
        let tree = Value::Object(tree);
        let text = match format {
            "toml" => toml::to_string(&tree).unwrap_or_default(),
            "yaml" | "yml" => serde_yaml_ng::to_string(&tree).unwrap_or_default(),
            _ => serde_json::to_string_pretty(&tree).unwrap_or_default(),
        };
        match self.junk {
            Some((line, junk)) => insert_line(
                &text,
                usize::from(line),
                JUNK_LINES[usize::from(junk) % JUNK_LINES.len()],
            ),
            None => text,
        }
    }
}

impl PathGen {
    /// The path's segments, and the real key it names.
    fn render(&self, keys: &Keys) -> (Vec<String>, Option<Key>) {
        let split = |p: &str| p.split('.').map(str::to_owned).collect::<Vec<_>>();
        match self {
            PathGen::Known(i) => {
                let key = keys.pick(*i);
                (split(&key.path), Some(key.clone()))
            }
            PathGen::Extended(i, extra) => {
                let mut segments = split(&keys.pick(*i).path);
                segments.push(clean(extra));
                (segments, None)
            }
            PathGen::Parent(i) => {
                let mut segments = split(&keys.pick(*i).path);
                segments.pop();
                (segments, None)
            }
            PathGen::Raw(raw) => (split(&clean(raw)), None),
        }
    }
}

/// Sets `segments` in `tree`, replacing whatever is in the way with tables.
fn insert(tree: &mut Map<String, Value>, segments: &[String], value: Value) {
    let Some((last, parents)) = segments.split_last() else {
        return;
    };
    let mut table = tree;
    for segment in parents {
        let slot = table
            .entry(segment.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(inner) = slot else {
            return;
        };
        table = inner;
    }
    table.insert(last.clone(), value);
}

fn insert_line(text: &str, at: usize, junk: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    let at = at % (lines.len() + 1);
    lines.insert(at, junk);
    lines.join("\n") + "\n"
}
