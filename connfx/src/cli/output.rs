//! Where a command writes: the writer, the format and whether to colour; the pieces more than
//! one command prints (a JSON document, the problems of an invalid configuration).

use std::io::{self, Write};

use serde::Serialize;

use super::{Format, Outcome};
use crate::config::{ConfigError, ConfigIssue};
use crate::table::Paint;

/// A command's output.
pub(crate) struct Output<'w> {
    writer: &'w mut (dyn Write + Send),
    pub(crate) format: Format,
    pub(crate) color: bool,
}

impl<'w> Output<'w> {
    pub(crate) fn new(writer: &'w mut (dyn Write + Send), format: Format, color: bool) -> Self {
        Output {
            writer,
            format,
            color,
        }
    }

    /// `text` and a newline.
    pub(crate) fn line(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.writer, "{text}")
    }

    /// `text` as is (a rendered table ends in its own newline).
    pub(crate) fn text(&mut self, text: &str) -> io::Result<()> {
        self.writer.write_all(text.as_bytes())
    }

    /// `text` in `paint` when colouring.
    pub(crate) fn paint(&self, paint: Paint, text: &str) -> String {
        paint.apply(text, self.color)
    }

    /// `value` as one JSON document on one line.
    pub(crate) fn json(&mut self, value: &impl Serialize) -> io::Result<()> {
        serde_json::to_writer(&mut *self.writer, value)?;
        writeln!(self.writer)
    }

    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }

    /// The problems of a load that failed: one per line and a summary, or, in JSON,
    /// `{"set", "valid": false, "issues": [...]}`. Always [`Outcome::Invalid`].
    pub(crate) fn invalid(&mut self, set: &str, error: &ConfigError) -> io::Result<Outcome> {
        if self.format == Format::Json {
            self.json(&Invalid {
                set,
                valid: false,
                issues: error.issues(),
            })?;
            return Ok(Outcome::Invalid);
        }
        for issue in error.issues() {
            let line = self.issue(issue);
            self.line(&line)?;
        }
        let n = error.issues().len();
        let plural = if n == 1 { "" } else { "s" };
        let summary = format!("invalid: {n} problem{plural} in the configuration of `{set}`");
        let summary = self.paint(Paint::Red, &summary);
        self.line(&summary)?;
        Ok(Outcome::Invalid)
    }

    /// An issue as its `Display` has it, with the path in bold when colouring.
    fn issue(&self, issue: &ConfigIssue) -> String {
        let text = issue.to_string();
        match text.strip_prefix(issue.path()) {
            Some(rest) if self.color && !issue.path().is_empty() => {
                format!("{}{rest}", self.paint(Paint::Bold, issue.path()))
            }
            _ => text,
        }
    }
}

#[derive(Serialize)]
struct Invalid<'a> {
    set: &'a str,
    valid: bool,
    issues: &'a [ConfigIssue],
}
