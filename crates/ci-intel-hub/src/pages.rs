//! Server-rendered dashboards: HTML with inline CSS and SVG, no scripts and no external assets,
//! so they work air-gapped. Every chart draws a value its JSON endpoint (`/api/v1/…` with the
//! same query) also serves. Everything from a record is escaped; links only for http(s) URIs.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use ci_intel_core::format::percent;
use ci_intel_core::pipeline_run::PipelineRun;
use ci_intel_render::svg::{Series, bar_chart, escape, line_chart};
use ci_intel_store::RunQuery;
use ci_intel_store::rollup::run_duration_ms;

use crate::analytics::dora::{Band, Dora, Key};
use crate::analytics::runs::{RunHealth, Summary};
use crate::analytics::{self, Window};
use crate::state::{ApiError, ChartParams, Hub, may_read};

/// The pages' routes. With `--read-token-required` they ask for the same read token as the
/// JSON API (`Authorization: Bearer …`, as an SSO proxy in front adds it): [`page_access`]
/// checks the repository a page is about before the handler runs; a run's page, whose
/// repository is known only once the run is read, checks in its handler.
pub fn routes(hub: Arc<Hub>) -> Router<Arc<Hub>> {
    Router::new()
        .route("/", get(overview))
        .route("/repos/{owner}/{name}", get(repo_page))
        .route("/runs/{id}", get(run_page))
        .route("/dora", get(dora_page))
        .route("/flaky", get(flaky_page))
        .route("/resilience", get(resilience_page))
        .route("/cost", get(cost_page))
        .route_layer(middleware::from_fn_with_state(hub, page_access))
}

/// The repository a page shows: `/repos/OWNER/NAME`, or `?repo=` on the other pages.
fn page_repo(uri: &axum::http::Uri) -> Option<String> {
    if let Some(rest) = uri.path().strip_prefix("/repos/") {
        return Some(rest.trim_end_matches('/').to_owned());
    }
    let query = uri.query()?;
    query_repo(query)
}

/// The `repo` parameter of a query string, percent-decoded.
fn query_repo(query: &str) -> Option<String> {
    Query::<ChartParams>::try_from_uri(&format!("/?{query}").parse().ok()?)
        .ok()
        .and_then(|Query(p)| p.repo)
        .filter(|r| !r.is_empty())
}

/// Read access for a page, as the JSON API grants it (see [`routes`]).
async fn page_access(State(hub): State<Arc<Hub>>, req: Request, next: Next) -> Response {
    if !hub.options.read_token_required || req.uri().path().starts_with("/runs/") {
        return next.run(req).await;
    }
    let repo = page_repo(req.uri());
    match may_read(&hub, req.headers(), repo.as_deref()).await {
        Ok(()) => next.run(req).await,
        Err(e) => error_page(&e),
    }
}

const BLUE: &str = "#2563eb";
const RED: &str = "#dc2626";
const GREEN: &str = "#16a34a";
const GREY: &str = "#9ca3af";
const AMBER: &str = "#d97706";

const CSS: &str = "body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#111827;background:#f9fafb}\
header{background:#111827;color:#f9fafb;padding:10px 24px;display:flex;gap:18px;align-items:center}\
header a{color:#e5e7eb;text-decoration:none}header a:hover{text-decoration:underline}\
header strong{margin-right:12px}main{padding:16px 24px;max-width:1200px}\
.tiles{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}\
.tile{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:10px 14px;min-width:150px}\
.tile .v{font-size:22px;font-weight:600}.tile .l{color:#6b7280;font-size:12px}\
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px;margin:12px 0}\
table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e5e7eb}\
th{font-size:12px;color:#6b7280;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.band{padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}\
.elite{background:#dcfce7;color:#166534}.high{background:#dbeafe;color:#1e40af}.medium{background:#fef3c7;color:#92400e}.low{background:#fee2e2;color:#991b1b}\
.muted{color:#6b7280}.ok{color:#166534}.bad{color:#991b1b}code{font-size:12px}";

fn q(repo: Option<&str>) -> String {
    repo.map(|r| format!("?repo={}", escape(r)))
        .unwrap_or_default()
}

fn layout(title: &str, repo: Option<&str>, body: &str) -> Response {
    let r = q(repo);
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{t} · ci-intel hub</title><style>{CSS}</style></head><body>\
<header><strong>ci-intel hub</strong><a href=\"/\">Overview</a><a href=\"/dora{r}\">DORA</a><a href=\"/flaky{r}\">Flaky tests</a>\
<a href=\"/resilience{r}\">Resilience</a><a href=\"/cost{r}\">Cost &amp; carbon</a></header><main><h1>{t}</h1>{body}</main></body></html>",
        t = escape(title)
    );
    (
        [(
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:",
        )],
        Html(html),
    )
        .into_response()
}

/// A page handler's error: the same `ApiError` the JSON API answers, shown as an HTML page.
struct PageError(ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        error_page(&self.0)
    }
}

type Page = Result<Response, PageError>;

fn error_page(e: &ApiError) -> Response {
    let status = e.status;
    let unauthorized = status == StatusCode::UNAUTHORIZED;
    let mut r = layout(
        "Error",
        None,
        &format!("<p class=\"bad\">{}</p>", escape(&e.message)),
    );
    *r.status_mut() = status;
    if unauthorized {
        r.headers_mut().insert(
            axum::http::header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer realm=\"ci-intel hub\""),
        );
    }
    r
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| percent(v, 1))
}

fn dur(ms: Option<f64>) -> String {
    match ms {
        None => "–".into(),
        Some(ms) if ms < 1000.0 => format!("{ms:.0} ms"),
        Some(ms) if ms < 120_000.0 => format!("{:.1} s", ms / 1000.0),
        Some(ms) => format!("{:.1} min", ms / 60_000.0),
    }
}

fn tile(out: &mut String, label: &str, value: &str) {
    let _ = write!(
        out,
        "<div class=\"tile\"><div class=\"v\">{}</div><div class=\"l\">{}</div></div>",
        escape(value),
        escape(label)
    );
}

fn summary_tiles(out: &mut String, s: &Summary) {
    out.push_str("<div class=\"tiles\">");
    tile(out, "runs", &s.runs.to_string());
    tile(out, "success rate", &pct(s.success_rate));
    tile(out, "duration p50", &dur(s.duration.p50_ms));
    tile(out, "duration p95", &dur(s.duration.p95_ms));
    tile(out, "queue p95", &dur(s.queue.p95_ms));
    tile(out, "cache hit ratio", &pct(s.cache_hit_ratio));
    tile(out, "cost", &format!("${:.2}", s.cost_usd));
    tile(
        out,
        "carbon",
        &format!("{:.1} kg CO2e", s.carbon_g_co2e / 1000.0),
    );
    out.push_str("</div>");
}

fn health_charts(out: &mut String, h: &RunHealth) {
    let labels: Vec<String> = h.daily.iter().map(|d| d.day[5..].to_owned()).collect();
    let runs = |f: fn(&Summary) -> f64| h.daily.iter().map(|d| Some(f(&d.summary))).collect();
    let _ = write!(
        out,
        "<div class=\"card\">{}</div><div class=\"card\">{}</div><div class=\"card\">{}</div>",
        bar_chart(
            "Runs per day",
            &labels,
            &[
                Series {
                    name: "succeeded or other",
                    color: BLUE,
                    values: runs(|s| (s.runs - s.failed) as f64),
                    dashed: false
                },
                Series {
                    name: "failed",
                    color: RED,
                    values: runs(|s| s.failed as f64),
                    dashed: false
                },
            ],
        ),
        line_chart(
            "Run duration (minutes)",
            &labels,
            &[
                Series {
                    name: "p50",
                    color: BLUE,
                    values: h
                        .daily
                        .iter()
                        .map(|d| d.summary.duration.p50_ms.map(|v| v / 60_000.0))
                        .collect(),
                    dashed: false
                },
                Series {
                    name: "p95",
                    color: AMBER,
                    values: h
                        .daily
                        .iter()
                        .map(|d| d.summary.duration.p95_ms.map(|v| v / 60_000.0))
                        .collect(),
                    dashed: false
                },
            ],
            true,
        ),
        line_chart(
            "Success rate (%)",
            &labels,
            &[Series {
                name: "success rate",
                color: GREEN,
                values: h
                    .daily
                    .iter()
                    .map(|d| d.summary.success_rate.map(|v| v * 100.0))
                    .collect(),
                dashed: false
            }],
            false,
        ),
    );
}

async fn overview(State(hub): State<Arc<Hub>>, Query(p): Query<ChartParams>) -> Page {
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

async fn repo_page(
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

async fn run_page(State(hub): State<Arc<Hub>>, headers: HeaderMap, Path(id): Path<String>) -> Page {
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

fn dora_tiles(out: &mut String, d: &Dora) {
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

async fn dora_page(State(hub): State<Arc<Hub>>, Query(p): Query<ChartParams>) -> Page {
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

fn flaky_table(out: &mut String, tests: &[analytics::flaky::FlakyTest], runs: usize) {
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

async fn flaky_page(State(hub): State<Arc<Hub>>, Query(p): Query<ChartParams>) -> Page {
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

async fn resilience_page(State(hub): State<Arc<Hub>>, Query(p): Query<ChartParams>) -> Page {
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

async fn cost_page(State(hub): State<Arc<Hub>>, Query(p): Query<ChartParams>) -> Page {
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
