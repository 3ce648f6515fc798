//! `ci-intel sarif convert|merge|dedupe` through the real binary, on real tool outputs (the
//! fixtures of `ci-intel-sarif`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

mod common;

use std::path::{Path, PathBuf};

use common::{assert_official_sarif, ci_intel, json, stderr};

fn sarif_fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ci-intel-sarif/tests/fixtures")
        .join(rel)
}

/// A repository holding the Python fixture project and its tools' outputs.
fn python_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("pkg")).unwrap();
    for f in ["app.py", "__init__.py", "ünïcode_mod.py"] {
        std::fs::copy(sarif_fixture("python/pkg").join(f), d.join("pkg").join(f)).unwrap();
    }
    for f in ["bandit.json", "flake8.txt", "mypy-cols.txt", "pylint.json"] {
        std::fs::copy(sarif_fixture("python").join(f), d.join(f)).unwrap();
    }
    let root = d.canonicalize().unwrap();
    let ruff = std::fs::read_to_string(sarif_fixture("python/ruff.json"))
        .unwrap()
        .replace("@ROOT@", &root.display().to_string());
    std::fs::write(d.join("ruff.json"), ruff).unwrap();
    dir
}

#[test]
fn merge_writes_one_valid_bundle_with_a_run_per_tool() {
    let dir = python_repo();
    let o = ci_intel(dir.path())
        .args(["sarif", "merge", "--root", ".", "-o", "bundle.sarif"])
        .args([
            "bandit.json",
            "flake8.txt",
            "mypy-cols.txt",
            "pylint.json",
            "ruff.json",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.path().join("bundle.sarif")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_official_sarif(&v);
    let tools: Vec<&str> = v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["tool"]["driver"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(tools, ["bandit", "flake8", "mypy", "pylint", "Ruff"]);
    let err = stderr(&o);
    assert!(
        err.contains("sarif: bandit: 7 result(s): 1 error(s), 2 warning(s), 4 note(s)"),
        "{err}"
    );
}

#[test]
fn fail_on_sets_the_exit_code_and_suppressions_from_config_count() {
    let dir = python_repo();
    let run = |extra: &[&str]| {
        ci_intel(dir.path())
            .args(["sarif", "convert", "--root", ".", "bandit.json"])
            .args(extra)
            .output()
            .unwrap()
    };
    let o = run(&["--fail-on", "error"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("DENY"));
    assert_eq!(run(&[]).status.code(), Some(0), "no gate without --fail-on");

    std::fs::create_dir_all(dir.path().join(".ci-intel")).unwrap();
    std::fs::write(
        dir.path().join(".ci-intel/config.yml"),
        "version: 1\nsuppressions:\n  - rule: bandit/B602\n    path: pkg/*.py\n    reason: input is a constant\n    owner: team-a\n    expires: 2999-12-31\n",
    )
    .unwrap();
    let o = run(&["--fail-on", "error"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    assert_official_sarif(&v);
    let b602 = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "B602")
        .unwrap()
        .clone();
    assert_eq!(b602["suppressions"][0]["kind"], "external");
    let o = run(&["--fail-on", "warning"]);
    assert_eq!(o.status.code(), Some(1), "B301 is a warning");
}

#[test]
fn expired_config_suppression_is_a_result_of_its_own() {
    let dir = python_repo();
    std::fs::create_dir_all(dir.path().join(".ci-intel")).unwrap();
    std::fs::write(
        dir.path().join(".ci-intel/config.yml"),
        "version: 1\nsuppressions:\n  - rule: B602\n    reason: old\n    owner: team-a\n    expires: 2020-01-01\n",
    )
    .unwrap();
    let o = ci_intel(dir.path())
        .args(["sarif", "convert", "--root", ".", "bandit.json"])
        .output()
        .unwrap();
    let v = json(&o);
    assert_official_sarif(&v);
    let own = v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["tool"]["driver"]["name"] == "ci-intel")
        .unwrap();
    assert_eq!(own["results"][0]["ruleId"], "ci-intel/expired-suppression");
    assert!(stderr(&o).contains("1 expired suppression"));
}

#[test]
fn stdin_and_forced_format() {
    let dir = python_repo();
    let input = std::fs::read(dir.path().join("flake8.txt")).unwrap();
    let o = ci_intel(dir.path())
        .args(["sarif", "convert", "--root", ".", "--from", "flake8", "-"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    assert_official_sarif(&v);
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 10);
}

#[test]
fn baseline_makes_only_new_results_fail() {
    let dir = python_repo();
    let d = dir.path();
    let o = ci_intel(d)
        .args(["sarif", "convert", "--root", ".", "flake8.txt"])
        .output()
        .unwrap();
    let v = json(&o);
    let fingerprints: Vec<String> = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["partialFingerprints"]["ciIntelFingerprint/v1"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    std::fs::write(
        d.join("baseline.json"),
        serde_json::json!({"schema": "ci-intel.baseline/v1", "fingerprints": fingerprints})
            .to_string(),
    )
    .unwrap();
    let o = ci_intel(d)
        .args(["sarif", "convert", "--root", ".", "flake8.txt"])
        .args(["--baseline", "baseline.json", "--fail-on", "note"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("10 baselined"), "{}", stderr(&o));
    let mut more = std::fs::read_to_string(d.join("flake8.txt")).unwrap();
    more.push_str("pkg/app.py:2:1: F401 'subprocess' imported but unused\n");
    std::fs::write(d.join("flake8.txt"), more).unwrap();
    let o = ci_intel(d)
        .args(["sarif", "convert", "--root", ".", "flake8.txt"])
        .args(["--baseline", "baseline.json", "--fail-on", "warning"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    let new: Vec<&serde_json::Value> = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["baselineState"] == "new")
        .collect();
    assert_eq!(new.len(), 1);
}

#[test]
fn dedupe_removes_repeated_results() {
    let dir = python_repo();
    let d = dir.path();
    let o = ci_intel(d)
        .args([
            "sarif",
            "convert",
            "--root",
            ".",
            "-o",
            "once.sarif",
            "bandit.json",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let o = ci_intel(d)
        .args([
            "sarif",
            "merge",
            "--no-dedupe",
            "--root",
            ".",
            "-o",
            "twice.sarif",
        ])
        .args(["once.sarif", "once.sarif"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = ci_intel(d)
        .args(["sarif", "dedupe", "--root", ".", "twice.sarif"])
        .output()
        .unwrap();
    assert!(
        stderr(&o).contains("7 duplicate(s) removed"),
        "{}",
        stderr(&o)
    );
    let v = json(&o);
    assert_official_sarif(&v);
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 7);
}

#[test]
fn bad_input_exits_2_naming_file_and_line_and_writes_nothing() {
    let dir = python_repo();
    let d = dir.path();
    let good = r#"{"file": "pkg/app.py", "line": 1, "column": 0, "message": "m", "hint": null, "code": "misc", "severity": "error"}"#;
    std::fs::write(d.join("bad.jsonl"), format!("{good}\n{{not json\n")).unwrap();
    let o = ci_intel(d)
        .args([
            "sarif",
            "convert",
            "--root",
            ".",
            "--from",
            "mypy",
            "-o",
            "out.sarif",
        ])
        .arg("bad.jsonl")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("bad.jsonl:2"), "{err}");
    assert!(!d.join("out.sarif").exists(), "nothing half-written");

    std::fs::write(d.join("latin1.txt"), b"pkg/app.py:1:1: E1 caf\xe9\n").unwrap();
    let o = ci_intel(d)
        .args(["sarif", "convert", "--root", ".", "latin1.txt"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("latin1.txt:1"), "{}", stderr(&o));
    assert!(stderr(&o).contains("UTF-8"));

    let o = ci_intel(d)
        .args(["sarif", "convert", "--root", ".", "missing.json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("missing.json"));
}
