//! Every way a log arrives (plain, gzip, directories, a GitHub run's zip), logs larger than a
//! batch, and input that is not a log at all: garbage, binary and empty files never panic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly on unexpected errors"
)]

use std::io::Write as _;
use std::path::Path;

use ci_intel_autopsy::{AutopsyReport, Category, RuleSet, Settings, analyze, miner, scan, source};

fn report(paths: &[&Path]) -> AutopsyReport {
    let rules = RuleSet::builtin().unwrap();
    let inputs =
        source::discover(&paths.iter().map(|p| p.to_path_buf()).collect::<Vec<_>>()).unwrap();
    analyze(
        &inputs,
        &Settings {
            rules: &rules,
            redact: &|s: &str| s.to_owned(),
            max_root_causes: 5,
            max_signatures: 5,
            classifier: None,
        },
    )
    .unwrap()
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/logs")
        .join(name)
}

#[test]
fn gzip_and_plain_give_the_same_root_cause() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("build.log.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(&std::fs::read(fixture("rust-compile-error.log")).unwrap())
        .unwrap();
    enc.finish().unwrap();
    let plain = report(&[&fixture("rust-compile-error.log")]);
    let zipped = report(&[&gz]);
    assert_eq!(zipped.root_causes[0].rule_id, "rustc/error-code");
    assert_eq!(zipped.root_causes[0].message, plain.root_causes[0].message);
    assert_eq!(zipped.root_causes[0].location.line, 3);
}

/// A run's log zip as GitHub's API returns it: `N_job.txt` per job, and per-step files in a
/// folder per job (which repeat the job files and are not read twice).
#[test]
fn github_run_zip_reads_each_job_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("logs.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    let stamp = |l: &str| format!("2026-12-04T10:00:00.0000000Z {l}\n");
    let build: String = [
        "##[group]Run actions/checkout@v4",
        "Syncing repository",
        "##[endgroup]",
        "##[group]Run cargo build",
        "   Compiling demo v0.1.0",
        "error[E0425]: cannot find value `y` in this scope",
        " --> src/main.rs:3:20",
        "##[error]Process completed with exit code 101.",
        "Post job cleanup.",
        "curl: (6) Could not resolve host: cache.invalid",
    ]
    .iter()
    .map(|l| stamp(l))
    .collect();
    let lint: String = ["##[group]Run cargo fmt --check", "all formatted"]
        .iter()
        .map(|l| stamp(l))
        .collect();
    for (name, body) in [
        ("2_lint.txt", lint.as_str()),
        ("1_build.txt", build.as_str()),
        ("build/4_Run cargo build.txt", build.as_str()),
    ] {
        zip.start_file(name, opts).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    let inputs = source::discover(std::slice::from_ref(&zip_path)).unwrap();
    let jobs: Vec<_> = inputs.iter().map(|i| i.job.clone().unwrap()).collect();
    assert_eq!(jobs, ["build", "lint"]);
    let r = report(&[&zip_path]);
    assert_eq!(r.logs.len(), 2);
    let build_log = &r.logs[0];
    assert!(
        build_log.log.ends_with("logs.zip!1_build.txt"),
        "{}",
        build_log.log
    );
    let steps: Vec<(&str, Option<i64>)> = build_log
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.exit_code))
        .collect();
    assert_eq!(
        steps,
        [
            ("Run actions/checkout@v4", None),
            ("Run cargo build", Some(101)),
            ("Post job cleanup", None)
        ]
    );
    let top = &r.root_causes[0];
    assert_eq!(top.category, Category::CompileError);
    assert_eq!(top.location.job.as_deref(), Some("build"));
    assert_eq!(top.location.step.as_deref(), Some("Run cargo build"));
    assert_eq!(
        (top.file.as_deref(), top.line),
        (Some("src/main.rs"), Some(3))
    );
    // The cleanup step's error ranks last, with little confidence.
    let cleanup = r
        .root_causes
        .iter()
        .find(|c| c.message.contains("cache.invalid"))
        .unwrap();
    assert!(cleanup.confidence < 0.5, "{cleanup:?}");
    assert!(r.failed);
}

#[test]
fn a_failure_across_a_batch_boundary_is_found_at_its_line() {
    // Filler lines until just before the 8 MiB batch boundary, then an error whose location
    // line falls into the next batch.
    let mut log = String::new();
    let filler =
        "   Compiling some-crate v1.0.0 (registry+https://github.com/rust-lang/crates.io-index)\n";
    let mut lines = 0u64;
    while log.len() + filler.len() < (8 << 20) - 40 {
        log.push_str(filler);
        lines += 1;
    }
    log.push_str("error[E0308]: mismatched types\n --> src/lib.rs:9:5\n");
    for _ in 0..200_000 {
        log.push_str(filler);
    }
    let mut m = miner::Miner::default();
    let rules = RuleSet::builtin().unwrap();
    let s = scan::scan(&rules, "big.log", None, log.as_bytes(), &mut m).unwrap();
    assert_eq!(s.summary.lines, lines + 2 + 200_000);
    assert_eq!(s.summary.bytes, log.len() as u64);
    assert_eq!(s.hits.len(), 1);
    assert_eq!(s.hits[0].location.line, lines + 1);
    assert_eq!(s.hits[0].captures["file"], "src/lib.rs");
    assert_eq!(s.hits[0].captures["line"], "9");
}

#[test]
fn a_line_longer_than_several_batches_is_read_through_in_bounded_steps() {
    // 20 MiB without a line end (a minified bundle echoed into the log), then a failure: the
    // scanner must move on through it, count it as one line and find what follows.
    let mut log = vec![b'x'; 20 << 20];
    log.extend_from_slice(b"\nerror[E0308]: mismatched types\n --> src/lib.rs:9:5\n");
    let mut m = miner::Miner::default();
    let rules = RuleSet::builtin().unwrap();
    let s = scan::scan(&rules, "long.log", None, &log[..], &mut m).unwrap();
    assert_eq!(s.summary.lines, 3);
    assert_eq!(s.summary.bytes, log.len() as u64);
    assert_eq!(s.hits.len(), 1);
    assert_eq!(s.hits[0].location.line, 2);
    assert_eq!(s.hits[0].captures["line"], "9");
}

#[test]
fn a_failed_step_with_nothing_recognisable_shows_its_last_output() {
    // The step prints a usage message (no rule's keyword, no error word) and exits 64; the
    // steps before it succeeded and its teardown printed more afterwards.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("deploy.log");
    std::fs::write(
        &log,
        "##[group]Run ./scripts/prepare.sh\n\
         prepared 3 files\n\
         ##[endgroup]\n\
         ##[group]Run ./scripts/deploy.sh staging eu\n\
         ./scripts/deploy.sh staging eu\n\
         ##[endgroup]\n\
         checking arguments\n\
         usage: deploy.sh ENVIRONMENT\n\
         \n\
         ##[error]Process completed with exit code 64.\n\
         Post job cleanup.\n\
         removed 3 files\n",
    )
    .unwrap();
    let r = report(&[&log]);
    assert!(r.failed);
    assert_eq!(r.root_causes.len(), 1, "{:#?}", r.root_causes);
    let cause = &r.root_causes[0];
    assert_eq!(cause.message, "usage: deploy.sh ENVIRONMENT");
    assert_eq!(cause.location.line, 8);
    assert_eq!(
        cause.location.step.as_deref(),
        Some("Run ./scripts/deploy.sh staging eu")
    );
    assert_eq!(
        cause.excerpt,
        [
            "./scripts/deploy.sh staging eu",
            "checking arguments",
            "usage: deploy.sh ENVIRONMENT"
        ]
    );
    assert!(
        cause.suggestion.contains("status 64"),
        "{}",
        cause.suggestion
    );
    assert!(cause.confidence <= 0.2);

    // A rule's match in the same step wins, and the tail is not added beside it.
    std::fs::write(
        &log,
        "##[group]Run cargo build\n\
         error[E0308]: mismatched types\n --> src/lib.rs:9:5\n\
         ##[error]Process completed with exit code 101.\n",
    )
    .unwrap();
    let r = report(&[&log]);
    assert_eq!(r.root_causes.len(), 1, "{:#?}", r.root_causes);
    assert_eq!(r.root_causes[0].rule_id, "rustc/error-code");
}

#[test]
fn a_log_without_failures_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let ok = dir.path().join("ok.log");
    std::fs::write(&ok, "$ cargo test\ntest result: ok. 12 passed; 0 failed\n").unwrap();
    let empty = dir.path().join("empty.log");
    std::fs::write(&empty, "").unwrap();
    let r = report(&[&ok, &empty]);
    assert!(r.root_causes.is_empty());
    assert!(!r.failed);
    assert_eq!(r.stats.lines, 2);
}

#[test]
fn binary_files_are_refused_by_name_and_skipped_in_directories() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("core.bin");
    std::fs::write(&bin, [0u8, 159, 146, 150, 0, 1, 2, 3]).unwrap();
    let e = source::discover(&[bin]).unwrap_err();
    assert!(e.to_string().contains("binary data"), "{e}");
    std::fs::write(dir.path().join("job.log"), "npm error code E404\n").unwrap();
    let inputs = source::discover(&[dir.path().to_path_buf()]).unwrap();
    assert_eq!(inputs.len(), 1);
    let e = source::discover(&[dir.path().join("missing.log")]).unwrap_err();
    assert!(e.to_string().contains("no such file"), "{e}");
}

#[test]
fn a_zip_that_is_not_a_run_archive_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
    zip.start_file("image.png", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"png").unwrap();
    zip.finish().unwrap();
    let e = source::discover(std::slice::from_ref(&p)).unwrap_err();
    assert!(e.to_string().contains("without .txt logs"), "{e}");
    // A truncated zip.
    std::fs::write(&p, b"PK\x03\x04 truncated").unwrap();
    let e = source::discover(&[p]).unwrap_err();
    assert!(e.to_string().contains("not a readable zip"), "{e}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..4096)) {
        let rules = RuleSet::builtin_static();
        let mut m = miner::Miner::default();
        let s = scan::scan(rules, "g", None, &bytes[..], &mut m).unwrap();
        proptest::prop_assert_eq!(s.summary.bytes, bytes.len() as u64);
    }

    #[test]
    fn loggish_garbage_never_panics(s in "((##\\[(group|endgroup|error)\\]|::error file=[a-z]{0,3},line=[0-9]{0,3}::|section_(start|end):[0-9]{0,3}:|error\\[E[0-9]{4}\\]: | --> |FAILED |npm error |Killed|\\x1b\\[3[0-9]m|\\r|Process completed with exit code [0-9]{1,3}\\.|BUILD FAILURE|[a-z ]{0,8})\\n?){0,40}") {
        let rules = RuleSet::builtin_static();
        let mut m = miner::Miner::default();
        let scan = scan::scan(rules, "g", None, s.as_bytes(), &mut m).unwrap();
        for h in &scan.hits {
            proptest::prop_assert!(h.location.line >= 1 && h.location.line <= scan.summary.lines.max(1));
        }
    }
}
