//! Ruff `check --output-format=json`: an array of violations with 1-based locations.

use ci_intel_core::finding::Severity;
use ci_intel_core::sarif::ReportingDescriptor;
use serde::Deserialize;

use super::{Converted, Converter, ParseError, Sample, Span, finding, one_based, parse_json};
use crate::source::SourceTree;

#[derive(Debug)]
pub struct Ruff;

#[derive(Deserialize)]
struct Violation {
    code: Option<String>,
    name: Option<String>,
    message: String,
    filename: String,
    location: Option<Point>,
    end_location: Option<Point>,
    url: Option<String>,
    severity: Option<String>,
}

#[derive(Deserialize)]
struct Point {
    row: Option<i64>,
    column: Option<i64>,
}

/// Ruff's `severity` when it writes one; syntax errors (no code) are errors; otherwise a lint
/// violation is a warning.
fn severity(v: &Violation) -> Severity {
    match v.severity.as_deref() {
        Some("error") => Severity::Error,
        Some("warning") => Severity::Warning,
        Some("info" | "note" | "hint") => Severity::Note,
        _ if v.code.is_none() => Severity::Error,
        _ => Severity::Warning,
    }
}

impl Converter for Ruff {
    fn id(&self) -> &'static str {
        "ruff"
    }

    fn produced_by(&self) -> &'static str {
        "ruff check --output-format=json"
    }

    fn detect(&self, s: &Sample<'_>) -> bool {
        s.array_of_objects_with("noqa_row")
            || (s.array_of_objects_with("filename")
                && s.array_of_objects_with("end_location")
                && s.array_of_objects_with("code"))
    }

    fn convert(&self, text: &str, tree: &mut SourceTree) -> Result<Converted, ParseError> {
        let violations: Vec<Violation> = parse_json(
            text,
            "Ruff JSON (an array of `{\"code\", \"filename\", \"location\", …}`)",
        )?;
        let mut out = Converted::new("Ruff", "https://docs.astral.sh/ruff/");
        for v in violations {
            let sev = severity(&v);
            let rule = v.code.clone().unwrap_or_else(|| "syntax-error".into());
            out.rule(&rule, || {
                let named = v.name.as_deref().unwrap_or(&rule);
                let help = match &v.code {
                    Some(code) => format!(
                        "Ruff rule {code} ({named}).{} Fix with `ruff check --fix` where Ruff offers a fix; to accept one occurrence, add `# noqa: {code}` on its line.",
                        v.url.as_ref().map(|u| format!(" Documentation: {u}.")).unwrap_or_default()
                    ),
                    None => "Ruff could not parse the file; fix the syntax error so it is linted at all.".into(),
                };
                let mut d = ReportingDescriptor::new(&rule, format!("Ruff {rule} {named}"), help)
                    .with_level(sev)
                    .with_help_uri(v.url.clone());
                if let Some(n) = &v.name {
                    d = d.with_name(n);
                }
                d
            });
            let start = v.location.as_ref();
            let end = v.end_location.as_ref();
            let span = Span {
                line: start.and_then(|p| one_based(p.row)).unwrap_or(1),
                column: start.and_then(|p| one_based(p.column)),
                end_line: end.and_then(|p| one_based(p.row)),
                end_column: end.and_then(|p| one_based(p.column)),
            };
            let f = finding(tree, "ruff", &rule, sev, v.message, &v.filename, span);
            out.push(f);
        }
        Ok(out)
    }
}
