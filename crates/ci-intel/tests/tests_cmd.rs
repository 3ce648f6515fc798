//! `ci-intel tests` and `ci-intel check`, end to end through the real binary, on reports real
//! runners wrote.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

mod common;

use common::{ci_intel, clone_history, fixture, git, json, stderr, stdout};

#[test]
fn json_output_has_the_contract_tests_object_and_the_details() {
    let dir = tempfile::tempdir().unwrap();
    let out = ci_intel(dir.path())
        .args(["tests", "--format", "json"])
        .arg(fixture("junit/pytest-rerunfailures.xml"))
        .arg(fixture("coverage/coveragepy.xml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["schema"], "ci-intel.tests/v1");
    assert_eq!(v["verdict"], "deny");
    let t = &v["tests"];
    assert_eq!(t["total"], 13);
    assert_eq!(t["failed"], 4);
    assert_eq!(t["skipped"], 2);
    assert!(t["duration_ms"].as_u64().unwrap() < 1000);
    assert!((t["coverage"]["lines_pct"].as_f64().unwrap() - 22.0 / 36.0).abs() < 1e-9);
    assert!((t["coverage"]["branches_pct"].as_f64().unwrap() - 0.45).abs() < 1e-9);
    assert!(
        t.get("resilience").is_none(),
        "no mutation run, no fake score"
    );
    assert_eq!(
        v["flaky"],
        serde_json::json!([{"id": "tests.test_calc::test_flaky_passes_on_second_try", "attempts": 2}])
    );
    let failures = v["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 4);
    let zero = failures
        .iter()
        .find(|f| f["id"] == "tests.test_calc::test_div_zero_fails")
        .unwrap();
    assert_eq!(zero["kind"], "failure");
    assert_eq!(zero["file"], "tests/test_calc.py");
    assert_eq!(zero["line"], 19);
    assert!(
        zero["message"]
            .as_str()
            .unwrap()
            .starts_with("AssertionError: half is not three quarters")
    );
    let err = failures.iter().find(|f| f["kind"] == "error").unwrap();
    assert_eq!(err["id"], "tests.test_calc::test_uses_broken_fixture");
    let gates: Vec<(&str, &str)> = v["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["id"].as_str().unwrap(), g["result"].as_str().unwrap()))
        .collect();
    assert_eq!(
        gates,
        vec![("tests.failures", "deny"), ("tests.flaky", "warn")]
    );
    // The record's `tests` object is valid against the contract as it is.
    let mut record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::schema_file("fixtures/pipeline_run/canonical.json"))
            .unwrap(),
    )
    .unwrap();
    record["tests"] = t.clone();
    assert_eq!(ci_intel_core::pipeline_run::validate(&record), vec![]);
}

#[test]
fn gates_follow_flags_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let report = fixture("junit/surefire-rerun.xml");
    let run = |args: &[&str]| {
        ci_intel(dir.path())
            .arg("tests")
            .arg(&report)
            .args(args)
            .output()
            .unwrap()
    };
    assert_eq!(run(&[]).status.code(), Some(1));
    assert_eq!(run(&["--max-failures", "2"]).status.code(), Some(0));
    let o = run(&["--max-failures", "2", "--fail-on-flaky"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("flaky tests are not allowed"),
        "{}",
        stdout(&o)
    );
    let o = run(&[
        "--max-failures",
        "9",
        "--coverage",
        fixture("coverage/jacoco.xml").to_str().unwrap(),
        "--min-coverage",
        "70",
        "--no-diff",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("line coverage 68.42% is below the minimum of 70%"),
        "{}",
        stdout(&o)
    );
    let o = run(&[
        "--max-failures",
        "9",
        "--coverage",
        fixture("coverage/jacoco.xml").to_str().unwrap(),
        "--min-coverage",
        "68",
        "--no-diff",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn bad_input_exits_2_names_the_file_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 4] = [
        ("empty.xml", b"", "empty file"),
        ("binary.xml", b"PK\x03\x04\x00\x00\x00\x00", "binary data"),
        (
            "truncated.xml",
            b"<testsuites>\n<testsuite name=\"s\">\n<testcase name=\"t\">",
            "truncated",
        ),
        (
            "garbage.xml",
            b"<testsuites><testsuite><testcase></testsuite>",
            "malformed XML",
        ),
    ];
    for (name, bytes, expect) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let out_file = dir.path().join("out.json");
        let o = ci_intel(dir.path())
            .args([
                "tests", "--junit", name, "--format", "json", "--output", "out.json",
            ])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains(name) && err.contains(expect), "{name}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!out_file.exists(), "{name}: no partial output");
    }
    let o = ci_intel(dir.path())
        .args(["tests", "missing.xml"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("missing.xml: no such file"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn diff_coverage_matches_diff_cover_on_a_real_history() {
    let dir = tempfile::tempdir().unwrap();
    let repo = clone_history(dir.path());
    std::fs::copy(fixture("diffcov/coverage.xml"), repo.join("coverage.xml")).unwrap();
    let o = ci_intel(&repo)
        .args([
            "tests",
            "--coverage",
            "coverage.xml",
            "--base",
            "main",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("diffcov/diff-cover.json")).unwrap())
            .unwrap();
    let d = &v["diff_coverage"];
    assert_eq!(d["measured_lines"], expected["total_num_lines"]);
    assert_eq!(d["changed_lines"], expected["num_changed_lines"]);
    let ours = d["lines_pct"].as_f64().unwrap() * 100.0;
    let theirs = expected["src_stats"]["src/calc/__init__.py"]["percent_covered"]
        .as_f64()
        .unwrap();
    assert!((ours - theirs).abs() < 1e-9, "{ours} vs {theirs}");
    let uncovered: Vec<u64> = d["uncovered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            assert_eq!(u["path"], "src/calc/__init__.py");
            u["line"].as_u64().unwrap()
        })
        .collect();
    let expected_lines: Vec<u64> = expected["src_stats"]["src/calc/__init__.py"]["violation_lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_u64().unwrap())
        .collect();
    assert_eq!(uncovered, expected_lines);
    // Uncovered changed lines are findings, grouped into ranges.
    let findings: Vec<(u64, Option<u64>)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "uncovered-line")
        .map(|f| {
            (
                f["location"]["start_line"].as_u64().unwrap(),
                f["location"]["end_line"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        findings,
        vec![(16, None), (42, None), (45, None), (50, Some(52))]
    );

    // With a gate: 53.85% < 80% denies and the findings become errors.
    let o = ci_intel(&repo)
        .args([
            "tests",
            "--coverage",
            "coverage.xml",
            "--base",
            "main",
            "--min-diff-coverage",
            "80",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("diff coverage 53.85% is below the minimum of 80%"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn default_base_is_the_remote_default_branch_and_worktree_changes_count() {
    let dir = tempfile::tempdir().unwrap();
    let repo = clone_history(dir.path());
    git(&repo, &["remote", "set-head", "origin", "main"]);
    std::fs::copy(fixture("diffcov/coverage.xml"), repo.join("coverage.xml")).unwrap();
    let run = || {
        let o = ci_intel(&repo)
            .args(["tests", "--coverage", "coverage.xml", "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        json(&o)
    };
    let v = run();
    assert_eq!(v["diff_coverage"]["base"], "origin/main");
    assert_eq!(v["diff_coverage"]["measured_lines"], 13);
    // An unstaged edit of a measured, uncovered line is part of the change too (as in
    // diff-cover): line 33 (`total = 0` in `unused_helper`) was not changed before.
    let src = repo.join("src/calc/__init__.py");
    let text = std::fs::read_to_string(&src)
        .unwrap()
        .replace("    total = 0\n", "    total = 0  # edited\n");
    std::fs::write(&src, text).unwrap();
    let v = run();
    assert_eq!(v["diff_coverage"]["measured_lines"], 14);
    assert!(
        v["diff_coverage"]["uncovered"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["line"] == 33)
    );
}

#[test]
fn unknown_base_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let repo = clone_history(dir.path());
    std::fs::copy(fixture("diffcov/coverage.xml"), repo.join("coverage.xml")).unwrap();
    let o = ci_intel(&repo)
        .args([
            "tests",
            "--coverage",
            "coverage.xml",
            "--base",
            "no-such-branch",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no-such-branch"), "{}", stderr(&o));
}

#[test]
fn github_actions_gets_a_summary_and_capped_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "# earlier step\n").unwrap();
    let o = ci_intel(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["tests", "--format", "json", "--output", "out.json"])
        .arg(fixture("junit/pytest-rerunfailures.xml"))
        .arg(fixture("junit/jest-junit.xml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("# earlier step\n"), "appended, not replaced");
    assert!(md.contains("## ❌ ci-intel · test health: deny"), "{md}");
    assert!(md.contains("### Failures (7)"), "{md}");
    assert!(
        md.contains(
            "`tests.test_calc::test_div_zero_fails` | failure ×3 | `tests/test_calc.py:19`"
        ),
        "{md}"
    );
    assert!(md.contains("### Flaky tests (1)"), "{md}");
    let annotations = stdout(&o);
    assert!(
        annotations.contains("::error file=tests/test_calc.py,line=19,title=tests/test-failure::tests.test_calc::test_div_zero_fails failed: AssertionError: half is not three quarters"),
        "{annotations}"
    );
    assert!(
        annotations.contains("::warning title=tests/flaky-test::"),
        "{annotations}"
    );
    assert!(std::path::Path::new(&dir.path().join("out.json")).exists());

    // Capped by the configuration, with the rest counted.
    std::fs::create_dir_all(dir.path().join(".ci-intel")).unwrap();
    std::fs::write(
        dir.path().join(".ci-intel/config.yml"),
        "output:\n  max_annotations: 2\n",
    )
    .unwrap();
    let o = ci_intel(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["tests", "--format", "sarif", "--output", "out.sarif"])
        .arg(fixture("junit/pytest-rerunfailures.xml"))
        .output()
        .unwrap();
    let lines: Vec<String> = stdout(&o).lines().map(String::from).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[2].contains("3 more finding(s)"), "{lines:?}");
}

#[test]
fn sarif_output_lists_every_finding_with_rules_and_fingerprints() {
    let dir = tempfile::tempdir().unwrap();
    let o = ci_intel(dir.path())
        .args(["tests", "--format", "sarif"])
        .arg(fixture("junit/nextest-retries.xml"))
        .output()
        .unwrap();
    let v = json(&o);
    common::assert_own_sarif(&v);
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"tests/test-failure") && rules.contains(&"coverage/uncovered-line"));
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "2 failures + 1 flaky");
    for r in results {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(run["tool"]["driver"]["rules"][idx]["id"], r["ruleId"]);
        assert_eq!(
            r["partialFingerprints"]["ciIntelFingerprint/v1"]
                .as_str()
                .unwrap()
                .len(),
            32
        );
    }
    let failure = results.iter().find(|r| r["level"] == "error").unwrap();
    assert_eq!(
        failure["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "src/lib.rs"
    );
}

#[test]
fn baseline_and_suppressions_quarantine_known_failures() {
    let dir = tempfile::tempdir().unwrap();
    let report = fixture("junit/surefire-rerun.xml");
    let o = ci_intel(dir.path())
        .arg("tests")
        .arg(&report)
        .args(["--write-baseline", "baseline.json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = ci_intel(dir.path())
        .arg("tests")
        .arg(&report)
        .args(["--baseline", "baseline.json", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "known failures no longer fail: {}",
        stdout(&o)
    );
    let v = json(&o);
    assert_eq!(v["baselined"], 3);
    assert_eq!(v["gates"][0]["inputs"]["quarantined"], 2);
    assert!(
        v["failures"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["quarantined"] == true)
    );

    // A suppression quarantines one test; an expired one is itself a finding.
    std::fs::create_dir_all(dir.path().join(".ci-intel")).unwrap();
    std::fs::write(
        dir.path().join(".ci-intel/config.yml"),
        "suppressions:\n  - rule: tests/test-failure\n    reason: tracked in BANK-12\n    owner: '@payments'\n    expires: 2999-01-01\n  - rule: flaky-test\n    reason: old\n    owner: '@qa'\n    expires: 2020-01-01\n",
    )
    .unwrap();
    let o = ci_intel(dir.path())
        .arg("tests")
        .arg(&report)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let v = json(&o);
    assert_eq!(v["suppressed"], 2);
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(rules, vec!["expired-suppression", "flaky-test"]);
    assert_eq!(v["findings"][0]["location"]["path"], ".ci-intel/config.yml");
    assert_eq!(v["findings"][0]["location"]["start_line"], 6);
}

#[test]
fn check_runs_the_configured_analyzers() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("build/test-results");
    std::fs::create_dir_all(&reports).unwrap();
    std::fs::copy(
        fixture("junit/gotestsum-plain.xml"),
        reports.join("junit.xml"),
    )
    .unwrap();
    std::fs::copy(
        fixture("coverage/go-cover.out"),
        dir.path().join("cover.out"),
    )
    .unwrap();
    let o = ci_intel(dir.path())
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["schema"], "ci-intel.check/v1");
    assert_eq!(v["verdict"], "deny");
    assert_eq!(v["analyzers"]["tests"]["tests"]["total"], 7);
    assert_eq!(
        v["analyzers"]["tests"]["tests"]["coverage"]["statements_pct"],
        0.5
    );

    std::fs::create_dir_all(dir.path().join(".ci-intel")).unwrap();
    std::fs::write(
        dir.path().join(".ci-intel/config.yml"),
        "tests:\n  max_failures: 3\n",
    )
    .unwrap();
    let o = ci_intel(dir.path()).arg("check").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));

    // Nothing to read is an error, not a silent pass.
    let empty = tempfile::tempdir().unwrap();
    let o = ci_intel(empty.path()).arg("check").output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no JUnit reports found"),
        "{}",
        stderr(&o)
    );
}

/// What a crashed runner leaves: an empty `junit.xml` is an empty JUnit report (not "expected
/// a coverage report"), a partial one is called truncated; both exit 2 naming the file.
#[test]
fn empty_and_truncated_junit_reports_are_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("junit.xml"), "").unwrap();
    std::fs::write(
        d.join("partial.xml"),
        "<?xml version=\"1.0\"?>\n<testsuites><testsuite name=\"x\"><testcase name=\"a\"",
    )
    .unwrap();
    let o = ci_intel(d).args(["tests", "junit.xml"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("junit.xml: empty JUnit report") && !err.contains("coverage"),
        "{err}"
    );
    let o = ci_intel(d).args(["tests", "partial.xml"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("partial.xml:2:"), "{}", stderr(&o));
    assert!(stderr(&o).contains("truncated"), "{}", stderr(&o));
}

/// The README's quick start prints what the README says it prints (the diff base aside), with
/// the gate table once.
#[test]
fn the_quick_start_prints_what_the_readme_shows() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let start = readme.find("and prints:\n\n```text\n").unwrap() + "and prints:\n\n```text\n".len();
    let want = &readme[start..start + readme[start..].find("```").unwrap()];
    let o = ci_intel(&root)
        .args(["check", "--root", "examples/quickstart"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let base = |s: &str| {
        s.lines()
            // The base is `main` here and `origin/main` in a fresh clone; its commit varies.
            .map(|l| match l.find(" vs ") {
                Some(i) => format!("{} vs …", &l[..i]),
                None => l.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let got = stdout(&o);
    assert_eq!(base(&got), base(want));
    assert_eq!(got.matches("\ngates\n").count(), 1, "{got}");
}
