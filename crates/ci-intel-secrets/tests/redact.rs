//! `Redactor`: no planted secret survives, in any encoding, wherever it sits in the stream.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_cmp,
    clippy::unreadable_literal,
    reason = "tests fail loudly on unexpected errors and compare exact values"
)]

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use ci_intel_secrets::RuleSet;
use ci_intel_secrets::redact::{MAX_LINE, Redactor};

fn run(r: &Redactor<'_>, input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    r.stream(input, &mut out).unwrap();
    out
}

#[test]
fn a_secret_across_the_cut_of_an_overlong_line_is_masked() {
    let value = "0v3rl0ng-Secret-Value-77";
    let r = Redactor::new(RuleSet::builtin(), &[value.to_owned()]);
    for offset in [
        MAX_LINE - 4096 - 10,
        MAX_LINE - 4096,
        MAX_LINE - 5,
        MAX_LINE + 1,
        2 * MAX_LINE,
    ] {
        let mut line = "x".repeat(offset);
        line.push_str(value);
        line.push_str(&"y".repeat(100));
        line.push('\n');
        let out = run(&r, line.as_bytes());
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains(value), "leaked at offset {offset}");
        assert!(text.contains("***"));
        assert_eq!(
            text.len(),
            line.len() - value.len() + 3,
            "nothing else changed"
        );
    }
}

#[test]
fn lines_without_secrets_pass_unchanged() {
    let r = Redactor::new(RuleSet::builtin(), &["n0t-in-th3-input".to_owned()]);
    let input = b"hello\nworld without newline";
    assert_eq!(run(&r, input), input);
}

proptest::proptest! {
    #[test]
    fn no_planted_secret_survives(
        prefix in "[ -~]{0,40}",
        suffix in "[ -~]{0,40}",
        secret in "[A-Za-z0-9+/=_.!-]{12,40}",
        shift in 0usize..3,
    ) {
        let r = Redactor::new(RuleSet::builtin(), std::slice::from_ref(&secret));
        let pad = &"abc"[..shift];
        let b64 = STANDARD.encode(format!("{pad}{secret}"));
        let b64url = URL_SAFE.encode(format!("{pad}{secret}"));
        let input = format!("{prefix}{secret}{suffix}\n{prefix} {b64} {suffix}\n{b64url}\n");
        let out = String::from_utf8(run(&r, input.as_bytes())).unwrap();
        proptest::prop_assert!(!out.contains(&secret), "plain: {out}");
        // The part of the encoding made of the secret's bits alone is gone.
        let inner = &b64[4..b64.len() - 4];
        proptest::prop_assert!(!out.contains(inner), "base64: {inner} in {out}");
        let inner = &b64url[4..b64url.len() - 4];
        proptest::prop_assert!(!out.contains(inner), "base64url: {inner} in {out}");
    }
}
