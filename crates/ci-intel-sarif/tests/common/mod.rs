//! Shared by the integration tests: fixtures copied into a temporary repository, conversion
//! through the bundle, and the official schema check.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use ci_intel_sarif::{Bundle, BundleOptions, Summary};
use serde_json::Value;

/// A fixture directory copied into a fresh temporary root. Files named `*.tmpl` lose the suffix
/// (`env.tmpl` becomes `.env`); in every file `@ROOT@` becomes the root's absolute path and each
/// `(from, to)` substitution is applied, so planted secrets are assembled at run time and never
/// sit in the repository.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub root: PathBuf,
}

impl Fixture {
    pub fn new(name: &str, subs: &[(&str, &str)]) -> Self {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        copy(&src, &root, &root, subs);
        Self { dir, root }
    }

    pub fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.root.join(file)).unwrap()
    }
}

fn copy(from: &Path, to: &Path, root: &Path, subs: &[(&str, &str)]) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().unwrap().is_dir() {
            copy(&entry.path(), &to.join(&name), root, subs);
            continue;
        }
        let target = match name.strip_suffix(".tmpl") {
            Some("env") => ".env".to_owned(),
            Some(stem) => stem.to_owned(),
            None => name,
        };
        let bytes = std::fs::read(entry.path()).unwrap();
        let out = match String::from_utf8(bytes) {
            Ok(mut text) => {
                text = text.replace("@ROOT@", &root.display().to_string());
                for (a, b) in subs {
                    text = text.replace(a, b);
                }
                text.into_bytes()
            }
            Err(e) => e.into_bytes(),
        };
        std::fs::write(to.join(target), out).unwrap();
    }
}

pub fn options() -> BundleOptions {
    BundleOptions {
        dedupe: true,
        suppressions: Vec::new(),
        baseline: None,
        today: time::macros::date!(2026 - 11 - 23),
        drop_suppressed: false,
        version: "0.0.0-test".into(),
    }
}

/// Converts `file` of the fixture (format detected unless `from`) into a bundle.
pub fn convert(fx: &Fixture, file: &str, from: Option<&str>) -> (Value, Summary) {
    convert_with(fx, &[file], from, &options())
}

pub fn convert_with(
    fx: &Fixture,
    files: &[&str],
    from: Option<&str>,
    opts: &BundleOptions,
) -> (Value, Summary) {
    let mut bundle = Bundle::new(&fx.root);
    let converter = from.map(|id| ci_intel_sarif::find(id).unwrap());
    for file in files {
        bundle
            .add_input(&fx.read(file), converter, file)
            .unwrap_or_else(|e| panic!("{file}: {e:?}"));
    }
    bundle.finish(opts)
}

/// Every result of every run.
pub fn results(log: &Value) -> Vec<Value> {
    log["runs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["results"].as_array().cloned().unwrap_or_default())
        .collect()
}

pub fn rule_ids(log: &Value) -> Vec<String> {
    log["runs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r["tool"]["driver"]["rules"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect()
}

/// Asserts `log` is valid SARIF 2.1.0 per the official schema, and meets what GitHub code
/// scanning additionally requires of each result.
pub fn schema_ok(log: &Value) {
    let v = ci_intel_sarif::official_schema::violations(log, env!("CARGO_MANIFEST_DIR"));
    assert!(v.is_empty(), "schema violations: {v:#?}");
    for run in log["runs"].as_array().unwrap() {
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        for rule in rules {
            assert!(
                rule["help"]["text"].is_string(),
                "rule without help: {rule}"
            );
            assert!(rule["shortDescription"]["text"].is_string());
        }
        for r in run["results"].as_array().unwrap() {
            assert!(
                r["partialFingerprints"]["ciIntelFingerprint/v1"].is_string(),
                "{r}"
            );
            let index = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(
                rules[index]["id"], r["ruleId"],
                "ruleIndex points at its rule"
            );
            for loc in r["locations"].as_array().into_iter().flatten() {
                let a = &loc["physicalLocation"]["artifactLocation"];
                let uri = a["uri"].as_str().unwrap();
                assert!(
                    !uri.starts_with('/') && !uri.starts_with("file:"),
                    "absolute URI {uri}"
                );
                assert_eq!(a["uriBaseId"], "%SRCROOT%");
            }
        }
    }
}
