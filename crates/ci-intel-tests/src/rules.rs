//! The rules of the test-results and coverage analyzers (their registry).

use ci_intel_core::finding::{Rule, Severity};

/// Every rule this crate's findings use.
pub const RULES: &[Rule] = &[
    Rule {
        tool: "tests",
        id: "test-failure",
        severity: Severity::Error,
        summary: "A test failed (or errored) on its last attempt.",
        help: "Fix the code or the test. To quarantine a known failure while it is fixed, add a suppression with an owner and an expiry date: quarantined failures do not count against `tests.max_failures`.",
    },
    Rule {
        tool: "tests",
        id: "flaky-test",
        severity: Severity::Warning,
        summary: "A test failed and then passed on a retry of the same commit.",
        help: "Find the nondeterminism (ordering, time, shared state, network). `tests.allow_flaky: false` makes flaky tests fail the gate.",
    },
    Rule {
        tool: "coverage",
        id: "uncovered-line",
        severity: Severity::Warning,
        summary: "A line the change adds is measured code that no test executed.",
        help: "Add a test that runs it. Findings are errors when the `coverage.min_diff` gate denies.",
    },
];
