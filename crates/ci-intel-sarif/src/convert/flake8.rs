//! flake8's default text format: `path:line:col: CODE message`.

use std::sync::OnceLock;

use ci_intel_core::finding::Severity;
use ci_intel_core::sarif::ReportingDescriptor;
use regex::Regex;

use super::{Converted, Converter, ParseError, Sample, Span, finding};
use crate::source::{ColumnUnit, SourceTree};

#[derive(Debug)]
pub struct Flake8;

fn line_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]{1,3}\d{1,4}) (?P<msg>.*)$",
        )
        .unwrap_or_else(|e| {
            #[expect(clippy::unreachable, reason = "a literal regex, compiled by the tests")]
            {
                unreachable!("static regex: {e}")
            }
        })
    })
}

/// Syntax errors and undefined names (`E9,F63,F7,F82`, the selection flake8's documentation
/// gives for stopping a build) are errors; pycodestyle's style codes are notes; pyflakes and
/// plugin codes (bugbear, complexity, …) are warnings.
fn severity(code: &str) -> Severity {
    if ["E9", "F63", "F7", "F82"]
        .iter()
        .any(|p| code.starts_with(p))
    {
        Severity::Error
    } else if code.starts_with('E') || code.starts_with('W') {
        Severity::Note
    } else {
        Severity::Warning
    }
}

fn help_uri(code: &str) -> Option<&'static str> {
    if code.starts_with('F') {
        Some("https://flake8.pycqa.org/en/latest/user/error-codes.html")
    } else if code.starts_with('E') || code.starts_with('W') {
        Some("https://pycodestyle.pycqa.org/en/latest/intro.html#error-codes")
    } else if code.starts_with("C90") {
        Some("https://github.com/PyCQA/mccabe")
    } else {
        None
    }
}

impl Converter for Flake8 {
    fn id(&self) -> &'static str {
        "flake8"
    }

    fn produced_by(&self) -> &'static str {
        "flake8 (default format `path:line:col: CODE message`)"
    }

    fn detect(&self, s: &Sample<'_>) -> bool {
        s.json.is_none()
            && s.text
                .lines()
                .find(|l| !l.trim().is_empty())
                .is_some_and(|l| line_re().is_match(l))
    }

    fn convert(&self, text: &str, tree: &mut SourceTree) -> Result<Converted, ParseError> {
        let mut out = Converted::new("flake8", "https://flake8.pycqa.org");
        let mut skipped = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let Some(c) = line_re().captures(line) else {
                if !line.trim().is_empty() {
                    skipped.push(i + 1);
                }
                continue;
            };
            let code = &c["code"];
            let (Ok(row), Ok(col)) = (c["line"].parse::<u32>(), c["col"].parse::<u32>()) else {
                return Err(ParseError::at_line(
                    i + 1,
                    "line or column number out of range",
                ));
            };
            let sev = severity(code);
            out.rule(code, || {
                let uri = help_uri(code);
                ReportingDescriptor::new(
                    code,
                    format!("flake8 {code}"),
                    format!(
                        "flake8 reports {code}{}. To accept one occurrence, add `# noqa: {code}` on its line.",
                        uri.map(|u| format!(" (see {u})")).unwrap_or_default()
                    ),
                )
                .with_level(sev)
                .with_help_uri(uri.map(str::to_owned))
            });
            let span = Span {
                line: row,
                column: Some(col).filter(|&c| c >= 1),
                ..Span::default()
            };
            let f = finding(
                tree,
                "flake8",
                code,
                sev,
                c["msg"].to_owned(),
                &c["path"],
                span,
            );
            out.push(f);
        }
        if out.items.is_empty() && !skipped.is_empty() {
            return Err(ParseError::at_line(
                skipped[0],
                "expected flake8 output lines `path:line:col: CODE message`",
            ));
        }
        if !skipped.is_empty() {
            out.notes.push(format!(
                "skipped {} line(s) that are not flake8 results (first: line {}; --show-source or --statistics output?)",
                skipped.len(),
                skipped[0]
            ));
        }
        // pyflakes (F) and mccabe (C9) count in `ast`'s UTF-8 offsets, pycodestyle in characters.
        out.recount_columns(tree, |f| {
            if f.rule_id.starts_with('F') || f.rule_id.starts_with("C9") {
                ColumnUnit::Utf8Bytes
            } else {
                ColumnUnit::CodePoints
            }
        });
        Ok(out)
    }
}
