//! `ci-intel run validate|emit|migrate`: the pipeline_run.v1.2 contract.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

mod common;

use common::{ci_intel, fixture, github_env, json, schema_file, stderr, stdout};

#[test]
fn validate_accepts_the_canonical_example() {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "fixtures/pipeline_run/canonical.ndjson",
        "fixtures/pipeline_run/canonical.json",
    ] {
        let o = ci_intel(dir.path())
            .args(["run", "validate"])
            .arg(schema_file(f))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{f}: {}", stdout(&o));
        assert!(
            stdout(&o).contains("1 record(s), 0 invalid"),
            "{}",
            stdout(&o)
        );
    }
}

#[test]
fn validate_reports_each_bad_line_with_its_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let file = schema_file("fixtures/pipeline_run/invalid.ndjson");
    let o = ci_intel(dir.path())
        .args(["run", "validate", "--format", "json"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "invalid input, as `config check` says"
    );
    let v = json(&o);
    let expected: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(schema_file("fixtures/pipeline_run/invalid.expected.json"))
            .unwrap(),
    )
    .unwrap();
    let f = &v["files"][0];
    assert_eq!(f["records"], expected.len());
    assert_eq!(f["invalid"], expected.len());
    let errors = f["errors"].as_array().unwrap();
    for e in &expected {
        let line = e["line"].as_u64().unwrap();
        let on_line: Vec<_> = errors.iter().filter(|x| x["line"] == line).collect();
        assert!(!on_line.is_empty(), "line {line}: {}", e["why"]);
        if e["why"] == "truncated JSON" {
            assert!(on_line[0]["pointer"].is_null());
            assert!(
                on_line[0]["message"]
                    .as_str()
                    .unwrap()
                    .contains("invalid JSON")
            );
        } else {
            assert!(
                on_line.iter().any(|x| x["pointer"] == e["pointer"]),
                "line {line}: {on_line:?}"
            );
        }
    }
    // Human form: FILE:LINE: POINTER: message
    let o = ci_intel(dir.path())
        .args(["run", "validate"])
        .arg(&file)
        .output()
        .unwrap();
    let text = stdout(&o);
    assert!(
        text.contains(&format!("{}:2: /run_id: ", file.display())),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}:1: (record): ", file.display())),
        "{text}"
    );
}

#[test]
fn validate_refuses_unreadable_and_empty_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.ndjson"), "\n\n").unwrap();
    let o = ci_intel(dir.path())
        .args(["run", "validate", "empty.ndjson"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("empty.ndjson: no records"),
        "{}",
        stderr(&o)
    );
    let o = ci_intel(dir.path())
        .args(["run", "validate", "nope.ndjson"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn migrate_moves_flakiness_index_and_the_result_validates() {
    let dir = tempfile::tempdir().unwrap();
    let o = ci_intel(dir.path())
        .args(["run", "migrate", "--output", "out.ndjson"])
        .arg(schema_file("fixtures/pipeline_run/v1.1.ndjson"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.path().join("out.ndjson")).unwrap();
    let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(v["schema"], "pipeline_run.v1.2");
    assert_eq!(v["flakiness_index"], 0.02);
    assert!(v["tests"]["resilience"].get("flakiness_index").is_none());
    let o = ci_intel(dir.path())
        .args(["run", "validate", "out.ndjson"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));

    // Garbage stops the migration with the line named, and nothing is written.
    std::fs::write(
        dir.path().join("bad.ndjson"),
        "{\"schema\":\"pipeline_run.v1.1\"}\n{oops\n",
    )
    .unwrap();
    let o = ci_intel(dir.path())
        .args(["run", "migrate", "bad.ndjson", "--output", "bad-out.ndjson"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.ndjson:2:"), "{}", stderr(&o));
    assert!(!dir.path().join("bad-out.ndjson").exists());
}

#[test]
fn emit_builds_a_valid_record_from_github_and_the_analyzers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("junit/nextest-retries.xml"),
        dir.path().join("junit.xml"),
    )
    .unwrap();
    let mut c = ci_intel(dir.path());
    let o = github_env(&mut c).args(["run", "emit"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(ci_intel_core::pipeline_run::validate(&v), vec![]);
    assert_eq!(v["repo"], "org/app");
    assert_eq!(v["pr"], 42);
    assert_eq!(v["branch"], "feature/x");
    assert_eq!(v["started_at"], "2026-11-23T10:00:00Z");
    assert_eq!(v["status"], "failed", "a gate denied");
    assert_eq!(v["runner_os"], "linux");
    assert_eq!(v["runner_type"], "hosted");
    assert_eq!(v["jobs"][0]["id"], "test");
    assert_eq!(v["jobs"][0]["attempt"], 2);
    assert_eq!(v["tests"]["total"], 4);
    assert_eq!(v["tests"]["failed"], 2);
    assert_eq!(v["policies"][0]["id"], "tests.failures");
    assert_eq!(v["policies"][0]["result"], "deny");

    // The same run and attempt gives the same id (idempotent ingestion); appending adds lines.
    let mut c = ci_intel(dir.path());
    github_env(&mut c)
        .args(["run", "emit", "--output", "runs.ndjson", "--append"])
        .assert()
        .success();
    let mut c = ci_intel(dir.path());
    github_env(&mut c)
        .args([
            "run",
            "emit",
            "--output",
            "runs.ndjson",
            "--append",
            "--status",
            "success",
        ])
        .assert()
        .success();
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(dir.path().join("runs.ndjson"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["run_id"], v["run_id"]);
    assert_eq!(lines[1]["run_id"], v["run_id"]);
    assert_eq!(lines[1]["status"], "success");
}

#[test]
fn emit_outside_ci_uses_git_and_refuses_what_it_cannot_know() {
    let dir = tempfile::tempdir().unwrap();
    let o = ci_intel(dir.path())
        .args(["run", "emit", "--no-analyzers"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--repo"), "{}", stderr(&o));

    let repo = common::clone_history(dir.path());
    let o = ci_intel(&repo)
        .args(["run", "emit", "--no-analyzers"])
        .output()
        .unwrap();
    // The bundle's origin is a local path: no owner/name to find.
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let o = ci_intel(&repo)
        .args(["run", "emit", "--no-analyzers", "--repo", "org/calc"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["branch"], "feature");
    assert_eq!(v["commit_sha"], "86999daf6a13fc3a291232514b0cfdf93452613a");
    assert_eq!(v["tests"]["total"], 0);
    assert_eq!(ci_intel_core::pipeline_run::validate(&v), vec![]);
}
