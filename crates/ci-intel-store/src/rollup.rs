//! Daily rollups: what dashboards read instead of the runs themselves.
//!
//! A dashboard over 30 days of a million runs cannot parse a third of a million records per
//! page view. Each run adds its contribution to the rollup of its repository and UTC day when it
//! is stored (and a re-sent, changed record first takes its old contribution back), in the same
//! transaction as the record. Every field is additive, so a window is the sum of its days, and
//! durations are log-bucketed histograms so percentiles of any window stay available.

use std::collections::BTreeMap;

use ci_intel_core::pipeline_run::{CanaryDecision, PipelineRun, RunStatus};
use serde::{Deserialize, Serialize};

/// Histogram bucket growth: a bucket's upper bound is 1.15 × its lower one, so a percentile
/// read from the histogram is within ±7.5 % of the exact value.
const GROWTH: f64 = 1.15;

/// Milliseconds in log buckets (bucket `i` holds values in `[GROWTH^(i-1), GROWTH^i)`, bucket 0
/// holds 0 ms). Sparse: only non-empty buckets are kept.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Histogram(pub BTreeMap<u16, i64>);

impl Histogram {
    fn bucket(ms: u64) -> u16 {
        if ms == 0 {
            return 0;
        }
        // ms ≥ 1: bucket 1 holds [1, 1.15), …; u64::MAX lands near bucket 317.
        1 + ((ms as f64).ln() / GROWTH.ln()).floor() as u16
    }

    pub fn record(&mut self, ms: u64, sign: i64) {
        let b = Self::bucket(ms);
        let n = self.0.entry(b).or_insert(0);
        *n += sign;
        if *n == 0 {
            self.0.remove(&b);
        }
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (&b, &n) in &other.0 {
            let v = self.0.entry(b).or_insert(0);
            *v += n;
            if *v == 0 {
                self.0.remove(&b);
            }
        }
    }

    pub fn count(&self) -> i64 {
        self.0.values().sum()
    }

    /// The `q`-quantile (0..=1), as the geometric middle of the bucket it falls in.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.count();
        if total <= 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as i64).max(1);
        let mut seen = 0;
        for (&b, &n) in &self.0 {
            seen += n;
            if seen >= rank {
                if b == 0 {
                    return Some(0.0);
                }
                let lo = GROWTH.powi(i32::from(b) - 1);
                return Some(lo * GROWTH.sqrt());
            }
        }
        None
    }
}

/// One job name's share of a day.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobRollup {
    pub runs: i64,
    pub failed: i64,
    pub duration_ms: Histogram,
    pub queue_ms: Histogram,
}

/// One repository's runs on one UTC day.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DayRollup {
    pub runs: i64,
    /// By `pipeline_run.status` (`success`, `failed`, `canceled`, `skipped`).
    pub status: BTreeMap<String, i64>,
    pub duration_ms: Histogram,
    pub queue_ms: Histogram,
    pub tests_total: i64,
    pub tests_failed: i64,
    /// Runs that reported a mutation score, and the scores' sum.
    pub mutation_runs: i64,
    pub mutation_score_sum: f64,
    pub coverage_runs: i64,
    pub coverage_lines_sum: f64,
    /// Jobs that looked up a cache, and how many of those hit.
    pub cache_lookups: i64,
    pub cache_hits: i64,
    pub cost_usd: f64,
    pub cpu_seconds: f64,
    pub carbon_g: f64,
    pub jobs: BTreeMap<String, JobRollup>,
    /// Root causes the runs' autopsies found, by failure signature
    /// (`pipeline_run::failure_signature`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub failures: BTreeMap<String, FailureRollup>,
}

/// Most run ids a failure's day keeps as examples ("the runs it broke"); its count stays exact.
pub const FAILURE_EXAMPLE_RUNS: usize = 20;

/// One failure signature's share of a day.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FailureRollup {
    /// Runs it broke (each run counts once, however often its log showed it).
    pub runs: i64,
    /// The rule that recognised it (`pattern`), the tool, and a message as a run reported it.
    pub pattern: String,
    pub tool: String,
    pub message: String,
    /// Example run ids, with a count so that taking a run back is exact.
    pub run_ids: BTreeMap<String, i64>,
}

impl FailureRollup {
    fn add_run(&mut self, run_id: &str, n: i64) {
        if n > 0 && !self.run_ids.contains_key(run_id) && self.run_ids.len() >= FAILURE_EXAMPLE_RUNS
        {
            return;
        }
        add(&mut self.run_ids, run_id, n);
    }

    fn merge(&mut self, o: &FailureRollup) {
        self.runs += o.runs;
        for (field, theirs) in [
            (&mut self.pattern, &o.pattern),
            (&mut self.tool, &o.tool),
            (&mut self.message, &o.message),
        ] {
            if field.is_empty() {
                field.clone_from(theirs);
            }
        }
        for (id, n) in &o.run_ids {
            self.add_run(id, *n);
        }
    }
}

impl DayRollup {
    /// Adds (`sign = 1`) or takes back (`sign = -1`) one run.
    pub fn apply(&mut self, run: &PipelineRun, sign: i64) {
        let s = sign as f64;
        self.runs += sign;
        add(&mut self.status, run.status.as_str(), sign);
        if let Some(ms) = run_duration_ms(run) {
            self.duration_ms.record(ms, sign);
        }
        if let Some(q) = run.queue_ms {
            self.queue_ms.record(q, sign);
        }
        self.tests_total += sign * run.tests.total as i64;
        self.tests_failed += sign * run.tests.failed as i64;
        if let Some(r) = &run.tests.resilience {
            self.mutation_runs += sign;
            self.mutation_score_sum += s * r.score;
        }
        if let Some(l) = run.tests.coverage.as_ref().and_then(|c| c.lines_pct) {
            self.coverage_runs += sign;
            self.coverage_lines_sum += s * l;
        }
        self.cost_usd += s * run.cost.usd.unwrap_or(0.0);
        self.cpu_seconds += s * run.cost.cpu_seconds.unwrap_or(0.0);
        self.carbon_g += s * run.carbon_g_co2e.unwrap_or(0.0);
        for job in &run.jobs {
            if let Some(hit) = job.cache.as_ref().and_then(|c| c.hit) {
                self.cache_lookups += sign;
                self.cache_hits += sign * i64::from(hit);
            }
            let j = self.jobs.entry(job.name.clone()).or_default();
            j.runs += sign;
            if job.status == RunStatus::Failed {
                j.failed += sign;
            }
            j.duration_ms.record(job.duration_ms, sign);
            if let Some(q) = job.queue_ms {
                j.queue_ms.record(q, sign);
            }
            if j.runs == 0 {
                self.jobs.remove(&job.name);
            }
        }
        self.apply_failures(run, sign);
    }

    /// The run's root causes, one count per signature.
    fn apply_failures(&mut self, run: &PipelineRun, sign: i64) {
        let Some(causes) = run.autopsy.as_ref().and_then(|a| a.root_causes.as_ref()) else {
            return;
        };
        let mut seen = std::collections::BTreeSet::new();
        for c in causes {
            let signature = c.signature();
            if !seen.insert(signature.clone()) {
                continue;
            }
            let f = self.failures.entry(signature.clone()).or_default();
            f.runs += sign;
            if f.pattern.is_empty() {
                f.pattern.clone_from(&c.pattern);
                f.tool = c.tool.clone().unwrap_or_default();
                f.message = c.message.clone().unwrap_or_default();
            }
            f.add_run(&run.run_id, sign);
            if f.runs == 0 {
                self.failures.remove(&signature);
            }
        }
    }

    /// Adds another rollup (of another day or repository).
    pub fn merge(&mut self, o: &DayRollup) {
        self.runs += o.runs;
        for (k, v) in &o.status {
            add(&mut self.status, k, *v);
        }
        self.duration_ms.merge(&o.duration_ms);
        self.queue_ms.merge(&o.queue_ms);
        self.tests_total += o.tests_total;
        self.tests_failed += o.tests_failed;
        self.mutation_runs += o.mutation_runs;
        self.mutation_score_sum += o.mutation_score_sum;
        self.coverage_runs += o.coverage_runs;
        self.coverage_lines_sum += o.coverage_lines_sum;
        self.cache_lookups += o.cache_lookups;
        self.cache_hits += o.cache_hits;
        self.cost_usd += o.cost_usd;
        self.cpu_seconds += o.cpu_seconds;
        self.carbon_g += o.carbon_g;
        for (name, j) in &o.jobs {
            let mine = self.jobs.entry(name.clone()).or_default();
            mine.runs += j.runs;
            mine.failed += j.failed;
            mine.duration_ms.merge(&j.duration_ms);
            mine.queue_ms.merge(&j.queue_ms);
        }
        for (signature, f) in &o.failures {
            let mine = self.failures.entry(signature.clone()).or_default();
            mine.merge(f);
            if mine.runs == 0 {
                self.failures.remove(signature);
            }
        }
    }

    pub fn count(&self, status: &str) -> i64 {
        self.status.get(status).copied().unwrap_or(0)
    }
}

fn add(map: &mut BTreeMap<String, i64>, key: &str, n: i64) {
    let v = map.entry(key.to_owned()).or_insert(0);
    *v += n;
    if *v == 0 {
        map.remove(key);
    }
}

/// `ended_at − started_at`, when both parse and are in order.
pub fn run_duration_ms(run: &PipelineRun) -> Option<u64> {
    millis_between(&run.started_at, &run.ended_at)
}

/// Milliseconds from `a` to `b` (RFC 3339), when both parse and are in order.
pub fn millis_between(a: &str, b: &str) -> Option<u64> {
    u64::try_from((parse_time(b)? - parse_time(a)?).whole_milliseconds()).ok()
}

pub use ci_intel_core::format::{parse_rfc3339 as parse_time, rfc3339 as format_time};

/// The UTC day (`YYYY-MM-DD`) a run is counted on: the day it started.
pub fn day_of(run: &PipelineRun) -> Option<String> {
    let mut t = format_time(parse_time(&run.started_at)?);
    t.truncate(10);
    Some(t)
}

/// Whether a run that deployed counts as a failed change: it failed, was rolled back, or its
/// canary said roll back.
pub fn deployment_failed(run: &PipelineRun) -> bool {
    run.status == RunStatus::Failed
        || run.rollback_reason.is_some()
        || run
            .canary
            .as_ref()
            .is_some_and(|c| c.decision == CanaryDecision::Rollback)
}

/// The rollup changes one upsert makes: keyed by (repo, day), each the delta to add.
#[derive(Debug, Default)]
pub struct Deltas(pub BTreeMap<(String, String), DayRollup>);

impl Deltas {
    /// Records `new` replacing `old` (none when the run is new).
    pub fn replace(&mut self, old: Option<&PipelineRun>, new: &PipelineRun) {
        if let Some(o) = old {
            self.one(o, -1);
        }
        self.one(new, 1);
    }

    fn one(&mut self, run: &PipelineRun, sign: i64) {
        if let Some(day) = day_of(run) {
            self.0
                .entry((run.repo.clone(), day))
                .or_default()
                .apply(run, sign);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::run;

    #[test]
    fn histogram_quantiles_are_within_the_bucket_error() {
        let mut h = Histogram::default();
        for ms in 1..=1000u64 {
            h.record(ms, 1);
        }
        let p50 = h.quantile(0.5).unwrap();
        let p95 = h.quantile(0.95).unwrap();
        assert!((p50 - 500.0).abs() / 500.0 < 0.08, "{p50}");
        assert!((p95 - 950.0).abs() / 950.0 < 0.08, "{p95}");
        for ms in 1..=1000u64 {
            h.record(ms, -1);
        }
        assert!(h.0.is_empty());
        assert_eq!(h.quantile(0.5), None);
    }

    #[test]
    fn replacing_a_run_takes_its_old_contribution_back() {
        let a = run("a", "o/r", "2026-11-01T10:00:00Z", RunStatus::Success);
        let mut b = a.clone();
        b.status = RunStatus::Failed;
        b.cost.usd = Some(2.5);
        let mut d = Deltas::default();
        d.replace(None, &a);
        d.replace(Some(&a), &b);
        let r = &d.0[&("o/r".to_owned(), "2026-11-01".to_owned())];
        assert_eq!(r.runs, 1);
        assert_eq!(r.count("failed"), 1);
        assert_eq!(r.count("success"), 0);
        assert_eq!(r.cost_usd, 2.5);
    }
}
