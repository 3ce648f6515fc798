//! ESLint `-f json` (an array of files) and `-f json-with-metadata` (`{results, metadata}`,
//! whose rule metadata gives descriptions and documentation URLs).

use std::collections::HashMap;

use ci_intel_core::finding::Severity;
use ci_intel_core::sarif::ReportingDescriptor;
use serde::Deserialize;

use super::{Converted, Converter, Item, ParseError, Sample, Span, finding, one_based, parse_json};
use crate::source::{ColumnUnit, SourceTree};

#[derive(Debug)]
pub struct Eslint;

#[derive(Deserialize)]
#[serde(untagged)]
enum Output {
    Plain(Vec<FileResult>),
    WithMetadata {
        results: Vec<FileResult>,
        metadata: Metadata,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileResult {
    file_path: String,
    messages: Vec<Message>,
    #[serde(default)]
    suppressed_messages: Vec<Message>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Message {
    rule_id: Option<String>,
    severity: i64,
    message: String,
    line: Option<i64>,
    column: Option<i64>,
    end_line: Option<i64>,
    end_column: Option<i64>,
    #[serde(default)]
    fatal: bool,
    #[serde(default)]
    suppressions: Vec<Directive>,
}

#[derive(Deserialize)]
struct Directive {
    #[serde(default)]
    justification: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    #[serde(default)]
    rules_meta: HashMap<String, RuleMeta>,
}

#[derive(Deserialize)]
struct RuleMeta {
    docs: Option<Docs>,
}

#[derive(Deserialize)]
struct Docs {
    description: Option<String>,
    url: Option<String>,
}

/// The rule id of a message: ESLint has none for parse errors and other fatal problems.
fn rule_of(m: &Message) -> String {
    match &m.rule_id {
        Some(r) => r.clone(),
        None if m.fatal => "fatal".into(),
        None => "eslint".into(),
    }
}

impl Converter for Eslint {
    fn id(&self) -> &'static str {
        "eslint"
    }

    fn produced_by(&self) -> &'static str {
        "eslint -f json (or json-with-metadata)"
    }

    fn detect(&self, s: &Sample<'_>) -> bool {
        s.array_of_objects_with("filePath")
            || (s.object_with(&["results", "metadata"])
                && s.json.as_ref().is_some_and(|j| {
                    j["results"]
                        .as_array()
                        .is_some_and(|r| r.first().is_none_or(|r| r.get("filePath").is_some()))
                }))
    }

    fn convert(&self, text: &str, tree: &mut SourceTree) -> Result<Converted, ParseError> {
        let (files, meta) = match parse_json::<Output>(
            text,
            "ESLint JSON (an array of `{\"filePath\", \"messages\"}`, or json-with-metadata)",
        )? {
            Output::Plain(f) => (f, Metadata::default()),
            Output::WithMetadata { results, metadata } => (results, metadata),
        };
        let mut out = Converted::new("ESLint", "https://eslint.org");
        for file in files {
            let messages = file.messages.into_iter().map(|m| (m, false));
            let suppressed = file.suppressed_messages.into_iter().map(|m| (m, true));
            for (m, is_suppressed) in messages.chain(suppressed) {
                let rule = rule_of(&m);
                let sev = if m.severity >= 2 || m.fatal {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                out.rule(&rule, || describe(&rule, meta.rules_meta.get(&rule), sev));
                let span = Span {
                    line: one_based(m.line).unwrap_or(1),
                    column: one_based(m.column),
                    end_line: one_based(m.end_line),
                    end_column: one_based(m.end_column),
                };
                let justification = is_suppressed.then(|| {
                    m.suppressions
                        .iter()
                        .map(|d| d.justification.trim())
                        .filter(|j| !j.is_empty())
                        .collect::<Vec<_>>()
                        .join("; ")
                });
                let f = finding(tree, "eslint", &rule, sev, m.message, &file.file_path, span);
                out.items.push(Item {
                    finding: f,
                    in_source_suppression: justification,
                });
            }
        }
        out.recount_columns(tree, |_| ColumnUnit::Utf16Units);
        Ok(out)
    }
}

fn describe(rule: &str, meta: Option<&RuleMeta>, sev: Severity) -> ReportingDescriptor {
    let docs = meta.and_then(|m| m.docs.as_ref());
    // Core rules have no `/` and documentation at a fixed place; plugin rules only through
    // json-with-metadata.
    let url = docs.and_then(|d| d.url.clone()).or_else(|| {
        (!rule.contains('/') && rule != "fatal" && rule != "eslint")
            .then(|| format!("https://eslint.org/docs/latest/rules/{rule}"))
    });
    let short = docs
        .and_then(|d| d.description.clone())
        .unwrap_or_else(|| match rule {
            "fatal" => "ESLint could not parse the file".into(),
            _ => format!("ESLint rule {rule}"),
        });
    let help = match rule {
        "fatal" => "ESLint stopped on this file (usually a syntax error); fix it so the file is linted at all.".to_owned(),
        _ => format!(
            "{short}.{} To accept one occurrence, add `// eslint-disable-next-line {rule} -- reason` above it.",
            url.as_ref().map(|u| format!(" Documentation: {u}.")).unwrap_or_default()
        ),
    };
    ReportingDescriptor::new(rule, short, help)
        .with_level(sev)
        .with_help_uri(url)
}
