//! The grammar of `retry_on` (`"connect,timeout,429,5xx"`), read by the derive for literals and
//! by the runtime's retry policy for every source.

/// One entry of a `retry_on` text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// `connect`: the request never left.
    Connect,
    /// `timeout`.
    Timeout,
    /// `transport`: the connection broke after the request was sent.
    Transport,
    /// A status code, 100–599.
    Status(u16),
    /// A class such as `5xx`: its first code (`500`).
    Class(u16),
}

/// [`parse`]'s grammar as a JSON Schema `pattern` (ECMA-262), so a deployment file checked
/// against the schema holds a `retry_on` the loader reads: comma-separated entries, each
/// `connect`, `timeout`, `transport` (any case), a status code 100–599 (as `u16` parses it: an
/// optional `+` and leading zeros) or a class `1xx`–`5xx`; blanks around entries and empty
/// entries allowed.
///
/// ```
/// let re = connfx_spec::retry_on::PATTERN;
/// assert!(re.starts_with('^') && re.ends_with('$'));
/// ```
pub const PATTERN: &str = concat!(
    r"^\s*(?:(?:[cC][oO][nN][nN][eE][cC][tT]|[tT][iI][mM][eE][oO][uU][tT]|[tT][rR][aA][nN][sS][pP][oO][rR][tT]",
    r"|[1-5][xX][xX]|\+?0*[1-5][0-9][0-9])\s*)?",
    r"(?:,\s*(?:(?:[cC][oO][nN][nN][eE][cC][tT]|[tT][iI][mM][eE][oO][uU][tT]|[tT][rR][aA][nN][sS][pP][oO][rR][tT]",
    r"|[1-5][xX][xX]|\+?0*[1-5][0-9][0-9])\s*)?)*$",
);

/// Parses a comma-separated `retry_on` text; names are case-insensitive, blanks between entries
/// ignored, an empty text is no entry.
///
/// ```
/// use connfx_spec::retry_on::{parse, Entry};
/// assert_eq!(parse("Timeout, 503, 4xx"), Ok(vec![Entry::Timeout, Entry::Status(503), Entry::Class(400)]));
/// assert!(parse("connect,teapot").unwrap_err().contains("`\"teapot\"`"));
/// assert!(!parse("https://u:pw@h").unwrap_err().contains("pw"));
/// ```
///
/// # Errors
/// The message naming the first entry that is not understood.
pub fn parse(text: &str) -> Result<Vec<Entry>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|raw| entry(raw).ok_or_else(|| bad_entry(raw)))
        .collect()
}

fn entry(raw: &str) -> Option<Entry> {
    let lower = raw.to_ascii_lowercase();
    Some(match lower.as_str() {
        "connect" => Entry::Connect,
        "timeout" => Entry::Timeout,
        "transport" => Entry::Transport,
        class if class.len() == 3 && class.ends_with("xx") => {
            let hundreds = class[..1].parse::<u16>().ok().filter(|h| (1..=5).contains(h))?;
            Entry::Class(hundreds * 100)
        }
        code => Entry::Status(code.parse::<u16>().ok().filter(|c| (100..=599).contains(c))?),
    })
}

/// Quotes the entry through [`crate::message::quoted`]: an entry may be anything a variable held,
/// a URL with a password included (the loader fuzz target found that one echoed here).
fn bad_entry(entry: &str) -> String {
    format!(
        "`retry_on` entry {} is not `connect`, `timeout`, `transport`, a status code (100-599) \
         or a class such as `5xx`",
        crate::message::quoted(entry)
    )
}
