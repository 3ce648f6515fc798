//! Measured accuracy (the figures of docs/autopsy.md): the labelled real logs of this crate
//! and the cidiff breakage dataset of the shared corpus. A change that lowers them fails here.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_precision_loss,
    reason = "tests fail loudly on unexpected errors"
)]

use std::path::{Path, PathBuf};

use ci_intel_autopsy::{RuleSet, Settings, analyze, eval, source};
use ci_intel_core::testsupport;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/logs")
}

fn settings(rules: &RuleSet) -> Settings<'_> {
    Settings {
        rules,
        redact: &|s: &str| s.to_owned(),
        max_root_causes: 5,
        max_signatures: 5,
        classifier: None,
    }
}

/// An unseen set's first measurement, untuned: logs, top-1 right and on the labelled line.
struct FirstMeasurement {
    set: &'static str,
    logs: usize,
    top1: usize,
    log_line: usize,
}

/// Each unseen set's first measurement, untuned and with rules only, stays a floor of its own
/// (docs/autopsy.md lists the misses); the rules were then extended for its misses, so the
/// tuned floor below holds it too. The heldout and second sets' first measurements predate
/// this test (61.9 % and 80.0 %).
#[test]
fn every_unseen_set_keeps_its_first_measurement() {
    let rules = RuleSet::builtin().unwrap();
    for m in [
        FirstMeasurement {
            set: "unseen3/labels.toml",
            logs: 26,
            top1: 23,
            log_line: 24,
        },
        FirstMeasurement {
            set: "unseen4/labels.toml",
            logs: 24,
            top1: 17,
            log_line: 22,
        },
        FirstMeasurement {
            set: "unseen5/labels.toml",
            logs: 24,
            top1: 15,
            log_line: 21,
        },
        FirstMeasurement {
            set: "unseen6/labels.toml",
            logs: 31,
            top1: 25,
            log_line: 28,
        },
        FirstMeasurement {
            set: "unseen7/labels.toml",
            logs: 23,
            top1: 15,
            log_line: 19,
        },
    ] {
        let labels = eval::read_labels(&fixtures().join(m.set)).unwrap();
        assert_eq!(labels.len(), m.logs, "{}", m.set);
        let r = eval::evaluate(&labels, &settings(&rules)).unwrap();
        let right = (r.top1_accuracy * m.logs as f64).round() as usize;
        assert!(
            right >= m.top1,
            "{}: top-1 {right}/{}: {:#?}",
            m.set,
            m.logs,
            r.misses
        );
        assert!(
            r.log_line.correct >= m.log_line,
            "{}: {:?}",
            m.set,
            r.log_line
        );
    }
}

/// ML second, measured: what the classifier does on every labelled set, printed for the
/// docs. It was turned on by default when the fourth unseen set, untuned, showed it raising
/// top-1 (17/24 to 18/24) without lowering precision anywhere; it must stay off if it ever
/// lowers precision on a set.
#[test]
fn the_classifier_is_measured_on_every_labelled_set() {
    let rules = RuleSet::builtin().unwrap();
    let model = ci_intel_autopsy::classifier::Classifier::from_rules(&rules).unwrap();
    let mut losses = false;
    for set in [
        "labels.toml",
        "heldout/labels.toml",
        "unseen/labels.toml",
        "unseen3/labels.toml",
        "unseen4/labels.toml",
        "unseen5/labels.toml",
        "unseen6/labels.toml",
        "unseen7/labels.toml",
    ] {
        let labels = eval::read_labels(&fixtures().join(set)).unwrap();
        let e = eval::compare_classifier(&labels, &settings(&rules), &model).unwrap();
        eprintln!("{set}: {e:?}");
        // Used only where rules found nothing: it can only change logs left unknown, and it
        // never turns a right category wrong.
        assert!(e.with.unknown <= e.without.unknown, "{set}: {e:?}");
        assert!(
            e.with.top1_accuracy >= e.without.top1_accuracy,
            "{set}: {e:?}"
        );
        losses |= e.with.named_precision < e.without.named_precision;
    }
    assert!(
        !(losses && ci_intel_core::config::AutopsyConfig::default().classifier),
        "the classifier lowers precision on a labelled set: turn autopsy.classifier off by default"
    );
}

#[test]
fn labelled_real_logs_meet_the_accuracy_floor() {
    let rules = RuleSet::builtin().unwrap();
    // The second unseen set (unseen/) was measured untuned first (16/20, every miss an
    // unknown); the rules were then extended for its misses, so it is held to the same floor.
    for (labels, logs) in [
        ("labels.toml", 43),
        ("heldout/labels.toml", 21),
        ("unseen/labels.toml", 20),
        ("unseen3/labels.toml", 26),
        ("unseen4/labels.toml", 24),
        ("unseen5/labels.toml", 24),
        ("unseen6/labels.toml", 31),
        ("unseen7/labels.toml", 23),
    ] {
        let labels = eval::read_labels(&fixtures().join(labels)).unwrap();
        assert_eq!(labels.len(), logs);
        let r = eval::evaluate(&labels, &settings(&rules)).unwrap();
        assert!(
            r.top1_accuracy >= 0.95,
            "top-1 {:.3}; misses: {:#?}",
            r.top1_accuracy,
            r.misses
        );
        assert!(
            r.log_line.correct * 100 >= r.log_line.checked * 95,
            "{:?}",
            r.log_line
        );
        assert!(
            r.source_location.correct * 100 >= r.source_location.checked * 90,
            "{:?}",
            r.source_location
        );
        for c in &r.categories {
            assert!(c.precision >= 0.9 || c.predicted == 0, "{c:?}");
        }
    }
}

/// The cidiff groundtruth counts a lone carriage return as a line break (Java's readLine);
/// the autopsy counts only line feeds. Maps a groundtruth line to ours.
fn cidiff_to_ours(text: &[u8]) -> Vec<u64> {
    let mut map = vec![0u64];
    let mut ours = 1u64;
    let mut i = 0;
    map.push(ours);
    while i < text.len() {
        match text[i] {
            b'\n' => {
                ours += 1;
                map.push(ours);
            }
            b'\r' if text.get(i + 1) != Some(&b'\n') => map.push(ours),
            _ => {}
        }
        i += 1;
    }
    map
}

/// The error line ranges of a cidiff groundtruth file, in our line numbers.
fn error_ranges(case: &Path) -> Vec<(u64, u64)> {
    let truth = std::fs::read_to_string(case.join("groundtruth")).unwrap();
    let text = std::fs::read(case.join("fail.log")).unwrap();
    let map = cidiff_to_ours(&text);
    let at = |n: u64| {
        map.get(usize::try_from(n).unwrap())
            .copied()
            .unwrap_or(u64::MAX)
    };
    truth
        .lines()
        .filter_map(|l| l.strip_prefix("E "))
        .map(|r| {
            let (a, b) = r.trim().split_once('-').unwrap_or((r.trim(), r.trim()));
            (at(a.parse().unwrap()), at(b.parse().unwrap()))
        })
        .collect()
}

#[cfg_attr(
    ci_intel_no_corpus,
    ignore = "needs the shared corpus: scripts/fetch-corpus.sh, or CI_INTEL_CORPUS=DIR"
)]
#[test]
fn cidiff_breakages_top_root_cause_is_on_a_labelled_error_line() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let Some(corpus) = testsupport::corpus(&root) else {
        return;
    };
    let rules = RuleSet::builtin().unwrap();
    let mut cases: Vec<PathBuf> = ["breakages", "other_cases"]
        .iter()
        .flat_map(|d| std::fs::read_dir(corpus.join("ci-logs/cidiff").join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("groundtruth").is_file())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 43);
    let (mut top1, mut top3) = (0usize, 0usize);
    let mut misses = Vec::new();
    for case in &cases {
        let ranges = error_ranges(case);
        let inputs = source::discover(&[case.join("fail.log")]).unwrap();
        let report = analyze(&inputs, &settings(&rules)).unwrap();
        let on = |line: u64| ranges.iter().any(|&(a, b)| (a..=b).contains(&line));
        let lines: Vec<u64> = report.root_causes.iter().map(|c| c.location.line).collect();
        if lines.first().is_some_and(|&l| on(l)) {
            top1 += 1;
        } else {
            misses.push(format!(
                "{}: {:?} vs {ranges:?}",
                case.display(),
                lines.first()
            ));
        }
        if lines.iter().take(3).any(|&l| on(l)) {
            top3 += 1;
        }
    }
    eprintln!(
        "cidiff: top-1 on an error line {top1}/{}, top-3 {top3}/{}\nmisses:\n{}",
        cases.len(),
        cases.len(),
        misses.join("\n")
    );
    assert!(top1 >= 40, "top-1 {top1}/43");
    assert!(top3 >= 42, "top-3 {top3}/43");
}
