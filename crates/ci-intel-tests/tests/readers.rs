//! The readers on reports real runners wrote (see `fixtures/README.md` for how each was made):
//! the counts must match what the runner itself printed, and coverage fractions what the
//! coverage tool computed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

use std::path::{Path, PathBuf};

use ci_intel_core::repo_paths::RepoPaths;
use ci_intel_tests::coverage::{self, Coverage};
use ci_intel_tests::junit;
use ci_intel_tests::results::{Counts, TestRun};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn run(files: &[&str]) -> TestRun {
    let mut run = TestRun::new(10);
    for f in files {
        run.begin_report();
        junit::read_file(&fixture(f), &mut |c| run.add(c)).unwrap();
    }
    run
}

fn summary(c: &Counts) -> (u64, u64, u64, u64, u64) {
    (c.total, c.passed, c.failed(), c.skipped, c.flaky)
}

#[test]
fn pytest_rerunfailures_counts_match_pytest() {
    // pytest: 3 failed, 7 passed, 1 skipped, 1 xfailed, 1 error, 9 rerun
    let r = run(&["junit/pytest-rerunfailures.xml"]);
    let c = r.counts();
    assert_eq!(summary(&c), (13, 7, 4, 2, 1));
    assert_eq!((c.failures, c.errors), (3, 1));
    let flaky = r.flaky();
    assert_eq!(flaky.len(), 1);
    assert_eq!(
        flaky[0].id,
        "tests.test_calc::test_flaky_passes_on_second_try"
    );
    assert_eq!(flaky[0].attempts, 2);
    // 13 tests + 9 reruns
    assert_eq!(c.entries, 22);
    let failed = r.failed();
    let zero = failed
        .iter()
        .find(|f| f.id.ends_with("test_div_zero_fails"))
        .unwrap();
    assert_eq!(zero.attempts, 3);
    assert_eq!(
        zero.detail.message.lines().next().unwrap(),
        "AssertionError: half is not three quarters"
    );
    assert_eq!(
        (zero.detail.file.as_deref(), zero.detail.line),
        (Some("tests/test_calc.py"), Some(19))
    );
    let err = failed
        .iter()
        .find(|f| f.id.ends_with("test_uses_broken_fixture"))
        .unwrap();
    assert_eq!(err.detail.outcome, junit::Outcome::Errored);
    assert!(
        err.detail.message.contains("ünïcode <&> \"quoted\""),
        "{}",
        err.detail.message
    );
    // The TypeError is raised in the package, but the test's own line is where to look.
    let te = failed
        .iter()
        .find(|f| f.id.ends_with("test_raises_type_error"))
        .unwrap();
    assert_eq!(
        (te.detail.file.as_deref(), te.detail.line),
        (Some("tests/test_calc.py"), Some(57))
    );
}

#[test]
fn pytest_xunit1_counts_match_pytest() {
    // pytest: 4 failed, 6 passed, 1 skipped, 1 xfailed, 1 error
    let r = run(&["junit/pytest-xunit1.xml"]);
    assert_eq!(summary(&r.counts()), (13, 6, 5, 2, 0));
}

#[test]
fn jest_junit_counts_match_jest() {
    // jest: 3 failed, 1 skipped, 1 todo, 4 passed, 9 total (jest-junit writes the todo as a pass)
    let r = run(&["junit/jest-junit.xml"]);
    assert_eq!(summary(&r.counts()), (9, 5, 3, 1, 0));
    let f = r.failed();
    let tenoff = f
        .iter()
        .find(|t| t.id == "discount TENOFF never goes negative")
        .unwrap();
    assert_eq!(
        tenoff.detail.message,
        "Error: expect(received).toBe(expected) // Object.is equality"
    );
    assert_eq!(
        tenoff.detail.file.as_deref(),
        Some("/tmp/fix/jsproj/__tests__/cart.test.js")
    );
    assert_eq!(tenoff.detail.line, Some(18));
}

#[test]
fn nextest_flaky_and_rerun_failures() {
    // nextest: 4 tests run: 2 passed (1 flaky), 2 failed (ignored tests are not in the report)
    let r = run(&["junit/nextest-retries.xml"]);
    assert_eq!(summary(&r.counts()), (4, 2, 2, 0, 1));
    let flaky = r.flaky();
    assert_eq!(flaky[0].id, "shapes::tests::flaky_passes_on_retry");
    assert_eq!(flaky[0].attempts, 2);
    let failed = r.failed();
    assert!(failed.iter().all(|f| f.attempts == 3), "{failed:?}");
    let wrong = failed
        .iter()
        .find(|f| f.id.ends_with("area_is_wrong_on_purpose"))
        .unwrap();
    assert_eq!(
        wrong.detail.message,
        "assertion `left == right` failed: area of 2x3 <rect> should be \"7\""
    );
    assert_eq!(
        (wrong.detail.file.as_deref(), wrong.detail.line),
        (Some("src/lib.rs"), Some(22))
    );
}

#[test]
fn surefire_flakes_and_reruns_match_maven() {
    // Maven: Tests run: 6, Failures: 1, Errors: 1, Skipped: 1, Flakes: 1
    let r = run(&["junit/surefire-rerun.xml"]);
    let c = r.counts();
    assert_eq!(summary(&c), (6, 3, 2, 1, 1));
    assert_eq!((c.failures, c.errors), (1, 1));
    let flaky = r.flaky();
    assert_eq!(
        flaky[0].id,
        "com.example.bank.AccountTest::flakyPassesOnRetry"
    );
    assert_eq!(
        flaky[0].message.as_deref(),
        Some("first attempt fails (ünïcode)")
    );
    let f = r.failed();
    let w = f
        .iter()
        .find(|t| t.id.ends_with("withdrawTooMuchIsWrongOnPurpose"))
        .unwrap();
    assert_eq!(
        w.detail.message,
        "balance after <withdraw> & \"fee\" expected:<4> but was:<5>"
    );
    assert_eq!(
        (w.detail.file.as_deref(), w.detail.line),
        (Some("com/example/bank/AccountTest.java"), Some(20))
    );
    assert_eq!(w.attempts, 3);
}

#[test]
fn gotestsum_reruns_are_attempts() {
    // gotestsum: DONE 3 runs, 12 tests, 1 skipped, 7 failures — 7 distinct tests, of which
    // TestFlaky passed on its rerun and TestClassify(/25) failed all three runs.
    let r = run(&["junit/gotestsum-rerun.xml"]);
    assert_eq!(summary(&r.counts()), (7, 4, 2, 1, 1));
    assert_eq!(r.counts().entries, 12);
    assert_eq!(r.flaky()[0].id, "example.com/temps::TestFlaky");
    let f = r.failed();
    let sub = f
        .iter()
        .find(|t| t.id.ends_with("TestClassify/25"))
        .unwrap();
    assert_eq!(
        sub.detail.message,
        "temps_test.go:20: Classify(25) = \"warm\", want \"hot\""
    );
    assert_eq!(
        (sub.detail.file.as_deref(), sub.detail.line),
        (Some("temps_test.go"), Some(20))
    );
}

#[test]
fn gotestsum_plain_counts_match() {
    // gotestsum: DONE 7 tests, 1 skipped, 3 failures
    let r = run(&["junit/gotestsum-plain.xml"]);
    assert_eq!(summary(&r.counts()), (7, 3, 3, 1, 0));
}

#[test]
fn a_test_that_fails_in_one_report_and_passes_in_another_is_flaky() {
    // Same commit, two jobs: the rerun-free pytest run (flaky test failed) and the one with
    // reruns (it passed on retry); tests failing in both stay failed.
    let r = run(&["junit/pytest-xunit1.xml", "junit/pytest-rerunfailures.xml"]);
    let c = r.counts();
    assert_eq!(c.total, 13);
    assert_eq!(c.flaky, 1);
    assert_eq!(c.failed(), 4);
}

#[test]
fn merged_globs_keep_every_runner_apart() {
    let files = [
        "junit/pytest-rerunfailures.xml",
        "junit/jest-junit.xml",
        "junit/nextest-retries.xml",
        "junit/surefire-rerun.xml",
        "junit/gotestsum-rerun.xml",
    ];
    let c = run(&files).counts();
    assert_eq!(c.total, 13 + 9 + 4 + 6 + 7);
    // One flaky test in every file but the second.
    assert_eq!(c.flaky, 4);
    assert_eq!(c.failed(), 4 + 3 + 2 + 2 + 2);
}

fn cov(files: &[&str]) -> Coverage {
    let repo = RepoPaths::with_files(Path::new("/nonexistent"), vec![]);
    let mut c = Coverage::default();
    for f in files {
        c.add(coverage::read_file(&fixture(f)).unwrap(), &repo);
    }
    c
}

fn close(a: Option<f64>, b: f64) {
    let a = a.expect("a value");
    assert!((a - b).abs() < 1e-4, "{a} != {b}");
}

#[test]
fn coveragepy_cobertura_and_lcov_agree_with_coveragepy() {
    for f in ["coverage/coveragepy.xml", "coverage/coveragepy.lcov"] {
        let t = cov(&[f]).totals();
        assert_eq!((t.lines_covered, t.lines_valid), (22, 36), "{f}");
        assert_eq!((t.branches_covered, t.branches_valid), (9, 20), "{f}");
        close(t.lines_pct(), 0.6111);
        close(t.branches_pct(), 0.45);
    }
}

#[test]
fn istanbul_cobertura_and_lcov_agree_with_jest() {
    for f in [
        "coverage/istanbul-cobertura.xml",
        "coverage/istanbul-lcov.info",
    ] {
        let t = cov(&[f]).totals();
        assert_eq!((t.lines_covered, t.lines_valid), (13, 15), "{f}");
        assert_eq!((t.branches_covered, t.branches_valid), (5, 6), "{f}");
        close(t.lines_pct(), 0.8666);
    }
}

#[test]
fn jacoco_agrees_with_jacoco_counters() {
    let t = cov(&["coverage/jacoco.xml"]).totals();
    assert_eq!((t.lines_covered, t.lines_valid), (13, 19));
    assert_eq!((t.branches_covered, t.branches_valid), (4, 10));
}

#[test]
fn go_statements_agree_with_go_tool_cover() {
    let t = cov(&["coverage/go-cover.out"]).totals();
    close(t.statements_pct(), 0.5);
    assert_eq!((t.statements_covered, t.statements_valid), (6, 12));
}

#[test]
fn garbage_is_refused_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 6] = [
        ("empty.xml", b"", "empty file"),
        ("binary.xml", b"\x7fELF\x02\x01\x01\x00\x00\x00", "binary data"),
        ("coverage-as-junit.xml", b"<?xml version=\"1.0\"?><coverage/>", "found <coverage>"),
        ("truncated.xml", b"<testsuites><testsuite name=\"s\">\n<testcase name=\"t\" time=\"1\">\n<failure message=\"x\">boom", "truncated"),
        ("mismatch.xml", b"<testsuites>\n<testsuite>\n</testcase>", "malformed XML"),
        ("text.xml", b"hello world", "no element"),
    ];
    for (name, bytes, expect) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let e = junit::read_file(&p, &mut |_| {}).unwrap_err();
        assert_eq!(e.path, p);
        assert!(e.message.contains(expect), "{name}: {e}");
    }
    // The truncated report names where the unclosed element began.
    let e = junit::read_file(&dir.path().join("truncated.xml"), &mut |_| {}).unwrap_err();
    assert_eq!(e.position.map(|p| p.line), Some(3), "{e}");
    let e = junit::read_file(&dir.path().join("mismatch.xml"), &mut |_| {}).unwrap_err();
    assert_eq!(e.position.map(|p| p.line), Some(3), "{e}");
}

#[test]
fn coverage_garbage_is_refused_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 5] = [
        ("empty.xml", b"  \n", "empty file"),
        ("junit.xml", b"<testsuites/>", "found <testsuites>"),
        ("what.txt", b"hello", "unknown coverage format"),
        ("bad.lcov", b"SF:a.py\nDA:zero,1\n", "DA:"),
        ("bad.out", b"mode: set\nnot a block\n", "file.go"),
    ];
    for (name, bytes, expect) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let e = coverage::read_file(&p).unwrap_err();
        assert!(e.message.contains(expect), "{name}: {e}");
        assert_eq!(e.path, p);
    }
}

#[test]
fn gzip_reports_are_read() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("junit.xml.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&p).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(&std::fs::read(fixture("junit/surefire-rerun.xml")).unwrap())
        .unwrap();
    gz.finish().unwrap();
    let mut r = TestRun::new(1);
    r.begin_report();
    junit::read_file(&p, &mut |c| r.add(c)).unwrap();
    assert_eq!(r.counts().total, 6);
}
