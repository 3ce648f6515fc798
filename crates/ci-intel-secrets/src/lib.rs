//! Secret detection and redaction.
//!
//! Rules are data (`rules/secrets.toml`): each a regex with the keywords its matches contain.
//! An Aho-Corasick automaton finds the keywords of every rule in one pass, and only the rules
//! whose keywords occur run their regex, so a clean file costs one automaton scan. Entropy
//! thresholds and allow-lists (documented example keys, placeholders, lockfiles) keep hashes,
//! UUIDs and examples out. A finding never carries the secret: only a short preview, its
//! length, and a fingerprint made from its hash.
//!
//! Sources: a tree ([`tree`]), every added line of the git history ([`history`]), and the
//! environment of this process or of every process ([`runtime`]). [`redact`] masks secrets in a
//! stream.

pub mod history;
pub mod redact;
pub mod rules;
pub mod runtime;
mod scan;
pub mod tree;

use ci_intel_core::finding::{Confidence, Finding, Location, Rule as RuleDoc, Severity};
use sha2::{Digest, Sha256};

pub use rules::{Rule, RuleSet};
pub use scan::{Hit, entropy};

/// The result of a scan.
#[derive(Debug, Default)]
pub struct ScanResult {
    pub files: u64,
    pub bytes: u64,
    /// Files not scanned, and why (binary, too large, unreadable).
    pub skipped: Vec<(String, String)>,
    pub findings: Vec<Finding>,
}

/// A short, safe preview of a secret: at most 4 characters and never more than a quarter of it.
pub fn preview(secret: &[u8]) -> String {
    let s = String::from_utf8_lossy(secret);
    let n = s.chars().count();
    let shown: String = s.chars().take((n / 4).min(4)).collect();
    format!("{shown}… ({n} characters)")
}

/// Hex SHA-256 of a secret: what identifies it in fingerprints and reports.
pub fn secret_hash(secret: &[u8]) -> String {
    hex::encode(Sha256::digest(secret))
}

/// Byte offset → 1-based (line, column) over a text, built once per text with hits.
#[derive(Debug)]
pub struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub fn new(text: &[u8]) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text).map(|i| i + 1));
        Self { starts }
    }

    pub fn position(&self, text: &[u8], offset: usize) -> (u32, u32) {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let col = String::from_utf8_lossy(&text[start..offset.min(text.len())])
            .chars()
            .count();
        (line as u32, col as u32 + 1)
    }
}

/// The finding for `hit` in `text`, at `path` (line numbers from `lines`, shifted by
/// `line_map` when the text is a concatenation of fragments).
pub fn finding(
    rules: &RuleSet,
    hit: &Hit<'_>,
    text: &[u8],
    path: &str,
    lines: &Lines,
    context: Option<&str>,
) -> Finding {
    let rule = rules.rules.iter().find(|r| r.id == hit.rule);
    let (name, severity, generic) = rule.map_or(("secret", Severity::Error, false), |r| {
        (r.name.as_str(), r.severity, r.generic)
    });
    let secret = &text[hit.start..hit.end];
    let (sl, sc) = lines.position(text, hit.start);
    let (el, ec) = lines.position(text, hit.end);
    let location = Location {
        path: path.to_owned(),
        start_line: sl,
        end_line: (el != sl).then_some(el),
        start_column: Some(sc),
        end_column: Some(ec),
    };
    let mut message = format!("{name}: {}", preview(secret));
    if let Some(c) = context {
        message.push_str(&format!(" ({c})"));
    }
    let confidence = if generic {
        Confidence::Medium
    } else {
        Confidence::High
    };
    Finding::new(
        "secrets",
        hit.rule,
        severity,
        message,
        Some(location),
        &secret_hash(secret),
    )
    .with_confidence(confidence)
    .with_help_uri(format!("https://ci-intel.dev/rules/secrets/{}", hit.rule))
}

/// The rules as documentation entries (for SARIF and the generated rule list).
pub fn rule_docs(rules: &RuleSet) -> Vec<RuleDoc> {
    rules
        .rules
        .iter()
        .map(|r| RuleDoc {
            tool: "secrets",
            id: leak(&r.id),
            severity: r.severity,
            summary: leak(&format!("{} found in the scanned content.", r.name)),
            help: "Revoke the credential at its issuer (it is compromised once committed or logged), \
                   then remove it and load it from a secret store or the CI's secrets at run time. \
                   A false positive can be suppressed by fingerprint.",
        })
        .collect()
}

/// Rule documentation is static for the life of the process; the built-in set is small and
/// loaded once, so leaking its strings is bounded.
fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_never_show_much() {
        assert_eq!(
            preview(b"ghp_0123456789abcdefghijklmnopqrstuvwxyz"),
            "ghp_… (40 characters)"
        );
        assert_eq!(preview(b"hunter22"), "hu… (8 characters)");
        assert_eq!(preview(b"abc"), "… (3 characters)");
    }

    #[test]
    fn lines_and_columns() {
        let text = "a\nbé c\n".as_bytes();
        let l = Lines::new(text);
        assert_eq!(l.position(text, 0), (1, 1));
        assert_eq!(l.position(text, 5), (2, 3));
    }
}
