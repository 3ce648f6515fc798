//! The contract every [`Store`] passes, run by each backend's tests against a real database.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test suite: it reports a broken promise by panicking"
)]

use ci_intel_core::pipeline_run::{
    Autopsy, Environment, PipelineRun, RootCause, RunStatus, failure_signature,
};

use crate::{
    Commit, DayWindow, Deployment, Retention, RunQuery, Scope, Store, TestOutcome, TestReport,
    TestResult, TokenRecord, Upsert,
};

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

    // Rollups follow upserts: run-a was inserted as success then replaced by failed.
    let app = |since: &str, until: &str| {
        store
            .rollups(&DayWindow {
                repo: Some("org/app".into()),
                since: since.into(),
                until: until.into(),
            })
            .unwrap()
    };
    let days = app("2026-11-01", "2026-11-05");
    assert_eq!(
        days.iter().map(|(_, d, _)| d.as_str()).collect::<Vec<_>>(),
        ["2026-11-01", "2026-11-02", "2026-11-04"]
    );
    assert_eq!(days[0].2.runs, 1);
    assert_eq!(days[0].2.count("failed"), 1);
    assert_eq!(days[0].2.count("success"), 0);
    assert_eq!(days[2].2.count("canceled"), 1);
    assert_eq!(app("2026-11-02", "2026-11-03").len(), 1);
    assert_eq!(store.repos().unwrap(), ["org/app", "org/other"]);

    // A batch is stored whole, with one outcome per record, and rollups add up within it.
    let mut batch: Vec<PipelineRun> = (0..50)
        .map(|i| {
            let mut r = run(
                &format!("batch-{i}"),
                "org/batch",
                "2026-11-06T08:00:00Z",
                RunStatus::Success,
            );
            r.ended_at = "2026-11-06T08:01:40Z".into();
            r.cost.usd = Some(0.5);
            r
        })
        .collect();
    batch.push(batch[0].clone());
    let outcomes = store.upsert_runs(&batch).unwrap();
    assert_eq!(outcomes.len(), 51);
    assert_eq!(outcomes[50], Upsert::Unchanged, "a repeat within one batch");
    let b = store
        .rollups(&DayWindow {
            repo: Some("org/batch".into()),
            since: "2026-11-06".into(),
            until: "2026-11-07".into(),
        })
        .unwrap();
    assert_eq!(b[0].2.runs, 50);
    assert!((b[0].2.cost_usd - 25.0).abs() < 1e-9);
    let p50 = b[0].2.duration_ms.quantile(0.5).unwrap();
    assert!((p50 - 100_000.0).abs() / 100_000.0 < 0.08, "{p50}");

    // A run that names an environment is a deployment.
    let mut deploy = run(
        "deploy-1",
        "org/app",
        "2026-11-05T09:00:00Z",
        RunStatus::Success,
    );
    deploy.environment = Some(Environment::Prod);
    deploy.ended_at = "2026-11-05T09:10:00Z".into();
    deploy.rollback_reason = Some("error budget".into());
    store.upsert_run(&deploy).unwrap();
    let deps = store
        .deployments(
            Some("org/app"),
            "2026-11-05T00:00:00Z",
            "2026-11-06T00:00:00Z",
        )
        .unwrap();
    assert_eq!(deps.len(), 1);
    assert_eq!(deps[0].environment, "prod");
    assert!(deps[0].failed, "rolled back");
    store
        .upsert_deployment(&Deployment {
            failed: false,
            source: "github".into(),
            ..deps[0].clone()
        })
        .unwrap();
    let deps = store
        .deployments(None, "2026-11-05T00:00:00Z", "2026-11-06T00:00:00Z")
        .unwrap();
    assert_eq!(deps.len(), 1, "same (repo, id) replaced");
    assert!(!deps[0].failed);

    // Commits keep their earliest time.
    let sha = "0123456789abcdef0123456789abcdef01234567".to_owned();
    let commit = |at: &str| Commit {
        repo: "org/app".into(),
        sha: sha.clone(),
        committed_at: at.into(),
    };
    store
        .record_commits(&[commit("2026-11-04T08:00:00Z")])
        .unwrap();
    store
        .record_commits(&[commit("2026-11-05T08:00:00Z")])
        .unwrap();
    store
        .record_commits(&[commit("2026-11-04T07:00:00Z")])
        .unwrap();
    let times = store
        .commit_times("org/app", &[sha.clone(), "ffff".into()])
        .unwrap();
    assert_eq!(times.len(), 1);
    assert_eq!(times[&sha], "2026-11-04T07:00:00Z");

    // Test reports, replaced per run.
    let report = |outcome: TestOutcome| TestReport {
        run_id: "run-b".into(),
        repo: "org/app".into(),
        commit_sha: sha.clone(),
        started_at: "2026-11-02T10:00:00Z".into(),
        total: 12,
        tests: vec![TestResult {
            id: "pkg.test_x".into(),
            outcome,
            attempts: 2,
            duration_ms: Some(12.5),
        }],
    };
    store
        .put_test_reports(&[report(TestOutcome::Failed)])
        .unwrap();
    store
        .put_test_reports(&[report(TestOutcome::Flaky)])
        .unwrap();
    let got = store
        .test_reports("org/app", "2026-11-01T00:00:00Z")
        .unwrap();
    assert_eq!(got, [report(TestOutcome::Flaky)]);
    assert!(
        store
            .test_reports("org/app", "2026-11-03T00:00:00Z")
            .unwrap()
            .is_empty()
    );

    // Tokens: found by id, only the hash stored.
    let token = TokenRecord {
        id: "tok1".into(),
        secret_sha256: "ab".repeat(32),
        repo_pattern: "org/*".into(),
        scope: Scope::Ingest,
        created_at: "2026-11-05T00:00:00Z".into(),
    };
    store.create_token(&token).unwrap();
    assert_eq!(store.token("tok1").unwrap(), Some(token.clone()));
    assert_eq!(store.token("tok2").unwrap(), None);
    assert!(store.create_token(&token).is_err(), "ids are unique");

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

    store.forget_delivery("d-1").unwrap();
    assert!(
        store
            .record_delivery("d-1", "2026-11-05T00:02:00Z")
            .unwrap(),
        "a forgotten delivery is new again"
    );

    // Retention: records older than 180 days, raw events older than 30, rollups older than
    // 400 go; rollups outlive the records they summarise.
    let purged = store
        .purge(&Retention::default(), "2027-05-04T00:00:00Z")
        .unwrap();
    assert_eq!(
        purged.runs, 4,
        "run-a, run-b, run-c, run-d (older than 180 days)"
    );
    assert_eq!(purged.deliveries, 1);
    assert_eq!(purged.test_reports, 1);
    assert_eq!(purged.rollups, 0);
    assert!(store.get_run("run-a").unwrap().is_none());
    assert!(store.get_run("deploy-1").unwrap().is_some());
    assert_eq!(app("2026-11-01", "2026-11-05").len(), 3, "rollups kept");
    let purged = store
        .purge(&Retention::default(), "2028-01-01T00:00:00Z")
        .unwrap();
    assert_eq!(purged.rollups, 6);
    assert_eq!(purged.deployments, 1);
    assert!(store.repos().unwrap().is_empty());

    merges(store);
    failure_signatures(store);
}

/// `merge_run`: read-modify-write in one transaction, including from many threads at once.
fn merges(store: &dyn Store) {
    let job = |id: &str| -> ci_intel_core::pipeline_run::Job {
        serde_json::from_value(serde_json::json!({
            "id": id, "name": id, "status": "success", "duration_ms": 1000
        }))
        .unwrap_or_else(|e| panic!("contract fixture: {e}"))
    };
    let shell = run(
        "merge-1",
        "org/merge",
        "2026-11-10T10:00:00Z",
        RunStatus::Success,
    );
    let add = |name: String| {
        let shell = shell.clone();
        move |known: Option<PipelineRun>| -> Result<PipelineRun, crate::MergeRefused> {
            let mut r = known.unwrap_or_else(|| shell.clone());
            r.jobs.push(job(&name));
            Ok(r)
        }
    };
    let first = store.merge_run("merge-1", &mut add("j0".into())).unwrap();
    assert_eq!(first, Ok(Upsert::Inserted));
    let refused = store
        .merge_run("merge-1", &mut |_| {
            Err(crate::MergeRefused("not valid".into()))
        })
        .unwrap();
    assert_eq!(refused, Err(crate::MergeRefused("not valid".to_owned())));
    assert_eq!(
        store.get_run("merge-1").unwrap().unwrap().jobs.len(),
        1,
        "a refused merge stores nothing"
    );
    // Eight writers, five merges each, into one run: no job is lost.
    std::thread::scope(|s| {
        for t in 0..8 {
            let add = &add;
            s.spawn(move || {
                for k in 0..5 {
                    let outcome = store
                        .merge_run("merge-1", &mut add(format!("t{t}-{k}")))
                        .unwrap();
                    assert_eq!(outcome, Ok(Upsert::Updated));
                }
            });
        }
    });
    let merged = store.get_run("merge-1").unwrap().unwrap();
    assert_eq!(merged.jobs.len(), 41, "every concurrent merge kept");
    let day = store
        .rollups(&DayWindow {
            repo: Some("org/merge".into()),
            since: "2026-11-10".into(),
            until: "2026-11-11".into(),
        })
        .unwrap();
    assert_eq!(day[0].2.runs, 1, "merges update the rollup, not add runs");
}

/// A failed run whose autopsy found one root cause.
fn with_cause(run_id: &str, message: &str) -> PipelineRun {
    let mut r = run(
        run_id,
        "org/autopsy",
        "2026-11-07T08:00:00Z",
        RunStatus::Failed,
    );
    r.autopsy = Some(Autopsy {
        root_causes: Some(vec![RootCause {
            tool: Some("rustc".into()),
            pattern: "rustc/error-code".into(),
            file: Some("src/a.rs".into()),
            line: Some(3),
            message: Some(message.into()),
            suggestion: "Fix the compile error.".into(),
            severity: Some("error".into()),
            docs_uri: None,
        }]),
    });
    r
}

/// Failure signatures follow the runs' autopsies: one count per run, example run ids, and a
/// changed record takes its old signature back.
fn failure_signatures(store: &dyn Store) {
    store
        .upsert_runs(&[
            with_cause("f-1", "cannot find value `x` in this scope"),
            with_cause("f-2", "cannot find value `x` in this scope"),
            with_cause("f-3", "mismatched types"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
    let day = || {
        let rows = store
            .rollups(&DayWindow {
                repo: Some("org/autopsy".into()),
                since: "2026-11-07".into(),
                until: "2026-11-08".into(),
            })
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rows.len(), 1);
        rows[0].2.clone()
    };
    let sig = failure_signature("rustc/error-code", "cannot find value `x` in this scope");
    let d = day();
    assert_eq!(d.failures.len(), 2);
    assert_eq!(d.failures[&sig].runs, 2);
    assert_eq!(d.failures[&sig].pattern, "rustc/error-code");
    assert_eq!(d.failures[&sig].tool, "rustc");
    assert_eq!(
        d.failures[&sig].run_ids.keys().collect::<Vec<_>>(),
        ["f-1", "f-2"]
    );
    // f-2 re-sent as fixed: its failure is taken back.
    let mut fixed = run(
        "f-2",
        "org/autopsy",
        "2026-11-07T08:00:00Z",
        RunStatus::Success,
    );
    fixed.ended_at = "2026-11-07T08:05:00Z".into();
    store.upsert_run(&fixed).unwrap_or_else(|e| panic!("{e}"));
    let d = day();
    assert_eq!(d.failures[&sig].runs, 1);
    assert_eq!(d.failures[&sig].run_ids.keys().collect::<Vec<_>>(), ["f-1"]);
}
