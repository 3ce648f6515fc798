//! `ci-intel audit` and the audit inside `ci-intel check`, through the real binary.

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

const BAD: &str = "name: bad\non: pull_request_target\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n      - run: echo \"${{ github.event.pull_request.title }}\"\n";

fn repo_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, text) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

#[test]
fn audits_a_repository_and_fails_on_errors() {
    let dir = repo_with(&[(".github/workflows/bad.yml", BAD)]);
    let o = ci_intel(dir.path())
        .args(["audit", "--root", "."])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains(".github/workflows/bad.yml:10:20: error[template-injection]"),
        "{text}"
    );
    assert!(
        text.contains(".github/workflows/bad.yml:2:5: error[dangerous-triggers]"),
        "{text}"
    );
    let o = ci_intel(dir.path())
        .args(["audit", "--root", ".", "--format", "json"])
        .output()
        .unwrap();
    let v = json(&o);
    assert_eq!(v["schema"], "ci-intel.audit/v1");
    assert_eq!(v["summary"]["workflows"], 1);
    assert_eq!(v["by_rule"]["audit/template-injection"], 1);
    assert_eq!(v["gates"][0]["id"], "audit.findings");
    assert_eq!(v["gates"][0]["result"], "deny");
}

#[test]
fn sarif_carries_rules_help_and_columns() {
    let dir = repo_with(&[(".github/workflows/bad.yml", BAD)]);
    let o = ci_intel(dir.path())
        .args(["audit", "--format", "sarif", "--root", "."])
        .output()
        .unwrap();
    let v = json(&o);
    common::assert_own_sarif(&v);
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.len() >= 17);
    assert!(
        rules
            .iter()
            .all(|r| !r["help"]["text"].as_str().unwrap().is_empty())
    );
    let r = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "audit/template-injection")
        .unwrap();
    let region = &r["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(10), Some(20))
    );
    assert_eq!(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        ".github/workflows/bad.yml"
    );
}

#[test]
fn config_suppressions_exclusions_and_trusted_owners() {
    let dir = repo_with(&[
        (".github/workflows/bad.yml", BAD),
        (
            "vendor/thing/action.yml",
            "runs:\n  using: composite\n  steps:\n    - uses: x/y@v1\n",
        ),
        (
            ".ci-intel/config.yml",
            "audit:\n  exclude: [\"vendor/**\"]\n  allowed_dangerous_triggers: [\".github/workflows/bad.yml\"]\n  trusted_owners: [actions]\nsuppressions:\n  - rule: audit/template-injection\n    path: .github/workflows/*.yml\n    reason: title is only echoed\n    owner: \"@sec\"\n    expires: 2999-12-31\n",
        ),
    ]);
    let o = ci_intel(dir.path())
        .args(["audit", "--format", "json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let v = json(&o);
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        vec![
            "excessive-permissions",
            "excessive-permissions",
            "artipacked"
        ],
        "{}",
        stdout(&o)
    );
    assert_eq!(v["suppressed"], 1);
    assert_eq!(v["summary"]["files"], 1, "vendor/ excluded");
    assert_eq!(o.status.code(), Some(0), "only warnings remain");
}

#[test]
fn broken_yaml_is_bad_input_with_file_and_line() {
    let dir = repo_with(&[(".github/workflows/broken.yml", "on: push\njobs:\n  a: [\n")]);
    let o = ci_intel(dir.path())
        .args(["audit", "--root", "."])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("broken.yml:4:"), "{}", stderr(&o));
    let o = ci_intel(dir.path())
        .args(["audit", "nope.yml"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn check_runs_the_audit_next_to_the_tests() {
    let dir = repo_with(&[(".github/workflows/bad.yml", BAD)]);
    std::fs::copy(
        common::fixture("junit/gotestsum-plain.xml"),
        dir.path().join("junit.xml"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join(".ci-intel")).unwrap();
    std::fs::write(
        dir.path().join(".ci-intel/config.yml"),
        "tests:\n  max_failures: 10\n",
    )
    .unwrap();
    let o = ci_intel(dir.path())
        .args(["check", "--format", "json", "--root", "."])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    let gates: Vec<(&str, &str)> = v["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["id"].as_str().unwrap(), g["result"].as_str().unwrap()))
        .collect();
    assert_eq!(
        gates,
        vec![
            ("tests.failures", "allow"),
            ("tests.flaky", "allow"),
            ("audit.findings", "deny")
        ]
    );
    assert!(
        v["analyzers"]["audit"]["findings"]
            .as_array()
            .unwrap()
            .len()
            >= 3
    );
}

#[test]
fn baseline_write_then_only_new_findings_fail() {
    let dir = repo_with(&[
        (".github/workflows/bad.yml", BAD),
        (
            ".ci-intel/config.yml",
            "tests:\n  enabled: false\ncoverage:\n  enabled: false\nbaseline: .ci-intel/baseline.json\n",
        ),
    ]);
    let o = ci_intel(dir.path())
        .args(["baseline", "write", "--root", "."])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(dir.path().join(".ci-intel/baseline.json").is_file());
    let o = ci_intel(dir.path())
        .args(["audit", "--root", ".", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "everything known: {}", stdout(&o));
    assert!(json(&o)["baselined"].as_u64().unwrap() >= 3);
    // A new problem, on another line: only it counts.
    let text = format!("{BAD}      - run: echo \"${{{{ github.event.pull_request.body }}}}\"\n");
    std::fs::write(dir.path().join(".github/workflows/bad.yml"), text).unwrap();
    let o = ci_intel(dir.path())
        .args(["audit", "--root", ".", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    let active: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(active.len(), 1, "{active:?}");
    assert!(active[0].contains("pull_request.body"));
}
