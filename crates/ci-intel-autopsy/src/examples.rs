//! `ci-intel autopsy rules test`: every rule's examples and counter-examples run through the
//! real scanner, keyword prefilter included, so a rule whose keyword is missing from its own
//! example (and would never be tried) fails here rather than in a user's pipeline.

use crate::miner::Miner;
use crate::rules::RuleSet;
use crate::scan;

/// One example that did not behave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    pub rule: String,
    pub pack: String,
    pub example: String,
    /// What happened instead.
    pub problem: String,
}

/// Runs every example of every rule; returns the failures (empty when all pass) and the number
/// of examples run.
pub fn check(rules: &RuleSet) -> (Vec<ExampleFailure>, usize) {
    let mut failures = Vec::new();
    let mut count = 0;
    for rule in &rules.rules {
        for (example, must_match) in rule
            .examples
            .iter()
            .map(|e| (e, true))
            .chain(rule.counter_examples.iter().map(|e| (e, false)))
        {
            count += 1;
            // The rule claims the example's first line, or its last when the rule reads only
            // the lines above its match (`before` without `then`).
            let line = if rule.before.is_empty() || !rule.then.is_empty() {
                1
            } else {
                example.lines().count().max(1) as u64
            };
            let first_line_hit = line_rule(rules, example, line);
            let fail = |problem: String| ExampleFailure {
                rule: rule.id.clone(),
                pack: rule.pack.clone(),
                example: example.clone(),
                problem,
            };
            let matched = first_line_hit.as_deref() == Some(rule.id.as_str());
            if must_match && !matched {
                failures.push(fail(match first_line_hit {
                    Some(other) => format!("matched `{other}` instead"),
                    None => "matched no rule".into(),
                }));
            } else if !must_match && matched {
                failures.push(fail("a counter-example matched".into()));
            }
        }
    }
    (failures, count)
}

/// The rule that claims line `line` of `example` (scanned as a log of its own).
fn line_rule(rules: &RuleSet, example: &str, line: u64) -> Option<String> {
    let mut miner = Miner::default();
    let scan = scan::scan(rules, "example", None, example.as_bytes(), &mut miner).ok()?;
    scan.hits
        .iter()
        .find(|h| h.location.line == line)
        .map(|h| rules.rules[h.rule].id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_example_matches_its_rule_and_no_counter_example_does() {
        let rules = RuleSet::builtin().unwrap();
        let (failures, count) = check(&rules);
        assert!(count > 200, "{count} examples");
        assert!(
            failures.is_empty(),
            "{} failing examples:\n{}",
            failures.len(),
            failures
                .iter()
                .map(|f| format!(
                    "  {} ({}): {}\n    {}",
                    f.rule,
                    f.pack,
                    f.problem,
                    f.example.lines().next().unwrap_or("")
                ))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    #[test]
    fn a_rule_whose_keyword_is_not_in_its_example_fails_the_check() {
        let pack = "[[rule]]\nid = \"x/y\"\ntool = \"x\"\ncategory = \"network\"\nkeywords = [\"absent\"]\npattern = \"boom\"\nhint = \"h\"\nexamples = [\"boom\"]\n";
        let rules = RuleSet::from_packs(&[("p.toml".into(), pack.into())]).unwrap();
        let (failures, _) = check(&rules);
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].problem, "matched no rule");
    }
}
