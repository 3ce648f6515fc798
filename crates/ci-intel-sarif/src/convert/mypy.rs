//! mypy's text output (`path:line[:col[:end_line:end_col]]: error: message  [code]`) and its
//! JSON lines (`mypy -O json`). Notes that follow an error explain it and join its message.

use std::sync::OnceLock;

use ci_intel_core::finding::Severity;
use ci_intel_core::sarif::ReportingDescriptor;
use regex::Regex;
use serde::Deserialize;

use super::{
    Converted, Converter, ParseError, Sample, Span, finding, from_zero_based, one_based,
    parse_json_lines,
};
use crate::source::{ColumnUnit, SourceTree};

#[derive(Debug)]
pub struct Mypy;

const DOCS: &str = "https://mypy.readthedocs.io/en/stable/error_code_list.html";

fn line_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"^(?P<path>.+?):(?:(?P<line>\d+):(?:(?P<col>\d+):(?:(?P<eline>\d+):(?P<ecol>\d+):)?)?)? (?P<sev>error|warning|note): (?P<msg>.*?)(?:  \[(?P<code>[a-z0-9-]+)\])?$",
        )
        .unwrap_or_else(|e| {
            #[expect(clippy::unreachable, reason = "a literal regex, compiled by the tests")]
            {
                unreachable!("static regex: {e}")
            }
        })
    })
}

/// `mypy -O json`: 0-based columns, the end exclusive.
#[derive(Deserialize)]
struct JsonMessage {
    file: String,
    line: Option<i64>,
    column: Option<i64>,
    end_line: Option<i64>,
    end_column: Option<i64>,
    message: String,
    hint: Option<String>,
    code: Option<String>,
    severity: String,
}

fn severity(word: &str) -> Severity {
    match word {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        _ => Severity::Note,
    }
}

fn add_rule(out: &mut Converted, code: &str, sev: Severity) {
    out.rule(code, || {
        let help = if code == "note" {
            "A note mypy printed on its own (not attached to an error).".to_owned()
        } else {
            format!(
                "mypy reports error code `{code}` (see {DOCS} and error_code_list2.html for optional codes). \
                 To accept one occurrence, add `# type: ignore[{code}]` on its line."
            )
        };
        ReportingDescriptor::new(code, format!("mypy {code}"), help)
            .with_level(sev)
            .with_help_uri(Some(DOCS.to_owned()))
    });
}

fn line_of(v: Option<i64>) -> u32 {
    v.and_then(|l| u32::try_from(l).ok()).unwrap_or(1)
}

impl Mypy {
    fn convert_json(text: &str, tree: &mut SourceTree) -> Result<Converted, ParseError> {
        let (lines, skipped) = parse_json_lines::<JsonMessage>(text, "mypy JSON output")?;
        let mut out = Converted::new("mypy", "https://mypy-lang.org");
        for (_, m) in lines {
            let sev = severity(&m.severity);
            let code = m.code.unwrap_or_else(|| m.severity.clone());
            add_rule(&mut out, &code, sev);
            let mut message = m.message;
            if let Some(h) = m.hint.filter(|h| !h.is_empty()) {
                message = format!("{message}\n{h}");
            }
            let span = Span {
                line: line_of(m.line),
                column: from_zero_based(m.column),
                end_line: one_based(m.end_line),
                end_column: from_zero_based(m.end_column),
            };
            let f = finding(tree, "mypy", &code, sev, message, &m.file, span);
            out.push(f);
        }
        if skipped > 0 {
            out.notes
                .push(format!("skipped {skipped} line(s) that are not mypy JSON"));
        }
        out.recount_columns(tree, |_| ColumnUnit::Utf8Bytes);
        Ok(out)
    }
}

impl Converter for Mypy {
    fn id(&self) -> &'static str {
        "mypy"
    }

    fn produced_by(&self) -> &'static str {
        "mypy (text output, or -O json)"
    }

    fn detect(&self, s: &Sample<'_>) -> bool {
        if let Some(first) = &s.first_line_json {
            return ["file", "line", "message", "severity"]
                .iter()
                .all(|k| first.get(*k).is_some());
        }
        s.json.is_none()
            && s.text
                .lines()
                .next()
                .is_some_and(|l| line_re().is_match(l) || l.starts_with("Success: "))
    }

    fn convert(&self, text: &str, tree: &mut SourceTree) -> Result<Converted, ParseError> {
        if text.trim_start().starts_with('{') {
            return Self::convert_json(text, tree);
        }
        let mut out = Converted::new("mypy", "https://mypy-lang.org");
        let mut skipped = Vec::new();
        // The path and line of the last error, so notes right after it join its message.
        let mut last: Option<(String, u32)> = None;
        for (i, line) in text.lines().enumerate() {
            let Some(c) = line_re().captures(line) else {
                let summary = line.starts_with("Found ")
                    || line.starts_with("Success: ")
                    || line.starts_with(' ')
                    || line.trim().is_empty();
                if !summary {
                    skipped.push(i + 1);
                }
                continue;
            };
            let num = |k: &str| c.name(k).and_then(|m| m.as_str().parse::<u32>().ok());
            let path = tree.relativize(&c["path"]);
            let row = num("line").unwrap_or(1);
            let sev = severity(&c["sev"]);
            if sev == Severity::Note
                && let (Some((p, l)), Some(item)) = (&last, out.items.last_mut())
                && *p == path
            {
                let at = if *l == row {
                    String::new()
                } else {
                    format!("line {row}: ")
                };
                item.finding
                    .message
                    .push_str(&format!("\n{at}{}", &c["msg"]));
                continue;
            }
            let code = c
                .name("code")
                .map_or_else(|| c["sev"].to_owned(), |m| m.as_str().to_owned());
            add_rule(&mut out, &code, sev);
            let span = Span {
                line: row,
                column: num("col"),
                end_line: num("eline"),
                // The text end column is inclusive; SARIF's is exclusive.
                end_column: num("ecol").map(|c| c + 1),
            };
            let f = finding(tree, "mypy", &code, sev, c["msg"].to_owned(), &path, span);
            out.push(f);
            last = (sev != Severity::Note).then_some((path, row));
        }
        if out.items.is_empty() && !skipped.is_empty() {
            return Err(ParseError::at_line(
                skipped[0],
                "expected mypy output lines `path:line: error: message  [code]`",
            ));
        }
        if !skipped.is_empty() {
            out.notes.push(format!(
                "skipped {} line(s) that are not mypy results (first: line {})",
                skipped.len(),
                skipped[0]
            ));
        }
        out.recount_columns(tree, |_| ColumnUnit::Utf8Bytes);
        Ok(out)
    }
}
