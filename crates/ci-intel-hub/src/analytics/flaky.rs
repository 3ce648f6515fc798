//! Flaky tests over a window, the quarantine list agents ask for, and per-test timings for
//! sharding.
//!
//! A run is a flaky observation of a test when the test passed on a retry in that run, or when
//! it failed in that run while another run of the same commit did not fail it: same code,
//! different outcome.

use std::collections::{BTreeMap, HashMap, HashSet};

use ci_intel_store::{Store, StoreError, TestOutcome};
use serde::Serialize;

use super::{Window, round};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FlakyTest {
    pub id: String,
    /// Runs in which it was flaky.
    pub flaky_runs: usize,
    /// Of those, runs where it passed only on a retry.
    pub passed_on_retry: usize,
    /// Of those, runs where it failed while another run of the same commit did not.
    pub failed_and_passed_same_commit: usize,
    /// `flaky_runs` over the runs that reported tests in the window.
    pub flake_rate: f64,
    pub last_seen: String,
    pub quarantined: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct FlakyReport {
    pub window: Window,
    pub repo: String,
    /// Runs with a test report in the window.
    pub runs: usize,
    /// A test is quarantined after this many flaky runs in the window.
    pub quarantine_after: usize,
    pub tests: Vec<FlakyTest>,
}

pub fn flaky(
    store: &dyn Store,
    repo: &str,
    w: &Window,
    quarantine_after: usize,
) -> Result<FlakyReport, StoreError> {
    let reports = store.test_reports(repo, &w.since_time())?;
    let until = w.until_time();
    let reports: Vec<_> = reports
        .into_iter()
        .filter(|r| r.started_at < until)
        .collect();
    // Per commit: which runs, and which tests failed in each.
    let mut runs_of_commit: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut failed_in: Vec<HashSet<&str>> = Vec::with_capacity(reports.len());
    for (i, r) in reports.iter().enumerate() {
        runs_of_commit.entry(&r.commit_sha).or_default().push(i);
        failed_in.push(
            r.tests
                .iter()
                .filter(|t| t.outcome == TestOutcome::Failed)
                .map(|t| t.id.as_str())
                .collect(),
        );
    }
    #[derive(Default)]
    struct Tally {
        retry: usize,
        same_commit: usize,
        last: String,
    }
    let mut tally: BTreeMap<&str, Tally> = BTreeMap::new();
    for (i, r) in reports.iter().enumerate() {
        for t in &r.tests {
            let kind = match t.outcome {
                TestOutcome::Flaky => Some(true),
                TestOutcome::Failed => runs_of_commit[r.commit_sha.as_str()]
                    .iter()
                    .any(|&j| j != i && !failed_in[j].contains(t.id.as_str()))
                    .then_some(false),
                TestOutcome::Passed => None,
            };
            if let Some(retry) = kind {
                let e = tally.entry(&t.id).or_default();
                if retry {
                    e.retry += 1;
                } else {
                    e.same_commit += 1;
                }
                e.last = e.last.clone().max(r.started_at.clone());
            }
        }
    }
    let n = reports.len();
    let mut tests: Vec<FlakyTest> = tally
        .into_iter()
        .map(|(id, t)| {
            let flaky_runs = t.retry + t.same_commit;
            FlakyTest {
                id: id.to_owned(),
                flaky_runs,
                passed_on_retry: t.retry,
                failed_and_passed_same_commit: t.same_commit,
                flake_rate: round(flaky_runs as f64 / n.max(1) as f64, 4),
                last_seen: t.last,
                quarantined: flaky_runs >= quarantine_after,
            }
        })
        .collect();
    tests.sort_by(|a, b| b.flaky_runs.cmp(&a.flaky_runs).then(a.id.cmp(&b.id)));
    Ok(FlakyReport {
        window: w.clone(),
        repo: repo.to_owned(),
        runs: n,
        quarantine_after,
        tests,
    })
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TestTiming {
    pub id: String,
    /// Reports that gave its duration.
    pub samples: usize,
    pub mean_ms: f64,
    pub last_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Timings {
    pub window: Window,
    pub repo: String,
    /// Slowest first.
    pub tests: Vec<TestTiming>,
}

/// Mean duration per test over the window (for `ci-intel shard`-style splitting by time).
pub fn timings(store: &dyn Store, repo: &str, w: &Window) -> Result<Timings, StoreError> {
    let until = w.until_time();
    let mut acc: BTreeMap<String, (usize, f64, f64)> = BTreeMap::new();
    for r in store.test_reports(repo, &w.since_time())? {
        if r.started_at >= until {
            continue;
        }
        for t in r.tests {
            if let Some(ms) = t.duration_ms {
                let e = acc.entry(t.id).or_insert((0, 0.0, 0.0));
                e.0 += 1;
                e.1 += ms;
                e.2 = ms;
            }
        }
    }
    let mut tests: Vec<TestTiming> = acc
        .into_iter()
        .map(|(id, (n, sum, last))| TestTiming {
            id,
            samples: n,
            mean_ms: round(sum / n as f64, 1),
            last_ms: round(last, 1),
        })
        .collect();
    tests.sort_by(|a, b| b.mean_ms.total_cmp(&a.mean_ms).then(a.id.cmp(&b.id)));
    Ok(Timings {
        window: w.clone(),
        repo: repo.to_owned(),
        tests,
    })
}
