//! pylint `--output-format=json` (an array of messages) and `json2` (`{messages, statistics}`).

use ci_intel_core::finding::Severity;
use ci_intel_core::sarif::ReportingDescriptor;
use serde::Deserialize;

use super::{
    Converted, Converter, ParseError, Sample, Span, confidence, finding, from_zero_based,
    parse_json,
};
use crate::source::{ColumnUnit, SourceTree};

#[derive(Debug)]
pub struct Pylint;

/// One message; `json` spells the id `message-id`, `json2` spells it `messageId`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Message {
    #[serde(rename = "type")]
    kind: String,
    symbol: String,
    message: String,
    #[serde(alias = "message-id")]
    message_id: String,
    path: String,
    line: Option<i64>,
    column: Option<i64>,
    end_line: Option<i64>,
    end_column: Option<i64>,
    #[serde(default)]
    confidence: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Output {
    Json(Vec<Message>),
    Json2 { messages: Vec<Message> },
}

fn severity(kind: &str) -> Severity {
    match kind {
        "fatal" | "error" => Severity::Error,
        "warning" => Severity::Warning,
        _ => Severity::Note,
    }
}

impl Converter for Pylint {
    fn id(&self) -> &'static str {
        "pylint"
    }

    fn produced_by(&self) -> &'static str {
        "pylint --output-format=json (or json2)"
    }

    fn detect(&self, s: &Sample<'_>) -> bool {
        s.array_of_objects_with("message-id")
            || (s.object_with(&["messages", "statistics"])
                && s.json.as_ref().is_some_and(|j| {
                    j["messages"]
                        .as_array()
                        .is_none_or(|m| m.first().is_none_or(|m| m.get("messageId").is_some()))
                }))
    }

    fn convert(&self, text: &str, tree: &mut SourceTree) -> Result<Converted, ParseError> {
        let messages = match parse_json::<Output>(
            text,
            "pylint JSON (an array of messages with `message-id`, or json2's `{\"messages\": […]}`)",
        )? {
            Output::Json(m) | Output::Json2 { messages: m } => m,
        };
        let mut out = Converted::new("pylint", "https://pylint.readthedocs.io");
        for m in messages {
            let sev = severity(&m.kind);
            out.rule(&m.symbol, || {
                let url = format!(
                    "https://pylint.readthedocs.io/en/stable/user_guide/messages/{}/{}.html",
                    m.kind, m.symbol
                );
                ReportingDescriptor::new(
                    &m.symbol,
                    format!("pylint {} {} ({})", m.kind, m.symbol, m.message_id),
                    format!(
                        "pylint reports `{}` ({}). What it checks and how to fix it: {url}. \
                         To accept one occurrence, add `# pylint: disable={}` on its line.",
                        m.symbol, m.message_id, m.symbol
                    ),
                )
                .with_name(&m.symbol)
                .with_level(sev)
                .with_help_uri(Some(url))
            });
            let line = m.line.and_then(|l| u32::try_from(l).ok()).unwrap_or(1);
            let span = Span {
                line,
                column: from_zero_based(m.column),
                end_line: m.end_line.and_then(|l| u32::try_from(l).ok()),
                end_column: from_zero_based(m.end_column),
            };
            let f = finding(tree, "pylint", &m.symbol, sev, m.message, &m.path, span)
                .with_confidence(confidence(m.confidence.as_deref().unwrap_or("")));
            out.push(f);
        }
        out.recount_columns(tree, |_| ColumnUnit::Utf8Bytes);
        Ok(out)
    }
}
