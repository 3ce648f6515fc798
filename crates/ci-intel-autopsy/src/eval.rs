//! Measured accuracy: a labelled set of real failing logs, each with the category of its root
//! cause and, where known, the log line and the source location that state it. The autopsy of
//! each log is compared with its label: precision, recall and F1 per category, top-1 accuracy,
//! and how often the top root cause points at the right line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ci_intel_core::InputError;
use serde::{Deserialize, Serialize};

use crate::model::Category;
use crate::{Settings, analyze, source};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelsFile {
    log: Vec<Label>,
}

/// One labelled log.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    /// The log, relative to the labels file.
    pub path: PathBuf,
    pub category: Category,
    /// The log line stating the root cause (1-based), or `lines`: ranges of such lines.
    #[serde(default)]
    pub line: Option<u64>,
    #[serde(default)]
    pub lines: Vec<[u64; 2]>,
    /// The source file and line the log names.
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub source_line: Option<u64>,
    /// How the log was produced (documentation only).
    #[serde(default)]
    pub how: Option<String>,
}

/// Per-category figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryScore {
    pub category: Category,
    pub support: usize,
    pub predicted: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// A log whose top root cause was wrong.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Miss {
    pub log: String,
    pub expected: Category,
    pub got: Option<Category>,
    pub message: Option<String>,
}

/// `checked` labels had the field; `correct` of them matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Tally {
    pub checked: usize,
    pub correct: usize,
}

/// What `autopsy eval` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    pub logs: usize,
    pub top1_accuracy: f64,
    /// Of the logs whose top root cause named a category (not `unknown`), how many named the
    /// right one: how far a named category can be trusted.
    pub named_precision: f64,
    pub categories: Vec<CategoryScore>,
    /// The top root cause is on (or within) the labelled log line(s).
    pub log_line: Tally,
    /// The top root cause names the labelled source file and line.
    pub source_location: Tally,
    pub misses: Vec<Miss>,
}

/// Reads a labels file.
pub fn read_labels(path: &Path) -> Result<Vec<Label>, InputError> {
    let text = std::fs::read_to_string(path).map_err(|e| InputError::io(path, &e))?;
    let file: LabelsFile = toml::from_str(&text).map_err(|e| {
        InputError::at_offset(
            path,
            text.as_bytes(),
            e.span().map(|s| s.start),
            format!(
                "expected a labels file ([[log]] path, category, …): {}",
                e.message()
            ),
        )
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    Ok(file
        .log
        .into_iter()
        .map(|mut l| {
            l.path = base.join(&l.path);
            l
        })
        .collect())
}

/// Runs the autopsy on every labelled log and scores it.
pub fn evaluate(labels: &[Label], s: &Settings<'_>) -> Result<EvalReport, InputError> {
    let mut predicted: Vec<(Category, Option<Category>)> = Vec::new();
    let mut log_line = Tally::default();
    let mut source_location = Tally::default();
    let mut misses = Vec::new();
    for label in labels {
        let inputs = source::discover(std::slice::from_ref(&label.path))?;
        let report = analyze(&inputs, s)?;
        let top = report.root_causes.first();
        let got = top.map(|c| c.category);
        predicted.push((label.category, got));
        if got != Some(label.category) {
            misses.push(Miss {
                log: label.path.display().to_string(),
                expected: label.category,
                got,
                message: top.map(|c| c.message.clone()),
            });
        }
        if label.line.is_some() || !label.lines.is_empty() {
            log_line.checked += 1;
            let at = top.map(|c| c.location.line);
            let hit = at.is_some_and(|l| {
                label.line == Some(l) || label.lines.iter().any(|[a, b]| (*a..=*b).contains(&l))
            });
            log_line.correct += usize::from(hit);
        }
        if let (Some(file), Some(line)) = (&label.file, label.source_line) {
            source_location.checked += 1;
            let hit = top.is_some_and(|c| {
                c.line == Some(line)
                    && c.file
                        .as_deref()
                        .is_some_and(|f| f.ends_with(file.as_str()) || file.ends_with(f))
            });
            source_location.correct += usize::from(hit);
        }
    }
    Ok(score(&predicted, log_line, source_location, misses))
}

fn score(
    predicted: &[(Category, Option<Category>)],
    log_line: Tally,
    source_location: Tally,
    misses: Vec<Miss>,
) -> EvalReport {
    let mut cats: BTreeMap<Category, (usize, usize, usize)> = BTreeMap::new(); // tp, fp, fn
    for &(expected, got) in predicted {
        if got == Some(expected) {
            cats.entry(expected).or_default().0 += 1;
        } else {
            cats.entry(expected).or_default().2 += 1;
            if let Some(g) = got {
                cats.entry(g).or_default().1 += 1;
            }
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let categories = cats
        .into_iter()
        .map(|(category, (tp, fp, fneg))| {
            let precision = ratio(tp, tp + fp);
            let recall = ratio(tp, tp + fneg);
            let f1 = if precision + recall == 0.0 {
                0.0
            } else {
                2.0 * precision * recall / (precision + recall)
            };
            CategoryScore {
                category,
                support: tp + fneg,
                predicted: tp + fp,
                precision,
                recall,
                f1,
            }
        })
        .collect();
    let correct = predicted.iter().filter(|(e, g)| *g == Some(*e)).count();
    let named = predicted
        .iter()
        .filter(|(_, g)| g.is_some_and(|g| g != Category::Unknown))
        .count();
    EvalReport {
        logs: predicted.len(),
        top1_accuracy: ratio(correct, predicted.len()),
        named_precision: ratio(correct, named),
        categories,
        log_line,
        source_location,
        misses,
    }
}

/// What the classifier adds on a labelled set: the same logs scored without and with it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassifierEffect {
    pub without: Summary,
    pub with: Summary,
    /// Whether it is worth turning on: more right and no loss of precision.
    pub helps: bool,
}

/// A labelled set's headline figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub top1_accuracy: f64,
    pub named_precision: f64,
    pub unknown: usize,
}

impl From<&EvalReport> for Summary {
    fn from(r: &EvalReport) -> Self {
        Summary {
            top1_accuracy: r.top1_accuracy,
            named_precision: r.named_precision,
            unknown: r
                .misses
                .iter()
                .filter(|m| m.got.is_none_or(|g| g == Category::Unknown))
                .count(),
        }
    }
}

/// Scores `labels` without and with `classifier` (whatever `s` says).
pub fn compare_classifier(
    labels: &[Label],
    s: &Settings<'_>,
    classifier: &crate::classifier::Classifier,
) -> Result<ClassifierEffect, InputError> {
    let without = evaluate(
        labels,
        &Settings {
            classifier: None,
            ..*s
        },
    )?;
    let with = evaluate(
        labels,
        &Settings {
            classifier: Some(classifier),
            ..*s
        },
    )?;
    Ok(ClassifierEffect::between(&without, &with))
}

impl ClassifierEffect {
    /// The effect between the same labels scored without and with the classifier.
    pub fn between(without: &EvalReport, with: &EvalReport) -> Self {
        let (without, with) = (Summary::from(without), Summary::from(with));
        ClassifierEffect {
            helps: with.top1_accuracy > without.top1_accuracy
                && with.named_precision >= without.named_precision,
            without,
            with,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_per_category() {
        use Category::*;
        let r = score(
            &[
                (TestFailure, Some(TestFailure)),
                (TestFailure, Some(CompileError)),
                (Network, Some(Network)),
                (Network, None),
            ],
            Tally::default(),
            Tally::default(),
            Vec::new(),
        );
        assert_eq!(r.top1_accuracy, 0.5);
        let get = |c| r.categories.iter().find(|s| s.category == c).unwrap();
        assert_eq!(
            (get(TestFailure).precision, get(TestFailure).recall),
            (1.0, 0.5)
        );
        assert_eq!(
            (get(CompileError).precision, get(CompileError).predicted),
            (0.0, 1)
        );
        assert_eq!((get(Network).precision, get(Network).recall), (1.0, 0.5));
    }
}
