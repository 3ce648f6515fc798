//! From matches to findings and the `vuln.risk` gate: what counts as an error, what VEX
//! suppresses, and which rule every finding names. `vuln scan` and `check` both judge through
//! here, so the same vulnerability is the same finding with the same rule id in every output.

use std::path::PathBuf;

use ci_intel_core::InputError;
use ci_intel_core::finding::{Finding, Rule, Severity};
use ci_intel_core::gate::{GateResult, GateVerdict};

use crate::scan::Match;
use crate::vex::{self, Statement, Verdict};

/// The analyzer name findings carry.
pub const TOOL: &str = "vuln";

/// A dependency with a known vulnerability (an error at or above the risk threshold).
pub const VULNERABLE_DEPENDENCY: Rule = Rule {
    tool: TOOL,
    id: "vulnerable-dependency",
    severity: Severity::Error,
    summary: "A dependency has a known vulnerability",
    help: "The message names the advisory, the package and version, its risk (CVSS, EPSS \
           percentile, CISA KEV) and the versions that fix it. Upgrade to a fixed version; if the \
           vulnerable code cannot be reached from your software, record that with \
           `ci-intel vex create --status not_affected --justification …` and pass the statement \
           with `--vex` (or `vuln.vex` in the configuration). Findings below `--threshold` are \
           warnings and do not fail the gate.",
};

/// An advisory that is not a vulnerability: RustSec's `unmaintained` and `unsound` notices.
pub const INFORMATIONAL_ADVISORY: Rule = Rule {
    tool: TOOL,
    id: "informational-advisory",
    severity: Severity::Note,
    summary: "A dependency has an informational advisory (unmaintained, unsound)",
    help: "The crate is unmaintained or has unsound API. Plan a replacement; the gate does \
           not fail on these (`--no-informational` leaves them out).",
};

/// A VEX statement that would suppress a match, but has expired.
pub const EXPIRED_VEX: Rule = Rule {
    tool: TOOL,
    id: "expired-vex",
    severity: Severity::Warning,
    summary: "A VEX statement that suppressed a vulnerability has expired",
    help: "A statement past its expiry (or older than `--vex-max-age-days` without one) no \
           longer suppresses the vulnerability. Review it: renew it with a new timestamp if \
           the software is still not affected, or fix the vulnerability.",
};

/// Every rule a vulnerability finding can name.
pub const RULES: &[Rule] = &[VULNERABLE_DEPENDENCY, INFORMATIONAL_ADVISORY, EXPIRED_VEX];

/// One match with what VEX says about it.
#[derive(Debug)]
pub struct Judged<'a> {
    pub m: Match,
    pub vex: Verdict<'a>,
}

impl Judged<'_> {
    /// Counts against the gate: not suppressed, and a vulnerability (not informational).
    pub fn is_active_vulnerability(&self) -> bool {
        !matches!(self.vex, Verdict::Suppressed(_)) && self.m.informational.is_none()
    }
}

/// Every match with what the statements say about it at `now` (Unix seconds).
pub fn judge_all(
    matches: Vec<Match>,
    statements: &[Statement],
    now: i64,
    max_age_days: i64,
) -> Vec<Judged<'_>> {
    matches
        .into_iter()
        .map(|m| Judged {
            vex: vex::judge(&m, statements, now, max_age_days),
            m,
        })
        .collect()
}

/// The VEX statements of `files` (`(path to read, name to report)`).
pub fn load_statements(
    files: impl IntoIterator<Item = (PathBuf, String)>,
) -> Result<Vec<Statement>, InputError> {
    let mut statements = Vec::new();
    for (path, name) in files {
        let text = std::fs::read_to_string(&path).map_err(|e| InputError::io(&path, &e))?;
        statements.extend(vex::parse(&text, &name).map_err(|m| InputError::new(&path, m))?);
    }
    Ok(statements)
}

/// The finding for one match: an error at or above `threshold`, a warning below it, a note
/// for an informational advisory. Its fingerprint is the advisory and the package, so a
/// baseline keeps matching it across commits.
pub fn finding(m: &Match, threshold: f64) -> Finding {
    let (rule, severity) = if m.informational.is_some() {
        (&INFORMATIONAL_ADVISORY, Severity::Note)
    } else if m.risk >= threshold {
        (&VULNERABLE_DEPENDENCY, Severity::Error)
    } else {
        (&VULNERABLE_DEPENDENCY, Severity::Warning)
    };
    let fix = if m.fixed.is_empty() {
        String::new()
    } else {
        format!("; fixed in {}", m.fixed.join(", "))
    };
    let kind = m
        .informational
        .as_deref()
        .map_or(String::new(), |k| format!(" [{k}]"));
    let cvss = m
        .cvss
        .as_ref()
        .map_or(String::new(), |c| format!(", CVSS {:.1}", c.0));
    let see = m
        .url
        .as_deref()
        .map_or(String::new(), |u| format!(" ({u})"));
    let msg = format!(
        "{} {}@{}{kind}: {} (risk {:.2}{cvss}){fix}{see}",
        m.id, m.name, m.version, m.summary, m.risk
    );
    let mut f = Finding::new(
        TOOL,
        rule.id,
        severity,
        msg,
        None,
        &format!("{} {}", m.id, m.purl),
    );
    if let Some(u) = &m.url {
        f = f.with_help_uri(u.clone());
    }
    f
}

/// The findings: one per match VEX does not suppress, and one per expired statement.
pub fn findings(judged: &[Judged<'_>], threshold: f64) -> Vec<Finding> {
    let mut out: Vec<Finding> = judged
        .iter()
        .filter(|j| !matches!(j.vex, Verdict::Suppressed(_)))
        .map(|j| finding(&j.m, threshold))
        .collect();
    for j in judged {
        if let Verdict::Expired(s, at) = &j.vex {
            let when = if *at == 0 {
                "it has no timestamp".to_owned()
            } else {
                format!(
                    "expired {}",
                    ci_intel_core::format::rfc3339_unix(*at).unwrap_or_else(|| at.to_string())
                )
            };
            out.push(Finding::new(
                TOOL,
                EXPIRED_VEX.id,
                EXPIRED_VEX.severity,
                format!(
                    "the VEX statement in {} about {} for {} no longer suppresses it: {when}; review and renew it",
                    s.source, j.m.id, j.m.purl
                ),
                None,
                &format!("{}{}", j.m.id, j.m.purl),
            ));
        }
    }
    out
}

/// `vuln.risk`: deny when an unsuppressed vulnerability's risk reaches `threshold`, warn when
/// some remain below it.
pub fn risk_gate(judged: &[Judged<'_>], threshold: f64) -> GateVerdict {
    let active: Vec<&Judged<'_>> = judged
        .iter()
        .filter(|j| j.is_active_vulnerability())
        .collect();
    let denying: Vec<String> = active
        .iter()
        .filter(|j| j.m.risk >= threshold)
        .map(|j| format!("{} in {}@{}", j.m.id, j.m.name, j.m.version))
        .collect();
    let suppressed = judged
        .iter()
        .filter(|j| matches!(j.vex, Verdict::Suppressed(_)))
        .count();
    let vulns = active.len();
    let verdict = if denying.is_empty() {
        GateVerdict::new(
            "vuln.risk",
            if vulns > 0 {
                GateResult::Warn
            } else {
                GateResult::Allow
            },
            format!("{vulns} vulnerability(ies) below the risk threshold {threshold:.2}"),
        )
    } else {
        GateVerdict::new(
            "vuln.risk",
            GateResult::Deny,
            format!(
                "{} vulnerability(ies) at or above the risk threshold {threshold:.2}: {}",
                denying.len(),
                ci_intel_core::format::first_few(&denying)
            ),
        )
    };
    verdict
        .input("threshold", threshold)
        .input("vulnerabilities", vulns)
        .input("suppressed_by_vex", suppressed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: &str, risk: f64, informational: Option<&str>) -> Match {
        Match {
            id: id.into(),
            aliases: vec![],
            summary: "s".into(),
            purl: format!("pkg:cargo/x@1.0.0#{id}"),
            name: "x".into(),
            version: "1.0.0".into(),
            ecosystem: "crates.io",
            cvss: None,
            epss_percentile: None,
            kev: false,
            risk,
            informational: informational.map(str::to_owned),
            fixed: vec!["1.0.1".into()],
            url: Some("https://rustsec.org/advisories/X".into()),
        }
    }

    #[test]
    fn severity_follows_the_threshold_and_every_rule_is_registered() {
        let judged = judge_all(
            vec![
                m("A", 0.9, None),
                m("B", 0.3, None),
                m("C", 0.0, Some("unmaintained")),
            ],
            &[],
            0,
            0,
        );
        let f = findings(&judged, 0.7);
        let sev: Vec<_> = f.iter().map(|f| (f.rule_id.as_str(), f.severity)).collect();
        assert_eq!(
            sev,
            [
                ("vulnerable-dependency", Severity::Error),
                ("vulnerable-dependency", Severity::Warning),
                ("informational-advisory", Severity::Note),
            ]
        );
        for f in &f {
            assert!(RULES.iter().any(|r| r.tool == f.tool && r.id == f.rule_id));
            assert!(f.message.contains("fixed in 1.0.1"), "{}", f.message);
        }
        assert_ne!(f[0].fingerprint, f[1].fingerprint, "one per advisory");
        let gate = risk_gate(&judged, 0.7);
        assert_eq!(gate.result, GateResult::Deny);
        assert!(gate.reason.contains("A in x@1.0.0"), "{}", gate.reason);
        assert_eq!(risk_gate(&judged, 0.95).result, GateResult::Warn);
        assert_eq!(risk_gate(&judged[2..], 0.7).result, GateResult::Allow);
    }
}
