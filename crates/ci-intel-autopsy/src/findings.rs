//! Root causes as findings, so SARIF, annotations and the findings table are written once.

use ci_intel_core::finding::{Confidence, Finding, Fix, Location, Rule, Severity};

use crate::model::RootCause;
use crate::rules::RuleSet;

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

/// The rules as `ci-intel rules` and SARIF list them: every pack rule, then the two ids of
/// root causes no rule recognised (a mined template, and one the classifier named).
pub fn rule_docs(rules: &RuleSet) -> Vec<Rule> {
    let mined = [
        Rule {
            tool: TOOL,
            id: crate::rank::UNKNOWN_RULE,
            severity: Severity::Warning,
            summary: "unknown (log): an error line no rule knows, grouped by the template miner",
            help: "No rule knows this failure. Read the excerpt; if it recurs, add a rule for it (`ci-intel autopsy rules test` checks a new pack).",
        },
        Rule {
            tool: TOOL,
            id: crate::classifier::CLASSIFIED_RULE,
            severity: Severity::Warning,
            summary: "any category (log): an error line no rule knows, whose category the classifier named (`autopsy.classifier`)",
            help: "The classifier trained on the rule packs' examples named this line's category; no rule confirms it. Read the excerpt and add a rule if it recurs.",
        },
    ];
    rules
        .rules
        .iter()
        .map(|r| Rule {
            tool: TOOL,
            id: leak(&r.id),
            severity: if r.confidence >= 0.6 {
                Severity::Error
            } else {
                Severity::Warning
            },
            summary: leak(&format!(
                "{} ({}): {}",
                r.category,
                r.tool,
                first_example(r)
            )),
            help: leak(&r.hint),
        })
        .chain(mined)
        .collect()
}

/// The first line of a rule's first example: what the failure looks like in a log.
fn first_example(r: &crate::rules::Rule) -> String {
    let line = r
        .examples
        .first()
        .and_then(|e| e.lines().next())
        .unwrap_or_default()
        .trim();
    let short: String = line.chars().take(100).collect();
    if short.len() < line.len() {
        format!("`{}…`", short.replace('`', "'"))
    } else {
        format!("`{}`", short.replace('`', "'"))
    }
}

/// Rule documentation lives for the whole process; the built-in packs are loaded once, so
/// leaking their strings is bounded.
fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}
