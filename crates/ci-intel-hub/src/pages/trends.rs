//! The trend pages: DORA, flaky tests, mutation resilience, cost and carbon.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Query, State};
use ci_intel_core::format::percent;
use ci_intel_render::svg::{Series, bar_chart, escape, line_chart};

use crate::analytics;
use crate::analytics::dora::{Band, Dora, Key};
use crate::state::{ChartParams, Hub};

use super::{BLUE, GREEN, GREY, Page, RED, layout, pct, q, tile};

/// Trend pages look further back than the 30-day default.
fn days_default(p: ChartParams, days: u32) -> ChartParams {
    ChartParams {
        days: Some(p.days.unwrap_or(days)),
        ..p
    }
}

fn band(b: Option<Band>) -> String {
    match b {
        None => "<span class=\"muted\">no data</span>".into(),
        Some(b) => {
            let s = match b {
                Band::Elite => "elite",
                Band::High => "high",
                Band::Medium => "medium",
                Band::Low => "low",
            };
            format!("<span class=\"band {s}\">{s}</span>")
        }
    }
}

pub(super) fn dora_tiles(out: &mut String, d: &Dora) {
    let show = |k: &Key, fmt: &dyn Fn(f64) -> String| k.value.map_or_else(|| "–".into(), fmt);
    let hours = |h: f64| {
        if h < 48.0 {
            format!("{h:.1} h")
        } else {
            format!("{:.1} days", h / 24.0)
        }
    };
    out.push_str("<div class=\"tiles\">");
    for (label, k, v) in [
        (
            "deployment frequency",
            &d.deployment_frequency,
            show(&d.deployment_frequency, &|v| format!("{v:.2}/day")),
        ),
        (
            "lead time for changes",
            &d.lead_time_for_changes,
            show(&d.lead_time_for_changes, &hours),
        ),
        (
            "change failure rate",
            &d.change_failure_rate,
            show(&d.change_failure_rate, &|v| percent(v, 1)),
        ),
        (
            "time to restore",
            &d.time_to_restore,
            show(&d.time_to_restore, &hours),
        ),
    ] {
        let _ = write!(
            out,
            "<div class=\"tile\"><div class=\"v\">{}</div><div class=\"l\">{} {} <span class=\"muted\">(n={})</span></div></div>",
            escape(&v),
            escape(label),
            band(k.band),
            k.samples
        );
    }
    out.push_str("</div>");
}

pub(super) async fn dora_page(State(hub): State<Arc<Hub>>, Query(p): Query<ChartParams>) -> Page {
    let w = p.window()?;
    let env = p.environment.clone().unwrap_or_else(|| "prod".into());
    let (wc, bands) = (w.clone(), hub.options.dora_bands.clone());
    let d = hub
        .with_store(move |s| analytics::dora::dora(s, &wc, &env, &bands))
        .await?;
    let scope = w.repo.clone().unwrap_or_else(|| "all repositories".into());
    let mut body = format!(
        "<p class=\"muted\">{}, environment <code>{}</code>, last {} days. JSON: <a href=\"/api/v1/dora{}\">/api/v1/dora</a></p>",
        escape(&scope),
        escape(&d.environment),
        w.days,
        q(w.repo.as_deref())
    );
    dora_tiles(&mut body, &d);
    let labels: Vec<String> = d.daily.iter().map(|x| x.day[5..].to_owned()).collect();
    let _ = write!(
        body,
        "<div class=\"card\">{}</div>",
        bar_chart(
            "Deployments per day",
            &labels,
            &[
                Series {
                    name: "succeeded",
                    color: GREEN,
                    values: d
                        .daily
                        .iter()
                        .map(|x| Some((x.deployments - x.failed) as f64))
                        .collect(),
                    dashed: false
                },
                Series {
                    name: "failed or rolled back",
                    color: RED,
                    values: d.daily.iter().map(|x| Some(x.failed as f64)).collect(),
                    dashed: false
                },
            ],
        )
    );
    body.push_str(
        "<p class=\"muted\">Bands: DORA State of DevOps research thresholds (configurable).</p>",
    );
    Ok(layout("DORA metrics", w.repo.as_deref(), &body))
}

pub(super) fn flaky_table(out: &mut String, tests: &[analytics::flaky::FlakyTest], runs: usize) {
    let _ = write!(
        out,
        "<div class=\"card\"><h2>Flaky tests</h2><p class=\"muted\">{runs} run(s) with test reports in the window.</p><table><tr><th>test</th><th>flaky runs</th><th>passed on retry</th><th>failed and passed on one commit</th><th>flake rate</th><th>last seen</th><th>quarantined</th></tr>"
    );
    for t in tests {
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            escape(&t.id),
            t.flaky_runs,
            t.passed_on_retry,
            t.failed_and_passed_same_commit,
            pct(Some(t.flake_rate)),
            escape(&t.last_seen),
            if t.quarantined { "yes" } else { "" }
        );
    }
    if tests.is_empty() {
        out.push_str(
            "<tr><td colspan=\"7\" class=\"muted\">No flaky test in the window.</td></tr>",
        );
    }
    out.push_str("</table></div>");
}

pub(super) async fn flaky_page(State(hub): State<Arc<Hub>>, Query(p): Query<ChartParams>) -> Page {
    let w = p.window()?;
    let Some(repo) = w.repo.clone() else {
        let repos = hub.with_store(|s| s.repos()).await.unwrap_or_default();
        let mut body = String::from("<div class=\"card\"><p>Pick a repository:</p><ul>");
        for r in repos {
            let _ = write!(
                body,
                "<li><a href=\"/flaky?repo={0}\">{0}</a></li>",
                escape(&r)
            );
        }
        body.push_str("</ul></div>");
        return Ok(layout("Flaky tests", None, &body));
    };
    let (wc, r2, after) = (w.clone(), repo.clone(), hub.options.quarantine_after);
    let f = hub
        .with_store(move |s| analytics::flaky::flaky(s, &r2, &wc, after))
        .await?;
    let mut body = format!(
        "<p class=\"muted\">{}, last {} days; quarantined after {} flaky runs. JSON: <a href=\"/api/v1/flaky{q}\">/api/v1/flaky</a>, timings: <a href=\"/api/v1/timings{q}\">/api/v1/timings</a></p>",
        escape(&repo),
        w.days,
        f.quarantine_after,
        q = q(Some(&repo))
    );
    if !f.tests.is_empty() {
        let top: Vec<_> = f.tests.iter().take(15).collect();
        let labels: Vec<String> = top
            .iter()
            .map(|t| t.id.rsplit("::").next().unwrap_or(&t.id).to_owned())
            .collect();
        let _ = write!(
            body,
            "<div class=\"card\">{}</div>",
            bar_chart(
                "Flaky runs per test",
                &labels,
                &[
                    Series {
                        name: "passed on retry",
                        color: BLUE,
                        values: top.iter().map(|t| Some(t.passed_on_retry as f64)).collect(),
                        dashed: false
                    },
                    Series {
                        name: "failed and passed on one commit",
                        color: RED,
                        values: top
                            .iter()
                            .map(|t| Some(t.failed_and_passed_same_commit as f64))
                            .collect(),
                        dashed: false
                    },
                ],
            )
        );
    }
    flaky_table(&mut body, &f.tests, f.runs);
    Ok(layout("Flaky tests", Some(&repo), &body))
}

pub(super) async fn resilience_page(
    State(hub): State<Arc<Hub>>,
    Query(p): Query<ChartParams>,
) -> Page {
    let w = days_default(p, 90).window()?;
    let wc = w.clone();
    let r = hub
        .with_store(move |s| analytics::trends::resilience(s, &wc))
        .await?;
    let labels: Vec<String> = r.points.iter().map(|p| p.day[5..].to_owned()).collect();
    let col = |f: fn(&analytics::trends::EwmaPoint) -> f64| {
        r.points.iter().map(|p| Some(f(p) * 100.0)).collect()
    };
    let mut body = format!(
        "<p class=\"muted\">Mutation score per day, last {} days, with an EWMA (λ = {}) and its ±3σ control limits; a point outside them is a real change, not noise. JSON: <a href=\"/api/v1/resilience{}\">/api/v1/resilience</a></p>",
        w.days,
        r.lambda,
        q(w.repo.as_deref())
    );
    let out_of_control = r.points.iter().filter(|p| p.out_of_control).count();
    body.push_str("<div class=\"tiles\">");
    tile(&mut body, "mean score", &pct(r.mean));
    tile(
        &mut body,
        "days with mutation runs",
        &r.points.len().to_string(),
    );
    tile(
        &mut body,
        "days out of control",
        &out_of_control.to_string(),
    );
    body.push_str("</div>");
    let _ = write!(
        body,
        "<div class=\"card\">{}</div>",
        line_chart(
            "Mutation score (%)",
            &labels,
            &[
                Series {
                    name: "daily score",
                    color: GREY,
                    values: col(|p| p.score),
                    dashed: false
                },
                Series {
                    name: "EWMA",
                    color: BLUE,
                    values: col(|p| p.ewma),
                    dashed: false
                },
                Series {
                    name: "lower limit",
                    color: RED,
                    values: col(|p| p.lower),
                    dashed: true
                },
                Series {
                    name: "upper limit",
                    color: RED,
                    values: col(|p| p.upper),
                    dashed: true
                },
            ],
            false,
        )
    );
    Ok(layout("Mutation resilience", w.repo.as_deref(), &body))
}

pub(super) async fn cost_page(State(hub): State<Arc<Hub>>, Query(p): Query<ChartParams>) -> Page {
    let w = days_default(p, 90).window()?;
    let wc = w.clone();
    let c = hub
        .with_store(move |s| analytics::trends::costs(s, &wc))
        .await?;
    let mut weeks: Vec<String> = c.weeks.iter().map(|x| x.week.clone()).collect();
    weeks.dedup();
    let sum = |week: &str, f: fn(&analytics::trends::CostWeek) -> f64| {
        Some(
            c.weeks
                .iter()
                .filter(|x| x.week == week)
                .map(f)
                .sum::<f64>(),
        )
    };
    let labels: Vec<String> = weeks.iter().map(|w| w[5..].to_owned()).collect();
    let mut body = format!(
        "<p class=\"muted\">Per week (Monday), last {} days. JSON: <a href=\"/api/v1/cost{}\">/api/v1/cost</a></p>",
        w.days,
        q(w.repo.as_deref())
    );
    body.push_str("<div class=\"tiles\">");
    tile(&mut body, "cost", &format!("${:.2}", c.total_usd));
    tile(
        &mut body,
        "CPU hours",
        &format!("{:.0}", c.total_cpu_seconds / 3600.0),
    );
    tile(
        &mut body,
        "carbon",
        &format!("{:.1} kg CO2e", c.total_carbon_g_co2e / 1000.0),
    );
    body.push_str("</div>");
    let _ = write!(
        body,
        "<div class=\"card\">{}</div><div class=\"card\">{}</div>",
        bar_chart(
            "Cost per week (USD)",
            &labels,
            &[Series {
                name: "USD",
                color: BLUE,
                values: weeks.iter().map(|w| sum(w, |x| x.cost_usd)).collect(),
                dashed: false
            }]
        ),
        bar_chart(
            "Carbon per week (kg CO2e)",
            &labels,
            &[Series {
                name: "kg CO2e",
                color: GREEN,
                values: weeks
                    .iter()
                    .map(|w| sum(w, |x| x.carbon_g_co2e / 1000.0))
                    .collect(),
                dashed: false
            }]
        ),
    );
    body.push_str("<div class=\"card\"><table><tr><th>week</th><th>repository</th><th>runs</th><th>USD</th><th>CPU hours</th><th>kg CO2e</th><th>cache hits</th></tr>");
    for x in c.weeks.iter().rev() {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{:.2}</td><td class=\"n\">{:.1}</td><td class=\"n\">{:.2}</td><td class=\"n\">{}</td></tr>",
            escape(&x.week),
            escape(&x.repo),
            x.runs,
            x.cost_usd,
            x.cpu_seconds / 3600.0,
            x.carbon_g_co2e / 1000.0,
            pct(x.cache_hit_ratio)
        );
    }
    body.push_str("</table></div>");
    Ok(layout("Cost and carbon", w.repo.as_deref(), &body))
}
