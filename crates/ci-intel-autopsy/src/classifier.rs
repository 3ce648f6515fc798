//! ML second: a multinomial logistic regression over the words of a log line, trained on the
//! rule packs' own examples, that names the likely category of an error line no rule knows.
//!
//! It runs only where rules found nothing in the failing part of the logs, on the lines the
//! template miner kept, and only says something when it is confident. Training on the examples
//! (not on a shipped model file) keeps it in step with the packs: a team's own pack teaches it
//! their failures too. [`cross_validate`] measures what it adds by holding whole rules out (in
//! folds), the situation it exists for: a failure of a kind no rule describes.

use std::collections::HashMap;
use std::sync::OnceLock;

use linfa::Dataset;
use linfa::traits::Fit;
use linfa_logistic::{MultiFittedLogisticRegression, MultiLogisticRegression};
use ndarray::{Array1, Array2};
use serde::Serialize;

use crate::model::Category;
use crate::rules::RuleSet;

/// The rule id of a root cause whose category the classifier named.
pub const CLASSIFIED_RULE: &str = "autopsy/classified";
/// Below this probability the classifier stays silent and the line stays `unknown`: chosen by
/// [`cross_validate`] on the built-in packs, where a category named at 0.8 or more was right
/// 75–85% of the time as the packs grew (at 0.5, about 55%).
pub const MIN_PROBABILITY: f64 = 0.8;
/// L2 regularisation: keeps one rare word from deciding a category on its own.
const ALPHA: f64 = 0.1;
/// L-BFGS iterations; the optimum is reached well before on the built-in packs.
const MAX_ITERATIONS: u64 = 100;
/// Words in fewer examples than this are not features.
const MIN_EXAMPLES_PER_WORD: usize = 2;
/// Rules are held out in this many groups by `autopsy eval`'s [`cross_validate`].
pub const FOLDS: usize = 10;

/// The classifier of a rule set: trained on first use, so a log that rules explain never pays
/// for training.
pub struct Classifier {
    samples: Vec<Sample>,
    model: OnceLock<Option<Model>>,
}

/// A trained model: the vocabulary and the categories it knows.
struct Model {
    vocabulary: HashMap<String, usize>,
    categories: Vec<Category>,
    fitted: MultiFittedLogisticRegression<f64, usize>,
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field("samples", &self.samples.len())
            .field("trained", &self.model.get().is_some())
            .finish_non_exhaustive()
    }
}

/// One training line and its category.
#[derive(Debug, Clone)]
pub struct Sample {
    pub text: String,
    pub category: Category,
    /// The rule the line is an example of: cross-validation holds out whole rules.
    pub rule: usize,
}

/// Every example of every rule, labelled with the rule's category.
pub fn samples(rules: &RuleSet) -> Vec<Sample> {
    rules
        .rules
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            r.examples.iter().map(move |e| Sample {
                text: e.clone(),
                category: r.category,
                rule: i,
            })
        })
        .collect()
}

/// The words of a line: lower-cased runs of letters, digits and `_`, with CamelCase compounds
/// also split into their parts (`ModuleNotFoundError` → `modulenotfounderror`, `module`, `not`,
/// `found`, `error`). Numbers, hex ids and one-letter words say nothing about the kind of
/// failure and are dropped.
pub fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in line.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        if word.chars().count() < 2 || word.len() > 40 || is_number_or_hex(word) {
            continue;
        }
        out.push(word.to_lowercase());
        let parts = camel_parts(word);
        if parts.len() > 1 {
            out.extend(
                parts
                    .into_iter()
                    .filter(|p| p.chars().count() >= 2)
                    .map(str::to_lowercase),
            );
        }
    }
    out
}

fn is_number_or_hex(word: &str) -> bool {
    word.bytes().all(|b| b.is_ascii_digit())
        || (word.len() >= 7 && word.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `OutOfMemoryError` → `Out`, `Of`, `Memory`, `Error`; `snake_case` → `snake`, `case`.
fn camel_parts(word: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut prev: Option<char> = None;
    for (i, c) in word.char_indices() {
        let boundary = c == '_'
            || (c.is_uppercase() && prev.is_some_and(char::is_lowercase))
            || prev == Some('_');
        if boundary && i > start {
            parts.push(&word[start..i]);
            start = i;
        }
        if c == '_' {
            start = i + 1;
        }
        prev = Some(c);
    }
    if start < word.len() {
        parts.push(&word[start..]);
    }
    parts
}

impl Classifier {
    /// A classifier of `samples`, trained when first asked; `None` when they hold fewer than
    /// two categories (nothing to tell apart).
    pub fn new(samples: Vec<Sample>) -> Option<Self> {
        let first = samples.first()?.category;
        samples.iter().any(|s| s.category != first).then(|| Self {
            samples,
            model: OnceLock::new(),
        })
    }

    /// Trained on the examples of `rules` (when first asked).
    pub fn from_rules(rules: &RuleSet) -> Option<Self> {
        Self::new(samples(rules))
    }

    fn model(&self) -> Option<&Model> {
        self.model
            .get_or_init(|| Model::train(&self.samples))
            .as_ref()
    }

    /// The most likely category of `line` and its probability; `None` when the line has no word
    /// the model has seen.
    pub fn predict(&self, line: &str) -> Option<(Category, f64)> {
        self.model()?.predict(line)
    }

    /// The category of `line` when the model is at least `min_probability` sure of it.
    pub fn classify(&self, line: &str, min_probability: f64) -> Option<(Category, f64)> {
        self.predict(line).filter(|&(_, p)| p >= min_probability)
    }
}

impl Model {
    fn train(samples: &[Sample]) -> Option<Self> {
        let mut categories: Vec<Category> = samples.iter().map(|s| s.category).collect();
        categories.sort();
        categories.dedup();
        if categories.len() < 2 {
            return None;
        }
        let tokenised: Vec<Vec<String>> = samples.iter().map(|s| words(&s.text)).collect();
        // A word seen in one example only cannot generalise to another line; leaving it out
        // shrinks the model (and its training time) by more than half.
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for ws in &tokenised {
            let mut distinct: Vec<&str> = ws.iter().map(String::as_str).collect();
            distinct.sort_unstable();
            distinct.dedup();
            for w in distinct {
                *seen.entry(w).or_default() += 1;
            }
        }
        let mut vocabulary: HashMap<String, usize> = HashMap::new();
        for w in tokenised.iter().flatten() {
            if seen[w.as_str()] >= MIN_EXAMPLES_PER_WORD {
                let next = vocabulary.len();
                vocabulary.entry(w.clone()).or_insert(next);
            }
        }
        let mut x = Array2::<f64>::zeros((samples.len(), vocabulary.len().max(1)));
        for (row, ws) in tokenised.iter().enumerate() {
            for w in ws {
                if let Some(&i) = vocabulary.get(w) {
                    x[[row, i]] += 1.0;
                }
            }
        }
        let y: Array1<usize> = samples
            .iter()
            .map(|s| categories.binary_search(&s.category).unwrap_or(0))
            .collect();
        let fitted = MultiLogisticRegression::default()
            .alpha(ALPHA)
            .max_iterations(MAX_ITERATIONS)
            .fit(&Dataset::new(x, y))
            .ok()?;
        Some(Self {
            vocabulary,
            categories,
            fitted,
        })
    }

    fn predict(&self, line: &str) -> Option<(Category, f64)> {
        let mut x = Array2::<f64>::zeros((1, self.vocabulary.len().max(1)));
        let mut known = 0;
        for w in words(line) {
            if let Some(&i) = self.vocabulary.get(&w) {
                x[[0, i]] += 1.0;
                known += 1;
            }
        }
        if known == 0 {
            return None;
        }
        let proba = self.fitted.predict_probabilities(&x);
        let (best, p) = proba
            .row(0)
            .iter()
            .copied()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(&b.1))?;
        Some((self.categories[self.fitted.classes()[best]], p))
    }
}

/// What cross-validation with whole rules held out measured at one probability threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CrossValidation {
    /// Example lines tried (each with its own rule left out of training).
    pub lines: usize,
    pub min_probability: f64,
    /// Lines the classifier named a category for.
    pub named: usize,
    /// Of those, named right.
    pub correct: usize,
    /// `correct / named`: how far a named category can be trusted.
    pub precision: f64,
    /// `correct / lines`: how many unknown lines it turns into a right category.
    pub recall: f64,
}

/// Rules held out in groups: the rules are dealt into `folds` folds; for each fold, train on
/// the examples of the other folds' rules and classify the fold's own examples, as if those
/// rules did not exist. One result per threshold in `thresholds`.
pub fn cross_validate(
    samples: &[Sample],
    folds: usize,
    thresholds: &[f64],
) -> Vec<CrossValidation> {
    let mut predictions: Vec<(Category, Option<(Category, f64)>)> = Vec::new();
    for fold in 0..folds {
        let (held, train): (Vec<Sample>, Vec<Sample>) = samples
            .iter()
            .cloned()
            .partition(|s| s.rule % folds == fold);
        let model = Model::train(&train);
        for s in held {
            predictions.push((s.category, model.as_ref().and_then(|m| m.predict(&s.text))));
        }
    }
    thresholds
        .iter()
        .map(|&min_probability| {
            let named: Vec<_> = predictions
                .iter()
                .filter_map(|(want, got)| {
                    got.filter(|&(_, p)| p >= min_probability)
                        .map(|(c, _)| c == *want)
                })
                .collect();
            let correct = named.iter().filter(|&&ok| ok).count();
            let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
            CrossValidation {
                lines: predictions.len(),
                min_probability,
                named: named.len(),
                correct,
                precision: ratio(correct, named.len()),
                recall: ratio(correct, predictions.len()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn words_split_compounds_and_drop_numbers_and_ids() {
        assert_eq!(
            words("E   ModuleNotFoundError: No module named 'requests' (exit 137) at deadbeef01"),
            [
                "modulenotfounderror",
                "module",
                "not",
                "found",
                "error",
                "no",
                "module",
                "named",
                "requests",
                "exit",
                "at",
            ]
        );
        assert_eq!(words("snake_case"), ["snake_case", "snake", "case"]);
    }

    #[test]
    fn the_builtin_model_names_categories_of_lines_no_rule_matches() {
        let c = builtin();
        let (cat, p) = c
            .predict("fatal: could not resolve host: git.example.internal")
            .unwrap();
        assert_eq!(cat, Category::Network, "p = {p}");
        assert!(c.predict("").is_none());
        assert!(c.predict("zzqx qqzv").is_none());
    }

    #[test]
    fn cross_validation_holds_each_rule_out() {
        let samples = samples(RuleSet::builtin_static());
        // Two folds keep the debug-build test quick; `autopsy eval` uses [`FOLDS`].
        let cv = cross_validate(&samples, 2, &[0.0, MIN_PROBABILITY]);
        assert_eq!(cv[0].lines, samples.len());
        // At no threshold every line with a known word gets a category; a higher threshold
        // names fewer and is trusted more.
        assert!(cv[1].named <= cv[0].named);
        assert!(cv[1].precision >= cv[0].precision, "{cv:?}");
        // Held out for real: a model that had seen the rule it classifies gets nearly all of
        // its own examples right, one that has not gets far fewer.
        let seen = Classifier::new(samples.clone()).unwrap();
        let on_training = samples
            .iter()
            .filter(|s| seen.predict(&s.text).is_some_and(|(c, _)| c == s.category))
            .count();
        assert!(
            cv[0].correct * 10 < on_training * 8,
            "cross-validated {} vs on its training lines {on_training}",
            cv[0].correct
        );
    }

    fn builtin() -> &'static Classifier {
        static MODEL: std::sync::OnceLock<Classifier> = std::sync::OnceLock::new();
        MODEL.get_or_init(|| Classifier::from_rules(RuleSet::builtin_static()).unwrap())
    }

    proptest! {
        #[test]
        fn any_line_is_classified_without_panicking(line in "\\PC{0,200}") {
            if let Some((_, p)) = builtin().predict(&line) {
                prop_assert!((0.0..=1.0 + 1e-9).contains(&p));
            }
        }
    }
}
