//! The JSON API (`/api/v1/…`) and the GitHub webhook endpoint.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ci_intel_core::pipeline_run::{PipelineRun, RecordError, parse_batch};
use ci_intel_store::{
    MergeRefused, RunQuery, Store, StoreError, TestOutcome, TestReport, TestResult, Upsert,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::analytics::{self, Window};
use crate::state::{ApiError, ApiResult, ChartParams, Hub, may_read, principal, request_text};
use crate::webhooks;

/// The API's routes; [`crate::server::router`] merges them with the pages and probes.
pub fn routes() -> Router<Arc<Hub>> {
    Router::new()
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
        .route("/api/v1/autopsy", get(api_autopsy))
        .route("/webhooks/github", post(github_webhook))
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
    if let Some(r) = run {
        may_read(&hub, &headers, Some(&r.repo)).await?;
        Ok(axum::Json(r).into_response())
    } else {
        may_read(&hub, &headers, None).await?;
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no run `{id}`"),
        ))
    }
}

async fn repos(State(hub): State<Arc<Hub>>, headers: HeaderMap) -> ApiResult<Response> {
    may_read(&hub, &headers, None).await?;
    let repos = hub.with_store(|s| s.repos()).await?;
    Ok(axum::Json(json!({"repos": repos})).into_response())
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

async fn api_autopsy(
    State(hub): State<Arc<Hub>>,
    headers: HeaderMap,
    Query(q): Query<ChartParams>,
) -> ApiResult<Response> {
    chart_json(&hub, &headers, &q, false, analytics::failures::failures).await
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
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, e.to_string()));
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
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
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
                    .map_err(|e| MergeRefused(e.to_string()))?;
                match violations.first() {
                    Some(v) => Err(MergeRefused(format!(
                        "the event does not make a valid run record: {} {}",
                        v.pointer, v.message
                    ))),
                    None => Ok(r),
                }
            })
        })
        .await?;
    merged
        .map(|_| ())
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.0))
}
