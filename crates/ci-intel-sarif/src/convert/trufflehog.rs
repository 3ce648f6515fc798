//! TruffleHog v3 `--json`: one object per line (log lines mixed in are skipped). The raw
//! secret never reaches the log: its SHA-256 feeds the fingerprint.

use ci_intel_core::finding::Severity;
use ci_intel_core::sarif::ReportingDescriptor;
use serde_json::Value;

use super::gitleaks::{secret_hash, short_commit};
use super::{
    Converted, Converter, ParseError, Sample, Span, finding_with_snippet, parse_json_lines,
    security_score,
};
use crate::source::SourceTree;

#[derive(Debug)]
pub struct Trufflehog;

impl Converter for Trufflehog {
    fn id(&self) -> &'static str {
        "trufflehog"
    }

    fn produced_by(&self) -> &'static str {
        "trufflehog … --json"
    }

    fn detect(&self, s: &Sample<'_>) -> bool {
        s.first_line_json.as_ref().is_some_and(|j| {
            j.get("SourceMetadata").is_some()
                || j.get("logger").and_then(Value::as_str) == Some("trufflehog")
        })
    }

    fn convert(&self, text: &str, tree: &mut SourceTree) -> Result<Converted, ParseError> {
        let (lines, skipped) = parse_json_lines::<Value>(text, "TruffleHog JSON")?;
        let mut out = Converted::new(
            "trufflehog",
            "https://github.com/trufflesecurity/trufflehog",
        );
        for (n, v) in lines {
            let Some(meta) = v.get("SourceMetadata") else {
                continue; // a log line
            };
            // `{"Data": {"Filesystem": {"file", "line"}}}`, `{"Data": {"Git": {"commit", …}}}`, …
            let source = meta
                .get("Data")
                .and_then(Value::as_object)
                .and_then(|d| d.values().next())
                .ok_or_else(|| {
                    ParseError::at_line(n, "expected `SourceMetadata.Data` with one source")
                })?;
            let detector = v
                .get("DetectorName")
                .and_then(Value::as_str)
                .ok_or_else(|| ParseError::at_line(n, "expected a `DetectorName` string"))?;
            let verified = v.get("Verified").and_then(Value::as_bool).unwrap_or(false);
            let sev = if verified {
                Severity::Error
            } else {
                Severity::Warning
            };
            let description = v
                .get("DetectorDescription")
                .and_then(Value::as_str)
                .unwrap_or_default();
            out.rule(detector, || {
                let short = if description.is_empty() {
                    format!("{detector} credential")
                } else {
                    format!("{detector} credential. {description}")
                };
                ReportingDescriptor::new(
                    detector,
                    short.clone(),
                    format!(
                        "{short} Revoke the credential at its issuer first (verified results are live), then remove it and load it from a secret store at run time."
                    ),
                )
                .with_level(Severity::Error)
                .security(security_score(Severity::Error), &["secret".to_owned()])
            });
            let file = source
                .get("file")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let line = source
                .get("line")
                .and_then(Value::as_u64)
                .and_then(|l| u32::try_from(l).ok())
                .unwrap_or(1);
            let commit = source.get("commit").and_then(Value::as_str);
            let message = format!(
                "{detector} credential{}{}",
                if verified {
                    ", verified live by TruffleHog"
                } else {
                    " (not verified)"
                },
                commit
                    .map(|c| format!(", added in commit {}", short_commit(c)))
                    .unwrap_or_default()
            );
            let raw = v.get("Raw").and_then(Value::as_str).unwrap_or_default();
            let path = tree.relativize(file);
            let f = finding_with_snippet(
                "trufflehog",
                detector,
                sev,
                message,
                &path,
                Span::line(line),
                &secret_hash(raw),
            );
            out.push(f);
        }
        if skipped > 0 {
            out.notes
                .push(format!("skipped {skipped} line(s) that are not JSON"));
        }
        Ok(out)
    }
}
