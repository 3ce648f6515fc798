//! Server-rendered dashboards: HTML with inline CSS and SVG, no scripts and no external assets,
//! so they work air-gapped. Every chart draws a value its JSON endpoint (`/api/v1/…` with the
//! same query) also serves. Everything from a record is escaped; links only for http(s) URIs.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use ci_intel_core::format::percent;
use ci_intel_render::svg::{Series, bar_chart, escape, line_chart};

use crate::analytics::runs::{RunHealth, Summary};
use crate::state::{ApiError, ChartParams, Hub, may_read};

mod failures;
mod runs;
mod trends;

use failures::autopsy_page;
use runs::{overview, repo_page, run_page};
use trends::{cost_page, dora_page, flaky_page, resilience_page};

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
        .route("/autopsy", get(autopsy_page))
        .route_layer(middleware::from_fn_with_state(hub, page_access))
}

/// The repository a page shows: `/repos/OWNER/NAME`, or `?repo=` on the other pages.
fn page_repo(uri: &axum::http::Uri) -> Option<String> {
    if let Some(rest) = uri.path().strip_prefix("/repos/") {
        return Some(rest.trim_end_matches('/').to_owned());
    }
    // `?repo=`, percent-decoded as the handler's own `Query` reads it.
    Query::<ChartParams>::try_from_uri(uri)
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
<a href=\"/resilience{r}\">Resilience</a><a href=\"/cost{r}\">Cost &amp; carbon</a><a href=\"/autopsy{r}\">Autopsy</a></header><main><h1>{t}</h1>{body}</main></body></html>",
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
