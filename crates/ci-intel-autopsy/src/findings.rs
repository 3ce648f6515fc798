//! Root causes as findings, so SARIF, annotations and the findings table are written once.

use ci_intel_core::finding::{Confidence, Finding, Fix, Location, Severity};

use crate::model::RootCause;

/// The tool name findings carry.
pub const TOOL: &str = "autopsy";

/// One finding per root cause, located at the source file and line the log names (else at the
/// log line), the fix as help.
pub fn findings(causes: &[RootCause]) -> Vec<Finding> {
    causes
        .iter()
        .map(|c| {
            let line = |l: u64| u32::try_from(l).unwrap_or(u32::MAX).max(1);
            let location = match &c.file {
                Some(f) => Location::line(f.clone(), c.line.map_or(1, line)),
                None => Location::line(c.location.log.clone(), line(c.location.line)),
            };
            let severity = if c.confidence >= 0.6 {
                Severity::Error
            } else {
                Severity::Warning
            };
            let mut f = Finding::new(
                TOOL,
                &c.rule_id,
                severity,
                format!("{} ({}): {}", c.category, c.tool, c.message),
                Some(location),
                &c.signature,
            );
            f.confidence = if c.confidence >= 0.8 {
                Confidence::High
            } else if c.confidence >= 0.5 {
                Confidence::Medium
            } else {
                Confidence::Low
            };
            f.help_uri.clone_from(&c.docs_uri);
            f.fix = Some(Fix {
                description: c.suggestion.clone(),
                replacement: None,
            });
            f
        })
        .collect()
}
