//! The gates on test results and coverage. Each takes measured values and a threshold and
//! returns a verdict with both; none of them reads a file.
//!
//! Thresholds are percentages (what people write: "80 % coverage"); measured values are 0–1
//! fractions (what the data contract stores).

use ci_intel_core::{GateResult, GateVerdict};

/// Gate thresholds for test results and coverage.
#[derive(Clone, Debug, PartialEq)]
pub struct Thresholds {
    pub max_failures: u64,
    pub allow_flaky: bool,
    pub min_lines: Option<f64>,
    pub min_branches: Option<f64>,
    pub min_diff: Option<f64>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            max_failures: 0,
            allow_flaky: true,
            min_lines: None,
            min_branches: None,
            min_diff: None,
        }
    }
}

/// Comparisons tolerate float noise: 0.8 measured against "80 %" passes.
const EPSILON: f64 = 1e-9;

fn pct(fraction: f64) -> String {
    ci_intel_core::format::percent(fraction, 2)
}

/// `tests.failures`: at most `max_failures` tests failed (failures plus errors; quarantined
/// tests — suppressed failure findings — excluded).
pub fn failures(failed: u64, quarantined: u64, max_failures: u64) -> GateVerdict {
    let (result, reason) = if failed <= max_failures {
        (
            GateResult::Allow,
            if failed == 0 {
                "no test failed".to_owned()
            } else {
                format!("{failed} test(s) failed, within the allowed {max_failures}")
            },
        )
    } else {
        (
            GateResult::Deny,
            format!("{failed} test(s) failed; at most {max_failures} allowed"),
        )
    };
    let mut v = GateVerdict::new("tests.failures", result, reason)
        .input("failed", failed)
        .input("max_failures", max_failures);
    if quarantined > 0 {
        v = v.input("quarantined", quarantined);
        v.reason.push_str(&format!(
            " ({quarantined} quarantined failure(s) not counted)"
        ));
    }
    v
}

/// `tests.flaky`: flaky tests warn, or deny when they are not allowed.
pub fn flaky(flaky: u64, allow_flaky: bool) -> GateVerdict {
    let (result, reason) = match (flaky, allow_flaky) {
        (0, _) => (GateResult::Allow, "no flaky test".to_owned()),
        (n, true) => (
            GateResult::Warn,
            format!("{n} flaky test(s) passed only on a retry"),
        ),
        (n, false) => (
            GateResult::Deny,
            format!("{n} flaky test(s) passed only on a retry, and flaky tests are not allowed"),
        ),
    };
    GateVerdict::new("tests.flaky", result, reason)
        .input("flaky", flaky)
        .input("allow_flaky", allow_flaky)
}

/// A minimum-coverage gate (`coverage.lines`, `coverage.branches`, `coverage.diff`).
/// `measured` is `None` when nothing was measured: that denies, since the gate cannot be met.
pub fn minimum(id: &str, what: &str, measured: Option<f64>, min_percent: f64) -> GateVerdict {
    let v = GateVerdict::new(id, GateResult::Allow, "").input("min_percent", min_percent);
    match measured {
        None => GateVerdict {
            result: GateResult::Deny,
            reason: format!("no {what} data to compare with the minimum of {min_percent}%"),
            ..v
        },
        Some(m) if m * 100.0 + EPSILON >= min_percent => GateVerdict {
            reason: format!("{what} {} meets the minimum of {min_percent}%", pct(m)),
            ..v.input("measured", m)
        },
        Some(m) => GateVerdict {
            result: GateResult::Deny,
            reason: format!("{what} {} is below the minimum of {min_percent}%", pct(m)),
            ..v.input("measured", m)
        },
    }
}

/// `coverage.diff` when the change touches no measured line: nothing to cover, so allow.
pub fn diff_nothing_measured(changed_lines: u64, min_percent: f64) -> GateVerdict {
    GateVerdict::new(
        "coverage.diff",
        GateResult::Allow,
        format!("none of the {changed_lines} changed line(s) is measured code"),
    )
    .input("min_percent", min_percent)
    .input("changed_lines", changed_lines)
}

/// `coverage.diff` when diff coverage could not be computed: warn, saying why.
pub fn diff_unavailable(why: &str, min_percent: f64) -> GateVerdict {
    GateVerdict::new(
        "coverage.diff",
        GateResult::Warn,
        format!("diff coverage could not be computed: {why}"),
    )
    .input("min_percent", min_percent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_gate() {
        assert_eq!(failures(0, 0, 0).result, GateResult::Allow);
        assert_eq!(failures(2, 0, 2).result, GateResult::Allow);
        let v = failures(3, 1, 2);
        assert_eq!(v.result, GateResult::Deny);
        assert!(v.reason.contains("1 quarantined"), "{}", v.reason);
        assert_eq!(v.inputs["failed"], 3);
    }

    #[test]
    fn flaky_gate() {
        assert_eq!(flaky(0, false).result, GateResult::Allow);
        assert_eq!(flaky(1, true).result, GateResult::Warn);
        assert_eq!(flaky(1, false).result, GateResult::Deny);
    }

    #[test]
    fn minimum_gate_boundaries() {
        assert_eq!(
            minimum("c", "line coverage", Some(0.8), 80.0).result,
            GateResult::Allow
        );
        assert_eq!(
            minimum("c", "line coverage", Some(0.7999), 80.0).result,
            GateResult::Deny
        );
        assert_eq!(
            minimum("c", "line coverage", None, 80.0).result,
            GateResult::Deny
        );
        let v = minimum("coverage.lines", "line coverage", Some(0.6111), 80.0);
        assert_eq!(v.reason, "line coverage 61.11% is below the minimum of 80%");
    }
}
