//! cargo's JSON messages (`cargo build|check|clippy --message-format=json`): one JSON object
//! per line; the `compiler-message` lines are rustc and clippy diagnostics.

use ci_intel_core::finding::Severity;
use ci_intel_core::sarif::ReportingDescriptor;
use serde::Deserialize;

use super::{Converted, Converter, ParseError, Sample, Span, finding, one_based, parse_json_lines};
use crate::source::SourceTree;

#[derive(Debug)]
pub struct Cargo;

#[derive(Deserialize)]
struct Line {
    reason: String,
    message: Option<Diagnostic>,
}

#[derive(Deserialize)]
struct Diagnostic {
    message: String,
    code: Option<Code>,
    level: String,
    #[serde(default)]
    spans: Vec<DiagSpan>,
    #[serde(default)]
    children: Vec<Diagnostic>,
}

#[derive(Deserialize)]
struct Code {
    code: String,
    explanation: Option<String>,
}

#[derive(Deserialize)]
struct DiagSpan {
    file_name: String,
    line_start: Option<i64>,
    line_end: Option<i64>,
    column_start: Option<i64>,
    column_end: Option<i64>,
    is_primary: bool,
    expansion: Option<Box<Expansion>>,
}

#[derive(Deserialize)]
struct Expansion {
    span: DiagSpan,
}

fn severity(level: &str) -> Option<Severity> {
    match level {
        l if l.starts_with("error") => Some(Severity::Error),
        "warning" => Some(Severity::Warning),
        "note" | "help" => Some(Severity::Note),
        _ => None,
    }
}

/// The span to report: the primary one, followed out of macros defined elsewhere to where the
/// macro was called in the project.
fn primary(spans: &[DiagSpan]) -> Option<&DiagSpan> {
    let mut span = spans.iter().find(|s| s.is_primary).or(spans.first())?;
    while span.file_name.starts_with(['/', '<'])
        && let Some(e) = &span.expansion
    {
        span = &e.span;
    }
    Some(span)
}

fn describe(id: &str, code: Option<&Code>, sev: Severity) -> ReportingDescriptor {
    let explanation = code.and_then(|c| c.explanation.as_deref());
    let (short, uri) = if let Some(lint) = id.strip_prefix("clippy::") {
        (
            format!("clippy lint {lint}"),
            Some(format!(
                "https://rust-lang.github.io/rust-clippy/master/index.html#{lint}"
            )),
        )
    } else if id.starts_with('E') && id[1..].chars().all(|c| c.is_ascii_digit()) {
        let first = explanation
            .and_then(|e| e.lines().find(|l| !l.trim().is_empty()))
            .map_or_else(
                || format!("rustc error {id}"),
                |l| format!("{id}: {}", l.trim()),
            );
        (
            first,
            Some(format!("https://doc.rust-lang.org/error_codes/{id}.html")),
        )
    } else if let Some(rest) = id.strip_prefix("rustc-") {
        (format!("rustc {rest}"), None)
    } else {
        (
            format!("rustc lint {id}"),
            Some("https://doc.rust-lang.org/rustc/lints/listing/index.html".to_owned()),
        )
    };
    let help = match (explanation, &uri) {
        (Some(e), _) => e.to_owned(),
        (None, Some(u)) if id.contains("::") || !id.starts_with('E') => format!(
            "{short}: see {u}. To accept it, add `#[allow({id})]` with a comment saying why."
        ),
        (None, Some(u)) => format!("{short}: see {u}."),
        (None, None) => short.clone(),
    };
    ReportingDescriptor::new(id, short, help)
        .with_level(sev)
        .with_help_uri(uri)
        .with_markdown(explanation.map(str::to_owned))
}

impl Converter for Cargo {
    fn id(&self) -> &'static str {
        "cargo"
    }

    fn produced_by(&self) -> &'static str {
        "cargo build|check|clippy --message-format=json"
    }

    fn detect(&self, s: &Sample<'_>) -> bool {
        s.first_line_json
            .as_ref()
            .is_some_and(|j| j.get("reason").is_some_and(serde_json::Value::is_string))
    }

    fn convert(&self, text: &str, tree: &mut SourceTree) -> Result<Converted, ParseError> {
        let (lines, skipped) = parse_json_lines::<Line>(text, "cargo JSON messages")?;
        let mut out = Converted::new("cargo", "https://doc.rust-lang.org/cargo/");
        for (_, line) in lines {
            let (true, Some(d)) = (line.reason == "compiler-message", line.message) else {
                continue;
            };
            // Summaries ("3 warnings emitted") and failure notes have no place.
            let (Some(sev), Some(span)) = (severity(&d.level), primary(&d.spans)) else {
                continue;
            };
            let id = d
                .code
                .as_ref()
                .map_or_else(|| format!("rustc-{}", sev.as_str()), |c| c.code.clone());
            out.rule(&id, || describe(&id, d.code.as_ref(), sev));
            let mut message = d.message.clone();
            for c in &d.children {
                let noise = c.message.starts_with("for further information visit")
                    || c.message.ends_with("on by default")
                    || c.message.starts_with("requested on the command line");
                if !noise && matches!(c.level.as_str(), "help" | "note") {
                    message.push_str(&format!("\n{}: {}", c.level, c.message));
                }
            }
            let span = Span {
                line: one_based(span.line_start).unwrap_or(1),
                column: one_based(span.column_start),
                end_line: one_based(span.line_end),
                end_column: one_based(span.column_end),
            };
            let path = primary(&d.spans)
                .map(|s| s.file_name.clone())
                .unwrap_or_default();
            let f = finding(tree, "cargo", &id, sev, message, &path, span);
            out.push(f);
        }
        if skipped > 0 {
            out.notes.push(format!(
                "skipped {skipped} line(s) that are not JSON (cargo's human output mixed in?)"
            ));
        }
        Ok(out)
    }
}
