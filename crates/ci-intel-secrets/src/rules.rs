//! Rules as data: `rules/secrets.toml` (embedded) or a user's file, compiled once.

use std::collections::HashSet;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use ci_intel_core::finding::Severity;
use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::Regex;
use serde::Deserialize;

/// The built-in rules, as shipped in `rules/secrets.toml`.
pub const BUILTIN: &str = include_str!("../../../rules/secrets.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    allowlist: AllowlistSpec,
    rule: Vec<RuleSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct AllowlistSpec {
    values: Vec<String>,
    stopwords: Vec<String>,
    generic_stopwords: Vec<String>,
    paths: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    name: String,
    regex: String,
    keywords: Vec<String>,
    #[serde(default)]
    entropy: Option<f64>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    generic: bool,
    #[serde(default)]
    multiline: bool,
    example: String,
}

/// One compiled rule.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub regex: Regex,
    /// Index of the capture group holding the secret (the whole match when 0).
    pub group: usize,
    pub keywords: Vec<String>,
    pub entropy: Option<f64>,
    pub severity: Severity,
    pub generic: bool,
    /// Matches can span lines (private keys): the regex runs on the whole text rather than on
    /// the lines holding a keyword.
    pub multiline: bool,
    /// The template the tests expand (see the rules file's header).
    pub example: String,
}

/// Every rule, the keyword automaton that selects them, and the allow-lists.
#[derive(Debug)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    /// Keyword automaton (ASCII case-insensitive, leftmost-longest, non-overlapping);
    /// pattern i belongs to rules `owners[i]`.
    pub(crate) keywords: AhoCorasick,
    pub(crate) owners: Vec<Vec<usize>>,
    /// For keyword i, the keywords an occurrence of i can hide from a non-overlapping search
    /// (they overlap it): around each occurrence of i, they are looked for explicitly.
    pub(crate) shadows: Vec<Vec<usize>>,
    /// The keywords, lower-case, by pattern index.
    pub(crate) words: Vec<Vec<u8>>,
    pub(crate) allow_values: HashSet<Vec<u8>>,
    pub(crate) stopwords: Vec<Vec<u8>>,
    pub(crate) generic_stopwords: Vec<Vec<u8>>,
    pub(crate) paths: GlobSet,
}

/// Why a rules file does not compile; names the rule.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("not a rules file")]
    Toml(#[from] toml::de::Error),
    #[error("rule `{rule}`: invalid regex")]
    Regex {
        rule: String,
        #[source]
        source: regex::Error,
    },
    #[error("rule `{rule}` {why}")]
    Invalid { rule: String, why: String },
    #[error("cannot build the keyword automaton")]
    Keywords(#[source] aho_corasick::BuildError),
    #[error("invalid allow-list path")]
    Glob(#[from] globset::Error),
}

impl RulesError {
    fn invalid(rule: &str, why: impl Into<String>) -> Self {
        RulesError::Invalid {
            rule: rule.to_owned(),
            why: why.into(),
        }
    }
}

impl RuleSet {
    /// The built-in rules, compiled once per process.
    pub fn builtin() -> &'static Self {
        static RULES: std::sync::OnceLock<RuleSet> = std::sync::OnceLock::new();
        #[expect(
            clippy::panic,
            reason = "the embedded rules file is compiled by the tests; a bad one is a build defect"
        )]
        RULES.get_or_init(|| {
            // The embedded file is checked by the tests; failing here would be a build defect.
            match Self::from_toml(BUILTIN) {
                Ok(r) => r,
                Err(e) => panic!("built-in secret rules are invalid: {e}"),
            }
        })
    }

    /// Compiles a rules file; errors name the rule and what is wrong.
    pub fn from_toml(text: &str) -> Result<Self, RulesError> {
        let file: File = toml::from_str(text)?;
        let mut rules = Vec::with_capacity(file.rule.len());
        let mut seen = HashSet::new();
        for spec in file.rule {
            if !seen.insert(spec.id.clone()) {
                return Err(RulesError::invalid(&spec.id, "is defined twice"));
            }
            let regex = Regex::new(&spec.regex).map_err(|source| RulesError::Regex {
                rule: spec.id.clone(),
                source,
            })?;
            let group = regex
                .capture_names()
                .position(|n| n == Some("secret"))
                .unwrap_or(0);
            if spec.keywords.is_empty() {
                return Err(RulesError::invalid(&spec.id, "needs at least one keyword"));
            }
            let severity = match spec.severity.as_deref() {
                None | Some("error") => Severity::Error,
                Some("warning") => Severity::Warning,
                Some("note") => Severity::Note,
                Some(other) => {
                    return Err(RulesError::invalid(
                        &spec.id,
                        format!("has an unknown severity `{other}`"),
                    ));
                }
            };
            rules.push(Rule {
                id: spec.id,
                name: spec.name,
                regex,
                group,
                keywords: spec
                    .keywords
                    .iter()
                    .map(|k| k.to_ascii_lowercase())
                    .collect(),
                entropy: spec.entropy,
                severity,
                generic: spec.generic,
                multiline: spec.multiline,
                example: spec.example,
            });
        }
        // One automaton pattern per distinct keyword, owned by every rule that lists it.
        let mut words: Vec<String> = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            for k in &r.keywords {
                if let Some(p) = words.iter().position(|w| w == k) {
                    owners[p].push(i);
                } else {
                    words.push(k.clone());
                    owners.push(vec![i]);
                }
            }
        }
        // A non-overlapping leftmost-longest search is several times faster than an
        // overlapping one (it can use the automaton's prefilters); the keywords it may hide
        // behind an overlapping match are selected conservatively through `shadows`.
        let keywords = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&words)
            .map_err(RulesError::Keywords)?;
        let shadows = words
            .iter()
            .enumerate()
            .map(|(i, a)| {
                words
                    .iter()
                    .enumerate()
                    .filter(|&(j, b)| j != i && may_overlap(a, b))
                    .map(|(j, _)| j)
                    .collect()
            })
            .collect();
        let mut paths = GlobSetBuilder::new();
        for p in &file.allowlist.paths {
            paths.add(Glob::new(p)?);
        }
        Ok(Self {
            rules,
            keywords,
            owners,
            shadows,
            words: words.iter().map(|w| w.as_bytes().to_vec()).collect(),
            allow_values: file
                .allowlist
                .values
                .into_iter()
                .map(String::into_bytes)
                .collect(),
            stopwords: lowered(file.allowlist.stopwords),
            generic_stopwords: lowered(file.allowlist.generic_stopwords),
            paths: paths.build()?,
        })
    }

    /// Whether a path is on the allow-list (never scanned).
    pub fn path_allowed(&self, path: &str) -> bool {
        self.paths.is_match(path)
    }
}

fn lowered(words: Vec<String>) -> Vec<Vec<u8>> {
    words
        .into_iter()
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_lowercase().into_bytes())
        .collect()
}

/// Whether occurrences of `a` and `b` can overlap in a text: one contains the other, or an end
/// of one is a start of the other.
fn may_overlap(a: &str, b: &str) -> bool {
    if a.contains(b) || b.contains(a) {
        return true;
    }
    let fix = |x: &str, y: &str| {
        (1..x.len().min(y.len())).any(|k| {
            x.is_char_boundary(x.len() - k) && y.is_char_boundary(k) && x[x.len() - k..] == y[..k]
        })
    };
    fix(a, b) || fix(b, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_keywords() {
        assert!(may_overlap("pat", "pat."));
        assert!(may_overlap("sk_", "_live"));
        assert!(may_overlap("key-", "y-us"));
        assert!(!may_overlap("ghp_", "xoxb-"));
    }
}
