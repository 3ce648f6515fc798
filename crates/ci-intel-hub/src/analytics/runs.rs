//! Run health: success rate, duration and queue-time percentiles per repository and per job,
//! and the daily series behind the overview.

use std::collections::BTreeMap;

use ci_intel_store::{DayRollup, Store, StoreError};
use serde::Serialize;

use super::{Window, ratio, round};

/// Percentiles of a duration histogram, in milliseconds.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Percentiles {
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
}

impl Percentiles {
    fn of(h: &ci_intel_store::rollup::Histogram) -> Self {
        Percentiles {
            p50_ms: h.quantile(0.5).map(|v| round(v, 0)),
            p95_ms: h.quantile(0.95).map(|v| round(v, 0)),
        }
    }
}

/// A summary of some runs (a repository, a day, a job).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Summary {
    pub runs: i64,
    pub failed: i64,
    /// Successful runs over finished runs (canceled and skipped ones are not judged).
    pub success_rate: Option<f64>,
    pub duration: Percentiles,
    pub queue: Percentiles,
    pub cache_hit_ratio: Option<f64>,
    pub mutation_score: Option<f64>,
    pub coverage_lines_pct: Option<f64>,
    pub cost_usd: f64,
    pub cpu_seconds: f64,
    pub carbon_g_co2e: f64,
}

impl Summary {
    pub fn of(r: &DayRollup) -> Self {
        let ok = r.count("success") as f64;
        let failed = r.count("failed");
        Summary {
            runs: r.runs,
            failed,
            success_rate: ratio(ok, ok + failed as f64).map(|v| round(v, 4)),
            duration: Percentiles::of(&r.duration_ms),
            queue: Percentiles::of(&r.queue_ms),
            cache_hit_ratio: ratio(r.cache_hits as f64, r.cache_lookups as f64)
                .map(|v| round(v, 4)),
            mutation_score: ratio(r.mutation_score_sum, r.mutation_runs as f64)
                .map(|v| round(v, 4)),
            coverage_lines_pct: ratio(r.coverage_lines_sum, r.coverage_runs as f64)
                .map(|v| round(v, 4)),
            cost_usd: round(r.cost_usd, 2),
            cpu_seconds: round(r.cpu_seconds, 0),
            carbon_g_co2e: round(r.carbon_g, 1),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct JobHealth {
    pub name: String,
    pub runs: i64,
    pub failed: i64,
    pub success_rate: Option<f64>,
    pub duration: Percentiles,
    pub queue: Percentiles,
}

#[derive(Debug, Clone, Serialize)]
pub struct RepoHealth {
    pub repo: String,
    #[serde(flatten)]
    pub summary: Summary,
}

#[derive(Debug, Clone, Serialize)]
pub struct DayPoint {
    pub day: String,
    #[serde(flatten)]
    pub summary: Summary,
}

/// Everything the overview and repository pages show about runs.
#[derive(Debug, Clone, Serialize)]
pub struct RunHealth {
    pub window: Window,
    pub total: Summary,
    pub repos: Vec<RepoHealth>,
    pub jobs: Vec<JobHealth>,
    /// One point per day of the window (days without runs have `runs: 0`).
    pub daily: Vec<DayPoint>,
}

pub fn health(store: &dyn Store, w: &Window) -> Result<RunHealth, StoreError> {
    let rows = store.rollups(&w.day_window())?;
    let mut total = DayRollup::default();
    let mut by_repo: BTreeMap<String, DayRollup> = BTreeMap::new();
    let mut by_day: BTreeMap<String, DayRollup> = BTreeMap::new();
    for (repo, day, r) in &rows {
        total.merge(r);
        by_repo.entry(repo.clone()).or_default().merge(r);
        by_day.entry(day.clone()).or_default().merge(r);
    }
    let jobs = total
        .jobs
        .iter()
        .map(|(name, j)| {
            let ok = (j.runs - j.failed) as f64;
            JobHealth {
                name: name.clone(),
                runs: j.runs,
                failed: j.failed,
                success_rate: ratio(ok, j.runs as f64).map(|v| round(v, 4)),
                duration: Percentiles::of(&j.duration_ms),
                queue: Percentiles::of(&j.queue_ms),
            }
        })
        .collect();
    let daily = w
        .each_day()
        .into_iter()
        .map(|day| DayPoint {
            summary: by_day.get(&day).map(Summary::of).unwrap_or_default(),
            day,
        })
        .collect();
    Ok(RunHealth {
        window: w.clone(),
        total: Summary::of(&total),
        repos: by_repo
            .iter()
            .map(|(k, v)| RepoHealth {
                repo: k.clone(),
                summary: Summary::of(v),
            })
            .collect(),
        jobs,
        daily,
    })
}
