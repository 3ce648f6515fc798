//! From matches to ranked root causes: duplicates merged, the failing step first, then causal
//! order (the machine, the network and the dependencies before the build, the build before the
//! tests), then confidence, then where it first appeared.

use std::collections::{BTreeMap, HashMap};

use ci_intel_core::pipeline_run::failure_signature;

use crate::classifier::{CLASSIFIED_RULE, Classifier, MIN_PROBABILITY};
use crate::miner::Miner;
use crate::model::{Category, LogLocation, RootCause};
use crate::rules::{RuleSet, expand};
use crate::scan::LogScan;

/// The rule id of a root cause the template miner found.
pub const UNKNOWN_RULE: &str = "autopsy/unknown";
/// At most this many unknown signatures become root causes when no rule matched.
const MAX_UNKNOWN: usize = 3;
/// Confidence given to an unknown signature.
const UNKNOWN_CONFIDENCE: f64 = 0.3;
/// Confidence given to the last output of a failed step nothing else explains.
const EXIT_TAIL_CONFIDENCE: f64 = 0.2;
/// Confidence given to a signature the classifier named, times its probability: above an
/// unknown line, below every rule.
const CLASSIFIED_CONFIDENCE: f64 = 0.4;

/// Where a match sits relative to the failure: in the failing step (or in a log that shows no
/// steps), in a step that did not fail, or in teardown.
fn tier(scan: &LogScan, step: Option<usize>) -> u8 {
    let any_failed = scan.summary.steps.iter().any(crate::model::Step::failed);
    match step.map(|i| &scan.summary.steps[i]) {
        Some(s) if s.cleanup => 2,
        Some(s) if any_failed && !s.failed() => 1,
        // Outside every step of a log whose failing step is known: set-up or teardown.
        None if any_failed => 1,
        _ => 0,
    }
}

/// Rules below this confidence recognise a consequence or a summary of a failure rather than
/// the failure itself.
const CONSEQUENCE_BELOW: f64 = 0.65;

/// Confidence kept by tier.
const TIER_FACTOR: [f64; 3] = [1.0, 0.6, 0.3];

struct Ranked {
    cause: RootCause,
    tier: u8,
    order: (usize, u64),
}

/// The root causes of `scans`, best first; every text passes through `redact`.
pub fn root_causes(
    rules: &RuleSet,
    scans: &[LogScan],
    miner: &Miner,
    classifier: Option<&Classifier>,
    redact: &dyn Fn(&str) -> String,
) -> Vec<RootCause> {
    let mut ranked: Vec<Ranked> = Vec::new();
    let mut by_signature: HashMap<String, usize> = HashMap::new();
    // Causes naming a file, by kind and file name: where `same_failure` looks.
    let mut by_file: HashMap<(Category, String), Vec<usize>> = HashMap::new();
    for (log_index, scan) in scans.iter().enumerate() {
        for hit in &scan.hits {
            let rule = &rules.rules[hit.rule];
            let tier = tier(scan, hit.step);
            let cause = cause(rule, &hit.captures, &hit.text, hit, tier, redact);
            if let Some(&i) = by_signature.get(&cause.signature) {
                ranked[i].cause.occurrences += 1;
                continue;
            }
            let same_file = cause
                .file
                .as_deref()
                .and_then(|f| by_file.get(&(cause.category, file_name(f).to_owned())));
            if let Some(i) = same_file.and_then(|list| {
                list.iter()
                    .copied()
                    .find(|&i| same_failure(&ranked[i].cause, &cause))
            }) {
                // The same failure said twice by the tool (a traceback line and a summary
                // line): keep the first, filling in what it lacked.
                let first = &mut ranked[i].cause;
                let signature = cause.signature.clone();
                if first.test.is_none() && cause.test.is_some() {
                    // The line naming the test says more: its rule, message, fix and a repro
                    // that runs just that test. Where the failure was first seen stays.
                    let earlier = std::mem::replace(first, cause);
                    first.location = earlier.location;
                    first.excerpt = earlier.excerpt;
                    first.occurrences = earlier.occurrences;
                    first.file = earlier.file.or(first.file.take());
                    first.line = earlier.line.or(first.line);
                    first.confidence = first.confidence.max(earlier.confidence);
                    first.repro = first.repro.take().or(earlier.repro);
                } else {
                    first.line = first.line.or(cause.line);
                    first.repro = first.repro.take().or(cause.repro);
                }
                first.occurrences += 1;
                by_signature.insert(signature, i);
                continue;
            }
            by_signature.insert(cause.signature.clone(), ranked.len());
            if let Some(f) = &cause.file {
                by_file
                    .entry((cause.category, file_name(f).to_owned()))
                    .or_default()
                    .push(ranked.len());
            }
            ranked.push(Ranked {
                cause,
                tier,
                order: (log_index, hit.location.line),
            });
        }
    }
    if ranked.iter().all(|r| r.tier > 0) {
        // Without a rule's word for it, an error-looking line is a root cause only where the
        // log shows a failure, or where the line itself says error or fatal.
        let log_failed = scans.iter().any(|s| s.summary.shows_failure());
        ranked.extend(
            unknown_causes(scans, miner, classifier, redact)
                .into_iter()
                .filter(|r| log_failed || says_error(&r.cause.message)),
        );
    }
    if ranked.iter().all(|r| r.tier > 0) {
        // Nothing error-looking either: what the failed steps printed last.
        ranked.extend(exit_tail_causes(scans, classifier, redact));
    }
    // A consequence ("could not compile", "tests failed in …") never outranks the failure it
    // reports when that failure was recognised too.
    let consequence =
        |r: &Ranked| r.cause.confidence < CONSEQUENCE_BELOW * TIER_FACTOR[usize::from(r.tier)];
    ranked.sort_by(|a, b| {
        (a.tier, consequence(a), a.cause.category.stage())
            .cmp(&(b.tier, consequence(b), b.cause.category.stage()))
            .then(b.cause.confidence.total_cmp(&a.cause.confidence))
            .then(a.order.cmp(&b.order))
    });
    ranked.into_iter().map(|r| r.cause).collect()
}

/// A line that declares an error or a fatal condition itself (`error: …`, `ERROR …`,
/// `fatal: …`, `[ERROR] …`, `Exception in …`), as opposed to one merely mentioning failure
/// (`0 failed`).
fn says_error(line: &str) -> bool {
    let t = line.trim_start();
    let t = t
        .strip_prefix('[')
        .and_then(|r| r.split_once(']'))
        .map_or(t, |(tag, rest)| {
            if tag.eq_ignore_ascii_case("error") || tag.eq_ignore_ascii_case("fatal") {
                "error:"
            } else {
                rest.trim_start()
            }
        });
    let declares = |t: &str| {
        let lower = t.get(..8).unwrap_or(t).to_ascii_lowercase();
        lower.starts_with("error") || lower.starts_with("fatal")
    };
    // Or `tool: error: …`, as compilers and shells write it.
    let after_tool = t
        .split_once(": ")
        .filter(|(head, _)| !head.contains(' ') && head.len() < 40)
        .map(|(_, rest)| rest);
    declares(t)
        || after_tool.is_some_and(declares)
        || t.contains("Exception")
        || t.starts_with("Traceback")
}

/// The last component of a path.
fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// The same file named two ways: equal, or one the other with leading directories
/// (`calc.py` and `/work/app/calc.py`, as pytest prints a test id and a traceback).
fn same_file(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    long == short
        || long
            .strip_suffix(short)
            .is_some_and(|head| head.ends_with(['/', '\\']))
}

/// Two causes are one failure when they are of the same kind about the same file and line (or
/// the same test).
fn same_failure(a: &RootCause, b: &RootCause) -> bool {
    let differ = |x: Option<&str>, y: Option<&str>| x.is_some() && y.is_some() && x != y;
    a.category == b.category
        && a.file
            .as_deref()
            .zip(b.file.as_deref())
            .is_some_and(|(x, y)| same_file(x, y))
        && !differ(a.test.as_deref(), b.test.as_deref())
        && !(a.line.is_some() && b.line.is_some() && a.line != b.line)
}

fn cause(
    rule: &crate::rules::Rule,
    captures: &BTreeMap<String, String>,
    text: &str,
    hit: &crate::scan::Hit,
    tier: u8,
    redact: &dyn Fn(&str) -> String,
) -> RootCause {
    let message = rule
        .message
        .as_deref()
        .and_then(|t| expand(t, captures))
        .or_else(|| captures.get("message").cloned())
        .unwrap_or_else(|| text.trim().to_owned());
    let message = redact(&message);
    let signature = failure_signature(&rule.id, &message);
    RootCause {
        category: rule.category,
        rule_id: rule.id.clone(),
        tool: rule.tool.clone(),
        file: captures.get("file").map(|f| redact(f)),
        line: captures.get("line").and_then(|l| l.parse().ok()),
        test: captures.get("test").map(|t| redact(t)),
        suggestion: redact(
            &expand(&rule.hint, captures).unwrap_or_else(|| strip_placeholders(&rule.hint)),
        ),
        repro: rule
            .repro
            .as_deref()
            .and_then(|t| expand(t, captures))
            .map(|r| redact(&r)),
        docs_uri: rule.docs.as_deref().and_then(|t| expand(t, captures)),
        confidence: round(rule.confidence * TIER_FACTOR[usize::from(tier)]),
        excerpt: redact_excerpt(&hit.excerpt, redact),
        location: hit.location.clone(),
        occurrences: 1,
        signature,
        message,
    }
}

/// A hint whose placeholders have no value: `{file}` becomes `the file`.
fn strip_placeholders(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            rest = &rest[open..];
            break;
        };
        out.push_str("the ");
        out.push_str(&rest[open + 1..open + close]);
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// `lines` redacted as one text, so a secret that spans lines (a private key) is seen whole.
fn redact_excerpt(lines: &[String], redact: &dyn Fn(&str) -> String) -> Vec<String> {
    redact(&lines.join("\n"))
        .lines()
        .map(str::to_owned)
        .collect()
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A root cause for a line nothing recognised (`message`, already redacted): the classifier's
/// category when it is sure enough, else unknown with `unknown_confidence` and `advice`.
/// `signed` is the text its signature is made of (a template, so recurrences are one).
struct Unexplained<'a> {
    message: String,
    signed: &'a str,
    excerpt: Vec<String>,
    location: LogLocation,
    occurrences: u64,
    unknown_confidence: f64,
    advice: String,
}

impl Unexplained<'_> {
    fn cause(self, classifier: Option<&Classifier>) -> RootCause {
        let (category, rule_id, confidence, suggestion) = match classifier
            .and_then(|c| c.classify(&self.message, MIN_PROBABILITY))
        {
            Some((category, p)) => (
                category,
                CLASSIFIED_RULE,
                round(CLASSIFIED_CONFIDENCE * p),
                format!(
                    "No rule knows this line; the classifier trained on the rule packs reads it as {category} ({:.0}% sure). {}",
                    p * 100.0,
                    category.advice()
                ),
            ),
            None => (
                Category::Unknown,
                UNKNOWN_RULE,
                self.unknown_confidence,
                self.advice,
            ),
        };
        RootCause {
            category,
            rule_id: rule_id.into(),
            tool: "log".into(),
            signature: failure_signature(rule_id, self.signed),
            suggestion,
            file: None,
            line: None,
            test: None,
            repro: None,
            docs_uri: None,
            confidence,
            excerpt: self.excerpt,
            location: self.location,
            occurrences: self.occurrences,
            message: self.message,
        }
    }
}

/// When neither a rule nor an error-looking line explains a failed step: its last output
/// before the non-zero status, as the lowest-confidence root cause (a usage message, a tool's
/// one-line complaint without the word error).
fn exit_tail_causes(
    scans: &[LogScan],
    classifier: Option<&Classifier>,
    redact: &dyn Fn(&str) -> String,
) -> Vec<Ranked> {
    let mut out = Vec::new();
    for (log_index, scan) in scans.iter().enumerate() {
        for tail in &scan.exit_tails {
            if tier(scan, tail.step) > 0 {
                continue;
            }
            let Some(last) = tail.lines.last() else {
                continue;
            };
            let message = redact(last);
            let cause = Unexplained {
                signed: &message,
                excerpt: redact_excerpt(&tail.lines, redact),
                location: tail.location.clone(),
                occurrences: 1,
                unknown_confidence: EXIT_TAIL_CONFIDENCE,
                advice: format!(
                    "The step exited with status {} and printed nothing a rule or the error-line miner recognises; its last output is above. If it recurs, add a rule for it.",
                    tail.code
                ),
                message: message.clone(),
            }
            .cause(classifier);
            out.push(Ranked {
                order: (log_index, tail.location.line),
                tier: 0,
                cause,
            });
        }
    }
    out
}

/// When no rule explains the failure: the first error-looking templates of the failing part of
/// the logs, as low-confidence root causes.
fn unknown_causes(
    scans: &[LogScan],
    miner: &Miner,
    classifier: Option<&Classifier>,
    redact: &dyn Fn(&str) -> String,
) -> Vec<Ranked> {
    let tier_of = |at: &LogLocation| -> u8 {
        scans
            .iter()
            .find(|s| s.summary.log == at.log)
            .map_or(0, |s| {
                let step = at.step.as_ref().and_then(|n| {
                    s.summary
                        .steps
                        .iter()
                        .rposition(|st| &st.name == n && st.line <= at.line)
                });
                tier(s, step)
            })
    };
    let mut sigs: Vec<_> = miner
        .signatures()
        .into_iter()
        .filter(|s| tier_of(&s.first) == 0)
        .collect();
    sigs.sort_by_key(|s| s.first.line);
    sigs.into_iter()
        .take(MAX_UNKNOWN)
        .map(|s| {
            let message = redact(&s.example);
            Ranked {
                order: (
                    scans.iter().position(|x| x.summary.log == s.first.log).unwrap_or(0),
                    s.first.line,
                ),
                tier: 0,
                cause: Unexplained {
                    signed: &s.template,
                    excerpt: vec![message.clone()],
                    location: s.first,
                    occurrences: s.count,
                    unknown_confidence: UNKNOWN_CONFIDENCE,
                    advice: "No rule knows this failure. Read the excerpt; if it recurs, add a rule for it (`ci-intel autopsy rules test` checks a new pack).".to_owned(),
                    message,
                }
                .cause(classifier),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_declarations_are_told_from_mentions() {
        for yes in [
            "error: linker exploded",
            "ERROR: Job failed",
            "fatal: bad object HEAD",
            "[ERROR] The build could not read 1 project",
            "cc1: error: unrecognized option",
            "Exception in thread \"main\" java.lang.NullPointerException",
            "Traceback (most recent call last):",
        ] {
            assert!(says_error(yes), "{yes}");
        }
        for no in [
            "test result: ok. 12 passed; 0 failed",
            "no errors found",
            "[INFO] 0 errors",
        ] {
            assert!(!says_error(no), "{no}");
        }
    }

    #[test]
    fn a_file_named_with_and_without_its_directories_is_one_file() {
        assert!(same_file("calc.py", "/work/app/calc.py"));
        assert!(same_file("tests/calc.py", "tests/calc.py"));
        assert!(!same_file("calc.py", "/work/app/mycalc.py"));
        assert!(!same_file("a/calc.py", "b/calc.py"));
        assert_eq!(file_name("/work/app/calc.py"), "calc.py");
        assert_eq!(file_name("calc.py"), "calc.py");
    }

    #[test]
    fn placeholders_without_values_read_as_words() {
        assert_eq!(
            strip_placeholders("Fix {file} at {line}"),
            "Fix the file at the line"
        );
        assert_eq!(strip_placeholders("no braces"), "no braces");
        assert_eq!(strip_placeholders("open {brace"), "open {brace");
    }
}
