//! gitleaks `--report-format json`: an array of leaks. The secret (`Secret`, `Match`) never
//! reaches the log: its SHA-256 feeds the fingerprint, as for ci-intel's own secret findings.

use ci_intel_core::finding::Severity;
use ci_intel_core::sarif::ReportingDescriptor;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{
    Converted, Converter, ParseError, Sample, Span, finding_with_snippet, parse_json,
    security_score,
};
use crate::source::SourceTree;

#[derive(Debug)]
pub struct Gitleaks;

#[derive(Deserialize)]
struct Leak {
    #[serde(rename = "RuleID")]
    rule_id: String,
    #[serde(rename = "Description", default)]
    description: String,
    #[serde(rename = "StartLine")]
    start_line: Option<i64>,
    #[serde(rename = "EndLine")]
    end_line: Option<i64>,
    #[serde(rename = "Secret", default)]
    secret: String,
    #[serde(rename = "File")]
    file: String,
    #[serde(rename = "Commit", default)]
    commit: String,
}

/// The first 12 characters of a commit id (tools' input: never sliced at a byte offset).
pub(super) fn short_commit(c: &str) -> String {
    c.chars().take(12).collect()
}

/// The hex SHA-256 of a secret: identifies it without revealing it.
pub(super) fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl Converter for Gitleaks {
    fn id(&self) -> &'static str {
        "gitleaks"
    }

    fn produced_by(&self) -> &'static str {
        "gitleaks --report-format json"
    }

    fn detect(&self, s: &Sample<'_>) -> bool {
        s.array_of_objects_with("RuleID")
    }

    fn convert(&self, text: &str, tree: &mut SourceTree) -> Result<Converted, ParseError> {
        let leaks: Vec<Leak> = parse_json(
            text,
            "gitleaks JSON (an array of `{\"RuleID\", \"File\", \"StartLine\", …}`)",
        )?;
        let mut out = Converted::new("gitleaks", "https://github.com/gitleaks/gitleaks");
        let sev = Severity::Error;
        for l in leaks {
            out.rule(&l.rule_id, || {
                let short = if l.description.is_empty() {
                    format!("gitleaks rule {}", l.rule_id)
                } else {
                    l.description.clone()
                };
                ReportingDescriptor::new(
                    &l.rule_id,
                    short.clone(),
                    format!(
                        "{short} Revoke the credential at its issuer first (it is exposed for as long as the file or commit exists), then remove it and load it from a secret store at run time."
                    ),
                )
                .with_level(sev)
                .security(security_score(sev), &["secret".to_owned()])
            });
            let line = l
                .start_line
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(1);
            let message = if l.commit.is_empty() {
                format!(
                    "{} credential ({})",
                    l.rule_id,
                    l.description.trim_end_matches('.')
                )
            } else {
                format!(
                    "{} credential added in commit {} ({})",
                    l.rule_id,
                    short_commit(&l.commit),
                    l.description.trim_end_matches('.')
                )
            };
            let path = tree.relativize(&l.file);
            // gitleaks' columns are unreliable (off by one after the first line), so lines only.
            let span = Span {
                line,
                end_line: l.end_line.and_then(|n| u32::try_from(n).ok()),
                ..Span::default()
            };
            let f = finding_with_snippet(
                "gitleaks",
                &l.rule_id,
                sev,
                message,
                &path,
                span,
                &secret_hash(&l.secret),
            );
            out.push(f);
        }
        Ok(out)
    }
}
