//! Tool outputs → SARIF: one [`Converter`] per format, listed once in [`CONVERTERS`].
//!
//! A converter parses its tool's native output into [`Finding`]s (path made
//! repository-relative, columns made 1-based, the tool's severity mapped onto error / warning /
//! note) plus a rule descriptor for every rule it saw, with help text and a help URI. Secrets
//! scanners' outputs never reach the log: only their rule, place and a hash of the value.

mod bandit;
mod cargo;
mod eslint;
mod flake8;
mod gitleaks;
mod mypy;
mod pylint;
mod ruff;
mod trufflehog;

use std::collections::BTreeMap;

use ci_intel_core::error::Position;
use ci_intel_core::finding::{Confidence, Finding, Location, Severity};
use ci_intel_core::sarif::{self, ReportingDescriptor, ToolInfo};
use serde::de::DeserializeOwned;

use crate::source::{ColumnUnit, SourceTree};

/// One supported output format.
pub trait Converter: Sync {
    /// The name `--from` takes (`pylint`).
    fn id(&self) -> &'static str;
    /// The command that produces the format, for help and error messages.
    fn produced_by(&self) -> &'static str;
    /// Whether `sample` looks like this format (used by `--from auto`).
    fn detect(&self, sample: &Sample<'_>) -> bool;
    /// Parses `text`. Errors name the line (and column) and what was expected.
    fn convert(&self, text: &str, tree: &mut SourceTree) -> Result<Converted, ParseError>;
}

impl std::fmt::Debug for dyn Converter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// Every format, in `--from` order.
pub static CONVERTERS: &[&dyn Converter] = &[
    &pylint::Pylint,
    &flake8::Flake8,
    &mypy::Mypy,
    &bandit::Bandit,
    &eslint::Eslint,
    &ruff::Ruff,
    &cargo::Cargo,
    &gitleaks::Gitleaks,
    &trufflehog::Trufflehog,
];

/// The converter called `id`.
pub fn find(id: &str) -> Option<&'static dyn Converter> {
    CONVERTERS.iter().copied().find(|c| c.id() == id)
}

/// What detection looks at: the whole input parsed as JSON (when it is one document), the
/// first line parsed as JSON (for JSON-lines formats), and the text.
#[derive(Debug)]
pub struct Sample<'a> {
    pub json: Option<serde_json::Value>,
    pub first_line_json: Option<serde_json::Value>,
    pub text: &'a str,
}

impl<'a> Sample<'a> {
    pub fn new(text: &'a str) -> Self {
        let trimmed = text.trim_start();
        let json = if trimmed.starts_with(['{', '[']) {
            serde_json::from_str(trimmed).ok()
        } else {
            None
        };
        let first_line_json = trimmed
            .lines()
            .next()
            .filter(|l| l.starts_with('{'))
            .and_then(|l| serde_json::from_str(l).ok());
        Self {
            json,
            first_line_json,
            text,
        }
    }

    /// Whether the input is one JSON document that is an array whose first element has `key`.
    pub fn array_of_objects_with(&self, key: &str) -> bool {
        self.json
            .as_ref()
            .and_then(|j| j.as_array())
            .and_then(|a| a.first())
            .is_some_and(|o| o.get(key).is_some())
    }

    /// Whether the input is one JSON object with every key of `keys`.
    pub fn object_with(&self, keys: &[&str]) -> bool {
        self.json
            .as_ref()
            .and_then(|j| j.as_object())
            .is_some_and(|o| keys.iter().all(|k| o.contains_key(*k)))
    }

    /// Whether the input is a SARIF log (handled by the bundle, not by a converter).
    /// A SARIF log: `runs` and `version`, or a `$schema` naming SARIF (so that a broken log is
    /// reported as a broken log, not as an unknown format).
    pub fn is_sarif(&self) -> bool {
        self.object_with(&["version", "runs"])
            || self.json.as_ref().is_some_and(|j| {
                j.get("$schema")
                    .and_then(serde_json::Value::as_str)
                    .is_some_and(|s| s.to_ascii_lowercase().contains("sarif"))
                    || j.get("version").and_then(serde_json::Value::as_str) == Some("2.1.0")
            })
    }
}

/// Why no converter was chosen for an input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DetectError {
    #[error(
        "the input has no results, so its tool cannot be recognised; name it with --from (a clean run still needs its tool's empty run, so code scanning closes fixed alerts)"
    )]
    NoResults,
    #[error(
        "not SARIF and not the output of a supported tool; expected one of: {supported} (or name the format with --from)"
    )]
    Unknown { supported: String },
    #[error("the input looks like the output of several tools ({tools}); name it with --from")]
    Ambiguous { tools: String },
}

/// The converter for `text`, if exactly one format matches it.
pub fn detect(sample: &Sample<'_>) -> Result<&'static dyn Converter, DetectError> {
    let matches: Vec<_> = CONVERTERS
        .iter()
        .copied()
        .filter(|c| c.detect(sample))
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] if sample.text.trim().is_empty()
            || sample
                .json
                .as_ref()
                .is_some_and(|j| j.as_array().is_some_and(Vec::is_empty)) =>
        {
            Err(DetectError::NoResults)
        }
        [] => Err(DetectError::Unknown {
            supported: CONVERTERS
                .iter()
                .map(|c| c.produced_by())
                .collect::<Vec<_>>()
                .join("; "),
        }),
        many => Err(DetectError::Ambiguous {
            tools: many.iter().map(|c| c.id()).collect::<Vec<_>>().join(", "),
        }),
    }
}

/// Where and why a tool's output could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub position: Option<Position>,
    pub message: String,
}

impl ParseError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            position: None,
            message: message.into(),
        }
    }

    pub fn at_line(line: usize, message: impl Into<String>) -> Self {
        Self {
            position: Some(Position::line(line as u64)),
            message: message.into(),
        }
    }

    /// A serde error while reading the whole input as `what`.
    fn json(err: &serde_json::Error, what: &str) -> Self {
        Self {
            position: Some(Position::at(err.line() as u64, err.column() as u64)),
            message: format!("expected {what}: {err}"),
        }
    }
}

/// Parses the whole input as `T`, naming `what` was expected on failure.
fn parse_json<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, ParseError> {
    serde_json::from_str(text).map_err(|e| ParseError::json(&e, what))
}

/// Parses a JSON-lines input: every line starting with `{` as `T` (a line that fails is an
/// error naming it); other lines are counted as skipped.
fn parse_json_lines<T: DeserializeOwned>(
    text: &str,
    what: &str,
) -> Result<(Vec<(usize, T)>, usize), ParseError> {
    let mut out = Vec::new();
    let mut skipped = 0;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if !line.starts_with('{') {
            skipped += 1;
            continue;
        }
        let v = serde_json::from_str(line).map_err(|e| ParseError {
            position: Some(Position::at(i as u64 + 1, e.column() as u64)),
            message: format!("expected {what} (one JSON object per line): {e}"),
        })?;
        out.push((i + 1, v));
    }
    Ok((out, skipped))
}

/// One converted result.
#[derive(Debug, Clone)]
pub struct Item {
    pub finding: Finding,
    /// The tool reported the result as suppressed in the source (e.g. an ESLint directive);
    /// the justification, possibly empty.
    pub in_source_suppression: Option<String>,
}

/// A tool's output as findings and the rules they refer to.
#[derive(Debug, Clone)]
pub struct Converted {
    pub tool: ToolInfo,
    pub rules: BTreeMap<String, ReportingDescriptor>,
    pub items: Vec<Item>,
    /// Things the user should know (lines skipped, tool errors reported in the output).
    pub notes: Vec<String>,
}

impl Converted {
    fn new(name: &str, information_uri: &str) -> Self {
        Self {
            tool: ToolInfo {
                name: name.to_owned(),
                version: None,
                information_uri: Some(information_uri.to_owned()),
            },
            rules: BTreeMap::new(),
            items: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Adds `rule` unless a rule of that id is known (the first description wins).
    fn rule(&mut self, id: &str, make: impl FnOnce() -> ReportingDescriptor) {
        if !self.rules.contains_key(id) {
            self.rules.insert(id.to_owned(), make());
        }
    }

    fn push(&mut self, finding: Finding) {
        self.items.push(Item {
            finding,
            in_source_suppression: None,
        });
    }

    /// Re-counts the columns of every result from the unit its tool counts in (`unit`) to code
    /// points, reading the source lines.
    fn recount_columns(&mut self, tree: &mut SourceTree, unit: impl Fn(&Finding) -> ColumnUnit) {
        for item in &mut self.items {
            let u = unit(&item.finding);
            let Some(loc) = item.finding.location.as_mut() else {
                continue;
            };
            if let Some(c) = loc.start_column {
                loc.start_column = Some(tree.code_point_column(&loc.path, loc.start_line, c, u));
            }
            if let Some(c) = loc.end_column {
                let line = loc.end_line.unwrap_or(loc.start_line);
                loc.end_column = Some(tree.code_point_column(&loc.path, line, c, u));
            }
        }
    }

    /// The SARIF run of these results.
    pub fn to_run(&self) -> sarif::Run {
        let findings: Vec<Finding> = self.items.iter().map(|i| i.finding.clone()).collect();
        let mut run = sarif::run(
            &self.tool,
            self.rules.values().cloned().collect(),
            &findings,
            |f| f.rule_id.clone(),
        );
        for (result, item) in run.results.iter_mut().zip(&self.items) {
            if let Some(j) = &item.in_source_suppression {
                result.suppressions.push(sarif::ResultSuppression {
                    kind: "inSource",
                    status: "accepted",
                    justification: j.clone(),
                });
            }
        }
        run
    }
}

/// A result's place, as tools report it once their columns are made 1-based.
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    line: u32,
    column: Option<u32>,
    end_line: Option<u32>,
    end_column: Option<u32>,
}

impl Span {
    fn line(line: u32) -> Self {
        Self {
            line,
            ..Self::default()
        }
    }
}

/// Builds a finding at `path`/`span`, its fingerprint from the source line (or the message).
fn finding(
    tree: &mut SourceTree,
    tool: &str,
    rule: &str,
    severity: Severity,
    message: String,
    path: &str,
    span: Span,
) -> Finding {
    let path = tree.relativize(path);
    let snippet = tree.snippet(&path, span.line, &message);
    finding_with_snippet(tool, rule, severity, message, &path, span, &snippet)
}

fn finding_with_snippet(
    tool: &str,
    rule: &str,
    severity: Severity,
    message: String,
    path: &str,
    span: Span,
    snippet: &str,
) -> Finding {
    let start = span.line.max(1);
    let location = Location {
        path: path.to_owned(),
        start_line: start,
        end_line: span.end_line.filter(|&e| e >= start),
        start_column: span.column.filter(|&c| c >= 1),
        end_column: span.end_column.filter(|&c| {
            c >= 1 && (span.end_line.unwrap_or(start) > start || span.column.is_none_or(|s| c >= s))
        }),
    };
    Finding::new(tool, rule, severity, message, Some(location), snippet)
}

/// A 0-based tool column as a 1-based SARIF column (negative means unknown).
fn from_zero_based(c: Option<i64>) -> Option<u32> {
    c.filter(|&c| c >= 0)
        .and_then(|c| u32::try_from(c + 1).ok())
}

/// A 1-based tool column or line (0 or negative means unknown).
fn one_based(c: Option<i64>) -> Option<u32> {
    c.filter(|&c| c >= 1).and_then(|c| u32::try_from(c).ok())
}

/// Confidence words tools use (`HIGH`, `INFERENCE`, …).
fn confidence(word: &str) -> Confidence {
    match word.to_ascii_uppercase().as_str() {
        "HIGH" | "UNDEFINED" | "" => Confidence::High,
        "MEDIUM" | "INFERENCE" | "CONTROL_FLOW" => Confidence::Medium,
        _ => Confidence::Low,
    }
}

/// The security-severity score code scanning maps to critical/high/medium/low.
fn security_score(s: Severity) -> f32 {
    match s {
        Severity::Error => 8.0,
        Severity::Warning => 5.5,
        Severity::Note => 3.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_converter_has_a_unique_id() {
        let mut ids: Vec<_> = CONVERTERS.iter().map(|c| c.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CONVERTERS.len());
        assert!(find("pylint").is_some());
        assert!(find("nope").is_none());
    }

    #[test]
    fn detection_refuses_empty_and_unknown_input() {
        assert!(matches!(
            detect(&Sample::new("")),
            Err(DetectError::NoResults)
        ));
        assert!(matches!(
            detect(&Sample::new("[]")),
            Err(DetectError::NoResults)
        ));
        let unknown = detect(&Sample::new("hello world\n")).err().unwrap();
        assert!(matches!(unknown, DetectError::Unknown { .. }));
        assert!(unknown.to_string().contains("not SARIF"), "{unknown}");
        assert!(detect(&Sample::new("{\"a\": 1}")).is_err());
    }

    #[test]
    fn spans_drop_impossible_columns() {
        let f = finding_with_snippet(
            "t",
            "r",
            Severity::Note,
            "m".into(),
            "a.py",
            Span {
                line: 0,
                column: Some(5),
                end_line: Some(0),
                end_column: Some(2),
            },
            "s",
        );
        let l = f.location.unwrap();
        assert_eq!(l.start_line, 1);
        assert_eq!(l.end_line, None);
        assert_eq!(l.start_column, Some(5));
        assert_eq!(l.end_column, None);
    }
}
