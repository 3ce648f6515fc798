//! The hub's HTTP surface driven without a socket (`tower::ServiceExt::oneshot`), as one suite
//! run against SQLite and against the local PostgreSQL (a schema of its own, dropped after).
//! Without PostgreSQL the Postgres half skips, unless `CI_INTEL_REQUIRE_SERVICES=1`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

use std::io::Write as _;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ci_intel_hub::server::{Hub, Options, router};
use ci_intel_hub::{Scope, Store, auth, demo};
use ci_intel_render::svg::plotted_points;
use hmac::{Hmac, Mac as _};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use sha2::Sha256;
use tower::ServiceExt as _;

const PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const SECRET: &str = "webhook-secret-for-tests";

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(500)])
            )
        })
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

async fn send(hub: &Arc<Hub>, req: Request<Body>) -> Answer {
    let resp = router(hub.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

async fn get(hub: &Arc<Hub>, uri: &str) -> Answer {
    send(hub, Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn get_with(hub: &Arc<Hub>, uri: &str, token: &str) -> Answer {
    let req = Request::get(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    send(hub, req).await
}

async fn post_runs(hub: &Arc<Hub>, token: Option<&str>, body: Vec<u8>, gzip: bool) -> Answer {
    let mut req = Request::post("/api/v1/runs").header("content-type", "application/x-ndjson");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if gzip {
        req = req.header("content-encoding", "gzip");
    }
    send(hub, req.body(Body::from(body)).unwrap()).await
}

/// Store calls made by the test itself: the PostgreSQL client blocks on a runtime of its own,
/// which must not happen on a thread that drives the test's runtime.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

fn token(store: &dyn Store, pattern: &str, scope: Scope) -> String {
    let (record, token) = auth::mint(pattern, scope, "2026-11-01T00:00:00Z").unwrap();
    blocking(|| store.create_token(&record)).unwrap();
    token
}

fn record(i: u64, repo: &str) -> Value {
    demo::sample_record(i, repo, time::macros::date!(2026 - 11 - 20))
}

fn ndjson(records: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        out.extend(serde_json::to_vec(r).unwrap());
        out.push(b'\n');
    }
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn sign(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn webhook(
    hub: &Arc<Hub>,
    event: &str,
    delivery: &str,
    body: &Value,
    sig: Option<&str>,
) -> Answer {
    let bytes = serde_json::to_vec(body).unwrap();
    let mut req = Request::post("/webhooks/github")
        .header("x-github-event", event)
        .header("x-github-delivery", delivery)
        .header("content-type", "application/json");
    let sig = sig.map_or_else(|| sign(&bytes), str::to_owned);
    req = req.header("x-hub-signature-256", sig);
    send(hub, req.body(Body::from(bytes)).unwrap()).await
}

fn runs_of(store: &dyn Store, repo: &str) -> usize {
    let query = ci_intel_store::RunQuery {
        repo: Some(repo.into()),
        since: None,
        until: None,
        limit: 100_000,
    };
    blocking(|| store.list_runs(&query)).unwrap().len()
}

fn options() -> Options {
    Options {
        max_body: 256 * 1024,
        webhook_secret: Some(SECRET.into()),
        ..Options::default()
    }
}

/// The whole suite, on one store.
async fn suite(store: Arc<dyn Store>) {
    let hub = Hub::new(store.clone(), None, options());
    health(&hub).await;
    ingest(&hub, store.as_ref()).await;
    refusals(&hub, store.as_ref()).await;
    webhooks(&hub, store.as_ref()).await;
    dashboards(&hub, store.as_ref()).await;
    read_tokens(store.clone()).await;
}

async fn health(hub: &Arc<Hub>) {
    let live = get(hub, "/health/live").await;
    assert_eq!(live.status, StatusCode::OK);
    let ready = get(hub, "/health/ready").await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text());
}

async fn ingest(hub: &Arc<Hub>, store: &dyn Store) {
    let t = token(store, "acme/*", Scope::Ingest);
    let one = record(1, "acme/web");
    let id = one["run_id"].as_str().unwrap().to_owned();

    // One pretty-printed record.
    let a = post_runs(
        hub,
        Some(&t),
        serde_json::to_vec_pretty(&one).unwrap(),
        false,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.json()["inserted"], 1);

    // Re-sent: idempotent.
    let a = post_runs(hub, Some(&t), ndjson(std::slice::from_ref(&one)), false).await;
    assert_eq!(a.json()["unchanged"], 1, "{}", a.text());
    assert_eq!(runs_of(store, "acme/web"), 1);

    // Changed: an update, still one run.
    let mut changed = one.clone();
    changed["status"] = json!("failed");
    let a = post_runs(hub, Some(&t), ndjson(&[changed]), false).await;
    assert_eq!(a.json()["updated"], 1, "{}", a.text());
    assert_eq!(runs_of(store, "acme/web"), 1);
    let got = get(hub, &format!("/api/v1/runs/{id}")).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json()["status"], "failed");
    assert_eq!(
        get(hub, "/api/v1/runs/no-such-run").await.status,
        StatusCode::NOT_FOUND
    );

    // NDJSON, gzip.
    let batch: Vec<Value> = (2..52).map(|i| record(i, "acme/api")).collect();
    let a = post_runs(hub, Some(&t), gzip(&ndjson(&batch)), true).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.json()["inserted"], 50);
    let list = get(hub, "/api/v1/runs?repo=acme/api&limit=10").await.json();
    assert_eq!(list["runs"].as_array().unwrap().len(), 10);
    assert!(
        list["runs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["repo"] == "acme/api")
    );
    assert_eq!(runs_of(store, "acme/api"), 50);

    let m = get(hub, "/metrics").await.text();
    // Counted, not just registered: 1 + 50 inserted, 1 updated, 1 unchanged, 4 POSTs answered 200.
    for line in [
        "ci_intel_hub_ingested_records_total{outcome=\"inserted\"} 51",
        "ci_intel_hub_ingested_records_total{outcome=\"updated\"} 1",
        "ci_intel_hub_ingested_records_total{outcome=\"unchanged\"} 1",
        "ci_intel_hub_http_request_duration_seconds_count{method=\"POST\",route=\"/api/v1/runs\",status=\"200\"} 4",
    ] {
        assert!(m.lines().any(|l| l == line), "{line} in\n{m}");
    }
    assert!(
        m.contains("ci_intel_hub_http_request_duration_seconds"),
        "{m}"
    );
}

async fn refusals(hub: &Arc<Hub>, store: &dyn Store) {
    let ingest = token(store, "acme/*", Scope::Ingest);
    let read = token(store, "acme/*", Scope::Read);
    let other = token(store, "other/*", Scope::Ingest);
    let before = runs_of(store, "acme/refused");
    let fresh = |i| record(i, "acme/refused");

    let a = post_runs(hub, None, ndjson(&[fresh(100)]), false).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(
        a.json()["error"]
            .as_str()
            .unwrap()
            .contains("Authorization")
    );
    let a = post_runs(hub, Some("not-a-token"), ndjson(&[fresh(100)]), false).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    // A well-formed token with the right id and a wrong secret.
    let forged = format!("{}{}", &ingest[..ingest.len() - 4], "0000");
    let a = post_runs(hub, Some(&forged), ndjson(&[fresh(100)]), false).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{}", a.text());
    assert!(
        !a.text().contains(&forged[4..]),
        "the token is never echoed"
    );

    let a = post_runs(hub, Some(&read), ndjson(&[fresh(100)]), false).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.json()["error"].as_str().unwrap().contains("scope"));

    let a = post_runs(hub, Some(&other), ndjson(&[fresh(100)]), false).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());
    assert!(
        a.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("other/*")
    );

    // One bad line among good ones: per-line errors, nothing stored.
    let mut bad = fresh(102);
    bad["commit_sha"] = json!("not-a-sha");
    let mut body = ndjson(&[fresh(101), bad, fresh(103)]);
    body.extend(b"{not json\n");
    let a = post_runs(hub, Some(&ingest), body, false).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    let errors = a.json()["errors"].as_array().unwrap().clone();
    assert!(
        errors
            .iter()
            .any(|e| e["line"] == 2 && e["pointer"] == "/commit_sha"),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| e["line"] == 4), "{errors:?}");
    assert!(
        !errors.iter().any(|e| e["line"] == 1 || e["line"] == 3),
        "{errors:?}"
    );

    // Local times are refused: the hub keeps UTC.
    let mut local = fresh(104);
    local["started_at"] = json!("2026-11-20T10:00:00+02:00");
    let a = post_runs(hub, Some(&ingest), ndjson(&[local]), false).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());

    // Too large, plain and as a gzip bomb.
    let big: Vec<Value> = (0..1000).map(|i| fresh(1000 + i)).collect();
    let body = ndjson(&big);
    assert!(body.len() > 256 * 1024);
    let a = post_runs(hub, Some(&ingest), body.clone(), false).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    let zipped = gzip(&body);
    assert!(
        zipped.len() < 256 * 1024,
        "the compressed body fits the limit"
    );
    let a = post_runs(hub, Some(&ingest), zipped, true).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.text());
    let a = post_runs(hub, Some(&ingest), b"\x1f\x8b garbage".to_vec(), true).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text());

    assert_eq!(
        runs_of(store, "acme/refused"),
        before,
        "nothing refused was stored"
    );
}

async fn webhooks(hub: &Arc<Hub>, store: &dyn Store) {
    let repo = json!({"full_name": "acme/hooks"});
    let push = json!({
        "ref": "refs/heads/main",
        "repository": repo,
        "commits": [{"id": "a".repeat(40), "timestamp": "2026-11-20T08:00:00Z"}]
    });
    let a = webhook(hub, "push", "d-1", &push, Some("sha256=00")).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let a = webhook(hub, "push", "d-1", &push, Some("")).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(
        blocking(|| store.commit_times("acme/hooks", &["a".repeat(40)]))
            .unwrap()
            .is_empty(),
        "nothing stored before the signature"
    );

    let a = webhook(hub, "push", "d-1", &push, None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.json()["duplicate"], false);
    assert_eq!(
        blocking(|| store.commit_times("acme/hooks", &["a".repeat(40)]))
            .unwrap()
            .len(),
        1
    );

    let status = |state: &str, at: &str| {
        json!({
            "action": "created",
            "repository": repo,
            "deployment": {"id": 77, "sha": "a".repeat(40), "environment": "production"},
            "deployment_status": {"state": state, "created_at": at, "updated_at": at}
        })
    };
    let a = webhook(
        hub,
        "deployment_status",
        "d-2",
        &status("success", "2026-11-20T12:00:00Z"),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    // GitHub redelivers: ignored.
    let a = webhook(
        hub,
        "deployment_status",
        "d-2",
        &status("failure", "2026-11-20T12:00:00Z"),
        None,
    )
    .await;
    assert_eq!(a.json()["duplicate"], true);
    let deps = blocking(|| {
        store.deployments(
            Some("acme/hooks"),
            "2026-11-01T00:00:00Z",
            "2026-12-01T00:00:00Z",
        )
    })
    .unwrap();
    assert_eq!(deps.len(), 1);
    assert!(!deps[0].failed, "the duplicate delivery changed nothing");

    // A completed workflow run becomes a valid record.
    let wr = json!({
        "action": "completed",
        "repository": repo,
        "workflow_run": {
            "id": 9001, "run_attempt": 1, "head_sha": "b".repeat(40), "head_branch": "main",
            "conclusion": "failure", "run_started_at": "2026-11-20T09:00:00Z",
            "updated_at": "2026-11-20T09:07:00Z"
        }
    });
    let a = webhook(hub, "workflow_run", "d-3", &wr, None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let id = ci_intel_hub::webhooks::run_id("acme/hooks", 9001, 1);
    let run = get(hub, &format!("/api/v1/runs/{id}")).await.json();
    assert_eq!(run["status"], "failed");
    let violations = ci_intel_core::pipeline_run::validate(&run);
    assert!(violations.is_empty(), "{violations:?}");

    // A job of that run replaces the workflow's stand-in job.
    let wj = json!({
        "action": "completed",
        "repository": repo,
        "workflow_job": {
            "id": 77001, "run_id": 9001, "run_attempt": 1, "name": "test",
            "head_sha": "b".repeat(40), "head_branch": "main", "conclusion": "failure",
            "created_at": "2026-11-20T09:00:00Z", "started_at": "2026-11-20T09:00:30Z",
            "completed_at": "2026-11-20T09:06:00Z"
        }
    });
    let a = webhook(hub, "workflow_job", "d-3b", &wj, None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let run = get(hub, &format!("/api/v1/runs/{id}")).await.json();
    let jobs = run["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0]["name"], "test");
    assert_eq!(jobs[0]["queue_ms"], 30_000);
    assert_eq!(
        run["status"], "failed",
        "the workflow's own conclusion stays"
    );

    let a = webhook(
        hub,
        "deployment_status",
        "d-4",
        &json!({"repository": repo, "deployment_status": {"state": "success"}}),
        None,
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn dashboards(hub: &Arc<Hub>, store: &dyn Store) {
    let now = time::OffsetDateTime::now_utc();
    let (runs, reports, commits) = demo::generate(11, now, 30);
    blocking(|| {
        store.upsert_runs(&runs).unwrap();
        store.put_test_reports(&reports).unwrap();
        store.record_commits(&commits).unwrap();
    });

    let overview = get(hub, "/").await;
    assert_eq!(overview.status, StatusCode::OK);
    let csp = overview.headers["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let html = overview.text();
    assert!(html.contains("acme/web") && html.contains("<svg"), "{html}");
    assert!(plotted_points(&html) > 10, "a chart with data");
    assert!(!html.contains("src=\"http"), "no external assets");

    for page in [
        "/dora?repo=acme/web",
        "/flaky?repo=acme/web",
        "/resilience",
        "/cost",
        "/repos/acme/web",
    ] {
        let a = get(hub, page).await;
        assert_eq!(a.status, StatusCode::OK, "{page}");
        let html = a.text();
        assert!(html.contains("<svg"), "{page} has a chart");
        assert!(plotted_points(&html) >= 4, "{page} charts have data");
    }
    let run_id = &runs.iter().find(|r| r.autopsy.is_some()).unwrap().run_id;
    let a = get(hub, &format!("/runs/{run_id}")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.text().contains("AssertionError"), "root causes are shown");
    assert_eq!(get(hub, "/runs/nope").await.status, StatusCode::NOT_FOUND);

    let dora = get(hub, "/api/v1/dora?repo=acme/web").await.json();
    assert!(
        dora["deployment_frequency"]["value"].as_f64().unwrap() > 1.0,
        "{dora}"
    );
    assert!(
        dora["lead_time_for_changes"]["value"].as_f64().unwrap() > 0.0,
        "{dora}"
    );
    let flaky = get(hub, "/api/v1/flaky?repo=acme/web").await.json();
    let ids: Vec<&str> = flaky["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"web.checkout::test_payment_timeout"),
        "{ids:?}"
    );
    assert!(
        !ids.contains(&"web.cart::test_add_item"),
        "a stable test is not flaky: {ids:?}"
    );
    let timings = get(hub, "/api/v1/timings?repo=acme/web").await.json();
    assert!(timings["tests"].as_array().unwrap().len() >= 5, "{timings}");
    assert_eq!(
        get(hub, "/api/v1/flaky").await.status,
        StatusCode::BAD_REQUEST,
        "repo is required"
    );
    let overview = get(hub, "/api/v1/overview?repo=acme/api").await.json();
    assert!(overview.to_string().contains("success_rate"), "{overview}");
    let cost = get(hub, "/api/v1/cost").await.json();
    assert!(cost.to_string().contains("acme/mobile"), "{cost}");
    let res = get(hub, "/api/v1/resilience?repo=acme/web").await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        get(hub, "/api/v1/dora?until=yesterday").await.status,
        StatusCode::BAD_REQUEST
    );

    // The Autopsy page and its JSON: failure signatures across the runs they broke.
    let a = get(hub, "/api/v1/autopsy?repo=acme/web").await.json();
    let since = a["window"]["since"].as_str().unwrap();
    let failed_with_cause = runs
        .iter()
        .filter(|r| r.repo == "acme/web" && r.autopsy.is_some() && &r.started_at[..10] >= since)
        .count() as i64;
    let sigs = a["signatures"].as_array().unwrap();
    assert!(!sigs.is_empty(), "{a}");
    let counted: i64 = sigs.iter().map(|s| s["runs"].as_i64().unwrap()).sum();
    assert_eq!(counted, failed_with_cause, "each failed run counted once");
    let top = &sigs[0];
    assert_eq!(top["pattern"], "pytest/assertion");
    assert_eq!(top["category"], "test-failure");
    assert!(top["first_seen"].as_str().unwrap() <= top["last_seen"].as_str().unwrap());
    let trend: i64 = top["trend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["runs"].as_i64().unwrap())
        .sum();
    assert_eq!(trend, top["runs"].as_i64().unwrap());
    let run_id = top["run_ids"][0].as_str().unwrap();
    let broken = runs.iter().find(|r| r.run_id == run_id).unwrap();
    assert_eq!(
        broken
            .autopsy
            .as_ref()
            .unwrap()
            .root_causes
            .as_ref()
            .unwrap()[0]
            .signature(),
        top["signature"].as_str().unwrap()
    );
    let page = get(hub, "/autopsy?repo=acme/web").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("Pipeline Autopsy") && html.contains("pytest/assertion"),
        "{html}"
    );
    assert!(
        html.contains(&format!("/runs/{run_id}")),
        "links the runs it broke"
    );
}

async fn read_tokens(store: Arc<dyn Store>) {
    let hub = Hub::new(
        store.clone(),
        None,
        Options {
            read_token_required: true,
            ..options()
        },
    );
    let read = token(store.as_ref(), "acme/*", Scope::Read);
    assert_eq!(
        get(&hub, "/api/v1/runs?repo=acme/web").await.status,
        StatusCode::UNAUTHORIZED
    );
    let a = get_with(&hub, "/api/v1/runs?repo=acme/web", &read).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(
        get_with(&hub, "/api/v1/runs?repo=other/x", &read)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get_with(&hub, "/api/v1/runs", &read).await.status,
        StatusCode::FORBIDDEN,
        "all repositories need `*`"
    );
    // The pages ask for the same token as the API they draw from.
    let page = get(&hub, "/repos/acme/web").await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.text().contains("<html"), "an HTML error page");
    assert_eq!(
        get_with(&hub, "/repos/acme/web", &read).await.status,
        StatusCode::OK
    );
    assert_eq!(
        get_with(&hub, "/dora?repo=acme%2Fweb", &read).await.status,
        StatusCode::OK,
        "a percent-encoded ?repo= names the repository"
    );
    assert_eq!(
        get_with(&hub, "/repos/other/x", &read).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get_with(&hub, "/", &read).await.status,
        StatusCode::FORBIDDEN,
        "the overview of every repository needs `*`"
    );
    assert_eq!(get(&hub, "/flaky").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        get(&hub, "/autopsy?repo=acme/web").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get_with(&hub, "/autopsy?repo=acme/web", &read).await.status,
        StatusCode::OK
    );
    assert_eq!(
        get_with(&hub, "/api/v1/autopsy", &read).await.status,
        StatusCode::FORBIDDEN,
        "every repository's failures need `*`"
    );
    let runs = get_with(&hub, "/api/v1/runs?repo=acme/web&limit=1", &read)
        .await
        .json();
    if let Some(id) = runs["runs"][0]["run_id"].as_str() {
        let path = format!("/runs/{id}");
        assert_eq!(get(&hub, &path).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(get_with(&hub, &path, &read).await.status, StatusCode::OK);
        let other = token(store.as_ref(), "other/*", Scope::Read);
        assert_eq!(
            get_with(&hub, &path, &other).await.status,
            StatusCode::FORBIDDEN
        );
    } else {
        panic!("the suite stores acme/web runs before this test: {runs}");
    }
    assert_eq!(
        get(&hub, "/health/live").await.status,
        StatusCode::OK,
        "probes stay open"
    );
}

/// Runs the suite on a runtime of its own; the store outlives the runtime (it is closed outside
/// it, as in the binary).
fn run_suite(store: Arc<dyn Store>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(suite(store));
}

#[test]
fn the_hub_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("hub.sqlite3").display());
    run_suite(ci_intel_hub::open_store(&url).unwrap());
}

#[test]
fn the_hub_on_postgres() {
    let schema = format!("ci_intel_hub_router_{}", std::process::id());
    let store = match ci_intel_store_postgres::PostgresStore::connect(PG_URL, Some(&schema)) {
        Ok(s) => s,
        Err(e) => {
            assert!(
                std::env::var("CI_INTEL_REQUIRE_SERVICES").as_deref() != Ok("1"),
                "CI_INTEL_REQUIRE_SERVICES=1 but PostgreSQL is not reachable: {e}"
            );
            eprintln!("SKIPPED: PostgreSQL not reachable at {PG_URL}: {e}");
            return;
        }
    };
    store.migrate().unwrap();
    run_suite(Arc::new(store));
    let mut c = postgres::Client::connect(PG_URL, postgres::NoTls).unwrap();
    c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
}
