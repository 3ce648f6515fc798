//! The four DORA keys over a window, each placed in a performance band.
//!
//! - Deployment frequency: successful deployments to the environment per day.
//! - Lead time for changes: from the deployed commit's time (GitHub `push` webhooks, or any
//!   commit the hub was told about) to the deployment; the median.
//! - Change failure rate: deployments that failed or were rolled back, over all deployments.
//! - Time to restore service: from a failed deployment to the next successful one of the same
//!   repository and environment; the median.
//!
//! Band thresholds default to the DORA research's (State of DevOps 2023) and can be changed in
//! the hub's configuration.

use std::collections::BTreeMap;

use ci_intel_store::{Deployment, Store, StoreError};
use serde::{Deserialize, Serialize};

use super::{Window, round};
use ci_intel_store::rollup::parse_time;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    Elite,
    High,
    Medium,
    Low,
}

/// Where the bands begin. Frequencies are deployments per day (higher is better); times are
/// hours and the failure rate a fraction (lower is better).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Bands {
    /// At least this many deployments per day: elite, high, medium (else low).
    pub deploys_per_day: [f64; 3],
    /// At most this many hours of lead time: elite, high, medium.
    pub lead_time_hours: [f64; 3],
    /// At most this change failure rate: elite, high, medium.
    pub change_failure_rate: [f64; 3],
    /// At most this many hours to restore: elite, high, medium.
    pub time_to_restore_hours: [f64; 3],
}

impl Default for Bands {
    fn default() -> Self {
        Bands {
            // On demand (daily or more), weekly to daily, monthly to weekly.
            deploys_per_day: [1.0, 1.0 / 7.0, 1.0 / 30.0],
            // Under a day, under a week, under a month.
            lead_time_hours: [24.0, 24.0 * 7.0, 24.0 * 30.0],
            change_failure_rate: [0.05, 0.10, 0.15],
            // Under an hour, under a day, under a week.
            time_to_restore_hours: [1.0, 24.0, 24.0 * 7.0],
        }
    }
}

fn higher_is_better(v: f64, t: [f64; 3]) -> Band {
    if v >= t[0] {
        Band::Elite
    } else if v >= t[1] {
        Band::High
    } else if v >= t[2] {
        Band::Medium
    } else {
        Band::Low
    }
}

fn lower_is_better(v: f64, t: [f64; 3]) -> Band {
    if v <= t[0] {
        Band::Elite
    } else if v <= t[1] {
        Band::High
    } else if v <= t[2] {
        Band::Medium
    } else {
        Band::Low
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Key {
    pub value: Option<f64>,
    pub unit: &'static str,
    pub band: Option<Band>,
    /// How many observations the value rests on.
    pub samples: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct DayDeploys {
    pub day: String,
    pub deployments: usize,
    pub failed: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dora {
    pub window: Window,
    pub environment: String,
    pub deployment_frequency: Key,
    pub lead_time_for_changes: Key,
    pub change_failure_rate: Key,
    pub time_to_restore: Key,
    pub daily: Vec<DayDeploys>,
}

fn hours_between(a: &str, b: &str) -> Option<f64> {
    let d = parse_time(b)? - parse_time(a)?;
    Some(d.as_seconds_f64() / 3600.0).filter(|h| *h >= 0.0)
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        f64::midpoint(v[n / 2 - 1], v[n / 2])
    })
}

pub fn dora(
    store: &dyn Store,
    w: &Window,
    environment: &str,
    bands: &Bands,
) -> Result<Dora, StoreError> {
    let deps: Vec<Deployment> = store
        .deployments(w.repo.as_deref(), &w.since_time(), &w.until_time())?
        .into_iter()
        .filter(|d| d.environment == environment)
        .collect();
    let ok: Vec<&Deployment> = deps.iter().filter(|d| !d.failed).collect();
    let failed = deps.len() - ok.len();

    let per_day = ok.len() as f64 / f64::from(w.days);
    let frequency = Key {
        value: Some(round(per_day, 3)),
        unit: "deployments/day",
        band: Some(higher_is_better(per_day, bands.deploys_per_day)),
        samples: ok.len(),
    };

    // Lead time: commit times per repository, looked up in one query each.
    let mut by_repo: BTreeMap<&str, Vec<&Deployment>> = BTreeMap::new();
    for d in &ok {
        by_repo.entry(d.repo.as_str()).or_default().push(d);
    }
    let mut leads = Vec::new();
    for (repo, ds) in &by_repo {
        let shas: Vec<String> = ds.iter().map(|d| d.commit_sha.clone()).collect();
        let times = store.commit_times(repo, &shas)?;
        leads.extend(ds.iter().filter_map(|d| {
            times
                .get(&d.commit_sha)
                .and_then(|c| hours_between(c, &d.deployed_at))
        }));
    }
    let lead = median(leads.clone());
    let lead_time = Key {
        value: lead.map(|v| round(v, 2)),
        unit: "hours",
        band: lead.map(|v| lower_is_better(v, bands.lead_time_hours)),
        samples: leads.len(),
    };

    let cfr = (!deps.is_empty()).then(|| failed as f64 / deps.len() as f64);
    let change_failure_rate = Key {
        value: cfr.map(|v| round(v, 4)),
        unit: "ratio",
        band: cfr.map(|v| lower_is_better(v, bands.change_failure_rate)),
        samples: deps.len(),
    };

    // Restore: each failure to the next success of the same repository (deps are in time order).
    let mut restores = Vec::new();
    let mut open: BTreeMap<&str, &str> = BTreeMap::new();
    for d in &deps {
        if d.failed {
            open.entry(d.repo.as_str())
                .or_insert(d.deployed_at.as_str());
        } else if let Some(since) = open.remove(d.repo.as_str())
            && let Some(h) = hours_between(since, &d.deployed_at)
        {
            restores.push(h);
        }
    }
    let restore = median(restores.clone());
    let time_to_restore = Key {
        value: restore.map(|v| round(v, 2)),
        unit: "hours",
        band: restore.map(|v| lower_is_better(v, bands.time_to_restore_hours)),
        samples: restores.len(),
    };

    let mut daily: BTreeMap<String, DayDeploys> = w
        .each_day()
        .into_iter()
        .map(|day| {
            (
                day.clone(),
                DayDeploys {
                    day,
                    deployments: 0,
                    failed: 0,
                },
            )
        })
        .collect();
    for d in &deps {
        if let Some(e) = daily.get_mut(&d.deployed_at[..10.min(d.deployed_at.len())]) {
            e.deployments += 1;
            e.failed += usize::from(d.failed);
        }
    }
    Ok(Dora {
        window: w.clone(),
        environment: environment.to_owned(),
        deployment_frequency: frequency,
        lead_time_for_changes: lead_time,
        change_failure_rate,
        time_to_restore,
        daily: daily.into_values().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_follow_the_thresholds() {
        let b = Bands::default();
        assert_eq!(higher_is_better(3.0, b.deploys_per_day), Band::Elite);
        assert_eq!(higher_is_better(0.2, b.deploys_per_day), Band::High);
        assert_eq!(higher_is_better(0.05, b.deploys_per_day), Band::Medium);
        assert_eq!(higher_is_better(0.01, b.deploys_per_day), Band::Low);
        assert_eq!(lower_is_better(0.5, b.time_to_restore_hours), Band::Elite);
        assert_eq!(lower_is_better(0.12, b.change_failure_rate), Band::Medium);
        assert_eq!(lower_is_better(0.5, b.change_failure_rate), Band::Low);
        assert_eq!(median(vec![3.0, 1.0, 2.0, 10.0]), Some(2.5));
    }
}
