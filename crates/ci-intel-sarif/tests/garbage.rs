//! Untrusted input never panics: arbitrary text, and real outputs cut or corrupted at any
//! point, through every converter (forced and detected) and the bundle.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

mod common;

use ci_intel_sarif::{Bundle, CONVERTERS};
use common::{Fixture, options};
use proptest::prelude::*;

/// Every way of reading `text`: detected, and forced through each converter.
fn feed_everywhere(root: &std::path::Path, text: &str) {
    let mut bundle = Bundle::new(root);
    let _ = bundle.add_input(text, None, "input");
    for c in CONVERTERS {
        let _ = bundle.add_input(text, Some(*c), "input");
    }
    let (log, _) = bundle.finish(&options());
    assert!(log["runs"].is_array());
}

const SAMPLES: &[(&str, &str)] = &[
    ("python", "pylint.json"),
    ("python", "pylint2.json"),
    ("python", "flake8.txt"),
    ("python", "mypy-cols.txt"),
    ("python", "mypy.jsonl"),
    ("python", "bandit.json"),
    ("python", "ruff.json"),
    ("python", "ruff.sarif"),
    ("eslint", "eslint-meta.json"),
    ("cargo", "clippy.jsonl"),
    ("zizmor", "apply-patches.sarif"),
];

#[test]
fn hostile_shapes_do_not_panic() {
    let fx = Fixture::new("python", &[]);
    for text in [
        "",
        "\0\0\0",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x","rules":7}},"results":[{"ruleIndex":99999999999999999999,"locations":[{"physicalLocation":{"artifactLocation":{"index":-1,"uri":"file:///../../etc/passwd"},"region":{"startLine":-5}}}]}]}]}"#,
        r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"},"extensions":[{"name":"e","rules":[{"id":"r"}]}]},"results":[{"rule":{"index":0,"toolComponent":{"index":5}},"message":{"text":"m"}}]}]}"#,
        "pkg/app.py:99999999999999999999:1: E1 x\n",
        "pkg/app.py:1:99999999999: F1 x\n",
        r#"[{"type":"error","path":"/","line":-1,"column":-1,"endLine":0,"endColumn":-3,"symbol":"s","message":"m","message-id":"E1"}]"#,
        r#"{"results":[{"filename":"../../x","line_number":0,"col_offset":-9,"test_id":"B1","issue_text":"t","issue_severity":"?","issue_confidence":"?","issue_cwe":{"id":"x"}}],"errors":[]}"#,
    ] {
        feed_everywhere(&fx.root, text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_text_does_not_panic(text in "\\PC{0,400}") {
        let fx = Fixture::new("python", &[]);
        feed_everywhere(&fx.root, &text);
    }

    #[test]
    fn cut_or_corrupted_real_outputs_do_not_panic(
        which in 0..SAMPLES.len(),
        cut in 0.0f64..1.0,
        at in 0.0f64..1.0,
        byte in any::<char>(),
    ) {
        let (dir, file) = SAMPLES[which];
        let fx = Fixture::new(dir, &[]);
        let text = fx.read(file);
        let chars: Vec<char> = text.chars().collect();
        let end = (chars.len() as f64 * cut) as usize;
        let mut corrupted: Vec<char> = chars[..end].to_vec();
        if !corrupted.is_empty() {
            let i = ((corrupted.len() - 1) as f64 * at) as usize;
            corrupted[i] = byte;
        }
        let corrupted: String = corrupted.into_iter().collect();
        feed_everywhere(&fx.root, &corrupted);
        let truncated: String = chars[..end].iter().collect();
        feed_everywhere(&fx.root, &truncated);
    }
}
