//! The contract every [`Store`] passes, run by each backend's tests against a real database.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test suite: it reports a broken promise by panicking"
)]

use ci_intel_core::pipeline_run::{PipelineRun, RunStatus};

use crate::{RunQuery, Store, Upsert};

/// A minimal valid record.
pub fn run(run_id: &str, repo: &str, started_at: &str, status: RunStatus) -> PipelineRun {
    let mut r: PipelineRun = serde_json::from_value(serde_json::json!({
        "schema": "pipeline_run.v1.2",
        "run_id": run_id,
        "repo": repo,
        "commit_sha": "0123456789abcdef0123456789abcdef01234567",
        "branch": "main",
        "started_at": started_at,
        "ended_at": started_at,
        "status": "success",
        "jobs": [],
        "tests": {"total": 0, "failed": 0, "duration_ms": 0},
        "cost": {}
    }))
    .unwrap_or_else(|e| panic!("contract fixture: {e}"));
    r.status = status;
    r
}

/// Runs every check on an empty store; panics (as a test) on the first broken promise.
pub fn run_all(store: &dyn Store) {
    store.migrate().expect("migrate");
    store.migrate().expect("migrate twice is harmless");

    // Idempotent by run_id.
    let a = run(
        "run-a",
        "org/app",
        "2026-11-01T10:00:00Z",
        RunStatus::Success,
    );
    assert_eq!(store.upsert_run(&a).unwrap(), Upsert::Inserted);
    assert_eq!(store.upsert_run(&a).unwrap(), Upsert::Unchanged);
    let mut a2 = a.clone();
    a2.status = RunStatus::Failed;
    assert_eq!(store.upsert_run(&a2).unwrap(), Upsert::Updated);
    assert_eq!(
        store.get_run("run-a").unwrap().unwrap().status,
        RunStatus::Failed
    );
    assert_eq!(store.get_run("nope").unwrap(), None);

    // The whole record comes back as it went in.
    let mut rich = run(
        "run-b",
        "org/app",
        "2026-11-02T10:00:00Z",
        RunStatus::Success,
    );
    rich.sbom_uri = Some("file:///tmp/sbom.cdx.json#sha256=00".into());
    rich.pr = Some(42);
    store.upsert_run(&rich).unwrap();
    assert_eq!(store.get_run("run-b").unwrap().unwrap(), rich);

    // Queries: by repo, by time window (since inclusive, until exclusive), newest first, limit.
    store
        .upsert_run(&run(
            "run-c",
            "org/other",
            "2026-11-03T10:00:00Z",
            RunStatus::Success,
        ))
        .unwrap();
    store
        .upsert_run(&run(
            "run-d",
            "org/app",
            "2026-11-04T10:00:00Z",
            RunStatus::Canceled,
        ))
        .unwrap();
    let ids = |q: RunQuery| -> Vec<String> {
        store
            .list_runs(&q)
            .unwrap()
            .into_iter()
            .map(|r| r.run_id)
            .collect()
    };
    assert_eq!(
        ids(RunQuery {
            repo: Some("org/app".into()),
            ..RunQuery::default()
        }),
        ["run-d", "run-b", "run-a"]
    );
    assert_eq!(
        ids(RunQuery {
            since: Some("2026-11-02T10:00:00Z".into()),
            until: Some("2026-11-04T10:00:00Z".into()),
            ..RunQuery::default()
        }),
        ["run-c", "run-b"]
    );
    assert_eq!(
        ids(RunQuery {
            limit: 1,
            ..RunQuery::default()
        }),
        ["run-d"]
    );
    // Names are data, never SQL.
    assert!(
        ids(RunQuery {
            repo: Some("x' OR '1'='1".into()),
            ..RunQuery::default()
        })
        .is_empty()
    );

    // Retention.
    assert_eq!(store.delete_runs_before("2026-11-02T10:00:00Z").unwrap(), 1);
    assert_eq!(store.get_run("run-a").unwrap(), None);
    assert!(store.get_run("run-b").unwrap().is_some());

    // Webhook deliveries: the first is new, a redelivery is not.
    assert!(
        store
            .record_delivery("d-1", "2026-11-05T00:00:00Z")
            .unwrap()
    );
    assert!(
        !store
            .record_delivery("d-1", "2026-11-05T00:01:00Z")
            .unwrap()
    );
    assert!(
        store
            .record_delivery("d-2", "2026-11-05T00:02:00Z")
            .unwrap()
    );
}
