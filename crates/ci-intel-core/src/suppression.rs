//! Suppressions and baselines: how a team says "we know, and here is why".
//!
//! A [`Suppression`] matches a fingerprint, or a rule plus an optional path glob. It always has a
//! reason, an owner and an expiry date: an expired suppression stops suppressing and becomes a
//! finding of its own, so accepted risk is revisited instead of forgotten. A [`Baseline`] is the
//! list of fingerprints that existed when a team adopted a check; only new findings fail.

use std::collections::BTreeSet;
use std::path::Path;

use globset::{Glob, GlobMatcher};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::error::InputError;
use crate::finding::{Finding, Location, Severity};

/// One suppression entry, as written in `.ci-intel/config.yml` under `suppressions:`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Suppression {
    /// Suppress exactly this finding (its `fingerprint` from JSON or SARIF output).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// Suppress every finding of this rule: `rule-id` or `tool/rule-id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Restrict `rule` to paths matching this glob (e.g. `src/legacy/**`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Why the finding is acceptable.
    #[schemars(length(min = 1))]
    pub reason: String,
    /// Who accepted it (a person or team handle).
    #[schemars(length(min = 1))]
    pub owner: String,
    /// The last day (YYYY-MM-DD) the suppression applies; after it, the suppression is a finding.
    #[schemars(regex(pattern = r"^\d{4}-\d{2}-\d{2}$"))]
    pub expires: String,
}

/// A suppression ready to match: its glob compiled, its date parsed, and where it was written.
#[derive(Debug, Clone)]
pub struct CompiledSuppression {
    pub spec: Suppression,
    pub expires: Date,
    path: Option<GlobMatcher>,
    /// Where the entry is written (config file and line), for the expired-suppression finding.
    pub source: Option<Location>,
}

/// Why a suppression entry is not usable. The message carries the cause too: configuration
/// errors are printed as one line under the key that holds them.
#[derive(Debug, thiserror::Error)]
pub enum SuppressionError {
    #[error("a suppression needs a `fingerprint` or a `rule`")]
    NoTarget,
    #[error("`expires: {value}` is not a YYYY-MM-DD date ({source})")]
    Expires {
        value: String,
        source: time::error::Parse,
    },
    #[error("`path: {glob}` is not a valid glob ({source})")]
    Path {
        glob: String,
        source: globset::Error,
    },
}

const DATE_FORMAT: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

impl CompiledSuppression {
    pub fn compile(spec: Suppression, source: Option<Location>) -> Result<Self, SuppressionError> {
        if spec.fingerprint.is_none() && spec.rule.is_none() {
            return Err(SuppressionError::NoTarget);
        }
        let expires =
            Date::parse(&spec.expires, DATE_FORMAT).map_err(|e| SuppressionError::Expires {
                value: spec.expires.clone(),
                source: e,
            })?;
        let path = match &spec.path {
            Some(g) => Some(
                Glob::new(g)
                    .map_err(|e| SuppressionError::Path {
                        glob: g.clone(),
                        source: e,
                    })?
                    .compile_matcher(),
            ),
            None => None,
        };
        Ok(Self {
            spec,
            expires,
            path,
            source,
        })
    }

    pub fn is_expired(&self, today: Date) -> bool {
        today > self.expires
    }

    pub fn matches(&self, finding: &Finding) -> bool {
        if let Some(fp) = &self.spec.fingerprint
            && fp != &finding.fingerprint
        {
            return false;
        }
        if let Some(rule) = &self.spec.rule {
            let qualified = format!("{}/{}", finding.tool, finding.rule_id);
            if rule != &finding.rule_id && rule != &qualified {
                return false;
            }
        }
        if let Some(glob) = &self.path {
            match finding.path() {
                Some(p) if glob.is_match(p) => {}
                _ => return false,
            }
        }
        true
    }
}

/// The result of applying suppressions and a baseline to a list of findings.
#[derive(Debug, Default, Clone)]
pub struct Filtered {
    /// Findings that still count.
    pub active: Vec<Finding>,
    /// Findings a live suppression covers.
    pub suppressed: Vec<Finding>,
    /// Findings the baseline already knew.
    pub baselined: Vec<Finding>,
}

/// Applies live suppressions and the baseline; every expired suppression is added as a finding
/// (`ci-intel/expired-suppression`) and suppresses nothing.
pub fn apply(
    findings: Vec<Finding>,
    suppressions: &[CompiledSuppression],
    baseline: Option<&Baseline>,
    today: Date,
) -> Filtered {
    let mut out = Filtered::default();
    for s in suppressions.iter().filter(|s| s.is_expired(today)) {
        let what = s
            .spec
            .fingerprint
            .as_deref()
            .or(s.spec.rule.as_deref())
            .unwrap_or_default();
        let message = format!(
            "suppression of `{what}` (owner {}, reason: {}) expired on {}; renew it with a new reason or fix the findings",
            s.spec.owner, s.spec.reason, s.spec.expires
        );
        out.active.push(Finding::new(
            "ci-intel",
            "expired-suppression",
            Severity::Warning,
            message,
            s.source.clone(),
            &format!("{what}@{}", s.spec.expires),
        ));
    }
    for f in findings {
        if suppressions
            .iter()
            .any(|s| !s.is_expired(today) && s.matches(&f))
        {
            out.suppressed.push(f);
        } else if baseline.is_some_and(|b| b.contains(&f.fingerprint)) {
            out.baselined.push(f);
        } else {
            out.active.push(f);
        }
    }
    out
}

/// The fingerprints a team accepted when it adopted a check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub schema: String,
    pub fingerprints: BTreeSet<String>,
}

impl Baseline {
    pub const SCHEMA: &'static str = "ci-intel.baseline/v1";

    pub fn from_findings<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Self {
        Self {
            schema: Self::SCHEMA.into(),
            fingerprints: findings
                .into_iter()
                .map(|f| f.fingerprint.clone())
                .collect(),
        }
    }

    pub fn contains(&self, fingerprint: &str) -> bool {
        self.fingerprints.contains(fingerprint)
    }

    pub fn load(path: &Path) -> Result<Self, InputError> {
        let text = std::fs::read_to_string(path).map_err(|e| InputError::io(path, &e))?;
        let b: Baseline = serde_json::from_str(&text).map_err(|e| {
            InputError::json(path, &e, "a ci-intel baseline (JSON with `fingerprints`)")
        })?;
        if b.schema != Self::SCHEMA {
            return Err(InputError::new(
                path,
                format!("expected `schema: {}`, found `{}`", Self::SCHEMA, b.schema),
            ));
        }
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Location;
    use time::macros::date;

    fn finding(rule: &str, path: &str) -> Finding {
        Finding::new(
            "coverage",
            rule,
            Severity::Warning,
            "m",
            Some(Location::line(path, 1)),
            path,
        )
    }

    fn sup(rule: Option<&str>, path: Option<&str>, expires: &str) -> CompiledSuppression {
        CompiledSuppression::compile(
            Suppression {
                fingerprint: None,
                rule: rule.map(Into::into),
                path: path.map(Into::into),
                reason: "legacy".into(),
                owner: "@team".into(),
                expires: expires.into(),
            },
            Some(Location::line(".ci-intel/config.yml", 9)),
        )
        .unwrap()
    }

    #[test]
    fn live_suppression_hides_matching_findings_only() {
        let s = [sup(
            Some("coverage/uncovered-line"),
            Some("src/legacy/**"),
            "2099-01-01",
        )];
        let out = apply(
            vec![
                finding("uncovered-line", "src/legacy/a.py"),
                finding("uncovered-line", "src/new/b.py"),
                finding("other", "src/legacy/a.py"),
            ],
            &s,
            None,
            date!(2026 - 01 - 01),
        );
        assert_eq!(out.suppressed.len(), 1);
        assert_eq!(out.active.len(), 2);
    }

    #[test]
    fn expired_suppression_stops_suppressing_and_is_a_finding() {
        let s = [sup(Some("uncovered-line"), None, "2026-01-01")];
        // Still valid on the expiry day itself.
        let on_the_day = apply(
            vec![finding("uncovered-line", "a.py")],
            &s,
            None,
            date!(2026 - 01 - 01),
        );
        assert_eq!(on_the_day.suppressed.len(), 1);
        let after = apply(
            vec![finding("uncovered-line", "a.py")],
            &s,
            None,
            date!(2026 - 01 - 02),
        );
        assert!(after.suppressed.is_empty());
        assert_eq!(after.active.len(), 2);
        let expired = after
            .active
            .iter()
            .find(|f| f.rule_id == "expired-suppression")
            .unwrap();
        assert_eq!(expired.path(), Some(".ci-intel/config.yml"));
        assert!(expired.message.contains("expired on 2026-01-01"));
    }

    #[test]
    fn baseline_hides_known_fingerprints() {
        let old = finding("uncovered-line", "a.py");
        let b = Baseline::from_findings([&old]);
        let out = apply(
            vec![old.clone(), finding("uncovered-line", "b.py")],
            &[],
            Some(&b),
            date!(2026 - 01 - 01),
        );
        assert_eq!(out.baselined, vec![old]);
        assert_eq!(out.active.len(), 1);
    }

    #[test]
    fn suppression_needs_a_target_and_a_valid_date() {
        let mut s = sup(Some("r"), None, "2026-01-01").spec;
        s.rule = None;
        assert!(CompiledSuppression::compile(s.clone(), None).is_err());
        s.rule = Some("r".into());
        s.expires = "next week".into();
        assert!(CompiledSuppression::compile(s, None).is_err());
    }
}
