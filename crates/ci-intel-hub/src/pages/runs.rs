//! The overview, a repository's page and a run's page.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use ci_intel_core::format::percent;
use ci_intel_core::pipeline_run::PipelineRun;
use ci_intel_render::svg::escape;
use ci_intel_store::RunQuery;
use ci_intel_store::rollup::run_duration_ms;

use crate::analytics::{self, Window};
use crate::state::{ApiError, ChartParams, Hub, may_read};

use super::trends::{dora_tiles, flaky_table};
use super::{Page, dur, health_charts, layout, pct, q, summary_tiles, tile};

pub(super) async fn overview(State(hub): State<Arc<Hub>>, Query(p): Query<ChartParams>) -> Page {
    let w = Window {
        repo: None,
        ..p.window()?
    };
    let wc = w.clone();
    let h = hub
        .with_store(move |s| analytics::runs::health(s, &wc))
        .await?;
    let mut body = format!(
        "<p class=\"muted\">Last {} days ({} to {}), all repositories. JSON: <a href=\"/api/v1/overview?days={}\">/api/v1/overview</a></p>",
        w.days, w.since, w.until, w.days
    );
    summary_tiles(&mut body, &h.total);
    health_charts(&mut body, &h);
    body.push_str("<div class=\"card\"><h2>Repositories</h2><table><tr><th>repository</th><th>runs</th><th>success</th><th>p50</th><th>p95</th><th>cache hits</th><th>cost</th></tr>");
    for r in &h.repos {
        let s = &r.summary;
        let _ = write!(
            body,
            "<tr><td><a href=\"/repos/{0}\">{0}</a></td><td class=\"n\">{1}</td><td class=\"n\">{2}</td><td class=\"n\">{3}</td><td class=\"n\">{4}</td><td class=\"n\">{5}</td><td class=\"n\">${6:.2}</td></tr>",
            escape(&r.repo),
            s.runs,
            pct(s.success_rate),
            dur(s.duration.p50_ms),
            dur(s.duration.p95_ms),
            pct(s.cache_hit_ratio),
            s.cost_usd
        );
    }
    if h.repos.is_empty() {
        body.push_str("<tr><td colspan=\"7\" class=\"muted\">No runs in this window yet. Send records with <code>ci-intel run upload</code>, or start the hub with <code>--demo</code>.</td></tr>");
    }
    body.push_str("</table></div>");
    Ok(layout("Overview", None, &body))
}

pub(super) async fn repo_page(
    State(hub): State<Arc<Hub>>,
    Path((owner, name)): Path<(String, String)>,
    Query(p): Query<ChartParams>,
) -> Page {
    let repo = format!("{owner}/{name}");
    let w = Window {
        repo: Some(repo.clone()),
        ..p.window()?
    };
    let (wc, r2) = (w.clone(), repo.clone());
    let bands = hub.options.dora_bands.clone();
    let after = hub.options.quarantine_after;
    let (h, d, f, recent) = hub
        .with_store(move |s| {
            let h = analytics::runs::health(s, &wc)?;
            let d = analytics::dora::dora(s, &wc, "prod", &bands)?;
            let f = analytics::flaky::flaky(s, &r2, &wc, after)?;
            let recent = s.list_runs(&RunQuery {
                repo: Some(r2.clone()),
                limit: 20,
                ..RunQuery::default()
            })?;
            Ok((h, d, f, recent))
        })
        .await?;
    let mut body = format!(
        "<p class=\"muted\">Last {} days. JSON: <a href=\"/api/v1/overview{q}\">run health</a>, <a href=\"/api/v1/dora{q}\">DORA</a>, <a href=\"/api/v1/flaky{q}\">flaky</a>, <a href=\"/api/v1/timings{q}\">timings</a></p>",
        w.days,
        q = q(Some(&repo))
    );
    summary_tiles(&mut body, &h.total);
    dora_tiles(&mut body, &d);
    health_charts(&mut body, &h);
    body.push_str("<div class=\"card\"><h2>Jobs</h2><table><tr><th>job</th><th>runs</th><th>success</th><th>p50</th><th>p95</th><th>queue p95</th></tr>");
    for j in &h.jobs {
        let _ = write!(
            body,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&j.name),
            j.runs,
            pct(j.success_rate),
            dur(j.duration.p50_ms),
            dur(j.duration.p95_ms),
            dur(j.queue.p95_ms)
        );
    }
    body.push_str("</table></div>");
    flaky_table(&mut body, &f.tests[..f.tests.len().min(10)], f.runs);
    body.push_str("<div class=\"card\"><h2>Recent runs</h2>");
    runs_table(&mut body, &recent);
    body.push_str("</div>");
    Ok(layout(&repo, Some(&repo), &body))
}

fn runs_table(out: &mut String, runs: &[PipelineRun]) {
    out.push_str("<table><tr><th>run</th><th>started</th><th>branch</th><th>status</th><th>duration</th><th>tests</th></tr>");
    for r in runs {
        let cls = if r.status.as_str() == "failed" {
            "bad"
        } else {
            "ok"
        };
        let _ = write!(
            out,
            "<tr><td><a href=\"/runs/{id}\"><code>{short}</code></a></td><td>{}</td><td>{}</td><td class=\"{cls}\">{}</td><td class=\"n\">{}</td><td class=\"n\">{} / {} failed</td></tr>",
            escape(&r.started_at),
            escape(&r.branch),
            r.status.as_str(),
            dur(run_duration_ms(r).map(|v| v as f64)),
            r.tests.total,
            r.tests.failed,
            id = escape(&r.run_id),
            short = escape(&r.run_id.chars().take(18).collect::<String>()),
        );
    }
    out.push_str("</table>");
}

fn link(uri: &str) -> String {
    if uri.starts_with("https://") || uri.starts_with("http://") {
        format!("<a href=\"{0}\" rel=\"noreferrer\">{0}</a>", escape(uri))
    } else {
        format!("<code>{}</code>", escape(uri))
    }
}

pub(super) async fn run_page(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Page {
    let key = id.clone();
    let Some(run) = hub.with_store(move |s| s.get_run(&key)).await? else {
        may_read(&hub, &headers, None).await?;
        return Err(ApiError::new(StatusCode::NOT_FOUND, format!("no run `{id}`")).into());
    };
    may_read(&hub, &headers, Some(&run.repo)).await?;
    let mut body = format!(
        "<p class=\"muted\">JSON: <a href=\"/api/v1/runs/{0}\">/api/v1/runs/{0}</a></p>",
        escape(&run.run_id)
    );
    body.push_str("<div class=\"tiles\">");
    tile(&mut body, "status", run.status.as_str());
    tile(
        &mut body,
        "duration",
        &dur(run_duration_ms(&run).map(|v| v as f64)),
    );
    tile(
        &mut body,
        "tests",
        &format!("{} ({} failed)", run.tests.total, run.tests.failed),
    );
    if let Some(c) = run.tests.coverage.as_ref().and_then(|c| c.lines_pct) {
        tile(&mut body, "line coverage", &percent(c, 1));
    }
    if let Some(r) = &run.tests.resilience {
        tile(&mut body, "mutation score", &percent(r.score, 1));
    }
    if let Some(u) = run.cost.usd {
        tile(&mut body, "cost", &format!("${u:.2}"));
    }
    body.push_str("</div>");
    let _ = write!(
        body,
        "<div class=\"card\"><table><tr><th>repository</th><td><a href=\"/repos/{0}\">{0}</a></td></tr><tr><th>commit</th><td><code>{1}</code></td></tr><tr><th>branch</th><td>{2}</td></tr><tr><th>started</th><td>{3}</td></tr><tr><th>ended</th><td>{4}</td></tr></table></div>",
        escape(&run.repo),
        escape(&run.commit_sha),
        escape(&run.branch),
        escape(&run.started_at),
        escape(&run.ended_at)
    );
    body.push_str("<div class=\"card\"><h2>Jobs</h2><table><tr><th>job</th><th>status</th><th>attempt</th><th>duration</th><th>queue</th><th>cache</th></tr>");
    for j in &run.jobs {
        let cache = j
            .cache
            .as_ref()
            .and_then(|c| c.hit)
            .map_or("–", |h| if h { "hit" } else { "miss" });
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{cache}</td></tr>",
            escape(&j.name),
            j.status.as_str(),
            j.attempt.unwrap_or(1),
            dur(Some(j.duration_ms as f64)),
            dur(j.queue_ms.map(|v| v as f64))
        );
    }
    body.push_str("</table></div>");
    if let Some(causes) = run
        .autopsy
        .as_ref()
        .and_then(|a| a.root_causes.as_ref())
        .filter(|c| !c.is_empty())
    {
        body.push_str("<div class=\"card\"><h2>Root causes</h2><table><tr><th>pattern</th><th>where</th><th>message</th><th>suggestion</th></tr>");
        for c in causes {
            let at = match (&c.file, c.line) {
                (Some(f), Some(l)) => format!("{f}:{l}"),
                (Some(f), None) => f.clone(),
                _ => String::new(),
            };
            let _ = write!(
                body,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                escape(&c.pattern),
                escape(&at),
                escape(c.message.as_deref().unwrap_or("")),
                escape(&c.suggestion)
            );
        }
        body.push_str("</table></div>");
    }
    if let Some(policies) = run.policies.as_ref().filter(|p| !p.is_empty()) {
        body.push_str("<div class=\"card\"><h2>Policy decisions</h2><table><tr><th>gate</th><th>result</th><th>reason</th></tr>");
        for p in policies {
            let result = serde_json::to_value(p.result)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let cls = match result.as_str() {
                "deny" => "bad",
                "allow" => "ok",
                _ => "",
            };
            let _ = write!(
                body,
                "<tr><td>{}</td><td class=\"{cls}\">{}</td><td>{}</td></tr>",
                escape(&p.id),
                escape(&result),
                escape(p.reason.as_deref().unwrap_or(""))
            );
        }
        body.push_str("</table></div>");
    }
    let evidence: Vec<(&str, &Option<String>)> = vec![
        ("SBOM", &run.sbom_uri),
        ("provenance", &run.provenance_uri),
        ("signature", &run.signature_uri),
        ("release evidence", &run.release_evidence_uri),
        ("image", &run.image_digest),
    ];
    if evidence.iter().any(|(_, v)| v.is_some()) {
        body.push_str("<div class=\"card\"><h2>Evidence</h2><table>");
        for (name, v) in evidence {
            if let Some(v) = v {
                let _ = write!(body, "<tr><th>{name}</th><td>{}</td></tr>", link(v));
            }
        }
        body.push_str("</table></div>");
    }
    Ok(layout(
        &format!("Run {}", run.run_id),
        Some(&run.repo),
        &body,
    ))
}
