//! `ci-intel config show|check|schema`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

mod common;

use common::{ci_intel, json, stderr, stdout};

fn write(dir: &std::path::Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn show_names_the_layer_and_line_of_every_value() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "org.yml",
        "coverage:\n  min_lines: 80\ntests:\n  allow_flaky: false\n",
    );
    write(
        dir.path(),
        ".ci-intel/config.yml",
        "version: 1\ncoverage:\n  min_lines: 70\n  min_diff: 90\n",
    );
    let o = ci_intel(dir.path())
        .args(["config", "show", "--org-config", "org.yml"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let table = stdout(&o);
    let row = |key: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{key} ")))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        row("coverage.min_lines").contains("80")
            && row("coverage.min_lines").contains("org (org.yml:2)"),
        "{table}"
    );
    assert!(
        row("coverage.min_diff").contains("repo (")
            && row("coverage.min_diff").contains("config.yml:4)"),
        "{table}"
    );
    assert!(row("tests.max_failures").contains("default"), "{table}");
    assert!(
        stderr(&o).contains("looser than 80"),
        "the refused loosening is reported: {}",
        stderr(&o)
    );

    let o = ci_intel(dir.path())
        .args([
            "config",
            "show",
            "--org-config",
            "org.yml",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v = json(&o);
    assert_eq!(v["config"]["coverage"]["min_lines"], 80.0);
    assert_eq!(v["config"]["tests"]["allow_flaky"], false);
    let s = v["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "coverage.min_diff")
        .unwrap();
    assert_eq!(
        (s["layer"].as_str(), s["line"].as_u64()),
        (Some("repo"), Some(4))
    );
}

#[test]
fn check_reports_every_error_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".ci-intel/config.yml",
        "version: 1\ntests:\n  max_failure: 3\ncoverage:\n  min_lines: 180\nsuppressions:\n  - rule: x\n    reason: r\n    owner: o\n    expires: someday\n",
    );
    let o = ci_intel(dir.path())
        .args(["config", "check"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains(".ci-intel/config.yml:2:"), "{err}");
    assert!(err.contains("max_failure"), "{err}");
    assert!(
        err.contains(".ci-intel/config.yml:5:") && err.contains("coverage.min_lines"),
        "{err}"
    );
    assert!(err.contains(".ci-intel/config.yml:10:"), "{err}");

    write(
        dir.path(),
        ".ci-intel/config.yml",
        "tests:\n  max_failures: [\n",
    );
    let o = ci_intel(dir.path())
        .args(["config", "check"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("invalid YAML"), "{}", stderr(&o));

    write(
        dir.path(),
        ".ci-intel/config.yml",
        "tests:\n  max_failures: 1\n",
    );
    let o = ci_intel(dir.path())
        .args(["config", "check"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("config.yml: ok"));

    // Commands refuse a broken config too.
    write(
        dir.path(),
        ".ci-intel/config.yml",
        "tests:\n  enabled: maybe\n",
    );
    let o = ci_intel(dir.path()).args(["check"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("config.yml:2:"), "{}", stderr(&o));
}

#[test]
fn published_schema_matches_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let o = ci_intel(dir.path())
        .args(["config", "schema"])
        .output()
        .unwrap();
    let published = std::fs::read_to_string(common::schema_file("config.v1.json")).unwrap();
    assert_eq!(
        stdout(&o),
        published,
        "regenerate with `cargo run -- config schema --output schema/config.v1.json`"
    );
}

#[test]
fn generated_rules_doc_is_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let o = ci_intel(dir.path())
        .args(["rules", "--format", "markdown"])
        .output()
        .unwrap();
    let committed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules.md"),
    )
    .unwrap();
    assert_eq!(
        stdout(&o),
        committed,
        "regenerate with `cargo run -- rules --format markdown > docs/rules.md`"
    );
}
