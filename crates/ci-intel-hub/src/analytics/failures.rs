//! The Autopsy page's numbers: the failure signatures the runs' autopsies found, counted from
//! the daily rollups. A signature is the same failure in every run it broke
//! (`pipeline_run::failure_signature`), so the page answers "what keeps breaking the builds":
//! how many runs each broke over the window, when it was first and last seen, its daily trend,
//! whether it is new this week, and the runs it broke.

use std::collections::BTreeMap;

use ci_intel_store::rollup::FailureRollup;
use ci_intel_store::{DayWindow, Store, StoreError};
use serde::Serialize;
use time::Duration;

use super::{Window, parse_day, ymd};

/// How far before the window the page looks to tell a new failure from an old one.
const LOOKBACK_DAYS: i64 = 90;
/// Signatures listed, most frequent first.
const MAX_SIGNATURES: usize = 100;
/// Example runs listed per signature.
const MAX_RUNS: usize = 10;

/// One failure signature over the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureSignature {
    pub signature: String,
    /// The rule that recognised it (`autopsy/unknown` for a mined template).
    pub pattern: String,
    /// From the built-in rules; `custom` for an organisation's own rule.
    pub category: String,
    pub tool: String,
    pub message: String,
    /// Runs it broke in the window.
    pub runs: i64,
    /// First and last day it broke a run, looking back 90 days before the window.
    pub first_seen: String,
    pub last_seen: String,
    /// First seen in the last 7 days of the window.
    pub new_this_week: bool,
    /// Runs broken per day of the window (days without any left out).
    pub trend: Vec<DayCount>,
    pub repos: Vec<String>,
    /// Some of the runs it broke, latest days first.
    pub run_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayCount {
    pub day: String,
    pub runs: i64,
}

/// `/api/v1/autopsy`.
#[derive(Debug, Clone, Serialize)]
pub struct Failures {
    pub window: Window,
    /// Failed runs in the window.
    pub failed_runs: i64,
    pub new_this_week: usize,
    pub signatures: Vec<FailureSignature>,
}

#[derive(Default)]
struct Acc {
    f: FailureRollup,
    runs_in_window: i64,
    first: Option<String>,
    last: Option<String>,
    trend: BTreeMap<String, i64>,
    repos: std::collections::BTreeSet<String>,
    run_ids: Vec<(String, String)>,
}

/// The category of a rule id, from the built-in rules. A classified cause's category is not in
/// the record (`pipeline_run.v1.2` root causes carry the rule id only): it shows as
/// `classified`.
fn category(pattern: &str) -> String {
    if pattern == ci_intel_autopsy::rank::UNKNOWN_RULE {
        return "unknown".into();
    }
    if pattern == ci_intel_autopsy::classifier::CLASSIFIED_RULE {
        return "classified".into();
    }
    ci_intel_autopsy::RuleSet::builtin_static()
        .rules
        .iter()
        .find(|r| r.id == pattern)
        .map_or_else(|| "custom".into(), |r| r.category.as_str().to_owned())
}

pub fn failures(store: &dyn Store, w: &Window) -> Result<Failures, StoreError> {
    let since = parse_day(&w.since).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let lookback = DayWindow {
        repo: w.repo.clone(),
        since: ymd(since - Duration::days(LOOKBACK_DAYS)),
        until: w.until.clone(),
    };
    let week_start = parse_day(&w.until)
        .map(|u| ymd(u - Duration::days(7)))
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    let mut acc: BTreeMap<String, Acc> = BTreeMap::new();
    let mut failed_runs = 0i64;
    for (repo, day, r) in store.rollups(&lookback)? {
        let in_window = day.as_str() >= w.since.as_str();
        if in_window {
            failed_runs += r.count("failed");
        }
        for (sig, f) in &r.failures {
            let a = acc.entry(sig.clone()).or_default();
            if a.f.pattern.is_empty() {
                a.f.pattern.clone_from(&f.pattern);
                a.f.tool.clone_from(&f.tool);
                a.f.message.clone_from(&f.message);
            }
            if a.first.as_deref().is_none_or(|d| day.as_str() < d) {
                a.first = Some(day.clone());
            }
            if a.last.as_deref().is_none_or(|d| day.as_str() > d) {
                a.last = Some(day.clone());
            }
            if in_window {
                a.runs_in_window += f.runs;
                *a.trend.entry(day.clone()).or_default() += f.runs;
                a.repos.insert(repo.clone());
                a.run_ids
                    .extend(f.run_ids.keys().map(|id| (day.clone(), id.clone())));
            }
        }
    }
    let mut signatures: Vec<FailureSignature> = acc
        .into_iter()
        .filter(|(_, a)| a.runs_in_window > 0)
        .map(|(signature, mut a)| {
            a.run_ids.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
            let first_seen = a.first.unwrap_or_default();
            FailureSignature {
                category: category(&a.f.pattern),
                new_this_week: first_seen >= week_start,
                signature,
                pattern: a.f.pattern,
                tool: a.f.tool,
                message: a.f.message,
                runs: a.runs_in_window,
                first_seen,
                last_seen: a.last.unwrap_or_default(),
                trend: a
                    .trend
                    .into_iter()
                    .map(|(day, runs)| DayCount { day, runs })
                    .collect(),
                repos: a.repos.into_iter().collect(),
                run_ids: a
                    .run_ids
                    .into_iter()
                    .map(|(_, id)| id)
                    .take(MAX_RUNS)
                    .collect(),
            }
        })
        .collect();
    signatures.sort_by(|a, b| b.runs.cmp(&a.runs).then(b.last_seen.cmp(&a.last_seen)));
    signatures.truncate(MAX_SIGNATURES);
    Ok(Failures {
        window: w.clone(),
        failed_runs,
        new_this_week: signatures.iter().filter(|s| s.new_this_week).count(),
        signatures,
    })
}

#[cfg(test)]
mod tests {
    use super::category;

    #[test]
    fn rule_ids_map_to_their_category() {
        assert_eq!(category("pytest/failed"), "test-failure");
        assert_eq!(category("autopsy/unknown"), "unknown");
        assert_eq!(category("autopsy/classified"), "classified");
        assert_eq!(category("acme/widget-quota"), "custom");
    }
}
