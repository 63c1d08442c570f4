//! The derive target's structure-aware input: a struct (or enum, tuple struct, generic struct)
//! whose `#[connections(...)]` and `#[connection(...)]` attributes hold token sequences built
//! from the real keys, policy groups and literals of every kind, with free text mixed in.

use arbitrary::Arbitrary;

const MAX_FIELDS: usize = 6;
const MAX_PIECES: usize = 40;
const MAX_DEPTH: usize = 4;

/// One fuzz case.
#[derive(Arbitrary, Debug)]
pub struct DeriveInputGen {
    shape: u8,
    container: Option<Vec<Piece>>,
    fields: Vec<FieldGen>,
}

#[derive(Arbitrary, Debug)]
struct FieldGen {
    name: u8,
    ty: u8,
    attrs: Vec<Vec<Piece>>,
    doc: bool,
}

#[derive(Arbitrary, Debug)]
enum Piece {
    Key(u16),
    Str(u8),
    Int(i64, u8),
    Float(f64),
    Bool(bool),
    Eq,
    Comma,
    Parens(Vec<Piece>),
    Brackets(Vec<Piece>),
    Punct(u8),
    Text(String),
}

const FIELD_NAMES: &[&str] = &[
    "payments",
    "orders",
    "cache",
    "r#type",
    "load_config",
    "health",
    "a",
    "payments_retry",
    "_x",
    "connect",
    "catalog",
    "feed",
];
const TYPES: &[&str] = &[
    "HttpConnection",
    "Option<HttpConnection>",
    "connfx::SqlConnection",
    "RedisConnection",
    "GraphqlConnection",
    "WebSocketConnection",
    "SseConnection",
    "OtlpConnection",
    "Option<OtlpConnection>",
    "MyAdapter",
    "Option<Option<HttpConnection>>",
    "Vec<u8>",
    "&'a str",
    "Option<>",
    "Option<MyAdapter>",
    "::std::option::Option<RedisConnection>",
    "[HttpConnection; 2]",
    "fn()",
    "T",
    "Box<dyn Fn()>",
];
const STRINGS: &[&str] = &[
    "",
    "http",
    "sql",
    "redis",
    "otlp",
    "websocket",
    "sse",
    "graphql",
    "myproto",
    "htp",
    "https://api.pay.example/v1",
    "http://127.0.0.1:1",
    "redis://127.0.0.1:6379/0",
    "postgres://u:pw@h/db",
    "sqlite::memory:",
    "ws://h/",
    "ftp://h/",
    "not a url",
    "10s",
    "250ms",
    "1m30s",
    "0s",
    "ten seconds",
    "99999999999999999h",
    "APP",
    "app",
    "A-B",
    "",
    "config/c.toml",
    "x.yaml",
    "Authorization",
    "Bearer t",
    "bad name",
    "grpc",
    "http/protobuf",
    "GET",
    "é",
    "\\u{0}",
    "500",
    "5xx",
];
const PUNCTS: &[&str] = &[
    "=", ",", ":", "::", ";", "#", "-", "!", ".", "..", "=>", "@", "$", "?",
];
const SUFFIXES: &[&str] = &["", "u8", "u32", "i64", "usize", "f64", "_000", "x"];
const SHAPES: &[&str] = &["struct", "enum", "tuple", "generic", "unit", "union"];

impl DeriveInputGen {
    /// The case as Rust source, `#[derive(Connections)]` on an item.
    pub fn source(&self, keys: &[&str]) -> String {
        let mut out = String::from("/// Doc.\n");
        if let Some(pieces) = &self.container {
            out += &format!("#[connections({})]\n", pieces_text(pieces, keys, 0));
        }
        let fields: Vec<String> = self
            .fields
            .iter()
            .take(MAX_FIELDS)
            .map(|f| f.source(keys))
            .collect();
        let shape = SHAPES[usize::from(self.shape) % SHAPES.len()];
        out += &match shape {
            "enum" => format!("enum Conns {{ A {{ {} }} }}", fields.join(",\n")),
            "tuple" => "struct Conns(HttpConnection);".to_owned(),
            "generic" => format!("struct Conns<T> {{ {} }}", fields.join(",\n")),
            "unit" => "struct Conns;".to_owned(),
            "union" => format!("union Conns {{ {} }}", fields.join(",\n")),
            _ => format!("pub struct Conns {{ {} }}", fields.join(",\n")),
        };
        out
    }
}

impl FieldGen {
    fn source(&self, keys: &[&str]) -> String {
        let mut out = String::new();
        if self.doc {
            out += "/// A connection.\n";
        }
        for pieces in self.attrs.iter().take(3) {
            out += &format!("#[connection({})]\n", pieces_text(pieces, keys, 0));
        }
        let name = FIELD_NAMES[usize::from(self.name) % FIELD_NAMES.len()];
        let ty = TYPES[usize::from(self.ty) % TYPES.len()];
        out + &format!("{name}: {ty}")
    }
}

fn pieces_text(pieces: &[Piece], keys: &[&str], depth: usize) -> String {
    pieces
        .iter()
        .take(MAX_PIECES)
        .map(|p| p.text(keys, depth))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Piece {
    fn text(&self, keys: &[&str], depth: usize) -> String {
        match self {
            Piece::Key(i) => keys[usize::from(*i) % keys.len()].to_owned(),
            Piece::Str(i) => format!("{:?}", STRINGS[usize::from(*i) % STRINGS.len()]),
            Piece::Int(n, s) => format!("{n}{}", SUFFIXES[usize::from(*s) % SUFFIXES.len()]),
            Piece::Float(x) if x.is_finite() => format!("{x:?}"),
            Piece::Float(_) => "1e999".to_owned(),
            Piece::Bool(b) => b.to_string(),
            Piece::Eq => "=".to_owned(),
            Piece::Comma => ",".to_owned(),
            Piece::Parens(inner) if depth < MAX_DEPTH => format!("({})", pieces_text(inner, keys, depth + 1)),
            Piece::Brackets(inner) if depth < MAX_DEPTH => {
                format!("[{}]", pieces_text(inner, keys, depth + 1))
            }
            Piece::Parens(_) | Piece::Brackets(_) => "()".to_owned(),
            Piece::Punct(i) => PUNCTS[usize::from(*i) % PUNCTS.len()].to_owned(),
            Piece::Text(t) => t.clone(),
        }
    }
}

/// Every key the derive knows (its own, every protocol's, every group's and their keys), and a
/// few near misses, for `Piece::Key`.
pub fn known_keys() -> Vec<&'static str> {
    let mut keys = vec![
        "env_prefix",
        "file",
        "deny_unknown_env",
        "protocol",
        "timeout",
        "headers",
        "max_atempts",
        "retyr",
        "circuit",
        "r#type",
        "self",
        "crate",
        "_",
        "connection",
        "connections",
    ];
    for protocol in connfx_spec::PROTOCOLS {
        keys.extend(protocol.keys.iter().map(|k| k.name));
        for group in protocol.groups {
            keys.push(group.name);
            keys.extend(group.keys.iter().map(|k| k.name));
        }
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}
