//! bandit `-f json`: `{results: [...], errors: [...], metrics: {...}}`.

use ci_intel_core::finding::Severity;
use ci_intel_core::sarif::ReportingDescriptor;
use serde::Deserialize;

use super::{
    Converted, Converter, ParseError, Sample, Span, confidence, finding, from_zero_based,
    parse_json, security_score,
};
use crate::source::{ColumnUnit, SourceTree};

#[derive(Debug)]
pub struct Bandit;

#[derive(Deserialize)]
struct Output {
    results: Vec<Issue>,
    #[serde(default)]
    errors: Vec<ToolError>,
}

#[derive(Deserialize)]
struct Issue {
    filename: String,
    line_number: Option<i64>,
    #[serde(default)]
    line_range: Vec<i64>,
    col_offset: Option<i64>,
    end_col_offset: Option<i64>,
    issue_text: String,
    issue_severity: String,
    #[serde(default)]
    issue_confidence: String,
    issue_cwe: Option<Cwe>,
    more_info: Option<String>,
    test_id: String,
    test_name: String,
}

#[derive(Deserialize)]
struct Cwe {
    id: Option<i64>,
}

#[derive(Deserialize)]
struct ToolError {
    filename: String,
    reason: String,
}

fn severity(word: &str) -> Severity {
    match word.to_ascii_uppercase().as_str() {
        "HIGH" => Severity::Error,
        "MEDIUM" => Severity::Warning,
        _ => Severity::Note,
    }
}

impl Converter for Bandit {
    fn id(&self) -> &'static str {
        "bandit"
    }

    fn produced_by(&self) -> &'static str {
        "bandit -f json"
    }

    fn detect(&self, s: &Sample<'_>) -> bool {
        s.object_with(&["results", "metrics"])
            && s.json.as_ref().is_some_and(|j| {
                j["results"]
                    .as_array()
                    .is_some_and(|r| r.first().is_none_or(|r| r.get("test_id").is_some()))
            })
    }

    fn convert(&self, text: &str, tree: &mut SourceTree) -> Result<Converted, ParseError> {
        let output: Output = parse_json(text, "bandit JSON (`{\"results\": […]}`)")?;
        let mut out = Converted::new("bandit", "https://bandit.readthedocs.io");
        for i in output.results {
            if out.tool.version.is_none() {
                out.tool.version = i.more_info.as_deref().and_then(version_of_docs);
            }
            let sev = severity(&i.issue_severity);
            let cwe = i.issue_cwe.as_ref().and_then(|c| c.id).filter(|&id| id > 0);
            out.rule(&i.test_id, || {
                let tags: Vec<String> = cwe
                    .map(|id| vec![format!("external/cwe/cwe-{id}")])
                    .unwrap_or_default();
                ReportingDescriptor::new(
                    &i.test_id,
                    format!("bandit {} {}", i.test_id, i.test_name),
                    format!(
                        "bandit test {} ({}){}: {}. To accept one occurrence after review, add `# nosec {}` on its line.",
                        i.test_id,
                        i.test_name,
                        cwe.map(|id| format!(", CWE-{id}")).unwrap_or_default(),
                        i.more_info.as_deref().unwrap_or("see the bandit documentation"),
                        i.test_id
                    ),
                )
                .with_name(&i.test_name)
                .with_level(sev)
                .with_help_uri(i.more_info.clone())
                .security(security_score(sev), &tags)
            });
            let line = i
                .line_number
                .and_then(|l| u32::try_from(l).ok())
                .unwrap_or(1);
            let end_line = i.line_range.last().and_then(|&l| u32::try_from(l).ok());
            let span = Span {
                line,
                column: from_zero_based(i.col_offset),
                end_line,
                end_column: from_zero_based(i.end_col_offset),
            };
            let f = finding(
                tree,
                "bandit",
                &i.test_id,
                sev,
                i.issue_text,
                &i.filename,
                span,
            )
            .with_confidence(confidence(&i.issue_confidence));
            out.push(f);
        }
        for e in output.errors {
            out.notes.push(format!(
                "bandit could not scan {}: {}",
                e.filename, e.reason
            ));
        }
        out.recount_columns(tree, |_| ColumnUnit::Utf8Bytes);
        Ok(out)
    }
}

/// bandit's JSON has no version field, but its links name the documentation of the running
/// version (`…/en/1.9.4/plugins/…`).
fn version_of_docs(url: &str) -> Option<String> {
    let rest = url.split("/en/").nth(1)?;
    let v = rest.split('/').next()?;
    v.starts_with(|c: char| c.is_ascii_digit())
        .then(|| v.to_owned())
}
