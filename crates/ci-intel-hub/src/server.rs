//! The HTTP surface: routes, shared state, authentication, and the handlers that are not pages.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ci_intel_core::pipeline_run::{PipelineRun, RecordError, parse_batch};
use ci_intel_store::{RunQuery, Store, StoreError, TestOutcome, TestReport, TestResult, Upsert};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::analytics::{self, Window, dora::Bands};
use crate::auth::{self, Principal};
use crate::ingest::{Writer, body_text};
use crate::telemetry::Telemetry;
use crate::{pages, webhooks};

/// How the hub is set up.
#[derive(Debug, Clone)]
pub struct Options {
    /// Largest request body, compressed or not (bytes).
    pub max_body: usize,
    /// `CI_INTEL_WEBHOOK_SECRET`: without it, webhooks are refused.
    pub webhook_secret: Option<String>,
    /// Reads (`GET /api/v1/…`) need a token too.
    pub read_token_required: bool,
    pub dora_bands: Bands,
    /// A test is quarantined after this many flaky runs in 30 days.
    pub quarantine_after: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_body: 16 * 1024 * 1024,
            webhook_secret: None,
            read_token_required: false,
            dora_bands: Bands::default(),
            quarantine_after: 2,
        }
    }
}

/// Shared by every request.
pub struct Hub {
    pub store: Arc<dyn Store>,
    pub writer: Writer,
    /// Set when ingest goes through JetStream.
    pub queue: Option<crate::nats::Publisher>,
    pub telemetry: Telemetry,
    pub options: Options,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("queue", &self.queue.is_some())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Hub {
    pub fn new(
        store: Arc<dyn Store>,
        queue: Option<crate::nats::Publisher>,
        options: Options,
    ) -> Arc<Self> {
        Arc::new(Hub {
            writer: Writer::start(store.clone()),
            store,
            queue,
            telemetry: Telemetry::default(),
            options,
        })
    }

    /// Runs a store call off the async threads.
    pub async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(|e| ApiError::internal(format!("store task failed: {e}")))?
            .map_err(ApiError::from)
    }
}

/// An error answer: a status and a JSON body `{"error": …, "errors": [...]}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub errors: Vec<RecordError>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            errors: Vec::new(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"error": self.message});
        if !self.errors.is_empty() {
            body["errors"] = json!(self.errors);
        }
        (self.status, axum::Json(body)).into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// The router, without a socket (tests drive it directly).
pub fn router(hub: Arc<Hub>) -> Router {
    let max_body = hub.options.max_body;
    Router::new()
        .route("/health/live", get(|| async { "ok\n" }))
        .route("/health/ready", get(ready))
        .route("/metrics", get(metrics))
        .route("/api/v1/runs", post(ingest).get(list_runs))
        .route("/api/v1/runs/{id}", get(get_run))
        .route("/api/v1/runs/{id}/tests", post(ingest_tests))
        .route("/api/v1/repos", get(repos))
        .route("/api/v1/overview", get(api_overview))
        .route("/api/v1/dora", get(api_dora))
        .route("/api/v1/flaky", get(api_flaky))
        .route("/api/v1/timings", get(api_timings))
        .route("/api/v1/resilience", get(api_resilience))
        .route("/api/v1/cost", get(api_cost))
        .route("/webhooks/github", post(github_webhook))
        .merge(pages::routes())
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(hub.clone(), observe))
        .with_state(hub)
}

/// Records every request's latency by route and status, and logs it.
async fn observe(State(hub): State<Arc<Hub>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().to_string();
    let resp = next.run(req).await;
    let secs = start.elapsed().as_secs_f64();
    let status = resp.status().as_u16();
    hub.telemetry
        .requests
        .get_or_create(&vec![
            ("method", method.clone()),
            ("route", route.clone()),
            ("status", status.to_string()),
        ])
        .observe(secs);
    tracing::info!(%method, %route, status, ms = secs * 1000.0, "request");
    resp
}

async fn ready(State(hub): State<Arc<Hub>>) -> Response {
    let store = hub.with_store(|s| s.token("readiness-probe")).await;
    let queue = match &hub.queue {
        Some(q) => q.ready().await,
        None => Ok(()),
    };
    match (store, queue) {
        (Ok(_), Ok(())) => (StatusCode::OK, "ready\n").into_response(),
        (Err(e), _) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("store: {}\n", e.message),
        )
            .into_response(),
        (_, Err(e)) => (StatusCode::SERVICE_UNAVAILABLE, format!("nats: {e}\n")).into_response(),
    }
}

async fn metrics(State(hub): State<Arc<Hub>>) -> Response {
    hub.telemetry.queue_depth.set(hub.writer.queue_depth());
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        hub.telemetry.render(),
    )
        .into_response()
}

/// Authenticates the request's bearer token.
async fn principal(hub: &Arc<Hub>, headers: &HeaderMap) -> ApiResult<Principal> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match hub
        .with_store(move |s| auth::authenticate(s, value.as_deref()))
        .await?
    {
        Ok(p) => Ok(p),
        Err(r) => Err(ApiError::new(StatusCode::UNAUTHORIZED, r.message())),
    }
}

/// Reads need a token only when the hub was told so; then it must cover the repository asked
/// for (or every repository, when none is named).
async fn may_read(hub: &Arc<Hub>, headers: &HeaderMap, repo: Option<&str>) -> ApiResult<()> {
    if !hub.options.read_token_required {
        return Ok(());
    }
    let p = principal(hub, headers).await?;
    let ok = match repo {
        Some(r) => p.covers(r),
        None => p.repo_pattern == "*",
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("token covers `{}` only", p.repo_pattern),
        ))
    }
}

/// The request body as text, gunzipped when `Content-Encoding: gzip` (bounded after
/// decompression too).
fn request_text(hub: &Hub, headers: &HeaderMap, body: &[u8]) -> ApiResult<String> {
    let gzip = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    body_text(body, gzip, hub.options.max_body).map_err(|e| {
        if e.contains("larger") {
            too_large(hub.options.max_body)
        } else {
            ApiError::bad_request(e)
        }
    })
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("body is larger than {limit} bytes"),
    )
}

/// `POST /api/v1/runs`: one record or NDJSON, gzip accepted. All or nothing: if any record is
/// invalid or outside the token's repositories, none is stored and every problem is listed.
async fn ingest(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let p = principal(&hub, &headers).await?;
    if !p.may_ingest() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "this token may read, not ingest (scope `read`)",
        ));
    }
    let text = request_text(&hub, &headers, &body)?;
    let runs = parse_batch(&text).map_err(|errors| {
        hub.telemetry.count("rejected", 1);
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: format!(
                "{} problem(s) in the records; nothing was stored",
                errors.len()
            ),
            errors,
        }
    })?;
    let mut problems = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        if !p.covers(&r.repo) {
            problems.push(RecordError {
                line: i + 1,
                pointer: Some("/repo".into()),
                message: format!(
                    "record {} is for `{}`; this token covers `{}`",
                    i + 1,
                    r.repo,
                    p.repo_pattern
                ),
            });
        }
        for (ptr, t) in [("/started_at", &r.started_at), ("/ended_at", &r.ended_at)] {
            if let Err(e) = ci_intel_store::canonical_time(t) {
                problems.push(RecordError {
                    line: i + 1,
                    pointer: Some(ptr.into()),
                    message: format!("{e} (the hub keeps UTC times: end them with `Z`)"),
                });
            }
        }
    }
    if !problems.is_empty() {
        let forbidden = problems
            .iter()
            .all(|e| e.pointer.as_deref() == Some("/repo"));
        return Err(ApiError {
            status: if forbidden {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            },
            message: format!(
                "{} problem(s) in the records; nothing was stored",
                problems.len()
            ),
            errors: problems,
        });
    }
    observe_lag(&hub, &runs);
    let n = runs.len();
    if let Some(q) = &hub.queue {
        q.publish(&runs)
            .await
            .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, format!("queue: {e}")))?;
        hub.telemetry.count("queued", n as u64);
        return Ok((
            StatusCode::ACCEPTED,
            axum::Json(json!({"accepted": n, "queued": n})),
        )
            .into_response());
    }
    let outcomes = hub.writer.write(runs).await?;
    let count = |o: Upsert| outcomes.iter().filter(|x| **x == o).count();
    let (ins, upd, unch) = (
        count(Upsert::Inserted),
        count(Upsert::Updated),
        count(Upsert::Unchanged),
    );
    hub.telemetry.count("inserted", ins as u64);
    hub.telemetry.count("updated", upd as u64);
    hub.telemetry.count("unchanged", unch as u64);
    Ok(axum::Json(json!({
        "accepted": n, "inserted": ins, "updated": upd, "unchanged": unch
    }))
    .into_response())
}

fn observe_lag(hub: &Hub, runs: &[PipelineRun]) {
    let now = time::OffsetDateTime::now_utc();
    for r in runs {
        if let Some(end) = ci_intel_store::rollup::parse_time(&r.ended_at) {
            hub.telemetry
                .ingest_lag
                .observe((now - end).as_seconds_f64().max(0.0));
        }
    }
}

/// `POST /api/v1/runs/{id}/tests`: the run's `ci-intel tests --format json` report, kept per
/// test for flakiness and timings.
async fn ingest_tests(
    State(hub): State<Arc<Hub>>,
    Path(run_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let p = principal(&hub, &headers).await?;
    if !p.may_ingest() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "this token may read, not ingest (scope `read`)",
        ));
    }
    let text = request_text(&hub, &headers, &body)?;
    let report: ci_intel_tests::report::TestsReport = serde_json::from_str(&text).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "not a ci-intel.tests/v1 report (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    let id = run_id.clone();
    let Some(run) = hub.with_store(move |s| s.get_run(&id)).await? else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no run `{run_id}`: send the run record first"),
        ));
    };
    if !p.covers(&run.repo) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "run `{run_id}` is for `{}`; this token covers `{}`",
                run.repo, p.repo_pattern
            ),
        ));
    }
    let stored = test_report(&run, &report);
    let n = stored.tests.len();
    hub.with_store(move |s| s.put_test_reports(std::slice::from_ref(&stored)))
        .await?;
    Ok(axum::Json(json!({"run_id": run_id, "tests": n})).into_response())
}

/// The per-test facts the hub keeps from a tests report.
pub fn test_report(run: &PipelineRun, r: &ci_intel_tests::report::TestsReport) -> TestReport {
    let mut tests: Vec<TestResult> = Vec::new();
    let duration = |id: &str| r.slowest.iter().find(|s| s.id == id).map(|s| s.duration_ms);
    for f in &r.failures {
        tests.push(TestResult {
            id: f.id.clone(),
            outcome: TestOutcome::Failed,
            attempts: f.attempts,
            duration_ms: duration(&f.id),
        });
    }
    for f in &r.flaky {
        tests.push(TestResult {
            id: f.id.clone(),
            outcome: TestOutcome::Flaky,
            attempts: f.attempts,
            duration_ms: duration(&f.id),
        });
    }
    for s in &r.slowest {
        if !tests.iter().any(|t| t.id == s.id) {
            tests.push(TestResult {
                id: s.id.clone(),
                outcome: TestOutcome::Passed,
                attempts: 1,
                duration_ms: Some(s.duration_ms),
            });
        }
    }
    TestReport {
        run_id: run.run_id.clone(),
        repo: run.repo.clone(),
        commit_sha: run.commit_sha.clone(),
        started_at: run.started_at.clone(),
        total: r.tests.total,
        tests,
    }
}

#[derive(Debug, Deserialize)]
struct RunsParams {
    repo: Option<String>,
    since: Option<String>,
    until: Option<String>,
    limit: Option<usize>,
}

async fn list_runs(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Query(q): Query<RunsParams>,
) -> ApiResult<Response> {
    may_read(&hub, &headers, q.repo.as_deref()).await?;
    for t in [&q.since, &q.until].into_iter().flatten() {
        ci_intel_store::canonical_time(t).map_err(|e| ApiError::bad_request(e.to_string()))?;
    }
    let query = RunQuery {
        repo: q.repo,
        since: q.since,
        until: q.until,
        limit: q.limit.unwrap_or(100).min(1000),
    };
    let runs = hub.with_store(move |s| s.list_runs(&query)).await?;
    Ok(axum::Json(json!({"runs": runs})).into_response())
}

async fn get_run(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let key = id.clone();
    let run = hub.with_store(move |s| s.get_run(&key)).await?;
    match run {
        Some(r) => {
            may_read(&hub, &headers, Some(&r.repo)).await?;
            Ok(axum::Json(r).into_response())
        }
        None => {
            may_read(&hub, &headers, None).await?;
            Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no run `{id}`"),
            ))
        }
    }
}

async fn repos(State(hub): State<Arc<Hub>>, headers: HeaderMap) -> ApiResult<Response> {
    may_read(&hub, &headers, None).await?;
    let repos = hub.with_store(|s| s.repos()).await?;
    Ok(axum::Json(json!({"repos": repos})).into_response())
}

/// The query every chart endpoint takes.
#[derive(Debug, Deserialize, Default)]
pub struct ChartParams {
    pub repo: Option<String>,
    /// Days in the window (default 30, at most 400).
    pub days: Option<u32>,
    /// The window's last day (default today, UTC).
    pub until: Option<String>,
    /// DORA's environment (default `prod`).
    pub environment: Option<String>,
}

impl ChartParams {
    pub fn window(&self) -> ApiResult<Window> {
        let days = self.days.unwrap_or(30).clamp(1, 400);
        let repo = self.repo.clone().filter(|r| !r.is_empty());
        match &self.until {
            Some(u) => analytics::parse_day(u)
                .map(|d| Window::ending(repo, days, d))
                .map_err(ApiError::bad_request),
            None => Ok(Window::today(repo, days)),
        }
    }
}

/// A chart's JSON: read access to the repository asked for, the window, then `f` on the store
/// (off the async threads).
async fn chart_json<T: serde::Serialize + Send + 'static>(
    hub: &Arc<Hub>,
    headers: &HeaderMap,
    q: &ChartParams,
    repo_required: bool,
    f: impl FnOnce(&dyn Store, &Window) -> Result<T, StoreError> + Send + 'static,
) -> ApiResult<Response> {
    if repo_required && q.repo.as_deref().is_none_or(str::is_empty) {
        return Err(ApiError::bad_request("`repo=OWNER/NAME` is required"));
    }
    may_read(hub, headers, q.repo.as_deref()).await?;
    let w = q.window()?;
    let v = hub.with_store(move |s| f(s, &w)).await?;
    Ok(axum::Json(v).into_response())
}

/// The repository of a window whose repository is required.
fn repo_of(w: &Window) -> &str {
    w.repo.as_deref().unwrap_or_default()
}

async fn api_overview(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Query(q): Query<ChartParams>,
) -> ApiResult<Response> {
    chart_json(&hub, &headers, &q, false, analytics::runs::health).await
}

async fn api_dora(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Query(q): Query<ChartParams>,
) -> ApiResult<Response> {
    let env = q.environment.clone().unwrap_or_else(|| "prod".into());
    let bands = hub.options.dora_bands.clone();
    chart_json(&hub, &headers, &q, false, move |s, w| {
        analytics::dora::dora(s, w, &env, &bands)
    })
    .await
}

async fn api_flaky(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Query(q): Query<ChartParams>,
) -> ApiResult<Response> {
    let after = hub.options.quarantine_after;
    chart_json(&hub, &headers, &q, true, move |s, w| {
        analytics::flaky::flaky(s, repo_of(w), w, after)
    })
    .await
}

async fn api_timings(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Query(q): Query<ChartParams>,
) -> ApiResult<Response> {
    chart_json(&hub, &headers, &q, true, |s, w| {
        analytics::flaky::timings(s, repo_of(w), w)
    })
    .await
}

async fn api_resilience(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Query(q): Query<ChartParams>,
) -> ApiResult<Response> {
    chart_json(&hub, &headers, &q, false, analytics::trends::resilience).await
}

async fn api_cost(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Query(q): Query<ChartParams>,
) -> ApiResult<Response> {
    chart_json(&hub, &headers, &q, false, analytics::trends::costs).await
}

/// `POST /webhooks/github`.
async fn github_webhook(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let Some(secret) = hub.options.webhook_secret.clone() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "webhooks are off: set CI_INTEL_WEBHOOK_SECRET on the hub",
        ));
    };
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let event = h("x-github-event").unwrap_or_default();
    if let Err(e) = webhooks::verify_signature(
        secret.as_bytes(),
        &body,
        h("x-hub-signature-256").as_deref(),
    ) {
        hub.telemetry.webhook(&event, "bad_signature");
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, e));
    }
    let delivery = h("x-github-delivery")
        .ok_or_else(|| ApiError::bad_request("missing X-GitHub-Delivery header"))?;
    if event.is_empty() {
        return Err(ApiError::bad_request("missing X-GitHub-Event header"));
    }
    let payload: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("payload is not JSON: {e}")))?;
    let fx = webhooks::effects(&event, &payload).map_err(|e| {
        hub.telemetry.webhook(&event, "invalid");
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e)
    })?;
    let (id, now) = (delivery.clone(), crate::now_rfc3339());
    if !hub
        .with_store(move |s| s.record_delivery(&id, &now))
        .await?
    {
        hub.telemetry.webhook(&event, "duplicate");
        return Ok(axum::Json(json!({"delivery": delivery, "duplicate": true})).into_response());
    }
    let applied = apply_webhook(&hub, fx).await;
    if let Err(e) = applied {
        // Forget the delivery so GitHub's redelivery is processed.
        let id = delivery.clone();
        let _ = hub.with_store(move |s| s.forget_delivery(&id)).await;
        hub.telemetry.webhook(&event, "error");
        return Err(e);
    }
    hub.telemetry.webhook(&event, "stored");
    Ok(axum::Json(json!({"delivery": delivery, "duplicate": false})).into_response())
}

/// How an event changes the run it belongs to (`None`: the hub does not know the run yet).
type Merge = Box<dyn FnMut(Option<PipelineRun>) -> PipelineRun + Send>;

async fn apply_webhook(hub: &Arc<Hub>, fx: webhooks::Effects) -> ApiResult<()> {
    let webhooks::Effects {
        commits,
        deployments,
        run,
        job,
    } = fx;
    hub.with_store(move |s| {
        if !commits.is_empty() {
            s.record_commits(&commits)?;
        }
        deployments.iter().try_for_each(|d| s.upsert_deployment(d))
    })
    .await?;
    let (id, mut merge): (String, Merge) = if let Some(run) = run {
        (
            run.run_id.clone(),
            Box::new(move |known| webhooks::merge_run(known, run.clone())),
        )
    } else if let Some((shell, job)) = job {
        (
            shell.run_id.clone(),
            Box::new(move |known| webhooks::merge_job(known, shell.clone(), job.clone())),
        )
    } else {
        return Ok(());
    };
    // Read, merge and write in one store transaction: job events of one run arriving at
    // several hubs at once do not lose each other.
    let merged = hub
        .with_store(move |s| {
            s.merge_run(&id, &mut |known| {
                let r = merge(known);
                // What GitHub sent must make a record our own readers accept.
                let violations = serde_json::to_value(&r)
                    .map(|v| ci_intel_core::pipeline_run::validate(&v))
                    .map_err(|e| e.to_string())?;
                match violations.first() {
                    Some(v) => Err(format!(
                        "the event does not make a valid run record: {} {}",
                        v.pointer, v.message
                    )),
                    None => Ok(r),
                }
            })
        })
        .await?;
    merged
        .map(|_| ())
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e))
}

/// Serves until SIGINT or SIGTERM, then stops accepting and drains in-flight requests.
pub async fn serve(hub: Arc<Hub>, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let addr: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(?addr, "hub listening");
    axum::serve(listener, router(hub))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: draining in-flight requests");
}
