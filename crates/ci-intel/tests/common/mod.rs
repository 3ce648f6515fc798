//! Helpers for running the real binary with a clean environment.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]
#![allow(dead_code)]

pub mod hub;

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// A fixture file of the tests crate.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ci-intel-tests/tests/fixtures")
        .join(rel)
}

/// A file under the workspace's `schema/` directory.
pub fn schema_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schema")
        .join(rel)
}

/// `ci-intel` with an empty environment (no CI variables leak in from the machine running
/// the tests), running in `dir`.
pub fn ci_intel(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("ci-intel").expect("binary built");
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("NO_COLOR", "1")
        .current_dir(dir);
    c
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            stdout(o),
            stderr(o)
        )
    })
}

/// Runs git in `dir`, panicking on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args([
            "-c",
            "user.email=t@example.com",
            "-c",
            "user.name=t",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Clones the diff-coverage fixture history into `dir/repo`, on its `feature` branch.
pub fn clone_history(dir: &Path) -> PathBuf {
    let bundle = fixture("diffcov/history.bundle");
    let repo = dir.join("repo");
    git(
        dir,
        &[
            "clone",
            "-q",
            "-b",
            "feature",
            bundle.to_str().unwrap(),
            "repo",
        ],
    );
    git(&repo, &["branch", "-q", "main", "origin/main"]);
    repo
}

/// Asserts `log` is valid against the official SARIF 2.1.0 schema (the copy `serde-sarif`
/// ships; see `ci_intel_sarif::official_schema`).
pub fn assert_official_sarif(log: &serde_json::Value) {
    let v = ci_intel_sarif::official_schema::violations(log, env!("CARGO_MANIFEST_DIR"));
    assert!(v.is_empty(), "SARIF schema violations: {v:#?}");
}

/// Asserts a SARIF log ci-intel wrote about its own findings is valid, and that every result
/// names a rule the log describes (by `ruleIndex`) and `ci-intel rules` lists: no finding
/// reaches code scanning without its rule's help.
pub fn assert_own_sarif(log: &serde_json::Value) {
    assert_official_sarif(log);
    let o = ci_intel(Path::new(env!("CARGO_MANIFEST_DIR")))
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let listed: std::collections::BTreeSet<String> = json(&o)
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    for run in log["runs"].as_array().unwrap() {
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        for r in run["results"].as_array().unwrap() {
            let id = r["ruleId"].as_str().unwrap();
            let index = r["ruleIndex"]
                .as_u64()
                .unwrap_or_else(|| panic!("result for `{id}` has no ruleIndex: {r}"));
            assert_eq!(rules[index as usize]["id"], id);
            assert!(
                !rules[index as usize]["help"]["text"]
                    .as_str()
                    .unwrap()
                    .is_empty()
            );
            assert!(listed.contains(id), "`ci-intel rules` does not list `{id}`");
        }
    }
}

/// A directory of the shared corpus (`""` for the corpus itself), or `None` after saying it
/// is absent (fails under `CI_INTEL_REQUIRE_CORPUS=1`; see `ci_intel_core::testsupport`).
pub fn corpus(sub: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    ci_intel_core::testsupport::corpus(&root).map(|c| c.join(sub))
}

/// Makes the Ed25519 key pair `NAME.pem` / `NAME.pub` in `dir` with the real binary.
pub fn keygen(dir: &Path, name: &str) {
    let (private, public) = (format!("{name}.pem"), format!("{name}.pub"));
    let o = ci_intel(dir)
        .args([
            "attest",
            "keygen",
            "--private",
            &private,
            "--public",
            &public,
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// The environment of a GitHub Actions release build: `acme/app`, tag `v1.2.3`, workflow
/// `.github/workflows/release.yml`, run 99 attempt 1 (what `attest provenance` reads).
pub fn release_build_env(c: &mut Command) -> &mut Command {
    c.env("GITHUB_ACTIONS", "true")
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", "acme/app")
        .env("GITHUB_REF", "refs/tags/v1.2.3")
        .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
        .env(
            "GITHUB_WORKFLOW_REF",
            "acme/app/.github/workflows/release.yml@refs/tags/v1.2.3",
        )
        .env("GITHUB_RUN_ID", "99")
        .env("GITHUB_RUN_ATTEMPT", "1")
}

/// The environment of a GitHub Actions job (run 123456789, attempt 2, of `org/app`).
pub fn github_env(c: &mut assert_cmd::Command) -> &mut assert_cmd::Command {
    c.env("GITHUB_ACTIONS", "true")
        .env("GITHUB_REPOSITORY", "org/app")
        .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
        .env("GITHUB_REF", "refs/pull/42/merge")
        .env("GITHUB_REF_NAME", "42/merge")
        .env("GITHUB_HEAD_REF", "feature/x")
        .env("GITHUB_BASE_REF", "main")
        .env("GITHUB_RUN_ID", "123456789")
        .env("GITHUB_RUN_ATTEMPT", "2")
        .env("GITHUB_JOB", "test")
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ENVIRONMENT", "github-hosted")
        .env("CI_INTEL_STARTED_AT", "2026-11-23T10:00:00Z")
}
