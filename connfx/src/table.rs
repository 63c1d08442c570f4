//! Aligned text tables for people: each column padded to its widest cell, columns two spaces
//! apart, the last one unpadded. Cells may carry a [`Paint`], written as ANSI escape codes only
//! when colour is asked for, so the widths are those of the text alone.

use std::fmt::Write;

/// How a cell (or a line) is drawn in colour; ignored without colour.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Paint {
    /// As is.
    #[default]
    Plain,
    Bold,
    Dim,
    Green,
    Yellow,
    Red,
}

impl Paint {
    fn code(self) -> &'static str {
        match self {
            Paint::Plain => "",
            Paint::Bold => "\x1b[1m",
            Paint::Dim => "\x1b[2m",
            Paint::Green => "\x1b[32m",
            Paint::Yellow => "\x1b[33m",
            Paint::Red => "\x1b[31m",
        }
    }

    /// `text` in this paint when `color`, else `text` unchanged.
    pub(crate) fn apply(self, text: &str, color: bool) -> String {
        if color && self != Paint::Plain {
            format!("{}{text}\x1b[0m", self.code())
        } else {
            text.to_owned()
        }
    }
}

/// A table: a header and rows of painted cells, all of the header's length.
#[derive(Debug)]
pub(crate) struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<(String, Paint)>>,
}

impl Table {
    pub(crate) fn new(header: &[&'static str]) -> Self {
        Table {
            header: header.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds a row whose cells each have their own paint.
    pub(crate) fn painted_row(&mut self, cells: impl IntoIterator<Item = (String, Paint)>) {
        self.rows.push(cells.into_iter().collect());
    }

    /// The table as lines, each ending in `\n`; the header bold when `color`.
    pub(crate) fn render(&self, color: bool) -> String {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (width, (cell, _)) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let header = self.header.iter().map(|h| ((*h).to_owned(), Paint::Bold));
        let mut out = String::new();
        line(&mut out, &header.collect::<Vec<_>>(), &widths, color);
        for row in &self.rows {
            line(&mut out, row, &widths, color);
        }
        out
    }
}

/// One line: cells padded to `widths` (the last not at all), painted, trailing spaces dropped.
fn line(out: &mut String, cells: &[(String, Paint)], widths: &[usize], color: bool) {
    let last = cells.iter().rposition(|(c, _)| !c.is_empty()).unwrap_or(0);
    for (i, ((cell, paint), width)) in cells.iter().zip(widths).enumerate().take(last + 1) {
        let pad = if i == last {
            0
        } else {
            width - cell.chars().count() + 2
        };
        let _ = write!(out, "{}{:pad$}", paint.apply(cell, color), "");
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let mut t = Table::new(&["NAME", "STATE", "NOTE"]);
        t.painted_row(["payments", "ready", ""].map(|c| (c.to_owned(), Paint::Plain)));
        t.painted_row([
            ("db".to_owned(), Paint::Plain),
            ("error".to_owned(), Paint::Red),
            ("refused".to_owned(), Paint::Plain),
        ]);
        t
    }

    #[test]
    fn aligns_columns_and_drops_trailing_space() {
        assert_eq!(
            table().render(false),
            "NAME      STATE  NOTE\npayments  ready\ndb        error  refused\n"
        );
    }

    #[test]
    fn colour_wraps_cells_without_moving_the_columns() {
        let text = table().render(true);
        assert!(text.contains("\x1b[31merror\x1b[0m  refused"), "{text:?}");
        assert!(
            text.starts_with("\x1b[1mNAME\x1b[0m      \x1b[1mSTATE"),
            "{text:?}"
        );
    }
}
