//! Errors shared by every analyzer.
//!
//! Two tiers, as nextest does it: an [`InputError`] is the user's problem (a file we could not
//! read or understand) and maps to exit code 2 with a message naming the file, the line and what
//! was expected; anything else is a bug and is reported as such by the binary.

use std::fmt;
use std::path::{Path, PathBuf};

/// Process exit codes, the contract every command keeps.
pub mod exit {
    /// Every gate allowed (or warned).
    pub const PASS: i32 = 0;
    /// At least one gate denied.
    pub const GATE_DENIED: i32 = 1;
    /// Bad usage or unreadable input.
    pub const BAD_INPUT: i32 = 2;
}

/// A position inside an input file (1-based line and column).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Position {
    pub line: u64,
    pub column: Option<u64>,
}

impl Position {
    pub fn line(line: u64) -> Self {
        Self { line, column: None }
    }

    pub fn at(line: u64, column: u64) -> Self {
        Self {
            line,
            column: Some(column),
        }
    }
}

/// An input we could not read or understand.
///
/// Rendered as `PATH:LINE:COL: MESSAGE`, the form editors and CI log viewers link to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub path: PathBuf,
    pub position: Option<Position>,
    pub message: String,
}

impl InputError {
    pub fn new(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            position: None,
            message: message.into(),
        }
    }

    pub fn at(path: impl Into<PathBuf>, position: Position, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            position: Some(position),
            message: message.into(),
        }
    }

    /// An error at byte `offset` of `text` (line and column), or about the whole file when the
    /// parser named no place (what TOML and JSON parsers give).
    pub fn at_offset(
        path: impl Into<PathBuf>,
        text: &[u8],
        offset: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        match offset {
            Some(o) => Self::at(path, position_of_offset(text, o), message),
            None => Self::new(path, message),
        }
    }

    /// A library error about `path`, its sources `: `-joined into the message.
    pub fn caused(path: impl Into<PathBuf>, err: &dyn std::error::Error) -> Self {
        Self::new(path, chain(err))
    }

    /// An I/O failure while reading `path`.
    pub fn io(path: &Path, err: &std::io::Error) -> Self {
        Self::new(path, format!("cannot read file: {err}"))
    }

    /// JSON that does not parse as `expected` ("a package-lock.json"), at the parser's line
    /// and column.
    pub fn json(path: impl Into<PathBuf>, err: &serde_json::Error, expected: &str) -> Self {
        Self::at(
            path,
            Position::at(err.line() as u64, err.column() as u64),
            format!("expected {expected}: {err}"),
        )
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(pos) = self.position {
            write!(f, ":{}", pos.line)?;
            if let Some(col) = pos.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for InputError {}

/// Several input errors at once (e.g. every invalid line of an NDJSON file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputErrors(pub Vec<InputError>);

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputErrors {}

/// Converts a byte offset into a 1-based (line, column) inside `text`.
pub fn position_of_offset(text: &[u8], offset: usize) -> Position {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = memchr::memchr_iter(b'\n', before).count() as u64 + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count() as u64
        + 1;
    Position::at(line, column)
}

/// An error and every source below it, `: `-joined: one line for a log, an API answer or an
/// input error's message.
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        out.push_str(": ");
        out.push_str(&e.to_string());
        cur = e.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_path_line_and_column() {
        let e = InputError::at("a/b.xml", Position::at(3, 7), "expected `>`");
        assert_eq!(e.to_string(), "a/b.xml:3:7: expected `>`");
        let e = InputError::new("a/b.xml", "empty file");
        assert_eq!(e.to_string(), "a/b.xml: empty file");
    }

    #[test]
    fn offsets_map_to_lines_and_columns() {
        let text = b"ab\ncd\n\xc3\xa9x";
        assert_eq!(position_of_offset(text, 0), Position::at(1, 1));
        assert_eq!(position_of_offset(text, 4), Position::at(2, 2));
        assert_eq!(position_of_offset(text, 8), Position::at(3, 2));
        assert_eq!(position_of_offset(text, 999), Position::at(3, 3));
    }
}
