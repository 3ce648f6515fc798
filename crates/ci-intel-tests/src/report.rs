//! `ci-intel.tests/v1`: the JSON that `ci-intel tests --format json` prints.
//!
//! These types are the published format, not internal structures: fields are only added,
//! never renamed or removed, within `v1`. `tests` is exactly the `pipeline_run.v1.2` `tests`
//! object. `docs/formats/tests-json.md` documents every field.

use ci_intel_core::pipeline_run;
use ci_intel_core::{Finding, GateResult, GateVerdict};
use serde::{Deserialize, Serialize};

/// The schema id of this format.
pub const SCHEMA: &str = "ci-intel.tests/v1";

/// Everything `ci-intel tests` found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestsReport {
    pub schema: String,
    /// The most severe gate result.
    pub verdict: GateResult,
    /// The contract's `tests` object.
    pub tests: pipeline_run::Tests,
    pub counts: Counts,
    /// The report files read.
    pub inputs: Inputs,
    /// Tests whose last attempt failed, by id.
    pub failures: Vec<Failure>,
    /// Tests that failed and passed, by id.
    pub flaky: Vec<Flaky>,
    /// The slowest tests, slowest first.
    pub slowest: Vec<Slow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<CoverageSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff_coverage: Option<DiffCoverageSummary>,
    pub gates: Vec<GateVerdict>,
    /// Findings still active after suppressions and the baseline.
    pub findings: Vec<Finding>,
    /// How many findings suppressions and the baseline hid.
    pub suppressed: usize,
    pub baselined: usize,
    /// Things a person should know that are not findings (e.g. why diff coverage is missing).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counts {
    pub total: u64,
    pub passed: u64,
    pub failures: u64,
    pub errors: u64,
    pub skipped: u64,
    pub flaky: u64,
    /// `<testcase>` entries and retry elements read: attempts, not tests.
    pub attempts: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Inputs {
    pub junit: Vec<String>,
    pub coverage: Vec<String>,
}

/// `failure` (an assertion failed) or `error` (the test crashed), as the report says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailureKind {
    Failure,
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub id: String,
    pub kind: FailureKind,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub attempts: u32,
    /// A suppression covers it: it does not count against `tests.failures`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub quarantined: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flaky {
    pub id: String,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Slow {
    pub id: String,
    pub duration_ms: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CoverageSummary {
    pub formats: Vec<String>,
    pub lines_pct: Option<f64>,
    pub branches_pct: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statements_pct: Option<f64>,
    pub lines_covered: u64,
    pub lines_valid: u64,
    pub branches_covered: u64,
    pub branches_valid: u64,
    /// Per file, least covered first.
    pub files: Vec<FileCoverageSummary>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileCoverageSummary {
    pub path: String,
    pub lines_pct: Option<f64>,
    pub lines_covered: u64,
    pub lines_valid: u64,
    pub branches_pct: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiffCoverageSummary {
    pub base: String,
    pub base_commit: String,
    /// Covered ÷ measured changed lines; `null` when the change touches no measured line.
    pub lines_pct: Option<f64>,
    /// Every line the change adds.
    pub changed_lines: u64,
    /// Changed lines the coverage reports measure.
    pub measured_lines: u64,
    pub uncovered: Vec<UncoveredLine>,
    pub files: Vec<DiffFile>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UncoveredLine {
    pub path: String,
    pub line: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiffFile {
    pub path: String,
    pub lines_pct: Option<f64>,
    pub measured: u64,
    pub uncovered: Vec<u32>,
}

impl TestsReport {
    /// The gates' overall result.
    pub fn overall(&self) -> GateResult {
        ci_intel_core::gate::overall(&self.gates)
    }
}
