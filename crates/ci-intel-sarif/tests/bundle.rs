//! Merging, deduplication, suppressions and baselines over real logs: Ruff's own SARIF
//! (absolute `file://` URIs) beside its converted JSON, and zizmor's SARIF of two real
//! workflows (bare relative URIs, no rule indexes).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

mod common;

use ci_intel_core::suppression::{Baseline, CompiledSuppression, Suppression};
use common::{Fixture, convert_with, options, results, schema_ok};
use serde_json::{Value, json};

fn runs(log: &Value) -> &Vec<Value> {
    log["runs"].as_array().unwrap()
}

fn suppression(rule: &str, path: Option<&str>, expires: &str) -> CompiledSuppression {
    CompiledSuppression::compile(
        Suppression {
            fingerprint: None,
            rule: Some(rule.into()),
            path: path.map(str::to_owned),
            reason: "accepted in threat model TM-12".into(),
            owner: "team-platform".into(),
            expires: expires.into(),
        },
        None,
    )
    .unwrap()
}

#[test]
fn logs_of_one_tool_fold_into_one_run_with_rules_reindexed() {
    let fx = Fixture::new("zizmor", &[]);
    let (a, _) = convert_with(&fx, &["apply-patches.sarif"], None, &options());
    let (b, _) = convert_with(&fx, &["audit-branch-ci.sarif"], None, &options());
    let (merged, summary) = convert_with(
        &fx,
        &["apply-patches.sarif", "audit-branch-ci.sarif"],
        None,
        &options(),
    );
    schema_ok(&merged);
    assert_eq!(runs(&merged).len(), 1);
    assert_eq!(summary.runs.len(), 1);
    assert_eq!(
        results(&merged).len(),
        results(&a).len() + results(&b).len()
    );
    let rules: Vec<&str> = runs(&merged)[0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let mut unique = rules.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), rules.len(), "rules are a union: {rules:?}");
    assert!(rules.contains(&"zizmor/secrets-outside-env"));
    assert_eq!(runs(&merged)[0]["invocations"].as_array().unwrap().len(), 2);
    // zizmor writes bare relative URIs: they are marked relative to the checkout.
    for r in results(&merged) {
        let a = &r["locations"][0]["physicalLocation"]["artifactLocation"];
        assert!(a["uri"].as_str().unwrap().starts_with(".github/workflows/"));
    }
}

#[test]
fn ruff_sarif_and_ruff_json_are_one_tool_and_dedupe_to_one_set() {
    let fx = Fixture::new("python", &[]);
    let (json_only, _) = convert_with(&fx, &["ruff.json"], None, &options());
    let (both, summary) = convert_with(&fx, &["ruff.json", "ruff.sarif"], None, &options());
    schema_ok(&both);
    assert_eq!(runs(&both).len(), 1, "`Ruff` and `ruff` are one tool");
    let n = results(&json_only).len();
    let (sarif_only, _) = convert_with(&fx, &["ruff.sarif"], None, &options());
    assert_eq!(results(&sarif_only).len(), n);
    // Ruff's SARIF has absolute file:// URIs inside the root: made relative.
    for r in results(&sarif_only) {
        let a = &r["locations"][0]["physicalLocation"]["artifactLocation"];
        assert!(a["uri"].as_str().unwrap().starts_with("pkg/"), "{a}");
        assert_eq!(a["uriBaseId"], "%SRCROOT%");
    }
    // The two forms of the same results fingerprint the same (same rule, file and source line).
    let fps = |l: &Value| {
        let mut v: Vec<String> = results(l)
            .iter()
            .map(|r| r["partialFingerprints"]["ciIntelFingerprint/v1"].to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(fps(&json_only), fps(&sarif_only));
    // Same rule, fingerprint, place and message: duplicates once merged. Messages of the two
    // forms are identical in Ruff, so every result of the second input is a duplicate.
    assert_eq!(summary.runs[0].duplicates, n);
    assert_eq!(results(&both).len(), n);

    let mut keep = options();
    keep.dedupe = false;
    let (kept, summary) = convert_with(&fx, &["ruff.json", "ruff.sarif"], None, &keep);
    schema_ok(&kept);
    assert_eq!(results(&kept).len(), 2 * n);
    assert_eq!(summary.runs[0].duplicates, 0);
    let mut all = fps(&kept);
    let before = all.len();
    all.dedup();
    assert_eq!(
        all.len(),
        before,
        "kept duplicates get numbered fingerprints"
    );
}

#[test]
fn categories_stay_separate_runs() {
    let fx = Fixture::new("zizmor", &[]);
    let mut a: Value = serde_json::from_str(&fx.read("apply-patches.sarif")).unwrap();
    let mut b: Value = serde_json::from_str(&fx.read("audit-branch-ci.sarif")).unwrap();
    a["runs"][0]["automationDetails"] = json!({"id": "workflows/push/"});
    b["runs"][0]["automationDetails"] = json!({"id": "workflows/pr/"});
    std::fs::write(fx.root.join("a.sarif"), a.to_string()).unwrap();
    std::fs::write(fx.root.join("b.sarif"), b.to_string()).unwrap();
    let (log, summary) = convert_with(&fx, &["a.sarif", "b.sarif"], None, &options());
    schema_ok(&log);
    assert_eq!(runs(&log).len(), 2);
    assert_eq!(
        summary
            .runs
            .iter()
            .map(|r| r.category.clone().unwrap())
            .collect::<Vec<_>>(),
        ["workflows/push/", "workflows/pr/"]
    );
}

#[test]
fn artifact_and_rule_indexes_are_resolved_before_merging() {
    let fx = Fixture::new("python", &[]);
    // A tool that writes `artifacts` and indexes (as the SARIF SDK does).
    let indexed = |first_rule: &str| {
        json!({
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {"name": "indexer", "rules": [
                    {"id": first_rule, "shortDescription": {"text": "first"}},
                    {"id": "R2", "fullDescription": {"text": "second rule"}, "helpUri": "https://example.com/r2"}
                ]}},
                "artifacts": [{"location": {"uri": format!("file://{}/pkg/app.py", fx.root.display())}}],
                "results": [{
                    "ruleIndex": 1,
                    "message": {"text": "m"},
                    "locations": [{"physicalLocation": {"artifactLocation": {"index": 0}, "region": {"startLine": 9}}}]
                }]
            }]
        })
    };
    std::fs::write(fx.root.join("one.sarif"), indexed("R1").to_string()).unwrap();
    std::fs::write(fx.root.join("two.sarif"), indexed("R0").to_string()).unwrap();
    let (log, _) = convert_with(&fx, &["one.sarif", "two.sarif"], None, &options());
    schema_ok(&log);
    let run = &runs(&log)[0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 3, "R1, R2, R0");
    for r in results(&log) {
        assert_eq!(r["ruleId"], "R2");
        let loc = &r["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(loc["uri"], "pkg/app.py");
        assert!(
            loc.get("index").is_none(),
            "no index into a dropped artifacts list"
        );
    }
    let r2 = rules.iter().find(|r| r["id"] == "R2").unwrap();
    assert_eq!(r2["shortDescription"]["text"], "second rule");
    assert!(
        r2["help"]["text"]
            .as_str()
            .unwrap()
            .contains("https://example.com/r2")
    );
    // Same rule, same line, same message twice: one is a duplicate.
    assert_eq!(results(&log).len(), 1);
}

#[test]
fn live_suppressions_mark_expired_ones_become_findings() {
    let fx = Fixture::new("python", &[]);
    let mut opts = options();
    opts.suppressions = vec![
        suppression("B602", Some("pkg/**"), "2027-01-31"),
        suppression("bandit/B301", None, "2026-11-01"),
    ];
    let (log, summary) = convert_with(&fx, &["bandit.json"], None, &opts);
    schema_ok(&log);
    let all = results(&log);
    let b602 = all.iter().find(|r| r["ruleId"] == "B602").unwrap();
    assert_eq!(b602["suppressions"][0]["kind"], "external");
    assert_eq!(b602["suppressions"][0]["status"], "accepted");
    let why = b602["suppressions"][0]["justification"].as_str().unwrap();
    assert!(
        why.contains("TM-12") && why.contains("team-platform") && why.contains("2027-01-31"),
        "{why}"
    );
    // The expired one suppresses nothing and is reported by ci-intel itself.
    let b301 = all.iter().find(|r| r["ruleId"] == "B301").unwrap();
    assert!(b301.get("suppressions").is_none());
    assert_eq!(summary.expired_suppressions, 1);
    let own = runs(&log)
        .iter()
        .find(|r| r["tool"]["driver"]["name"] == "ci-intel")
        .expect("a ci-intel run");
    assert_eq!(own["results"][0]["ruleId"], "ci-intel/expired-suppression");
    let bandit = summary.runs.iter().find(|r| r.tool == "bandit").unwrap();
    assert_eq!(bandit.suppressed, 1);
    assert_eq!(bandit.errors, 0, "the only error was suppressed");

    opts.drop_suppressed = true;
    let (dropped, summary) = convert_with(&fx, &["bandit.json"], None, &opts);
    schema_ok(&dropped);
    assert!(results(&dropped).iter().all(|r| r["ruleId"] != "B602"));
    assert_eq!(
        summary
            .runs
            .iter()
            .find(|r| r.tool == "bandit")
            .unwrap()
            .suppressed,
        1
    );
}

#[test]
fn a_path_glob_limits_a_rule_suppression() {
    let fx = Fixture::new("python", &[]);
    let mut opts = options();
    opts.suppressions = vec![suppression("B602", Some("tests/**"), "2027-01-31")];
    let (log, summary) = convert_with(&fx, &["bandit.json"], None, &opts);
    let b602 = results(&log)
        .into_iter()
        .find(|r| r["ruleId"] == "B602")
        .unwrap();
    assert!(b602.get("suppressions").is_none());
    assert_eq!(summary.runs[0].errors, 1);
}

#[test]
fn a_baseline_separates_new_from_known_results() {
    let fx = Fixture::new("python", &[]);
    let (before, _) = convert_with(&fx, &["flake8.txt"], None, &options());
    let baseline = Baseline {
        schema: Baseline::SCHEMA.into(),
        fingerprints: results(&before)
            .iter()
            .map(|r| {
                r["partialFingerprints"]["ciIntelFingerprint/v1"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect(),
    };
    // A new result appears; the others moved down two lines (fingerprints follow the code).
    let src = fx.read("pkg/app.py");
    std::fs::write(fx.root.join("pkg/app.py"), format!("\n\n{src}")).unwrap();
    let moved: String = fx
        .read("flake8.txt")
        .lines()
        .map(|l| {
            let mut parts = l.splitn(3, ':');
            let (path, line, rest) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
            );
            format!("{path}:{}:{rest}\n", line.parse::<u32>().unwrap() + 2)
        })
        .collect::<String>()
        + "pkg/app.py:1:1: W391 blank line at end of file\n";
    std::fs::write(fx.root.join("after.txt"), moved).unwrap();
    let mut opts = options();
    opts.baseline = Some(baseline);
    let (after, summary) = convert_with(&fx, &["after.txt"], None, &opts);
    schema_ok(&after);
    let states: Vec<(String, String)> = results(&after)
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_owned(),
                r["baselineState"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        states.iter().filter(|s| s.1 == "new").collect::<Vec<_>>(),
        [&("W391".to_owned(), "new".to_owned())]
    );
    assert_eq!(summary.runs[0].baselined, 10);
    assert_eq!(summary.runs[0].at_least(ci_intel_core::Severity::Note), 1);
}

#[test]
fn bad_logs_are_refused_with_what_was_expected() {
    let fx = Fixture::new("python", &[]);
    let mut bundle = ci_intel_sarif::Bundle::new(&fx.root);
    for (text, expected) in [
        (r#"{"version": "2.0.0", "runs": []}"#, "2.1.0"),
        (r#"{"version": "2.1.0"}"#, "runs"),
        (
            r#"{"version": "2.1.0", "runs": [{"tool": {}}]}"#,
            "tool.driver.name",
        ),
        (
            r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": {}}]}"#,
            "results",
        ),
        ("", "--from"),
        ("hello world\n", "--from"),
    ] {
        let e = bundle.add_input(text, None, "x").unwrap_err();
        assert!(e.message.contains(expected), "{text}: {}", e.message);
    }
    // A format forced with --from that does not fit names the line.
    let e = bundle
        .add_input("{\"a\": 1}\nnot json\n", ci_intel_sarif::find("mypy"), "x")
        .unwrap_err();
    assert!(e.position.is_some(), "{e:?}");
}

#[test]
fn extension_rules_keep_pointing_at_their_extension() {
    let fx = Fixture::new("python", &[]);
    let log = json!({
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {"name": "host", "rules": [{"id": "D", "shortDescription": {"text": "d"}}]},
                "extensions": [{"name": "plug", "rules": [
                    {"id": "X", "shortDescription": {"text": "x"}},
                    {"id": "Y", "shortDescription": {"text": "y"}}
                ]}]
            },
            "results": [
                {"message": {"text": "m"}, "rule": {"index": 1, "toolComponent": {"index": 0}}},
                {"message": {"text": "n"}, "ruleIndex": 0}
            ]
        }]
    });
    std::fs::write(fx.root.join("ext.sarif"), log.to_string()).unwrap();
    let (out, _) = convert_with(&fx, &["ext.sarif"], None, &options());
    let all = results(&out);
    assert_eq!(all[0]["ruleId"], "Y");
    assert_eq!(all[0]["rule"]["index"], 1);
    assert_eq!(
        all[0]["rule"]["toolComponent"],
        json!({"name": "plug", "index": 0})
    );
    assert!(
        all[0].get("ruleIndex").is_none(),
        "not an index into the driver's rules"
    );
    assert_eq!(all[1]["ruleId"], "D");
    assert_eq!(all[1]["ruleIndex"], 0);
}
