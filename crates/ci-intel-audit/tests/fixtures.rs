//! Each fixture marks the lines that must be flagged with `# expect[rule-id]: severity`. For
//! every rule a fixture mentions, the audit must report exactly those lines with exactly those
//! severities: a missing finding or an extra one fails.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use ci_intel_audit::{AuditConfig, audit_source};
use ci_intel_core::finding::Severity;

fn fixtures() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    for e in walk(&dir) {
        if e.extension().is_some_and(|x| x == "yml") {
            out.push(e);
        }
    }
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

type Expected = BTreeMap<String, BTreeSet<(u32, String)>>;

fn expectations(text: &str) -> Expected {
    let mut out: Expected = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("expect[") {
            let tail = &rest[at + 7..];
            let Some(close) = tail.find("]: ") else { break };
            let rule = tail[..close].to_owned();
            let sev: String = tail[close + 3..]
                .chars()
                .take_while(char::is_ascii_alphabetic)
                .collect();
            out.entry(rule).or_default().insert((i as u32 + 1, sev));
            rest = &tail[close..];
        }
    }
    out
}

fn sev(s: Severity) -> String {
    s.as_str().to_owned()
}

#[test]
fn every_fixture_reports_exactly_its_expected_findings() {
    let fixtures = fixtures();
    assert!(fixtures.len() >= 10, "fixtures found: {fixtures:?}");
    let mut failures = Vec::new();
    for path in &fixtures {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (findings, _, _) =
            audit_source(path, &name, &text, None, &AuditConfig::default()).unwrap();
        for (rule, want) in expectations(&text) {
            let got: BTreeSet<(u32, String)> = findings
                .iter()
                .filter(|f| f.rule_id == rule)
                .map(|f| (f.location.as_ref().unwrap().start_line, sev(f.severity)))
                .collect();
            if got != want {
                failures.push(format!(
                    "{name} [{rule}]\n  expected {want:?}\n  got      {got:?}\n  messages: {:#?}",
                    findings
                        .iter()
                        .filter(|f| f.rule_id == rule)
                        .map(|f| &f.message)
                        .collect::<Vec<_>>()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_hardened_workflow_has_no_errors_or_warnings() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hardened.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let (findings, _, _) =
        audit_source(&path, "hardened.yml", &text, None, &AuditConfig::default()).unwrap();
    let serious: Vec<_> = findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .collect();
    assert!(serious.is_empty(), "{serious:#?}");
}

#[test]
fn findings_point_at_the_expression_column() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/template-injection.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let (findings, _, _) =
        audit_source(&path, "t.yml", &text, None, &AuditConfig::default()).unwrap();
    let f = findings
        .iter()
        .find(|f| f.message.contains("github.event.issue.title }}"))
        .unwrap();
    let loc = f.location.as_ref().unwrap();
    let line = text.lines().nth(loc.start_line as usize - 1).unwrap();
    let col = loc.start_column.unwrap() as usize;
    assert!(
        line[col - 1..].starts_with("${{ github.event.issue.title }}"),
        "{line} @ {col}"
    );
}

#[test]
fn trusted_owners_and_allowed_triggers_are_honoured() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/unpinned-uses.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let config = AuditConfig {
        trusted_owners: vec!["actions".into(), "someone/action".into()],
        allowed_dangerous_triggers: vec!["**/dangerous-*.yml".into()],
        disabled: vec![],
    };
    let (findings, _, _) = audit_source(&path, "u.yml", &text, None, &config).unwrap();
    let lines: Vec<u32> = findings
        .iter()
        .filter(|f| f.rule_id == "unpinned-uses")
        .map(|f| f.location.as_ref().unwrap().start_line)
        .collect();
    assert_eq!(
        lines,
        vec![15, 23],
        "only docker:// and org/workflows remain"
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dangerous-triggers.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let (findings, _, _) =
        audit_source(&path, "w/dangerous-triggers.yml", &text, None, &config).unwrap();
    assert!(findings.iter().all(|f| f.rule_id != "dangerous-triggers"));
}
