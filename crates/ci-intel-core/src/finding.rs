//! A [`Finding`]: one problem an analyzer wants a person to look at.
//!
//! Every analyzer that reports problems emits findings, so SARIF, Markdown, annotations,
//! suppressions and baselines are written once for all of them.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How bad a finding is. Maps one-to-one onto SARIF levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// How sure the analyzer is that the finding is real.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

/// Where a finding is: a repository-relative path and a 1-based line range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub path: String,
    pub start_line: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_column: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_column: Option<u32>,
}

impl Location {
    pub fn line(path: impl Into<String>, line: u32) -> Self {
        Self {
            path: path.into(),
            start_line: line,
            end_line: None,
            start_column: None,
            end_column: None,
        }
    }
}

/// Documentation of one rule, as its analyzer registers it. Each analyzer exports its rules as
/// a list (its registry); SARIF `rules`, `docs/rules.md` and `ci-intel rules` are generated from
/// these lists, never written by hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The analyzer (`tests`, `coverage`, …).
    pub tool: &'static str,
    /// The rule id within the analyzer (`test-failure`).
    pub id: &'static str,
    /// The default severity of its findings.
    pub severity: Severity,
    /// One line: what the rule reports.
    pub summary: &'static str,
    /// What to do about it.
    pub help: &'static str,
}

impl Rule {
    /// `tool/id`, the form SARIF and suppressions use.
    pub fn qualified_id(&self) -> String {
        format!("{}/{}", self.tool, self.id)
    }
}

/// ci-intel's own rules (about its configuration rather than the code).
pub const RULES: &[Rule] = &[Rule {
    tool: "ci-intel",
    id: "expired-suppression",
    severity: Severity::Warning,
    summary: "A suppression in the configuration is past its expiry date and no longer applies.",
    help: "Fix the findings it covered, or renew it with a new expiry date, reason and owner.",
}];

/// A suggested change that would resolve the finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
}

/// One problem, from one tool, at one place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The analyzer that produced it (`tests`, `coverage`, `audit`, …).
    pub tool: String,
    /// A stable rule id within the tool (`uncovered-line`, `test-failure`, …).
    pub rule_id: String,
    pub severity: Severity,
    pub confidence: Confidence,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Stable across commits for the same issue; see [`fingerprint`].
    pub fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

impl Finding {
    /// Builds a finding and its fingerprint. `snippet` is what identifies the issue independently
    /// of its line number (the offending source line, a test id, an expression); it is normalised
    /// so that re-indenting or moving code does not change the fingerprint.
    pub fn new(
        tool: &str,
        rule_id: &str,
        severity: Severity,
        message: impl Into<String>,
        location: Option<Location>,
        snippet: &str,
    ) -> Self {
        let path = location.as_ref().map_or("", |l| l.path.as_str());
        Self {
            tool: tool.to_owned(),
            rule_id: rule_id.to_owned(),
            severity,
            confidence: Confidence::High,
            message: message.into(),
            fingerprint: fingerprint(rule_id, tool, path, snippet),
            location,
            help_uri: None,
            fix: None,
        }
    }

    pub fn with_confidence(mut self, confidence: Confidence) -> Self {
        self.confidence = confidence;
        self
    }

    pub fn with_help_uri(mut self, uri: impl Into<String>) -> Self {
        self.help_uri = Some(uri.into());
        self
    }

    pub fn path(&self) -> Option<&str> {
        self.location.as_ref().map(|l| l.path.as_str())
    }
}

/// The stable fingerprint `rule@tool@path@normalized-snippet`, hashed to 32 hex characters so it
/// is short enough for baselines and SARIF `partialFingerprints`.
pub fn fingerprint(rule_id: &str, tool: &str, path: &str, snippet: &str) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update(b"@");
    h.update(tool.as_bytes());
    h.update(b"@");
    h.update(path.as_bytes());
    h.update(b"@");
    h.update(normalize_snippet(snippet).as_bytes());
    let digest = h.finalize();
    let mut out = String::with_capacity(32);
    for b in &digest[..16] {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Fingerprints made unique within one log, in order: the second and later occurrences of a
/// fingerprint get `:2`, `:3`, … (as code scanning numbers identical lines), so two identical
/// findings in one file stay two alerts. The first keeps the bare fingerprint, which is what
/// baselines and suppressions hold.
pub fn numbered_fingerprints<'a>(fingerprints: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    fingerprints
        .into_iter()
        .map(|f| {
            let n = seen.entry(f).or_insert(0);
            *n += 1;
            if *n == 1 {
                f.to_owned()
            } else {
                format!("{f}:{n}")
            }
        })
        .collect()
}

/// Collapses runs of whitespace and trims, so indentation changes keep a fingerprint.
pub fn normalize_snippet(snippet: &str) -> String {
    snippet.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_ignores_whitespace_but_not_content() {
        let a = fingerprint("r", "t", "p.py", "  x = 1\t+ 2 ");
        let b = fingerprint("r", "t", "p.py", "x = 1 + 2");
        let c = fingerprint("r", "t", "p.py", "x = 1 + 3");
        let d = fingerprint("r", "t", "q.py", "x = 1 + 2");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn repeated_fingerprints_are_numbered_in_order() {
        assert_eq!(
            numbered_fingerprints(["a", "b", "a", "a"]),
            vec!["a", "b", "a:2", "a:3"]
        );
    }

    #[test]
    fn fingerprint_does_not_depend_on_line_numbers() {
        let f1 = Finding::new(
            "coverage",
            "uncovered-line",
            Severity::Warning,
            "m",
            Some(Location::line("a.py", 3)),
            "return x",
        );
        let f2 = Finding::new(
            "coverage",
            "uncovered-line",
            Severity::Warning,
            "m",
            Some(Location::line("a.py", 30)),
            "return x",
        );
        assert_eq!(f1.fingerprint, f2.fingerprint);
    }
}
