//! Long-running trends: mutation resilience with EWMA control limits, and cost and carbon per
//! repository and week.

use std::collections::BTreeMap;

use ci_intel_store::{DayRollup, Store, StoreError};
use serde::Serialize;

use super::{Window, parse_day, ratio, round, ymd};

/// EWMA smoothing weight: recent days count, a single odd day does not swing the line.
const LAMBDA: f64 = 0.2;
/// Control limits at ±3 σ.
const WIDTH: f64 = 3.0;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EwmaPoint {
    pub day: String,
    /// The day's mean mutation score (0..1).
    pub score: f64,
    pub ewma: f64,
    pub lower: f64,
    pub upper: f64,
    /// The EWMA left its control limits: resilience changed, not noise.
    pub out_of_control: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Resilience {
    pub window: Window,
    pub mean: Option<f64>,
    pub sigma: Option<f64>,
    pub lambda: f64,
    pub points: Vec<EwmaPoint>,
}

/// The EWMA chart of daily scores (Roberts 1959; limits widen to their steady state).
pub fn ewma(days: &[(String, f64)]) -> (Option<f64>, Option<f64>, Vec<EwmaPoint>) {
    if days.is_empty() {
        return (None, None, Vec::new());
    }
    let n = days.len() as f64;
    let mean = days.iter().map(|d| d.1).sum::<f64>() / n;
    let var = if days.len() > 1 {
        days.iter().map(|d| (d.1 - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    let sigma = var.sqrt();
    let mut z = mean;
    let points = days
        .iter()
        .enumerate()
        .map(|(i, (day, x))| {
            z = LAMBDA * x + (1.0 - LAMBDA) * z;
            let t = (i + 1) as f64;
            let half = WIDTH
                * sigma
                * (LAMBDA / (2.0 - LAMBDA) * (1.0 - (1.0 - LAMBDA).powf(2.0 * t))).sqrt();
            EwmaPoint {
                day: day.clone(),
                score: round(*x, 4),
                ewma: round(z, 4),
                lower: round(mean - half, 4),
                upper: round(mean + half, 4),
                out_of_control: sigma > 0.0 && (z < mean - half || z > mean + half),
            }
        })
        .collect();
    (Some(round(mean, 4)), Some(round(sigma, 4)), points)
}

fn by_day(rows: &[(String, String, DayRollup)]) -> BTreeMap<String, DayRollup> {
    let mut m: BTreeMap<String, DayRollup> = BTreeMap::new();
    for (_, day, r) in rows {
        m.entry(day.clone()).or_default().merge(r);
    }
    m
}

pub fn resilience(store: &dyn Store, w: &Window) -> Result<Resilience, StoreError> {
    let rows = store.rollups(&w.day_window())?;
    let days: Vec<(String, f64)> = by_day(&rows)
        .into_iter()
        .filter_map(|(day, r)| {
            ratio(r.mutation_score_sum, r.mutation_runs as f64).map(|s| (day, s))
        })
        .collect();
    let (mean, sigma, points) = ewma(&days);
    Ok(Resilience {
        window: w.clone(),
        mean,
        sigma,
        lambda: LAMBDA,
        points,
    })
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CostWeek {
    /// The Monday the week starts on.
    pub week: String,
    pub repo: String,
    pub runs: i64,
    pub cost_usd: f64,
    pub cpu_seconds: f64,
    pub carbon_g_co2e: f64,
    pub cache_hit_ratio: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Costs {
    pub window: Window,
    pub total_usd: f64,
    pub total_cpu_seconds: f64,
    pub total_carbon_g_co2e: f64,
    pub weeks: Vec<CostWeek>,
}

fn monday_of(day: &str) -> String {
    match parse_day(day) {
        Ok(d) => {
            let back = i64::from(d.weekday().number_days_from_monday());
            ymd(d - time::Duration::days(back))
        }
        Err(_) => day.to_owned(),
    }
}

pub fn costs(store: &dyn Store, w: &Window) -> Result<Costs, StoreError> {
    let rows = store.rollups(&w.day_window())?;
    let mut weeks: BTreeMap<(String, String), DayRollup> = BTreeMap::new();
    let mut total = DayRollup::default();
    for (repo, day, r) in &rows {
        weeks
            .entry((monday_of(day), repo.clone()))
            .or_default()
            .merge(r);
        total.merge(r);
    }
    Ok(Costs {
        window: w.clone(),
        total_usd: round(total.cost_usd, 2),
        total_cpu_seconds: round(total.cpu_seconds, 0),
        total_carbon_g_co2e: round(total.carbon_g, 1),
        weeks: weeks
            .into_iter()
            .map(|((week, repo), r)| CostWeek {
                week,
                repo,
                runs: r.runs,
                cost_usd: round(r.cost_usd, 2),
                cpu_seconds: round(r.cpu_seconds, 0),
                carbon_g_co2e: round(r.carbon_g, 1),
                cache_hit_ratio: ratio(r.cache_hits as f64, r.cache_lookups as f64)
                    .map(|v| round(v, 4)),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sustained_drop_leaves_the_control_limits() {
        let mut days: Vec<(String, f64)> = (0..30)
            .map(|i| {
                (
                    format!("d{i:02}"),
                    0.80 + if i % 2 == 0 { 0.01 } else { -0.01 },
                )
            })
            .collect();
        for i in 30..40 {
            days.push((format!("d{i:02}"), 0.60));
        }
        let (_, _, pts) = ewma(&days);
        assert!(pts[..30].iter().all(|p| !p.out_of_control));
        assert!(pts[39].out_of_control, "{:?}", pts[39]);
        assert_eq!(monday_of("2026-11-25"), "2026-11-23");
        assert_eq!(monday_of("2026-11-23"), "2026-11-23");
    }
}
