//! End to end: the real `ci-intel hub` on port 0 over SQLite, and the real agent emitting and
//! uploading records, spooling them while the hub is down and flushing them once it is back.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

mod common;

use std::path::Path;

use common::hub::Hub;
use common::{ci_intel, fixture, github_env, stderr, stdout};

fn token(dir: &Path, db: &str, repo: &str, scope: &str) -> String {
    let o = ci_intel(dir)
        .args([
            "hub",
            "token",
            "create",
            "--database-url",
            db,
            "--repo",
            repo,
            "--scope",
            scope,
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t = stdout(&o).trim().to_owned();
    assert!(t.starts_with("cih_"), "{t}");
    assert!(!stderr(&o).contains(&t), "the token goes to stdout only");
    t
}

#[test]
fn the_agent_uploads_to_a_real_hub_and_its_runs_appear_on_the_dashboard() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = format!("sqlite://{}", d.join("hub.sqlite3").display());
    let hub = Hub::start(d, &db, &[]);
    assert_eq!(hub.get("/health/ready").0, 200);
    let ingest = token(d, &db, "org/*", "ingest");
    let elsewhere = token(d, &db, "other/*", "ingest");

    // The agent's own record and tests report.
    std::fs::copy(fixture("junit/nextest-retries.xml"), d.join("junit.xml")).unwrap();
    let mut c = ci_intel(d);
    github_env(&mut c)
        .args(["run", "emit", "--output", "run.json"])
        .assert()
        .success();
    ci_intel(d)
        .args([
            "tests",
            "junit.xml",
            "--format",
            "json",
            "--output",
            "tests.json",
        ])
        .assert()
        .code(1);
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("run.json")).unwrap()).unwrap();
    let run_id = record["run_id"].as_str().unwrap().to_owned();

    let upload = |token: &str, extra: &[&str]| {
        ci_intel(d)
            .env("CI_INTEL_TOKEN", token)
            .args([
                "run", "upload", "run.json", "--hub", &hub.url, "--spool", "spool",
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let o = upload(&elsewhere, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("403") && stderr(&o).contains("other/*"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        hub.get(&format!("/api/v1/runs/{run_id}")).0,
        404,
        "nothing stored"
    );

    let o = upload(&ingest, &["--tests-report", "tests.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("\"inserted\":1"), "{}", stderr(&o));
    let (status, body) = hub.get(&format!("/api/v1/runs/{run_id}"));
    assert_eq!(status, 200);
    let stored: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(stored, record, "the hub returns the record as sent");
    let o = upload(&ingest, &[]);
    assert!(
        stderr(&o).contains("\"unchanged\":1"),
        "idempotent: {}",
        stderr(&o)
    );
    let (_, list) = hub.get("/api/v1/runs?repo=org/app");
    assert_eq!(list.matches("\"run_id\"").count(), 1, "{list}");

    // The per-test report feeds the flaky view: nextest retried a test that then passed.
    let (_, flaky) = hub.get("/api/v1/flaky?repo=org/app&until=2026-11-30");
    let flaky: serde_json::Value = serde_json::from_str(&flaky).unwrap();
    assert!(!flaky["tests"].as_array().unwrap().is_empty(), "{flaky}");

    // The dashboard shows it.
    let (status, page) = hub.get("/repos/org/app?until=2026-11-30");
    assert_eq!(status, 200);
    assert!(
        page.contains(&run_id[..8]) || page.contains(&run_id),
        "{page}"
    );
    let (status, page) = hub.get(&format!("/runs/{run_id}"));
    assert_eq!(status, 200);
    assert!(
        page.contains("tests.failures"),
        "policy decisions are shown"
    );

    // An invalid record is refused before anything is sent.
    std::fs::write(d.join("bad.json"), "{\"schema\": \"pipeline_run.v1.2\"}\n").unwrap();
    let o = ci_intel(d)
        .env("CI_INTEL_TOKEN", &ingest)
        .args(["run", "upload", "bad.json", "--hub", &hub.url])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.json:1"), "{}", stderr(&o));

    let metrics = hub.get("/metrics").1;
    assert!(
        metrics.contains("ci_intel_hub_ingested_records_total{outcome=\"inserted\"} 1"),
        "{metrics}"
    );
    assert!(hub.stop().success(), "SIGTERM drains and exits 0");
}

#[test]
fn records_wait_in_the_spool_while_the_hub_is_down_and_are_flushed_once_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = format!("sqlite://{}", d.join("hub.sqlite3").display());
    let ingest = token(d, &db, "org/*", "ingest");
    let mut c = ci_intel(d);
    github_env(&mut c)
        .args(["run", "emit", "--no-analyzers", "--output", "run.json"])
        .assert()
        .success();

    // Nothing listens on a port that was just released.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let o = ci_intel(d)
        .env("CI_INTEL_TOKEN", &ingest)
        .args([
            "run", "upload", "run.json", "--hub", &closed, "--spool", "spool",
        ])
        .args(["--attempts", "2", "--backoff-ms", "1"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "a CI job does not fail because the hub is down: {}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("spooled"), "{}", stderr(&o));
    let spooled = std::fs::read_dir(d.join("spool")).unwrap().count();
    assert_eq!(spooled, 1);

    // Still down: flush keeps the entry and says so.
    let o = ci_intel(d)
        .env("CI_INTEL_TOKEN", &ingest)
        .args([
            "run",
            "flush",
            "--hub",
            &closed,
            "--spool",
            "spool",
            "--attempts",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(std::fs::read_dir(d.join("spool")).unwrap().count(), 1);

    let hub = Hub::start(d, &db, &[]);
    let o = ci_intel(d)
        .env("CI_INTEL_TOKEN", &ingest)
        .args(["run", "flush", "--hub", &hub.url, "--spool", "spool"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_dir(d.join("spool")).unwrap().count(),
        0,
        "deleted after the ack"
    );
    let (_, list) = hub.get("/api/v1/runs?repo=org/app");
    assert_eq!(list.matches("\"run_id\"").count(), 1, "{list}");
}

#[test]
fn the_demo_hub_serves_a_populated_dashboard() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = format!("sqlite://{}", d.join("demo.sqlite3").display());
    let hub = Hub::start(d, &db, &["--demo"]);
    let (status, page) = hub.get("/");
    assert_eq!(status, 200);
    for repo in ["acme/web", "acme/api", "acme/mobile", "acme/platform"] {
        assert!(page.contains(repo), "{repo} on the overview");
    }
    let (_, dora) = hub.get("/api/v1/dora");
    let dora: serde_json::Value = serde_json::from_str(&dora).unwrap();
    assert!(dora["deployment_frequency"]["band"].is_string(), "{dora}");
    assert!(
        dora["change_failure_rate"]["value"].as_f64().unwrap() > 0.0,
        "{dora}"
    );
    let (_, repos) = hub.get("/api/v1/repos");
    assert_eq!(repos.matches("acme/").count(), 4, "{repos}");
}

#[test]
fn token_create_refuses_a_bad_pattern() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("hub.sqlite3").display());
    let o = ci_intel(dir.path())
        .args([
            "hub",
            "token",
            "create",
            "--database-url",
            &db,
            "--repo",
            "org",
            "--scope",
            "ingest",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("owner/name"), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
}

/// Deletes a test's JetStream stream; `Err` when NATS is not there.
fn delete_stream(name: &str) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = async_nats::connect("nats://127.0.0.1:4222")
            .await
            .map_err(|e| e.to_string())?;
        let js = async_nats::jetstream::new(client);
        match js.delete_stream(name).await {
            Ok(_) => Ok(()),
            Err(e) if e.to_string().contains("not found") => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    })
}

#[test]
fn with_nats_the_hub_queues_and_a_separate_worker_writes() {
    let prefix = format!("e2e{}", std::process::id());
    let stream = format!("{prefix}_CI_INTEL_RUNS");
    if let Err(e) = delete_stream(&stream) {
        assert!(
            std::env::var("CI_INTEL_REQUIRE_SERVICES").as_deref() != Ok("1"),
            "CI_INTEL_REQUIRE_SERVICES=1 but NATS is not reachable: {e}"
        );
        eprintln!("SKIPPED: NATS not reachable: {e}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = format!("sqlite://{}", d.join("hub.sqlite3").display());
    let nats = [
        "--nats-url",
        "nats://127.0.0.1:4222",
        "--nats-prefix",
        &prefix,
    ];
    let mut args = nats.to_vec();
    args.extend(["--workers", "0"]);
    let hub = Hub::start(d, &db, &args);
    assert_eq!(hub.get("/health/ready").0, 200);
    let ingest = token(d, &db, "org/*", "ingest");
    let mut c = ci_intel(d);
    github_env(&mut c)
        .args(["run", "emit", "--no-analyzers", "--output", "run.json"])
        .assert()
        .success();
    let o = ci_intel(d)
        .env("CI_INTEL_TOKEN", &ingest)
        .args([
            "run", "upload", "run.json", "--hub", &hub.url, "--spool", "spool",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("\"queued\":1"), "{}", stderr(&o));
    assert_eq!(
        hub.get("/api/v1/runs?repo=org/app")
            .1
            .matches("\"run_id\"")
            .count(),
        0
    );

    let o = ci_intel(d)
        .args(["hub", "worker", "--database-url", &db, "--until-idle"])
        .args(nats)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("stored 1 record"), "{}", stderr(&o));
    assert_eq!(
        hub.get("/api/v1/runs?repo=org/app")
            .1
            .matches("\"run_id\"")
            .count(),
        1
    );
    assert!(hub.stop().success());
    delete_stream(&stream).unwrap();
}

/// A database that cannot be reached is named with the reason underneath, not only the
/// driver's summary ("error connecting to server").
#[test]
fn an_unreachable_database_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let o = ci_intel(dir.path())
        .args(["hub", "--database-url", "postgres://ci@127.0.0.1:1/x"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("cannot connect to PostgreSQL"), "{err}");
    assert!(err.contains("Connection refused"), "the OS's reason: {err}");
}
