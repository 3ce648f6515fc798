//! The audit on the 156 real workflows of the shared corpus: every file parses, nothing panics,
//! and the findings per rule stay what they were when last reviewed (`bench/RESULTS.md` compares
//! them with zizmor's, difference by difference). A change in these counts must be deliberate.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

use std::collections::BTreeMap;
use std::path::Path;

use ci_intel_audit::{AuditConfig, audit_files, discover};
use ci_intel_core::testsupport;

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn real_workflows_parse_and_findings_are_stable() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let Some(corpus) = testsupport::corpus(&root) else {
        return;
    };
    let inputs = discover(&corpus.join("workflows"));
    assert_eq!(inputs.len(), 156);
    let (run, errors) = audit_files(&inputs, &AuditConfig::default());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(run.files, 156);
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    for f in &run.findings {
        *by_rule.entry(f.rule_id.clone()).or_default() += 1;
        let loc = f.location.as_ref().unwrap();
        assert!(loc.start_line >= 1 && loc.start_column.unwrap_or(1) >= 1);
    }
    let expected: BTreeMap<String, usize> =
        serde_json::from_str(include_str!("corpus-counts.json")).unwrap();
    assert_eq!(
        by_rule, expected,
        "per-rule counts on the corpus changed; review the differences and update tests/corpus-counts.json"
    );
}
