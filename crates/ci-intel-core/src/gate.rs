//! Gate verdicts: a policy's judgement of a run, with the inputs it judged.
//!
//! Gates decide; they never parse (readers do) and never print (reporters do). Every verdict is
//! recorded in `pipeline_run.policies[]`, so a failed pipeline can always say which gate failed it
//! and on what evidence.

use serde::{Deserialize, Serialize};

use crate::error::exit;

/// A gate's result, in increasing order of severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GateResult {
    Allow,
    Warn,
    Deny,
}

impl GateResult {
    pub fn as_str(self) -> &'static str {
        match self {
            GateResult::Allow => "allow",
            GateResult::Warn => "warn",
            GateResult::Deny => "deny",
        }
    }
}

/// One gate's verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GateVerdict {
    /// Stable id, e.g. `tests.failures`, `coverage.diff`.
    pub id: String,
    pub result: GateResult,
    /// One sentence a person can act on.
    pub reason: String,
    /// The values the gate compared (measured value, threshold, counts).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub inputs: serde_json::Map<String, serde_json::Value>,
}

impl GateVerdict {
    pub fn new(id: impl Into<String>, result: GateResult, reason: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            result,
            reason: reason.into(),
            inputs: serde_json::Map::new(),
        }
    }

    pub fn input(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.inputs.insert(key.to_owned(), value.into());
        self
    }
}

/// A gate on findings: deny when an active finding is at least `fail_on` severe (`None`: never),
/// warn when there are findings below it, allow when there are none. `what` names the findings
/// in the reason ("workflow audit finding").
pub fn findings_gate(
    id: &str,
    what: &str,
    findings: &[crate::finding::Finding],
    fail_on: Option<crate::finding::Severity>,
) -> GateVerdict {
    use crate::finding::Severity;
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let (errors, warnings, notes) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Note),
    );
    let failing = fail_on.map_or(0, |t| findings.iter().filter(|f| f.severity >= t).count());
    let summary = format!("{errors} error(s), {warnings} warning(s), {notes} note(s)");
    let (result, reason) = if failing > 0 {
        (
            GateResult::Deny,
            format!("{failing} {what}(s) at or above the failing severity ({summary})"),
        )
    } else if findings.is_empty() {
        (GateResult::Allow, format!("no {what}"))
    } else if errors + warnings > 0 {
        (GateResult::Warn, format!("{summary}, none failing"))
    } else {
        (GateResult::Allow, format!("{summary}, none failing"))
    };
    GateVerdict::new(id, result, reason)
        .input("errors", errors)
        .input("warnings", warnings)
        .input("notes", notes)
        .input(
            "fail_on",
            fail_on.map_or("never", crate::finding::Severity::as_str),
        )
}

/// The overall result of a set of verdicts: the most severe one (allow when there are none).
pub fn overall(verdicts: &[GateVerdict]) -> GateResult {
    verdicts
        .iter()
        .map(|v| v.result)
        .max()
        .unwrap_or(GateResult::Allow)
}

/// The process exit code for a set of verdicts: 1 when any gate denied, else 0.
pub fn exit_code(verdicts: &[GateVerdict]) -> i32 {
    if overall(verdicts) == GateResult::Deny {
        exit::GATE_DENIED
    } else {
        exit::PASS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_gate_follows_the_threshold() {
        use crate::finding::{Finding, Severity};
        let f = |s| Finding::new("t", "r", s, "m", None, "x");
        let fs = vec![f(Severity::Warning), f(Severity::Note)];
        assert_eq!(
            findings_gate("g", "finding", &fs, Some(Severity::Error)).result,
            GateResult::Warn
        );
        assert_eq!(
            findings_gate("g", "finding", &fs, Some(Severity::Warning)).result,
            GateResult::Deny
        );
        assert_eq!(
            findings_gate("g", "finding", &[], Some(Severity::Note)).result,
            GateResult::Allow
        );
        assert_eq!(
            findings_gate("g", "finding", &[f(Severity::Error)], None).result,
            GateResult::Warn
        );
        assert_eq!(
            findings_gate("g", "finding", &[f(Severity::Note)], Some(Severity::Error)).result,
            GateResult::Allow
        );
    }

    #[test]
    fn overall_is_the_most_severe() {
        let v = vec![
            GateVerdict::new("a", GateResult::Allow, ""),
            GateVerdict::new("b", GateResult::Warn, ""),
        ];
        assert_eq!(overall(&v), GateResult::Warn);
        assert_eq!(exit_code(&v), 0);
        let mut v = v;
        v.push(GateVerdict::new("c", GateResult::Deny, ""));
        assert_eq!(overall(&v), GateResult::Deny);
        assert_eq!(exit_code(&v), 1);
        assert_eq!(overall(&[]), GateResult::Allow);
    }
}
