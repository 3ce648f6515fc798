//! Rule packs as data: `rules/autopsy/*.toml` (embedded) and a user's own packs, compiled into
//! one keyword automaton that selects the few rules worth trying on a line.
//!
//! A rule recognises one failure of one tool: literal keywords (at least one must be on the
//! line, so the scanner can skip every other line at memory speed), a regex over the cleaned
//! line with named captures (`file`, `line`, `test`, `package`, `message`, …), optionally a
//! regexes over the next few lines (`then`, for tools that print the location below the
//! error) or the previous ones (`before`, for those that print it above), and templates for the message, the suggested fix, the docs link and the repro
//! command. Every rule carries examples it must match and counter-examples it must not;
//! `ci-intel autopsy rules test` runs them through the real scanner.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::Regex;
use serde::Deserialize;

use crate::model::Category;

/// The built-in packs, one per family of tools, as shipped in `rules/autopsy/`.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "rust.toml",
        include_str!("../../../rules/autopsy/rust.toml"),
    ),
    (
        "python.toml",
        include_str!("../../../rules/autopsy/python.toml"),
    ),
    (
        "javascript.toml",
        include_str!("../../../rules/autopsy/javascript.toml"),
    ),
    ("go.toml", include_str!("../../../rules/autopsy/go.toml")),
    ("jvm.toml", include_str!("../../../rules/autopsy/jvm.toml")),
    (
        "containers.toml",
        include_str!("../../../rules/autopsy/containers.toml"),
    ),
    (
        "infra.toml",
        include_str!("../../../rules/autopsy/infra.toml"),
    ),
    (
        "system.toml",
        include_str!("../../../rules/autopsy/system.toml"),
    ),
    ("ci.toml", include_str!("../../../rules/autopsy/ci.toml")),
];

/// Words that make a line look like an error when no rule knows it: such lines feed the
/// template miner. Case variants are listed because the automaton is case-sensitive (faster).
const ERROR_WORDS: &[&str] = &[
    "error",
    "Error",
    "ERROR",
    "fail",
    "Fail",
    "FAIL",
    "fatal",
    "Fatal",
    "FATAL",
    "exception",
    "Exception",
    "panic",
    "denied",
    "Denied",
    "refused",
    "Killed",
    "cannot",
    "Cannot",
    "unable",
    "Unable",
    "not found",
    "No such",
    "Traceback",
];

/// Frame markers (see [`crate::line::marker`]): lines holding them are always looked at.
const MARKER_WORDS: &[&str] = &[
    "##[",
    "::error",
    "section_start:",
    "section_end:",
    "Process completed with exit code",
    "ERROR: Job failed",
    "Post job cleanup.",
    "BUILD SUCCESS",
    "BUILD FAILURE",
    "BUILD FAILED",
    "FAILURE: Build failed",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    #[serde(default)]
    rule: Vec<RuleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    tool: String,
    category: String,
    keywords: Vec<String>,
    pattern: String,
    #[serde(default)]
    unless: Option<String>,
    #[serde(default)]
    then: Vec<String>,
    #[serde(default)]
    require_then: bool,
    #[serde(default)]
    before: Vec<String>,
    #[serde(default)]
    require_before: bool,
    #[serde(default)]
    within: Option<usize>,
    #[serde(default)]
    message: Option<String>,
    hint: String,
    #[serde(default)]
    docs: Option<String>,
    #[serde(default)]
    repro: Option<String>,
    #[serde(default)]
    confidence: Option<f64>,
    examples: Vec<String>,
    #[serde(default)]
    counter_examples: Vec<String>,
}

/// One compiled rule.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub tool: String,
    pub category: Category,
    pub keywords: Vec<String>,
    pub pattern: Regex,
    /// A line the pattern matches but this one also matches is not this rule's.
    pub unless: Option<Regex>,
    /// Each looked for on the `within` lines after the match; their captures join the
    /// pattern's.
    pub then: Vec<Regex>,
    /// The rule matches only when every `then` regex is found.
    pub require_then: bool,
    /// Each looked for on the `within` lines before the match, nearest first (a tool that
    /// names the file above its error: Python's traceback, eslint's file heading).
    pub before: Vec<Regex>,
    /// The rule matches only when every `before` regex is found (a bare line that means a
    /// failure only under a given command: a file name below `terraform fmt -check`).
    pub require_before: bool,
    pub within: usize,
    /// Template of the message (default: the `message` capture, else the line).
    pub message: Option<String>,
    pub hint: String,
    pub docs: Option<String>,
    pub repro: Option<String>,
    pub confidence: f64,
    pub examples: Vec<String>,
    pub counter_examples: Vec<String>,
    /// The pack it came from (`rust.toml`), for error messages and `rules test`.
    pub pack: String,
}

/// Longest look-ahead a rule may ask for: the scanner keeps this many lines in view.
pub const MAX_WITHIN: usize = 20;

/// What a keyword of the automaton stands for: the rules that list it, and whether it is also
/// an error word (a keyword can be both; frame markers are neither).
#[derive(Debug, Clone, Default)]
pub(crate) struct Owner {
    pub(crate) rules: Vec<usize>,
    pub(crate) error_word: bool,
}

/// Every rule and the automaton that selects them.
#[derive(Debug)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    /// Keyword automaton (case-sensitive, standard semantics so overlapping search works).
    pub(crate) keywords: AhoCorasick,
    pub(crate) owners: Vec<Owner>,
}

/// A pack that does not load, with where and why.
#[derive(Debug, thiserror::Error)]
#[error("{pack}: {message}")]
pub struct RulesError {
    pub pack: String,
    pub message: String,
}

impl RuleSet {
    /// The built-in packs, compiled once per process.
    pub fn builtin_static() -> &'static Self {
        static RULES: std::sync::OnceLock<RuleSet> = std::sync::OnceLock::new();
        #[expect(
            clippy::panic,
            reason = "the embedded packs are compiled and their examples run by the tests; a bad one is a build defect"
        )]
        RULES.get_or_init(|| match Self::builtin() {
            Ok(r) => r,
            Err(e) => panic!("built-in autopsy rules are invalid: {e}"),
        })
    }

    /// The built-in packs.
    pub fn builtin() -> Result<Self, RulesError> {
        Self::from_packs(
            &BUILTIN
                .iter()
                .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
                .collect::<Vec<_>>(),
        )
    }

    /// The built-in packs plus the `.toml` packs at `paths` (files, or directories of them);
    /// a user's rule with a built-in rule's id replaces it.
    pub fn builtin_and(paths: &[impl AsRef<Path>]) -> Result<Self, RulesError> {
        let mut packs: Vec<(String, String)> = BUILTIN
            .iter()
            .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
            .collect();
        for p in paths {
            packs.extend(read_packs(p.as_ref())?);
        }
        Self::from_packs(&packs)
    }

    /// Compiles `(name, TOML text)` packs.
    pub fn from_packs(packs: &[(String, String)]) -> Result<Self, RulesError> {
        // Each id's rule, and the pack (by position: two packs may share a file name) it is from.
        let mut by_id: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        let mut rules: Vec<Rule> = Vec::new();
        for (pack_index, (name, text)) in packs.iter().enumerate() {
            let file: PackFile = toml::from_str(text).map_err(|e| RulesError {
                pack: name.clone(),
                message: format!("not a rule pack: {e}"),
            })?;
            for spec in file.rule {
                let rule = compile(name, spec)?;
                if let Some(&(i, from)) = by_id.get(&rule.id) {
                    // A later pack replaces an earlier pack's rule; one pack saying it twice is
                    // a mistake that would silently drop the first.
                    if from == pack_index {
                        return Err(RulesError {
                            pack: name.clone(),
                            message: format!("rule `{}` is defined twice", rule.id),
                        });
                    }
                    by_id.insert(rule.id.clone(), (i, pack_index));
                    rules[i] = rule;
                } else {
                    by_id.insert(rule.id.clone(), (rules.len(), pack_index));
                    rules.push(rule);
                }
            }
        }
        let mut words: Vec<String> = Vec::new();
        let mut owners: Vec<Owner> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, rule) in rules.iter().enumerate() {
            for k in &rule.keywords {
                let w = *index.entry(k.clone()).or_insert_with(|| {
                    words.push(k.clone());
                    owners.push(Owner::default());
                    words.len() - 1
                });
                owners[w].rules.push(i);
            }
        }
        for (list, error_word) in [(ERROR_WORDS, true), (MARKER_WORDS, false)] {
            for word in list {
                let w = *index.entry((*word).to_owned()).or_insert_with(|| {
                    words.push((*word).to_owned());
                    owners.push(Owner::default());
                    words.len() - 1
                });
                owners[w].error_word |= error_word;
            }
        }
        let keywords = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&words)
            .map_err(|e| RulesError {
                pack: "rules".into(),
                message: format!("keyword automaton: {e}"),
            })?;
        Ok(Self {
            rules,
            keywords,
            owners,
        })
    }
}

/// The `.toml` packs at `path`: the file itself, or every `.toml` file of the directory in name
/// order.
fn read_packs(path: &Path) -> Result<Vec<(String, String)>, RulesError> {
    let err = |message: String| RulesError {
        pack: path.display().to_string(),
        message,
    };
    let files: Vec<std::path::PathBuf> = if path.is_dir() {
        let mut v: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| err(e.to_string()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        v.sort();
        v
    } else {
        vec![path.to_owned()]
    };
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).map_err(|e| RulesError {
                pack: f.display().to_string(),
                message: e.to_string(),
            })?;
            Ok((f.display().to_string(), text))
        })
        .collect()
}

fn compile(pack: &str, spec: RuleSpec) -> Result<Rule, RulesError> {
    let err = |message: String| RulesError {
        pack: pack.to_owned(),
        message: format!("rule `{}`: {message}", spec.id),
    };
    if !spec.id.contains('/') {
        return Err(err("expected an id of the form `tool/failure`".into()));
    }
    let category = Category::parse(&spec.category).ok_or_else(|| {
        err(format!(
            "unknown category `{}`; expected one of: {}",
            spec.category,
            Category::ALL.map(Category::as_str).join(", ")
        ))
    })?;
    if spec.keywords.is_empty() || spec.keywords.iter().any(String::is_empty) {
        return Err(err("expected at least one non-empty keyword".into()));
    }
    let pattern = Regex::new(&spec.pattern).map_err(|e| err(format!("pattern: {e}")))?;
    let unless = spec
        .unless
        .as_deref()
        .map(Regex::new)
        .transpose()
        .map_err(|e| err(format!("unless: {e}")))?;
    let then = spec
        .then
        .iter()
        .map(|t| Regex::new(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(format!("then: {e}")))?;
    let before = spec
        .before
        .iter()
        .map(|t| Regex::new(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(format!("before: {e}")))?;
    if spec.require_then && then.is_empty() {
        return Err(err("require_then without a `then` regex".into()));
    }
    if spec.require_before && before.is_empty() {
        return Err(err("require_before without a `before` regex".into()));
    }
    let within = spec
        .within
        .unwrap_or(if then.is_empty() && before.is_empty() {
            0
        } else {
            5
        });
    if within > MAX_WITHIN {
        return Err(err(format!("within: at most {MAX_WITHIN} lines")));
    }
    let confidence = spec.confidence.unwrap_or(0.9);
    if !(0.0..=1.0).contains(&confidence) {
        return Err(err("confidence: expected a number from 0 to 1".into()));
    }
    if spec.examples.is_empty() {
        return Err(err("expected at least one example".into()));
    }
    Ok(Rule {
        id: spec.id,
        tool: spec.tool,
        category,
        keywords: spec.keywords,
        pattern,
        unless,
        then,
        require_then: spec.require_then,
        before,
        require_before: spec.require_before,
        within,
        message: spec.message,
        hint: spec.hint,
        docs: spec.docs,
        repro: spec.repro,
        confidence,
        examples: spec.examples,
        counter_examples: spec.counter_examples,
        pack: pack.to_owned(),
    })
}

/// `template` with `{name}` replaced by captures; `None` when a placeholder has no value.
pub fn expand(template: &str, captures: &BTreeMap<String, String>) -> Option<String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}')?;
        let name = &after[..close];
        out.push_str(captures.get(name)?);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_rule_id_is_defined_twice_in_the_builtin_packs_or_in_one_pack() {
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        for (pack, text) in BUILTIN {
            let file: PackFile = toml::from_str(text).unwrap();
            for spec in file.rule {
                if let Some(other) = seen.insert(spec.id.clone(), pack) {
                    panic!("`{}` is in {other} and {pack}", spec.id);
                }
            }
        }
        let rule = "[[rule]]\nid = \"x/y\"\ntool = \"x\"\ncategory = \"network\"\nkeywords = [\"k\"]\npattern = \"k\"\nhint = \"h\"\nexamples = [\"k\"]\n";
        let twice = format!("{rule}{rule}");
        let e = RuleSet::from_packs(&[("team.toml".into(), twice)]).unwrap_err();
        assert!(e.to_string().contains("`x/y` is defined twice"), "{e}");
        // Across packs, the later one replaces the earlier (a team overriding a built-in),
        // even when the team's file has the built-in pack's name.
        for later in ["b.toml", "a.toml"] {
            let set = RuleSet::from_packs(&[
                ("a.toml".into(), rule.to_owned()),
                (
                    later.into(),
                    rule.replace("hint = \"h\"", "hint = \"mine\""),
                ),
            ])
            .unwrap();
            assert_eq!(set.rules.len(), 1);
            assert_eq!(set.rules[0].hint, "mine");
        }
    }

    #[test]
    fn the_builtin_packs_load_with_over_a_hundred_rules() {
        let set = RuleSet::builtin().unwrap();
        assert!(set.rules.len() >= 100, "{}", set.rules.len());
        let mut ids: Vec<&str> = set.rules.iter().map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "rule ids are unique across packs");
        for c in Category::ALL {
            if c != Category::Unknown {
                assert!(
                    set.rules.iter().any(|r| r.category == c),
                    "no rule of category {c}"
                );
            }
        }
    }

    #[test]
    fn bad_packs_name_the_rule_and_the_problem() {
        let pack = |body: &str| RuleSet::from_packs(&[("p.toml".into(), body.into())]);
        let base = "[[rule]]\nid = \"x/y\"\ntool = \"x\"\ncategory = \"network\"\nkeywords = [\"k\"]\npattern = \"k\"\nhint = \"h\"\nexamples = [\"k\"]\n";
        assert!(pack(base).is_ok());
        let e = pack(&base.replace("network", "weather")).unwrap_err();
        assert!(e.to_string().contains("unknown category `weather`"), "{e}");
        let e = pack(&base.replace("pattern = \"k\"", "pattern = \"(\"")).unwrap_err();
        assert!(e.to_string().contains("rule `x/y`: pattern"), "{e}");
        let e = pack(&base.replace("keywords = [\"k\"]", "keywords = []")).unwrap_err();
        assert!(e.to_string().contains("keyword"), "{e}");
        let e = pack("not toml [").unwrap_err();
        assert!(e.to_string().starts_with("p.toml: not a rule pack"), "{e}");
    }

    #[test]
    fn a_later_pack_replaces_a_rule_by_id() {
        let rule = |hint: &str| {
            format!(
                "[[rule]]\nid = \"x/y\"\ntool = \"x\"\ncategory = \"network\"\nkeywords = [\"k\"]\npattern = \"k\"\nhint = \"{hint}\"\nexamples = [\"k\"]\n"
            )
        };
        let set = RuleSet::from_packs(&[
            ("a.toml".into(), rule("first")),
            ("b.toml".into(), rule("second")),
        ])
        .unwrap();
        assert_eq!(set.rules.len(), 1);
        assert_eq!(set.rules[0].hint, "second");
    }

    #[test]
    fn templates_expand_only_when_every_placeholder_is_known() {
        let caps: BTreeMap<String, String> = [
            ("file".to_owned(), "a.py".to_owned()),
            ("test".to_owned(), "t".to_owned()),
        ]
        .into();
        assert_eq!(
            expand("pytest {file}::{test}", &caps).as_deref(),
            Some("pytest a.py::t")
        );
        assert_eq!(expand("go test -run {name}", &caps), None);
        assert_eq!(
            expand("no placeholders", &caps).as_deref(),
            Some("no placeholders")
        );
        assert_eq!(expand("broken {file", &caps), None);
    }
}
