//! Converters on real tool outputs (captured from pylint 4.1, flake8 7.5, mypy 2.4, bandit 1.9,
//! Ruff 0.17, ESLint 9, clippy 1.95 and gitleaks 8.28 run over the sources next to them; the
//! TruffleHog sample follows its documented JSON layout). Every log must satisfy the official
//! SARIF 2.1.0 schema.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

mod common;

use common::{Fixture, convert, results, rule_ids, schema_ok};
use serde_json::Value;

/// (ruleId, level, uri, startLine, startColumn, endColumn) of every result.
/// (rule, level, file, line, column, end column) of one result.
type Place = (String, String, String, u64, Option<u64>, Option<u64>);

fn places(log: &Value) -> Vec<Place> {
    results(log)
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap_or_default().to_owned(),
                r["level"].as_str().unwrap_or_default().to_owned(),
                loc["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                loc["region"]["startLine"].as_u64().unwrap_or(0),
                loc["region"]["startColumn"].as_u64(),
                loc["region"]["endColumn"].as_u64(),
            )
        })
        .collect()
}

fn find<'a>(
    places: &'a [Place],
    rule: &str,
) -> &'a (String, String, String, u64, Option<u64>, Option<u64>) {
    places
        .iter()
        .find(|p| p.0 == rule)
        .unwrap_or_else(|| panic!("no result of {rule} in {places:#?}"))
}

const UNICODE_MOD: &str = "pkg/%C3%BCn%C3%AFcode_mod.py";

#[test]
fn pylint_json_and_json2_agree_and_count_columns_in_characters() {
    let fx = Fixture::new("python", &[]);
    let (log, _) = convert(&fx, "pylint.json", Some("pylint"));
    let (log2, _) = convert(&fx, "pylint2.json", None);
    schema_ok(&log);
    schema_ok(&log2);
    assert_eq!(
        places(&log),
        places(&log2),
        "json and json2 describe the same run"
    );
    let p = places(&log);
    assert_eq!(p.len(), 16);
    assert_eq!(log["runs"][0]["tool"]["driver"]["name"], "pylint");
    // Symbols are the rule ids users write in `# pylint: disable=`.
    assert!(rule_ids(&log).contains(&"no-value-for-parameter".to_owned()));
    let e = find(&p, "no-value-for-parameter");
    assert_eq!(e.1, "error");
    assert_eq!(e.2, UNICODE_MOD);
    // pylint says column 13..28 in UTF-8 bytes; `héllo` has a two-byte `é`, so `yaml.load(text)`
    // starts at character 13 (1-based) and ends before character 28.
    assert_eq!((e.3, e.4, e.5), (5, Some(13), Some(28)));
    let n = find(&p, "non-ascii-name");
    assert_eq!((n.4, n.5), (Some(5), Some(10)), "`héllo` is 5 characters");
    let rule = &log["runs"][0]["tool"]["driver"]["rules"][0];
    assert!(
        rule["helpUri"]
            .as_str()
            .unwrap()
            .starts_with("https://pylint")
    );
    assert!(
        rule["help"]["text"]
            .as_str()
            .unwrap()
            .contains("pylint: disable=")
    );
}

#[test]
fn flake8_text_maps_codes_to_levels() {
    let fx = Fixture::new("python", &[]);
    let (log, _) = convert(&fx, "flake8.txt", None);
    schema_ok(&log);
    let p = places(&log);
    assert_eq!(p.len(), 10);
    assert_eq!(
        find(&p, "F821").1,
        "error",
        "undefined names break at run time"
    );
    assert_eq!(find(&p, "F401").1, "warning");
    assert_eq!(find(&p, "E302").1, "note");
    assert_eq!(
        p.iter().filter(|x| x.0 == "F401").count(),
        2,
        "two unused imports on one line stay two results"
    );
    let all = results(&log);
    let fps: Vec<&str> = all
        .iter()
        .filter(|r| r["ruleId"] == "F401")
        .map(|r| {
            r["partialFingerprints"]["ciIntelFingerprint/v1"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_ne!(
        fps[0], fps[1],
        "same line, same rule: numbered fingerprints"
    );
}

#[test]
fn mypy_text_and_json_lines_agree() {
    let fx = Fixture::new("python", &[]);
    let (cols, _) = convert(&fx, "mypy-cols.txt", Some("mypy"));
    let (jsonl, _) = convert(&fx, "mypy.jsonl", None);
    let (plain, _) = convert(&fx, "mypy.txt", None);
    for l in [&cols, &jsonl, &plain] {
        schema_ok(l);
    }
    assert_eq!(places(&cols), places(&jsonl));
    let p = places(&cols);
    assert_eq!(p.len(), 4, "notes join the error they belong to");
    let ret = find(&p, "return-value");
    // `return "done"`: the string literal is columns 12..17 inclusive.
    assert_eq!((ret.3, ret.4, ret.5), (15, Some(12), Some(18)));
    let stubs = results(&cols)
        .iter()
        .find(|r| r["ruleId"] == "import-untyped")
        .unwrap()
        .clone();
    assert!(
        stubs["message"]["text"]
            .as_str()
            .unwrap()
            .contains("types-PyYAML"),
        "the hint note is part of the message"
    );
    // Without --show-column-numbers only lines are known.
    assert!(places(&plain).iter().all(|x| x.4.is_none()));
    assert_eq!(
        places(&plain).iter().map(|x| x.3).collect::<Vec<_>>(),
        p.iter().map(|x| x.3).collect::<Vec<_>>()
    );
}

#[test]
fn bandit_carries_cwe_and_security_severity() {
    let fx = Fixture::new("python", &[]);
    let (log, _) = convert(&fx, "bandit.json", None);
    schema_ok(&log);
    let p = places(&log);
    assert_eq!(p.len(), 7);
    assert_eq!(log["runs"][0]["tool"]["driver"]["version"], "1.9.4");
    assert_eq!(find(&p, "B602").1, "error", "shell=True with HIGH severity");
    let b506 = find(&p, "B506");
    assert_eq!(b506.2, UNICODE_MOD);
    assert_eq!(
        b506.4,
        Some(13),
        "byte column 13 is character 13 after `héllo = `"
    );
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let b602 = rules.iter().find(|r| r["id"] == "B602").unwrap();
    let score: f64 = b602["properties"]["security-severity"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(score >= 7.0, "{b602}");
    let tags = b602["properties"]["tags"].to_string();
    assert!(
        tags.contains("external/cwe/cwe-78") && tags.contains("security"),
        "code scanning's CWE tag form: {tags}"
    );
}

#[test]
fn ruff_absolute_paths_become_relative() {
    let fx = Fixture::new("python", &[]);
    let (log, _) = convert(&fx, "ruff.json", None);
    schema_ok(&log);
    let p = places(&log);
    assert_eq!(p.len(), 35);
    assert!(
        p.iter().all(|x| x.2.starts_with("pkg/")),
        "no absolute path survives: {p:?}"
    );
    for r in results(&log) {
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"],
            "%SRCROOT%"
        );
    }
    assert_eq!(log["runs"][0]["tool"]["driver"]["name"], "Ruff");
    let s608 = rule_ids(&log);
    assert!(s608.contains(&"S602".to_owned()), "{s608:?}");
}

#[test]
fn eslint_json_suppressed_messages_and_parse_errors() {
    let fx = Fixture::new("eslint", &[]);
    let (log, _) = convert(&fx, "eslint.json", None);
    let (meta, _) = convert(&fx, "eslint-meta.json", None);
    schema_ok(&log);
    schema_ok(&meta);
    assert_eq!(places(&log), places(&meta));
    let p = places(&log);
    assert_eq!(
        p.len(),
        8,
        "6 problems, 1 parse error, 1 suppressed: {p:#?}"
    );
    assert_eq!(find(&p, "no-var").1, "warning");
    assert_eq!(find(&p, "eqeqeq").1, "error");
    let fatal = p.iter().find(|x| x.2 == "src/broken.js").unwrap();
    assert_eq!(fatal.1, "error", "a file ESLint cannot parse is an error");
    let all = results(&log);
    let suppressed: Vec<&Value> = all
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["ruleId"], "no-console");
    assert_eq!(suppressed[0]["suppressions"][0]["kind"], "inSource");
    // With metadata, rules get ESLint's own descriptions and docs.
    let rules = meta["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let eq = rules.iter().find(|r| r["id"] == "eqeqeq").unwrap();
    assert!(
        eq["helpUri"].as_str().unwrap().contains("eslint.org"),
        "{eq}"
    );
}

#[test]
fn clippy_messages_keep_lint_names_and_explanations() {
    let fx = Fixture::new("cargo", &[]);
    let (log, _) = convert(&fx, "clippy.jsonl", None);
    schema_ok(&log);
    let p = places(&log);
    assert_eq!(p.len(), 3, "{p:#?}");
    let ptr = find(&p, "clippy::ptr_arg");
    assert_eq!((ptr.2.as_str(), ptr.3), ("src/lib.rs", 1));
    assert_eq!(ptr.1, "warning");
    let unused = find(&p, "unused_variables");
    assert_eq!((unused.3, unused.4, unused.5), (6, Some(9), Some(15)));
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let r = rules.iter().find(|r| r["id"] == "clippy::ptr_arg").unwrap();
    assert!(
        r["helpUri"]
            .as_str()
            .unwrap()
            .contains("rust-clippy/master/index.html#ptr_arg"),
        "{r}"
    );

    let (err, _) = convert(&fx, "rustc-error.jsonl", None);
    schema_ok(&err);
    let p = places(&err);
    let e = find(&p, "E0308");
    assert_eq!(e.1, "error");
    let rules = err["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let e0308 = rules.iter().find(|r| r["id"] == "E0308").unwrap();
    assert!(e0308["helpUri"].as_str().unwrap().contains("E0308"));
    assert!(
        !p.iter().any(|x| x.0.is_empty()),
        "the `For more information` failure-note is not a result"
    );
}

const GITHUB: &str = concat!("ghp_", "R8mQ2vX7kLp4Tz9aBn3Wc6Yd1Hf5Js0Ge2Ku");
const AWS: &str = concat!("AKIA", "QX7P3LMZ2RT5WN4K");
const SLACK: &str = concat!("xoxb-", "2418531296-4820713384512-9fQzLkP3mRtW8yVbN2xHc7Jd");
const STRIPE: &str = concat!("sk_live_", "51Hq7LmP2xRtY8vBn3WcK6dZ");
const PG: &str = concat!(
    "postgres://app:",
    "s3cr3t-Pa55w0rd",
    "@db.internal:5432/app"
);

#[test]
fn gitleaks_results_never_contain_the_secret() {
    let fx = Fixture::new(
        "gitleaks",
        &[
            ("{{GITHUB}}", GITHUB),
            ("{{AWS}}", AWS),
            ("{{SLACK}}", SLACK),
            ("{{STRIPE}}", STRIPE),
        ],
    );
    let (log, _) = convert(&fx, "gitleaks.json", None);
    schema_ok(&log);
    let text = log.to_string();
    for secret in [GITHUB, AWS, SLACK, STRIPE] {
        assert!(!text.contains(secret), "secret leaked into the log");
    }
    let p = places(&log);
    assert_eq!(p.len(), 4);
    let gh = find(&p, "github-pat");
    assert_eq!((gh.2.as_str(), gh.3), ("proj/config.py", 3));
    assert_eq!(find(&p, "stripe-access-token").2, "proj/.env");
    // The fingerprint follows the secret, not the line: moving it keeps the alert.
    let fx2 = Fixture::new(
        "gitleaks",
        &[
            ("{{GITHUB}}", GITHUB),
            ("{{AWS}}", AWS),
            ("{{SLACK}}", SLACK),
            ("{{STRIPE}}", STRIPE),
            ("\"StartLine\": 3,", "\"StartLine\": 30,"),
        ],
    );
    let (moved, _) = convert(&fx2, "gitleaks.json", None);
    let fp = |l: &Value| {
        results(l)
            .iter()
            .find(|r| r["ruleId"] == "github-pat")
            .unwrap()["partialFingerprints"]
            .clone()
    };
    assert_eq!(fp(&log), fp(&moved));
}

#[test]
fn trufflehog_skips_log_lines_and_marks_verified_secrets() {
    let fx = Fixture::new("trufflehog", &[("{{AWS}}", AWS), ("{{PG}}", PG)]);
    let (log, summary) = convert(&fx, "trufflehog.jsonl", None);
    schema_ok(&log);
    let text = log.to_string();
    assert!(!text.contains(AWS) && !text.contains("s3cr3t-Pa55w0rd"));
    let p = places(&log);
    assert_eq!(p.len(), 2);
    let aws = find(&p, "AWS");
    assert_eq!(
        (aws.1.as_str(), aws.2.as_str(), aws.3),
        ("error", "proj/settings.ini", 2),
        "verified → error, absolute path made relative"
    );
    let pg = find(&p, "Postgres");
    assert_eq!(pg.1, "warning");
    let msg = results(&log)
        .iter()
        .find(|r| r["ruleId"] == "Postgres")
        .unwrap()["message"]["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        msg.contains("9b1f0a7"),
        "git source names the commit: {msg}"
    );
    assert!(
        summary.notes.is_empty(),
        "log lines are expected, not noted"
    );
}

#[test]
fn detection_names_each_format() {
    let fx = Fixture::new("python", &[]);
    for (file, tool) in [
        ("pylint.json", "pylint"),
        ("pylint2.json", "pylint"),
        ("flake8.txt", "flake8"),
        ("mypy.txt", "mypy"),
        ("mypy.jsonl", "mypy"),
        ("bandit.json", "bandit"),
        ("ruff.json", "ruff"),
    ] {
        let text = fx.read(file);
        let sample = ci_intel_sarif::convert::Sample::new(&text);
        let found = ci_intel_sarif::detect(&sample).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(found.id(), tool, "{file}");
    }
    let eslint = Fixture::new("eslint", &[]);
    let text = eslint.read("eslint.json");
    let sample = ci_intel_sarif::convert::Sample::new(&text);
    assert_eq!(ci_intel_sarif::detect(&sample).unwrap().id(), "eslint");
    let cargo = Fixture::new("cargo", &[]);
    let text = cargo.read("clippy.jsonl");
    let sample = ci_intel_sarif::convert::Sample::new(&text);
    assert_eq!(ci_intel_sarif::detect(&sample).unwrap().id(), "cargo");
}

#[test]
fn the_schema_check_rejects_an_invalid_log() {
    let bad = serde_json::json!({
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "x"}},
            "results": [{"message": {"text": "m"}, "level": "fatal",
                         "locations": [{"physicalLocation": {"region": {"startLine": 0}}}]}]
        }]
    });
    let v = ci_intel_sarif::official_schema::violations(&bad, env!("CARGO_MANIFEST_DIR"));
    assert!(v.iter().any(|m| m.contains("level")), "{v:#?}");
    assert!(v.iter().any(|m| m.contains("startLine")), "{v:#?}");
}
