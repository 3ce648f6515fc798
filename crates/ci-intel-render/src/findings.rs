//! Findings for people: the terminal list and the Markdown section, shared by every analyzer
//! whose result is a list of findings (workflow audit, secrets, converted linters).

use std::collections::BTreeMap;

use ci_intel_core::finding::{Finding, Severity};
use ci_intel_core::{GateResult, GateVerdict};

use crate::human::{self, Style};
use crate::markdown;

/// Most findings listed in a Markdown summary before "…and N more".
const MAX_MARKDOWN: usize = 100;

fn sev_label(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// `path:line:col`.
pub fn location(f: &Finding) -> String {
    match &f.location {
        Some(l) => match l.start_column {
            Some(c) => format!("{}:{}:{c}", l.path, l.start_line),
            None => format!("{}:{}", l.path, l.start_line),
        },
        None => String::new(),
    }
}

/// Counts per `tool/rule` id, sorted.
pub fn by_rule(findings: &[Finding]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for f in findings {
        *m.entry(format!("{}/{}", f.tool, f.rule_id)).or_insert(0) += 1;
    }
    m
}

/// The terminal report: one line per finding (`path:line:col: severity[rule] message`), a
/// summary per rule, then the gates.
pub fn human(
    title: &str,
    verdict: GateResult,
    findings: &[Finding],
    summary_line: &str,
    gates: &[GateVerdict],
    style: Style,
) -> String {
    let mut out = String::new();
    for f in findings {
        let sev = sev_label(f.severity);
        let sev = if style.color {
            let code = match f.severity {
                Severity::Error => "31;1",
                Severity::Warning => "33",
                Severity::Note => "36",
            };
            format!("\x1b[{code}m{sev}\x1b[0m")
        } else {
            sev.to_owned()
        };
        out.push_str(&format!(
            "{}: {sev}[{}] {}\n",
            location(f),
            f.rule_id,
            human::clean(&f.message)
        ));
    }
    if !findings.is_empty() {
        out.push('\n');
    }
    out.push_str(&format!("{title}: {} — {summary_line}\n", verdict.as_str()));
    for (rule, n) in by_rule(findings) {
        out.push_str(&format!("  {n:>5}  {rule}\n"));
    }
    human::gates(&mut out, gates, style);
    out
}

/// The Markdown section: a table of findings (most severe first) and the gates.
pub fn markdown(
    title: &str,
    verdict: GateResult,
    findings: &[Finding],
    gates: &[GateVerdict],
) -> String {
    let icon = match verdict {
        GateResult::Allow => "✅",
        GateResult::Warn => "⚠️",
        GateResult::Deny => "❌",
    };
    let mut out = format!("## {icon} ci-intel · {title}: {}\n\n", verdict.as_str());
    if findings.is_empty() {
        out.push_str("No findings.\n");
    } else {
        let counts = by_rule(findings);
        out.push_str("| Rule | Findings |\n|---|---|\n");
        for (rule, n) in &counts {
            out.push_str(&format!("| `{rule}` | {n} |\n"));
        }
        let mut sorted: Vec<&Finding> = findings.iter().collect();
        sorted.sort_by_key(|f| std::cmp::Reverse(f.severity));
        out.push_str("\n| Severity | Rule | Location | Message |\n|---|---|---|---|\n");
        for f in sorted.iter().take(MAX_MARKDOWN) {
            out.push_str(&format!(
                "| {} | `{}` | `{}` | {} |\n",
                sev_label(f.severity),
                f.rule_id,
                location(f).replace('`', "'"),
                markdown::cell(&f.message)
            ));
        }
        if sorted.len() > MAX_MARKDOWN {
            out.push_str(&format!(
                "\n…and {} more (see the SARIF or JSON report).\n",
                sorted.len() - MAX_MARKDOWN
            ));
        }
    }
    markdown::gates(&mut out, gates);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ci_intel_core::finding::Location;

    #[test]
    fn lists_and_summarises() {
        let mut loc = Location::line("w.yml", 3);
        loc.start_column = Some(7);
        let f = Finding::new(
            "audit",
            "unpinned-uses",
            Severity::Error,
            "bad | pin",
            Some(loc),
            "x",
        );
        let text = human(
            "ci-intel audit",
            GateResult::Deny,
            std::slice::from_ref(&f),
            "1 file",
            &[],
            Style { color: false },
        );
        assert!(
            text.starts_with("w.yml:3:7: error[unpinned-uses] bad | pin\n"),
            "{text}"
        );
        assert!(text.contains("      1  audit/unpinned-uses"), "{text}");
        let md = markdown("workflow audit", GateResult::Deny, &[f], &[]);
        assert!(
            md.contains("| error | `unpinned-uses` | `w.yml:3:7` | bad \\| pin |"),
            "{md}"
        );
    }
}
