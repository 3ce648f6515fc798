//! The Autopsy page: what keeps breaking the builds, by failure signature.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Query, State};
use ci_intel_render::svg::escape;

use crate::analytics;
use crate::analytics::failures::FailureSignature;
use crate::state::{ChartParams, Hub};

use super::{Page, RED, layout, q, tile};

/// A bar per day of the window, as tall as the runs the signature broke that day.
fn sparkline(s: &FailureSignature, days: &[String]) -> String {
    let max = s.trend.iter().map(|d| d.runs).max().unwrap_or(1).max(1) as f64;
    let w = 2.0;
    let mut out = format!(
        "<svg width=\"{}\" height=\"20\" role=\"img\" aria-label=\"runs broken per day\">",
        days.len() as f64 * w
    );
    for (i, day) in days.iter().enumerate() {
        if let Some(d) = s.trend.iter().find(|d| &d.day == day) {
            let h = (d.runs as f64 / max * 18.0).max(1.0);
            let _ = write!(
                out,
                "<rect x=\"{:.0}\" y=\"{:.1}\" width=\"{:.0}\" height=\"{h:.1}\" fill=\"{RED}\"><title>{} {}</title></rect>",
                i as f64 * w,
                20.0 - h,
                w,
                escape(day),
                d.runs
            );
        }
    }
    out.push_str("</svg>");
    out
}

pub(super) async fn autopsy_page(
    State(hub): State<Arc<Hub>>,
    Query(p): Query<ChartParams>,
) -> Page {
    let w = p.window()?;
    let wc = w.clone();
    let f = hub
        .with_store(move |s| analytics::failures::failures(s, &wc))
        .await?;
    let days = w.each_day();
    let mut body = format!(
        "<p class=\"muted\">Root causes the runs' autopsies found, by failure signature, last {} days. JSON: <a href=\"/api/v1/autopsy{}\">/api/v1/autopsy</a></p>",
        w.days,
        q(w.repo.as_deref())
    );
    body.push_str("<div class=\"tiles\">");
    tile(&mut body, "failed runs", &f.failed_runs.to_string());
    tile(
        &mut body,
        "failure signatures",
        &f.signatures.len().to_string(),
    );
    tile(&mut body, "new this week", &f.new_this_week.to_string());
    body.push_str("</div>");
    if f.signatures.is_empty() {
        body.push_str("<div class=\"card\"><p class=\"muted\">No root causes recorded in this window. Records get them from <code>ci-intel run emit</code> when <code>autopsy.logs</code> is configured and the job failed.</p></div>");
        return Ok(layout("Pipeline Autopsy", w.repo.as_deref(), &body));
    }
    body.push_str("<div class=\"card\"><table><tr><th>#</th><th>category</th><th>tool · rule</th><th>failure</th><th>runs</th><th>trend</th><th>first seen</th><th>last seen</th><th>runs it broke</th></tr>");
    for (i, s) in f.signatures.iter().enumerate() {
        let runs: Vec<String> = s
            .run_ids
            .iter()
            .take(3)
            .map(|id| {
                format!(
                    "<a href=\"/runs/{}\"><code>{}</code></a>",
                    escape(id),
                    escape(id.get(..8).unwrap_or(id))
                )
            })
            .collect();
        let _ = write!(
            body,
            "<tr><td class=\"n\">{}</td><td>{}{}</td><td>{} · <code>{}</code></td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            escape(&s.category),
            if s.new_this_week {
                " <span class=\"band low\">new</span>"
            } else {
                ""
            },
            escape(&s.tool),
            escape(&s.pattern),
            escape(&s.message),
            s.runs,
            sparkline(s, &days),
            escape(&s.first_seen),
            escape(&s.last_seen),
            runs.join(" ")
        );
    }
    body.push_str("</table></div>");
    Ok(layout("Pipeline Autopsy", w.repo.as_deref(), &body))
}
